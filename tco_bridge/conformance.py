"""The connector conformance kit: what every connector must do, as pytest tests you inherit.

A connector is done when its subclass of :class:`ConnectorConformance` passes. The kit checks
the contract of :mod:`tco_bridge.connector` the same way for every tool:

========================  ==========================================================================
check                     what it asserts
========================  ==========================================================================
protocol shape            ``isinstance(conn, Connector)``; the entry point of that name loads this
                          very class; ``name`` matches; the secret and bot account come from the
                          environment; ``repr`` shows no secret; ``write_limits`` (if any) parse;
                          ``perform([])`` sends nothing
samples                   each :class:`Sample` parses to exactly the expected (event type, key)
                          pairs, purely (no HTTP, same result twice), and every event survives
                          the Redis wire format
shared fixtures           every recorded payload parses, or is refused with ``UnreadableDelivery``
                          and the documented reason
loop guard                a delivery authored by the configured bot account has only ``bridge``
                          actors
signatures                valid passes; tampered body, wrong secret and missing header are refused
                          with ``SignatureError``; a stale one too where the tool signs a timestamp;
                          refusals quote neither the secret nor the expected digest
retry table               2xx → ``Outcome.ok``; 429 → ``RetryableApiError`` with ``retry_after``;
                          500/502/503 (with or without ``Retry-After``) → retryable; 400/401/403/404
                          /422 → ``PermanentApiError``; timeouts and refused connections → retryable
no secret                 for each failure above, neither the raised error (``str``, ``repr``,
                          ``args``, nor anything chained to it) nor any log record holds a secret
idempotent writes         ``CREATE_TASK`` twice creates once (the second run finds the task tagged
                          with the action id); a ``NOTE`` with ``check_existing`` whose marker is
                          already in the ticket is skipped, one without is written exactly once
reconcile                 ``open_tickets`` follows two pages and returns every record
========================  ==========================================================================

How to use it: in your own test module (``tests/test_conformance_<tool>.py``), subclass
:class:`ConnectorConformance` as ``Test<Tool>Conformance`` and fill in the harness, i.e. the
class attributes and the hook methods marked *required*. The kit fakes your tool's HTTP API
with ``responses`` (every stub must fire, any unstubbed request fails), so the hooks
register the REST conversation each scenario needs::

    from tco_bridge.conformance import ConnectorConformance, Reply, Sample

    class TestAcmeConformance(ConnectorConformance):
        name = "acme"                       # the entry-point name
        ticket = "123"                      # a ticket id as the tool spells it

        def env(self): return {"TCO_ACME_URL": URL, "TCO_ACME_TOKEN": "t0k", ...}
        def sign(self, body, secret, at): return {"X-Acme-Signature": hmac_hex(secret, body)}
        def samples(self): return [Sample("created", body, events=[(EventType.CREATED, "c:1")])]
        def stub_write(self, api, action, reply): api.put(f"{URL}/tickets/123", **reply.respond())
        ...

Hooks run with ``self.connector`` set to the connector under test (built from :meth:`env`
through the entry point). A check your connector knowingly fails can be listed in
``known_gaps`` (test name → reason): it is then an expected failure, strictly, so fixing the
gap turns the test red until the entry is removed.
"""

from __future__ import annotations

import atexit
import base64
import importlib
import logging
import re
import shutil
import sys
import tempfile
import tomllib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest
import requests
import responses

from .actions import Action, ActionKind, TaskSpec, action_id
from .connector import (
    ENTRY_POINT_GROUP,
    Connector,
    Delivery,
    TicketRecord,
    available,
    build,
    load_class,
    lower_headers,
)
from .errors import (
    PermanentApiError,
    RetryableApiError,
    SignatureError,
    TicketApiError,
    UnreadableDelivery,
)
from .events import ActorKind, EventType, Snapshot, dump_event, load_event

