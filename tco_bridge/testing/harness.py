"""The harness: what a connector's test class fills in (attributes and hooks), the actions it
scripts, and how a check plays them against the fake API."""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, ClassVar

import pytest
import responses

from ..actions import Action, ActionKind, TaskSpec, action_id
from ..connector import Connector, build, load_class
from . import recorded
from .cases import SECRET_NAME, FixtureFile, Reply, Run, Sample, Write


class Harness:
    """What a connector's test class fills in, and what every check plays it with.

    Required: ``name``, ``ticket``, ``requester``, ``group``, :meth:`env`, :meth:`sign`,
    :meth:`samples`, :meth:`stub_write`, :meth:`stub_note`, :meth:`stub_task`,
    :meth:`stub_open_tickets`, :meth:`stub_public_reply`, :meth:`stub_unassign`,
    :meth:`stub_group_mention`; :meth:`written` when ``remote_api = False``.
    Optional: ``replay_window``, ``known_gaps``, :meth:`fixtures`, :meth:`secrets`,
    :meth:`write_action`, :meth:`build`, :meth:`fake_api`.
    """

    #: The entry-point name (``[project.entry-points."tco_bridge.connectors"]``).
    name: ClassVar[str]
    #: A ticket id as the tool spells it; every scripted action targets it.
    ticket: ClassVar[str]
    #: The ticket's requester, a user id as the tool spells it: public replies mention them
    #: (as the ``reply`` rule does), and the reply must not show it.
    requester: ClassVar[str]
    #: A group as the rules hand it to this connector (``Action.group``, ``group:<id>``).
    group: ClassVar[str]
    #: Seconds either side of ``now`` a signature timestamp may be; ``None``: not signed.
    replay_window: ClassVar[float | None] = None
    #: ``False`` for a tool without a remote API (its writes are local transactions): the
    #: HTTP retry table and the request counting do not apply and are skipped, saying why.
    remote_api: ClassVar[bool] = True
    #: Test name → reason, for checks this connector knowingly fails (strict xfail).
    known_gaps: ClassVar[Mapping[str, str]] = {}

    connector: Connector
    _built: Connector | None = None

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

    def stub_public_reply(self, api: responses.RequestsMock, action: Action) -> None:
        """Register ``perform([reply])`` for a ``NOTE`` with ``extra={"public": True}``: the one
        request that posts the text where the requester reads it, with its exact body (the
        text, the small ``tco:<id>`` marker, no mention). ``action.mention`` holds the
        requester, or nothing."""
        raise NotImplementedError(f"{type(self).__name__} must define stub_public_reply()")

    def stub_unassign(self, api: responses.RequestsMock, action: Action) -> None:
        """Register ``perform([unassign])`` for an ``ASSIGN`` with ``extra={"unassign": True}``:
        the requests that clear the assignee and, when ``action.group`` is set (else it is
        ``None``), move the ticket to that group. A tool that keeps state may first give the
        ticket an assignee to clear."""
        raise NotImplementedError(f"{type(self).__name__} must define stub_unassign()")

    def stub_group_mention(self, api: responses.RequestsMock, action: Action) -> None:
        """Register ``perform([note])`` for an internal ``NOTE`` whose ``mention`` is
        ``("group:<group>",)``: the request writing the note with the group named in its
        text."""
        raise NotImplementedError(f"{type(self).__name__} must define stub_group_mention()")

    def written(self, action: Action) -> Sequence[Write]:
        """Only for ``remote_api = False``: what ``perform([action])`` stored for ``action``,
        read back from the tool's store (a comment: its fields; an assignment: the ticket's
        assignee and group)."""
        raise NotImplementedError(
            f"{type(self).__name__} has no remote API: define written() to read its store"
        )

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

    def reply_action(self, *, mention: bool = True) -> Action:
        """A public reply, mentioning the requester as the ``reply`` rule does."""
        return self.action(
            ActionKind.NOTE,
            "reply",
            text="Did the fix work for you?",
            mention=(self._required("requester"),) if mention else (),
            extra={"public": True},
        )

    def unassign_action(self, *, to_group: bool) -> Action:
        group = self._required("group") if to_group else None
        trigger = "unassign-to-group" if to_group else "unassign"
        return self.action(ActionKind.ASSIGN, trigger, group=group, extra={"unassign": True})

    def group_note_action(self) -> Action:
        """An internal note mentioning a group only."""
        mention = (f"group:{self._required('group')}",)
        return self.action(ActionKind.NOTE, "group-note", text="Pickup overdue", mention=mention)

    def _required(self, attribute: str) -> str:
        value = getattr(self, attribute, None)
        if not isinstance(value, str) or not value:
            raise NotImplementedError(f"{type(self).__name__} must set {attribute!r}")
        return value

    def _assert_clean(self, texts: Sequence[str], where: str, extra: Any = ()) -> None:
        forbidden = [*self.secrets(), *extra]
        forbidden += [base64.b64encode(s.encode()).decode() for s in self.secrets()]
        for text in texts:
            for secret in forbidden:
                if secret and len(secret) >= 4 and secret in text:
                    raise AssertionError(
                        f"a secret shows in {where}: {recorded.mask(text, secret)}"
                    )

    def _note_run(self, written: bool) -> Run:
        note = self.note_action()

        def stub(api: responses.RequestsMock) -> None:
            self.stub_note(api, note, written=written)

        return self._run(stub, lambda conn: conn.perform([note], check_existing=True))

    # --- pytest plumbing --------------------------------------------------------------------
    def inapplicable(self) -> dict[str, str]:
        """Checks that do not apply to this tool, with why. They are deselected at collection
        (by the plugin, :mod:`tco_bridge.testing.plugin`), not run and skipped."""
        out: dict[str, str] = {}
        if load_class(self.name).write_limits is None:
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
        """A fresh connector under test (each check builds its own)."""
        self.connector = self._built = self.build()
        return self.connector

    def _current(self) -> Connector:
        """The connector under test, built on first use."""
        return self._built or self._connector()

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
