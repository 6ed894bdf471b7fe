"""Checks of the way out: the shared retry table and no secret in errors or logs, idempotent
writes (notes, tasks), and reconcile's paging."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import responses

from ..connector import Connector, TicketRecord
from ..errors import RetryableApiError, TicketApiError
from ..events import Snapshot
from . import recorded, retry_table
from .cases import Reply, RetryCase, Run
from .harness import Harness
from .retry_table import ALL_IDS, FAILURE_IDS, RETRY_TABLE, TRANSPORT_FAILURES


class OutboundChecks(Harness):
    """The retry table, secrets, idempotent writes and reconcile."""

    # --- the retry table and secrets ------------------------------------------------------
    def _fail(self, row: RetryCase) -> TicketApiError | BaseException:
        """Play ``row`` against :meth:`write_action`; return what ``perform`` raised."""
        action = self.write_action()

        def stub(api: responses.RequestsMock) -> None:
            self.stub_write(api, action, row.reply)

        with pytest.raises(Exception) as info:
            self._run(stub, lambda conn: conn.perform([action]))
        return info.value

    @pytest.mark.parametrize("case", ALL_IDS)
    def test_retry_table(self, case: str) -> None:
        row = self._case(case)
        if row.raises is None:
            action = self.write_action()

            def stub(api: responses.RequestsMock) -> None:
                self.stub_write(api, action, row.reply)

            outcomes = self._run(stub, lambda conn: conn.perform([action])).result
            assert [(o.action_id, o.ok) for o in outcomes] == [(action.id, True)], outcomes
            return
        error = self._fail(row)
        assert isinstance(error, row.raises), (
            f"{case}: expected {row.raises.__name__}, got {error!r}"
        )
        assert error.connector == self.name, error.connector
        if row.reply.status is not None:
            assert error.status == row.reply.status, (error.status, str(error))
        if row.retry_after is not None:
            assert error.retry_after == row.retry_after, error.retry_after

    @pytest.mark.parametrize("case", FAILURE_IDS)
    def test_no_secret_in_errors_or_logs(self, case: str, caplog: pytest.LogCaptureFixture) -> None:
        caplog.set_level(logging.DEBUG)
        error = self._fail(self._case(case))
        self._assert_clean(recorded.texts(error), "the raised error")
        formatter = logging.Formatter()
        self._assert_clean([formatter.format(r) for r in caplog.records], "a log record")

    @pytest.mark.parametrize("case", [n for n, _ in TRANSPORT_FAILURES])
    def test_no_secret_in_chained_errors(self, case: str) -> None:
        """A traceback (Sentry, ``log.exception``, RQ's failed registry) prints every error
        chained to the raised one: a library's exception text must not ride along."""
        seen = recorded.printed_cause(self._fail(self._case(case)))
        while seen is not None:
            self._assert_clean(
                recorded.texts(seen), f"an error chained to it ({type(seen).__name__})"
            )
            seen = recorded.printed_cause(seen)

    def _case(self, case: str) -> RetryCase:
        for row in RETRY_TABLE:
            if row.id == case:
                return row
        kind = dict(TRANSPORT_FAILURES)[case]
        return RetryCase(
            case, Reply(error=retry_table.leaky(kind, self.secrets())), RetryableApiError
        )

    # --- idempotent writes ----------------------------------------------------------------
    def test_note_already_written_is_skipped(self) -> None:
        run = self._note_run(written=True)
        summary = [(o.action_id, o.ok, o.skipped) for o in run.result]
        assert summary == [(self.note_action().id, True, True)], run.result
        assert recorded.writes(run.calls) == [], "a skipped note still wrote"

    def test_note_not_yet_written_is_written_once(self) -> None:
        run = self._note_run(written=False)
        summary = [(o.action_id, o.ok, o.skipped) for o in run.result]
        assert summary == [(self.note_action().id, True, False)], run.result
        if self.remote_api:
            assert len(recorded.writes(run.calls)) == 1, [
                c.request.url for c in recorded.writes(run.calls)
            ]

    def _task_run(self, created: bool) -> Run:
        task = self.task_action()

        def stub(api: responses.RequestsMock) -> str:
            return self.stub_task(api, task, created=created)

        return self._run(stub, lambda conn: conn.perform([task]))

    def test_task_is_created_once(self) -> None:
        task = self.task_action()
        first = self._task_run(created=False)
        assert [(o.action_id, o.ok, o.skipped) for o in first.result] == [(task.id, True, False)]
        made = first.result[0].remote_id
        assert made and made == first.stubbed, (first.result, first.stubbed)
        second = self._task_run(created=True)
        assert [(o.action_id, o.ok, o.skipped) for o in second.result] == [(task.id, True, True)]
        assert second.result[0].remote_id == second.stubbed == made, second.result
        again = [c.request.url for c in recorded.writes(second.calls) if recorded.mentions(c, task)]
        assert again == [], f"the re-run wrote the task again: {again}"

    # --- reconcile -----------------------------------------------------------------------
    def test_open_tickets_follow_every_page(self) -> None:
        def listed(conn: Connector) -> list[TicketRecord]:
            records = conn.open_tickets()
            assert isinstance(records, Iterator), "open_tickets() must return an iterator"
            return list(records)

        run = self._run(self.stub_open_tickets, listed)
        assert len(run.stubbed) >= 2, "stub at least two open tickets"
        if self.remote_api:
            assert len(run.calls) >= 2, "stub two pages of open tickets"
        assert [r.ticket for r in run.result] == run.stubbed
        for record in run.result:
            assert isinstance(record, TicketRecord) and isinstance(record.snapshot, Snapshot)
            assert record.updated_at.tzinfo is not None, record