__all__ = [
    "RETRY_TABLE",
    "ConnectorConformance",
    "FixtureFile",
    "Reply",
    "RetryCase",
    "Run",
    "Sample",
    "expose_plugin",
    "fixture_files",
]

NOW = datetime(2025, 3, 4, 9, 30, tzinfo=UTC)
#: Env keys whose values the kit treats as secrets by default.
SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|API_?KEY|CREDENTIAL", re.IGNORECASE)


# --- what a harness hands the kit ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sample:
    """One webhook delivery and what it must parse to.

    ``headers`` as the tool sends them (any case: the kit lower-cases them, like the receiver).
    ``events`` are the expected ``(type, key)`` pairs in order; an empty list with
    ``ignored=True`` means "acknowledged, carries nothing the bridge uses". ``by_bot`` marks a
    delivery authored by the configured bot account (the loop-guard check uses those).
    """

    name: str
    body: bytes
    events: Sequence[tuple[EventType, str]] = ()
    headers: Mapping[str, str] = field(default_factory=dict)
    ignored: bool = False
    by_bot: bool = False


@dataclass(frozen=True, slots=True)
class FixtureFile:
    """A recorded payload; ``refused`` is a regex the ``UnreadableDelivery`` reason matches
    when the connector documents that it refuses this shape (``None``: it must parse)."""

    path: Path
    refused: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


def fixture_files(directory: Path, refused: Mapping[str, str] | None = None) -> list[FixtureFile]:
    """Every ``*.json`` under ``directory``; ``refused`` maps a relative path prefix (e.g.
    ``"partial/"``) to the reason regex for files there. New fixtures are picked up unasked."""
    found = []
    for path in sorted(directory.rglob("*.json")):
        relative = path.relative_to(directory).as_posix()
        reason = next((r for p, r in (refused or {}).items() if relative.startswith(p)), None)
        found.append(FixtureFile(path, reason))
    if not found:
        raise FileNotFoundError(f"no *.json fixtures under {directory}")
    return found


@dataclass(frozen=True, slots=True)
class Reply:
    """How the faked tool answers the request that writes.

    ``status`` ``None`` means the tool's normal success; ``error`` is raised by the transport
    instead of answering (a timeout, a refused connection). Harnesses turn it into ``responses``
    arguments with :meth:`respond`.
    """

    status: int | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    error: Exception | None = None

    @property
    def ok(self) -> bool:
        return self.status is None and self.error is None

    def respond(
        self, *, ok_status: int = 200, ok_json: Any = None, error_json: Any = None
    ) -> dict[str, Any]:
        """Keyword arguments for ``api.add``/``api.put``/...: the success answer of your tool
        (``ok_status``, ``ok_json``) or this reply's failure (``error_json`` as its body)."""
        if self.error is not None:
            return {"body": self.error}
        if self.status is None:
            return (
                {"status": ok_status, "json": ok_json}
                if ok_json is not None
                else {
                    "status": ok_status,
                    "body": "",
                }
            )
        body = error_json if error_json is not None else {"error": f"simulated {self.status}"}
        return {"status": self.status, "headers": dict(self.headers), "json": body}


@dataclass(frozen=True, slots=True)
class RetryCase:
    """One row of the shared retry table."""

    id: str
    reply: Reply
    raises: type[TicketApiError] | None
    retry_after: float | None = None


def _leaky(kind: type[Exception], secrets: Sequence[str]) -> Exception:
    """A transport failure whose text carries credentials, as a URL with userinfo would."""
    joined = ":".join(secrets) or "no-secret"
    return kind(f"HTTPSConnectionPool(host='{joined}@tool.example'): Max retries exceeded")


