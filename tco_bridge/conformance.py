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
public reply              a ``NOTE`` with ``extra={"public": True}`` (mentioning the requester, as
                          the ``reply`` rule does) is one write, ok; it carries the text and the
                          action id, the ``tco:<id>`` marker in a small form (at most
                          ``SMALL_MARKER`` characters of decoration), no mentioned user id and no
                          mention markup; and it is not the request an internal note is
unassign                  an ``ASSIGN`` with ``extra={"unassign": True}`` clears the assignee with
                          an explicit null, and moves the ticket to ``action.group`` when given
                          (the group is written only then)
group mention             a ``NOTE`` mentioning ``group:<id>`` is one write naming the group in its
                          text, with no user-mention markup and no mention list holding the group
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

The convention checks (``docs/connectors.md`` section 4) are played the same way: the hooks
:meth:`stub_public_reply`, :meth:`stub_unassign` and :meth:`stub_group_mention` register the
exact requests the tool receives (strict body matchers), and the kit asserts what holds for
every tool on the recorded writes (:class:`Write`). A tool without a remote API reads them
back from its store in :meth:`written`.

Hooks run with ``self.connector`` set to the connector under test (built from :meth:`env`
through the entry point). A check your connector knowingly fails can be listed in
``known_gaps`` (test name → reason): it is then an expected failure, strictly, so fixing the
gap turns the test red until the entry is removed.
"""

from __future__ import annotations

import atexit
import base64
import importlib
import json
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
    Outcome,
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
    "Write",
    "expose_plugin",
    "fixture_files",
]

NOW = datetime(2025, 3, 4, 9, 30, tzinfo=UTC)
#: Env keys whose values the kit treats as secrets by default.
SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|API_?KEY|CREDENTIAL", re.IGNORECASE)
#: Characters a public reply may carry besides its text and its ``tco:<id>`` marker: a ``ref``
#: prefix, a colour, a ``<small>`` tag, line breaks. The customer reads the rest.
SMALL_MARKER = 48
#: User-mention markup in a text: wiki ``[~accountid:…]``/``[~name]``, ``@name``, ``<@id>``.
USER_MENTION = re.compile(r"\[~|(?<![\w.])@\w|<@")


# --- what a harness hands the kit ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sample:
    """One webhook delivery and what it must parse to.

    ``headers`` as the tool sends them (any case: the kit lower-cases them, like the receiver).
    ``events`` are the expected ``(type, key)`` pairs in order; an empty list with
    ``ignored=True`` means "acknowledged, carries nothing the bridge uses". ``by_bot`` marks a
    delivery authored by the configured bot account (the loop-guard check uses those).
    ``env`` adds settings this delivery is parsed with (e.g. a Data Center deployment);
    ``values`` are attributes each event must carry, in order (e.g. ``{"after": "anna"}``: the
    user a Data Center key names); ``twin_of`` names another sample reporting the same
    happening (a tool that sends a comment twice): both must yield the same event keys.
    """

    name: str
    body: bytes
    events: Sequence[tuple[EventType, str]] = ()
    headers: Mapping[str, str] = field(default_factory=dict)
    ignored: bool = False
    by_bot: bool = False
    env: Mapping[str, str] = field(default_factory=dict)
    values: Sequence[Mapping[str, Any]] = ()
    twin_of: str | None = None


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
class Write:
    """One write as the tool received it, for the convention checks.

    For an HTTP API the kit reads it off the request: ``method``, the URL's path, and the JSON
    body (the text when it is not JSON). A tool without one (``remote_api = False``) returns
    them from :meth:`ConnectorConformance.written`, read back from its store: ``method`` names
    the operation, ``target`` the record, ``body`` the stored fields (a mapping).
    """

    method: str
    target: str
    body: Any


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

    # --- pytest plumbing --------------------------------------------------------------------
    def inapplicable(self) -> dict[str, str]:
        """Checks that do not apply to this tool, with why. They are deselected at collection
        (see :func:`pytest_collection_modifyitems`), not run and skipped."""
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

        declared = self._connector().write_limits
        assert isinstance(declared, Mapping) and declared, "write_limits must be a mapping"
        for scope, text in declared.items():
            assert isinstance(scope, str) and isinstance(text, str)
            assert parse_many(text), f"write_limits[{scope!r}] = {text!r}"

    def test_no_actions_send_nothing(self) -> None:
        run = self._run(_nothing, lambda conn: conn.perform([]))
        assert run.result == [] and run.calls == []

    # --- parsing ------------------------------------------------------------------------------
    def test_sample_parses_to_the_expected_events(self, sample: Sample) -> None:
        delivery = self._parse(sample.headers, sample.body, sample.env)
        got = [(e.type, e.key) for e in delivery.events]
        assert got == list(sample.events), f"{sample.name}: {got}"
        assert bool(delivery.ignored) == sample.ignored, delivery.ignored
        for event, wanted in zip(delivery.events, sample.values, strict=False):
            seen = {name: getattr(event, name) for name in wanted}
            assert seen == dict(wanted), f"{sample.name}: {event.key} carries {seen}"
        if sample.twin_of is not None:
            twin = next(s for s in self.samples() if s.name == sample.twin_of)
            other = self._parse(twin.headers, twin.body, twin.env)
            assert [e.key for e in other.events] == [e.key for e in delivery.events], (
                f"{sample.name} and {twin.name} report one happening: one set of event keys"
            )
        again = self._parse(sample.headers, sample.body, sample.env)
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

    def _parse(
        self, headers: Mapping[str, str], body: bytes, env: Mapping[str, str] | None = None
    ) -> Delivery:
        if env:
            conn = build(self.name, {**self.env(), **env})
        else:
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

    # --- conventions (docs/connectors.md section 4) -----------------------------------------
    def _convention(
        self, action: Action, hook: Callable[[responses.RequestsMock, Action], None]
    ) -> list[Write]:
        """Play ``perform([action])`` against ``hook``; return what the tool received."""

        def stub(api: responses.RequestsMock) -> None:
            hook(api, action)

        run = self._run(stub, lambda conn: conn.perform([action]))
        assert [(o.action_id, o.ok) for o in run.result] == [(action.id, True)], run.result
        assert isinstance(run.result[0], Outcome) and not run.result[0].skipped, run.result
        return self._written(run, action)

    def _written(self, run: Run, action: Action) -> list[Write]:
        if self.remote_api:
            return [_write(call) for call in _writes(run.calls)]
        return list(self.written(action))

    def test_public_reply_carries_no_user_id_and_a_small_marker(self) -> None:
        reply = self.reply_action()
        assert reply.text is not None
        writes = self._convention(reply, self.stub_public_reply)
        assert len(writes) == 1, f"a public reply is one write: {writes}"
        [write] = writes
        text = _text_holding(write, reply.text)
        whole = _dump(write.body)
        marker = f"tco:{reply.id}"
        assert reply.id in whole, f"the reply does not carry its action id: {whole}"
        assert text.count(marker) <= 1, f"the marker shows twice: {text!r}"
        decoration = len(text) - len(reply.text) - (len(marker) if marker in text else 0)
        assert decoration <= SMALL_MARKER, (
            f"the customer reads {decoration} characters besides the text and the marker "
            f"(at most {SMALL_MARKER}): {text!r}"
        )
        for user in reply.mention:
            assert user not in whole, f"the public reply shows the user id {user!r}: {whole}"
        found = USER_MENTION.search(text)
        assert found is None, f"the public reply holds mention markup {found!r}: {text!r}"

    def test_public_reply_and_internal_note_are_different_requests(self) -> None:
        reply = self.reply_action(mention=False)
        [public] = self._convention(reply, self.stub_public_reply)
        internal = self._written(self._note_run(written=False), self.note_action())
        assert len(internal) == 1, f"an internal note is one write: {internal}"
        assert _shape(public) != _shape(internal[0]), (
            f"a public reply is sent as an internal note is: {_shape(public)}"
        )

    @pytest.mark.parametrize("to_group", [True, False], ids=["to-group", "no-group"])
    def test_unassign_clears_the_assignee(self, to_group: bool) -> None:
        unassign = self.unassign_action(to_group=to_group)
        writes = self._convention(unassign, self.stub_unassign)
        assert writes, "unassign wrote nothing"
        leaves = [leaf for write in writes for leaf in _leaves(write.body)]
        assert None in leaves, f"the assignee is not cleared with an explicit null: {writes}"
        named = {str(leaf) for leaf in leaves if leaf is not None}
        if to_group:
            assert unassign.group in named, f"the ticket is not moved to the group: {writes}"
        else:
            assert self._required("group") not in named, (
                f"unassign without a group wrote one: {writes}"
            )

    def test_group_mention_is_text_never_a_user_mention(self) -> None:
        note = self.group_note_action()
        assert note.text is not None
        writes = self._convention(note, self.stub_group_mention)
        assert len(writes) == 1, f"a note is one write: {writes}"
        [write] = writes
        group = self._required("group")
        text = _text_holding(write, note.text)
        assert group in text.replace(note.text, "", 1), (
            f"the group {group!r} is not named in the note's text: {text!r}"
        )
        found = USER_MENTION.search(text)
        assert found is None, f"the group is written as a user mention {found!r}: {text!r}"
        entries = {group, f"group:{group}"}
        for items in _lists(write.body):
            listed = entries & {str(item) for item in items}
            assert not listed, f"the group is sent in a mention list: {items}"


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


def _write(call: Any) -> Write:
    request = call.request
    raw = request.body or b""
    text = raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)
    try:
        body: Any = json.loads(text) if text else None
    except ValueError:
        body = text
    path = str(request.path_url).split("?", 1)[0]
    return Write(str(request.method), path, body)


def _leaves(value: Any) -> Iterator[Any]:
    """Every scalar in a JSON-like value (``None`` included), keys excepted."""
    if isinstance(value, Mapping):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _leaves(item)
    else:
        yield value


def _lists(value: Any) -> Iterator[Sequence[Any]]:
    if isinstance(value, Mapping):
        for item in value.values():
            yield from _lists(item)
    elif isinstance(value, list | tuple):
        yield value
        for item in value:
            yield from _lists(item)


def _dump(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def _text_holding(write: Write, text: str) -> str:
    """The string of the write that carries ``text`` (the comment's body)."""
    for leaf in _leaves(write.body):
        if isinstance(leaf, str) and text in leaf:
            return leaf
    raise AssertionError(f"the text {text!r} is not in the write: {_dump(write.body)}")


def _shape(write: Write) -> tuple[str, str, str]:
    """Method, target and body with every string blanked: what tells two requests apart
    besides their text."""

    def blank(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {k: blank(v) for k, v in sorted(value.items())}
        if isinstance(value, list | tuple):
            return [blank(v) for v in value]
        return "…" if isinstance(value, str) else value

    return write.method, write.target, json.dumps(blank(write.body), default=str)


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