#: The retry classification every connector shares (see :mod:`tco_bridge.retry`).
#: Transport errors are filled in per connector so their text can carry its secrets.
RETRY_TABLE: tuple[RetryCase, ...] = (
    RetryCase("2xx", Reply(), None),
    RetryCase("429-retry-after", Reply(429, {"Retry-After": "17"}), RetryableApiError, 17.0),
    RetryCase("500", Reply(500), RetryableApiError),
    RetryCase("502", Reply(502), RetryableApiError),
    RetryCase("503", Reply(503), RetryableApiError),
    RetryCase("503-retry-after", Reply(503, {"Retry-After": "5"}), RetryableApiError, 5.0),
    RetryCase("400", Reply(400), PermanentApiError),
    RetryCase("401", Reply(401), PermanentApiError),
    RetryCase("403", Reply(403), PermanentApiError),
    RetryCase("404", Reply(404), PermanentApiError),
    RetryCase("422", Reply(422), PermanentApiError),
)
TRANSPORT_FAILURES: tuple[tuple[str, type[Exception]], ...] = (
    ("read-timeout", requests.ReadTimeout),
    ("connect-timeout", requests.ConnectTimeout),
    ("connection-refused", requests.ConnectionError),
)
FAILURE_IDS = [c.id for c in RETRY_TABLE if c.raises] + [n for n, _ in TRANSPORT_FAILURES]
ALL_IDS = [c.id for c in RETRY_TABLE] + [n for n, _ in TRANSPORT_FAILURES]


# --- the kit ----------------------------------------------------------------------------------


class ConnectorConformance:
    """Inherit as ``Test<Tool>Conformance`` and fill in the harness (see the module docstring).

    Required: ``name``, ``ticket``, :meth:`env`, :meth:`sign`, :meth:`samples`,
    :meth:`stub_write`, :meth:`stub_note`, :meth:`stub_task`, :meth:`stub_open_tickets`.
    Optional: ``replay_window``, ``known_gaps``, :meth:`fixtures`, :meth:`secrets`,
    :meth:`write_action`, :meth:`build`, :meth:`fake_api`.
    """

    #: The entry-point name (``[project.entry-points."tco_bridge.connectors"]``).
    name: ClassVar[str]
    #: A ticket id as the tool spells it; every scripted action targets it.
    ticket: ClassVar[str]
    #: Seconds either side of ``now`` a signature timestamp may be; ``None``: not signed.
    replay_window: ClassVar[float | None] = None
    #: ``False`` for a tool without a remote API (its writes are local transactions): the
    #: HTTP retry table and the request counting do not apply and are skipped, saying why.
    remote_api: ClassVar[bool] = True
    #: Test name → reason, for checks this connector knowingly fails (strict xfail).
    known_gaps: ClassVar[Mapping[str, str]] = {}

    connector: Connector

    # --- harness: required ------------------------------------------------------------------
    def env(self) -> dict[str, str]:
        """Environment for a fully configured connector: API credentials, webhook secret, bot
        account and whatever creating tasks needs."""
        raise NotImplementedError(f"{type(self).__name__} must define env()")

    def sign(self, body: bytes, secret: str, at: datetime) -> dict[str, str]:
        """Headers the tool would send to sign ``body`` with ``secret`` at time ``at``."""
        raise NotImplementedError(f"{type(self).__name__} must define sign()")

    def samples(self) -> Sequence[Sample]:
        """Deliveries with their expected events; at least one with ``by_bot=True``."""
        raise NotImplementedError(f"{type(self).__name__} must define samples()")

    def stub_write(self, api: responses.RequestsMock, action: Action, reply: Reply) -> None:
        """Register what ``perform([action])`` sends; the write answers with ``reply``."""
        raise NotImplementedError(f"{type(self).__name__} must define stub_write()")

    def stub_note(self, api: responses.RequestsMock, action: Action, *, written: bool) -> None:
        """Register ``perform([note], check_existing=True)``: the lookup finds the note's
        marker when ``written``, and then nothing is written; otherwise the note is written."""
        raise NotImplementedError(f"{type(self).__name__} must define stub_note()")

    def stub_task(self, api: responses.RequestsMock, action: Action, *, created: bool) -> str:
        """Register ``perform([create_task])``: the lookup finds the task tagged with the action
        id when ``created``, else the task is created. Return the task's id (the outcome's
        ``remote_id``), the same both times."""
        raise NotImplementedError(f"{type(self).__name__} must define stub_task()")

    def stub_open_tickets(self, api: responses.RequestsMock) -> list[str]:
        """Register two pages of open tickets; return every ticket id, in order."""
        raise NotImplementedError(f"{type(self).__name__} must define stub_open_tickets()")

    # --- harness: optional ------------------------------------------------------------------
    def fixtures(self) -> Sequence[FixtureFile]:
        """Recorded payloads of this tool (see :func:`fixture_files`)."""
        return []

    def secrets(self) -> list[str]:
        """Values that must never show: by default every env value whose name looks secret."""
        return [v for k, v in self.env().items() if SECRET_NAME.search(k) and len(v) >= 4]

    def write_action(self) -> Action:
        """The action the retry table is played with: adding a label, unless overridden."""
        return self.action(ActionKind.ADD_LABEL, "label", label="tco-conformance")

    def build(self) -> Connector:
        """The connector under test, through the entry point, as the bridge builds it."""
        return build(self.name, self.env())

    def fake_api(self) -> AbstractContextManager[responses.RequestsMock]:
        """The HTTP fake: every stub must fire and unstubbed requests fail."""
        return responses.RequestsMock(assert_all_requests_are_fired=True)

    # --- helpers for harnesses ------------------------------------------------------------
    def action(self, kind: ActionKind, trigger: str, **values: Any) -> Action:
        """An action on :attr:`ticket` with a real deterministic id."""
        aid = action_id(self.name, self.ticket, "conformance", trigger)
        return Action(aid, self.name, self.ticket, kind, "conformance", **values)

    def note_action(self) -> Action:
        return self.action(ActionKind.NOTE, "note", text="Conformance nudge")

    def task_action(self) -> Action:
        spec = TaskSpec(kind="kb", summary="Conformance KB task", description="From the kit")
        return self.action(ActionKind.CREATE_TASK, "task", task=spec)

    # --- pytest plumbing --------------------------------------------------------------------
    def inapplicable(self) -> dict[str, str]:
        """Checks that do not apply to this tool, with why. They are deselected at collection
        (see :func:`pytest_collection_modifyitems`), not run and skipped."""
        out: dict[str, str] = {}
        if getattr(load_class(self.name), "write_limits", None) is None:
            out["test_write_limits_parse"] = "no write_limits declared: the bridge's defaults apply"
        if not list(self.fixtures()):
            out["test_shared_fixture_parses_or_is_refused_as_documented"] = "no shared fixtures"
        if self.replay_window is None:
            out["test_stale_signature_is_refused"] = "the tool signs no timestamp"
        if not self.remote_api:
            reason = f"{self.name} has no remote API: nothing answers with HTTP statuses"
            for name in (
                "test_retry_table",
                "test_no_secret_in_errors_or_logs",
                "test_no_secret_in_chained_errors",
            ):
                out[name] = reason
        return out

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        if "sample" in metafunc.fixturenames:
            samples = list(self.samples())
            metafunc.parametrize("sample", samples, ids=[s.name for s in samples])
        if "fixture_file" in metafunc.fixturenames:
            files = list(self.fixtures())
            ids = [f.path.name for f in files]
            if files:
                metafunc.parametrize("fixture_file", files, ids=ids)

    @pytest.fixture(autouse=True)
    def _known_gap(self, request: pytest.FixtureRequest) -> None:
        name = getattr(request.node, "originalname", request.node.name)
        if name in self.known_gaps:
            request.applymarker(pytest.mark.xfail(reason=self.known_gaps[name], strict=True))

    def _connector(self) -> Connector:
        self.connector = self.build()
        return self.connector

    def _run(
        self, stub: Callable[[responses.RequestsMock], Any], call: Callable[[Connector], Any]
    ) -> Run:
        """Build the connector, register the stubs, make the call; keep what was sent."""
        conn = self._connector()
        with self.fake_api() as api:
            stubbed = stub(api)
            result = call(conn)
            calls = list(api.calls)
        return Run(result, stubbed, calls)

    # --- protocol shape ---------------------------------------------------------------------
    def test_is_a_connector_found_by_its_entry_point(self) -> None:
        conn = self._connector()
        assert isinstance(conn, Connector), f"{type(conn).__name__} misses protocol members"
        assert self.name in available(), f"no entry point named {self.name!r}"
        assert load_class(self.name) is type(conn)
        assert type(conn).name == conn.name == self.name

    def test_settings_come_from_the_environment(self) -> None:
        conn = self._connector()
        assert conn.webhook_secret, "env() must configure a webhook secret"
        assert conn.webhook_secret in self.secrets(), "the webhook secret is not in secrets()"
        assert conn.bot_account, "env() must configure the bot account (loop guard)"
        self._assert_clean([repr(conn), str(conn)], "repr(connector)")

    def test_write_limits_parse(self) -> None:
        from limits import parse_many

        declared = getattr(self._connector(), "write_limits", None)
        assert isinstance(declared, Mapping) and declared, "write_limits must be a mapping"
        for scope, text in declared.items():
            assert isinstance(scope, str) and isinstance(text, str)
            assert parse_many(text), f"write_limits[{scope!r}] = {text!r}"

    def test_no_actions_send_nothing(self) -> None:
        run = self._run(_nothing, lambda conn: conn.perform([]))
        assert run.result == [] and run.calls == []

    # --- parsing ------------------------------------------------------------------------------
    def test_sample_parses_to_the_expected_events(self, sample: Sample) -> None:
        delivery = self._parse(sample.headers, sample.body)
        got = [(e.type, e.key) for e in delivery.events]
        assert got == list(sample.events), f"{sample.name}: {got}"
        assert bool(delivery.ignored) == sample.ignored, delivery.ignored
        again = self._parse(sample.headers, sample.body)
        assert again == delivery, "parse must be a pure function of (headers, body)"
        for event in delivery.events:
            assert event.connector == self.name and event.ticket, event
            assert event.at.tzinfo is not None, f"{event.key}: 'at' must be timezone-aware"
            assert load_event(dump_event(event)) == event, f"{event.key}: wire format"

    def test_shared_fixture_parses_or_is_refused_as_documented(
        self, fixture_file: FixtureFile
    ) -> None:
        body = fixture_file.path.read_bytes()
        if fixture_file.refused is not None:
            with pytest.raises(UnreadableDelivery, match=fixture_file.refused):
                self._parse(fixture_file.headers, body)
            return
        delivery = self._parse(fixture_file.headers, body)
        assert delivery.events or delivery.ignored, "no events and no reason why"
        for event in delivery.events:
            assert load_event(dump_event(event)) == event

    def test_loop_guard_marks_the_bot_account_as_bridge(self) -> None:
        mine = [s for s in self.samples() if s.by_bot]
        assert mine, "samples() needs a delivery authored by the bot account (by_bot=True)"
        for sample in mine:
            events = self._parse(sample.headers, sample.body).events
            assert events, f"{sample.name}: no events"
            kinds = {e.actor.kind if e.actor else None for e in events}
            kinds |= {e.comment.author.kind for e in events if e.comment and e.comment.author}
            assert kinds == {ActorKind.BRIDGE}, f"{sample.name}: actor kinds {kinds}"

    def _parse(self, headers: Mapping[str, str], body: bytes) -> Delivery:
        conn = self.connector if hasattr(self, "connector") else self._connector()
        with responses.RequestsMock(assert_all_requests_are_fired=False):  # no I/O allowed
            return conn.parse(lower_headers(headers), body)

    # --- signatures ---------------------------------------------------------------------------
    def _signed(self, body: bytes, secret: str | None = None, at: datetime = NOW) -> dict[str, str]:
        conn = self.connector if hasattr(self, "connector") else self._connector()
        return lower_headers(self.sign(body, secret or conn.webhook_secret or "", at))

    def _digests(self, body: bytes) -> list[str]:
        """Header values that depend on the secret (the signature itself)."""
        other = self._signed(body, "not-the-secret")
        return [v for k, v in self._signed(body).items() if other.get(k) != v]

    def _body(self) -> bytes:
        return self.samples()[0].body

    def test_valid_signature_passes(self) -> None:
        body = self._body()
        self._connector().verify(self._signed(body), body, NOW)

    def test_tampered_body_is_refused(self) -> None:
        body = self._body()
        conn = self._connector()
        with pytest.raises(SignatureError) as info:
            conn.verify(self._signed(body), body + b" ", NOW)
        self._assert_clean([str(info.value)], "a signature error", extra=self._digests(body))

    def test_wrong_secret_is_refused(self) -> None:
        body = self._body()
        conn = self._connector()
        with pytest.raises(SignatureError) as info:
            conn.verify(self._signed(body, "not-the-secret"), body, NOW)
        self._assert_clean([str(info.value)], "a signature error", extra=self._digests(body))

    def test_missing_signature_is_refused(self) -> None:
        body = self._body()
        conn = self._connector()
        digests = self._digests(body)
        assert digests, "sign() must return at least one header that depends on the secret"
        unsigned = {k: v for k, v in self._signed(body).items() if v not in digests}
        with pytest.raises(SignatureError):
            conn.verify(unsigned, body, NOW)

    def test_stale_signature_is_refused(self) -> None:
        assert self.replay_window is not None
        body, window = self._body(), timedelta(seconds=self.replay_window)
        conn = self._connector()
        conn.verify(self._signed(body, at=NOW - window / 2), body, NOW)
        with pytest.raises(SignatureError):
            conn.verify(self._signed(body, at=NOW - window - timedelta(seconds=60)), body, NOW)

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
        self._assert_clean(_texts(error), "the raised error")
        formatter = logging.Formatter()
        self._assert_clean([formatter.format(r) for r in caplog.records], "a log record")

    @pytest.mark.parametrize("case", [n for n, _ in TRANSPORT_FAILURES])
    def test_no_secret_in_chained_errors(self, case: str) -> None:
        """A traceback (Sentry, ``log.exception``, RQ's failed registry) prints every error
        chained to the raised one: a library's exception text must not ride along."""
        seen = _printed_cause(self._fail(self._case(case)))
        while seen is not None:
            self._assert_clean(_texts(seen), f"an error chained to it ({type(seen).__name__})")
            seen = _printed_cause(seen)

    def _case(self, case: str) -> RetryCase:
        for row in RETRY_TABLE:
            if row.id == case:
                return row
        kind = dict(TRANSPORT_FAILURES)[case]
        return RetryCase(case, Reply(error=_leaky(kind, self.secrets())), RetryableApiError)

    def _assert_clean(self, texts: Sequence[str], where: str, extra: Any = ()) -> None:
        forbidden = [*self.secrets(), *extra]
        forbidden += [base64.b64encode(s.encode()).decode() for s in self.secrets()]
        for text in texts:
            for secret in forbidden:
                if secret and len(secret) >= 4 and secret in text:
                    raise AssertionError(f"a secret shows in {where}: {_mask(text, secret)}")

    # --- idempotent writes ----------------------------------------------------------------
    def _note_run(self, written: bool) -> Run:
        note = self.note_action()

        def stub(api: responses.RequestsMock) -> None:
            self.stub_note(api, note, written=written)

        return self._run(stub, lambda conn: conn.perform([note], check_existing=True))

    def test_note_already_written_is_skipped(self) -> None:
        run = self._note_run(written=True)
        summary = [(o.action_id, o.ok, o.skipped) for o in run.result]
        assert summary == [(self.note_action().id, True, True)], run.result
        assert _writes(run.calls) == [], "a skipped note still wrote"

    def test_note_not_yet_written_is_written_once(self) -> None:
        run = self._note_run(written=False)
        summary = [(o.action_id, o.ok, o.skipped) for o in run.result]
        assert summary == [(self.note_action().id, True, False)], run.result
        if self.remote_api:
            assert len(_writes(run.calls)) == 1, [c.request.url for c in _writes(run.calls)]

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
        again = [c.request.url for c in _writes(second.calls) if _mentions(c, task)]
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


@dataclass(frozen=True, slots=True)
class Run:
    """One scripted conversation: what the call returned, what the stub hook returned, and
    the HTTP calls the connector made."""

    result: Any
    stubbed: Any
    calls: list[Any]


def _texts(error: BaseException) -> list[str]:
    return [str(error), repr(error), *map(repr, error.args)]


def _nothing(api: responses.RequestsMock) -> None:
    return None


def _writes(calls: Sequence[Any]) -> list[Any]:
    return [c for c in calls if c.request.method not in ("GET", "HEAD")]


def _mentions(call: Any, task: Action) -> bool:
    """A POST whose body carries the task's action id (i.e. a second create)."""
    body = call.request.body or b""
    text = body.decode(errors="replace") if isinstance(body, bytes) else str(body)
    return task.id in text


def _mask(text: str, secret: str) -> str:
    at = text.find(secret)
    return text[max(0, at - 60) : at] + "<SECRET>" + text[at + len(secret) : at + len(secret) + 60]


def expose_plugin(project: Path, src: str = "src") -> list[str]:
    """Make a connector project importable and discoverable without installing it.

    Reads the ``tco_bridge.connectors`` entry points from ``project/pyproject.toml``, puts
    ``project/src`` on ``sys.path`` and writes a throw-away ``*.dist-info`` (removed at exit)
    whose ``entry_points.txt`` declares them, exactly as ``pip install`` would. When they are
    already installed nothing changes. Returns the connector names.
    """
    meta = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    declared: dict[str, str] = meta.get("entry-points", {}).get(ENTRY_POINT_GROUP, {})
    if not declared:
        raise ValueError(f"{project}/pyproject.toml declares no {ENTRY_POINT_GROUP} entry point")
    if all(available().get(name) == target for name, target in declared.items()):
        return list(declared)
    folder = Path(tempfile.mkdtemp(prefix="tco-plugin-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    dist = folder / f"{meta['name'].replace('-', '_')}-{meta['version']}.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {meta['name']}\nVersion: {meta['version']}\n"
    )
    lines = [f"{name} = {target}" for name, target in declared.items()]
    (dist / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\n" + "\n".join(lines) + "\n")
    sys.path[:0] = [str(project / src), str(folder)]
    importlib.invalidate_caches()
    return list(declared)


def _printed_cause(error: BaseException) -> BaseException | None:
    """The error a traceback prints below this one: the cause, else an unsuppressed context
    (``raise ... from None`` suppresses it)."""
    if error.__cause__ is not None:
        return error.__cause__
    return None if error.__suppress_context__ else error.__context__


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect the checks a harness declares inapplicable, so a run shows no skips.

    Import it into the ``conftest.py`` that collects conformance harnesses:
    ``from tco_bridge.conformance import pytest_collection_modifyitems``.
    """
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    verdicts: dict[type, dict[str, str]] = {}
    for item in items:
        cls = getattr(item, "cls", None)
        if cls is None or not issubclass(cls, ConnectorConformance):
            keep.append(item)
            continue
        if cls not in verdicts:
            verdicts[cls] = cls().inapplicable()
        name = getattr(item, "originalname", item.name)
        (drop if name in verdicts[cls] else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
