"""Write-back into the sandbox, its webhooks, the outbox and the shared SQLite file."""

from __future__ import annotations

import json
import multiprocessing
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import responses

from connectors.sandbox import HttpEmitter, SandboxConnector, SandboxSettings
from tco_bridge.actions import Action, ActionKind, TaskSpec
from tco_bridge.connector import Connector, lower_headers
from tco_bridge.errors import PermanentApiError
from tco_bridge.events import ActorKind, EventType, Status, TicketEvent
from tco_bridge.ownership import OwnershipPolicy
from tco_bridge.state import new_state
from tco_bridge.ticket_apply import apply_all

SECRET = "s3cret"
START = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)


class Recorder:
    """An emitter that keeps what it was given; ``down`` makes it fail like a dead bridge."""

    def __init__(self) -> None:
        self.sent: list[tuple[dict[str, str], bytes]] = []
        self.down = False

    def __call__(self, headers: Mapping[str, str], body: bytes) -> None:
        if self.down:
            raise ConnectionError("connection refused")
        self.sent.append((dict(headers), body))

    def events(self) -> list[str]:
        return [json.loads(body)["event"] for _, body in self.sent]

    def parsed(self, connector: SandboxConnector) -> list[TicketEvent]:
        found: list[TicketEvent] = []
        for headers, body in self.sent:
            lowered = lower_headers(headers)
            connector.verify(lowered, body, START)
            found += connector.parse(lowered, body).events
        return found


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def sandbox(tmp_path: Path, recorder: Recorder) -> Iterator[SandboxConnector]:
    settings = SandboxSettings(db_path=tmp_path / "sandbox.sqlite", webhook_secret=SECRET)
    connector = SandboxConnector(settings, recorder, clock=Clock())
    yield connector
    connector.close()


@pytest.fixture
def ticket(sandbox: SandboxConnector, recorder: Recorder) -> str:
    """A ticket created by a customer; the webhooks of its creation are forgotten."""
    from connectors.sandbox.model import Person

    with sandbox.store.transaction() as tx:
        created = tx.create_ticket(
            Person("carol", "requester"), "VPN", Person("carol", "requester"), "high", "sd"
        )
    sandbox.outbox.flush()
    recorder.sent.clear()
    return created


def act(ticket: str, kind: ActionKind, n: int = 1, **fields: Any) -> Action:
    return Action(
        id=f"tco-{kind.value}-{n}",
        connector="sandbox",
        ticket=ticket,
        kind=kind,
        rule="r",
        **fields,
    )


# --- every action kind ----------------------------------------------------------------------


def test_a_note_is_an_internal_comment_by_the_bot(
    sandbox: SandboxConnector, recorder: Recorder, ticket: str
) -> None:
    action = act(ticket, ActionKind.NOTE, text="Customer update due", mention=("alice", "bob"))
    [outcome] = sandbox.perform([action])
    assert outcome.ok and not outcome.skipped and outcome.remote_id
    [comment] = sandbox.store.ticket(ticket)["comments"]
    assert comment["body"] == "Customer update due" and comment["public"] is False
    assert comment["author"]["id"] == "tco-bridge"
    assert comment["mentions"] == ["alice", "bob"] and comment["action_id"] == action.id
    [event] = recorder.parsed(sandbox)
    assert event.type is EventType.COMMENT_ADDED and event.comment is not None
    assert event.comment.public is False and event.comment.id == outcome.remote_id
    assert json.loads(recorder.sent[0][1])["comment"]["mentions"] == ["alice", "bob"]


def test_a_public_note_is_a_public_reply_by_the_bot(
    sandbox: SandboxConnector, recorder: Recorder, ticket: str
) -> None:
    reply = act(
        ticket, ActionKind.NOTE, text="Did it work?", mention=("carol",), extra={"public": True}
    )
    [outcome] = sandbox.perform([reply])
    assert (outcome.ok, outcome.detail) == (True, "public reply added")
    [comment] = sandbox.store.ticket(ticket)["comments"]
    assert (comment["body"], comment["public"], comment["author"]["id"]) == (
        "Did it work?",  # the action id is kept beside the text, never in it
        True,
        "tco-bridge",
    )
    # The customer sees it: no one is mentioned (the requester is notified by the reply).
    assert comment["action_id"] == reply.id and comment["mentions"] == []
    [event] = recorder.parsed(sandbox)
    assert event.comment is not None and event.comment.public is True
    assert event.comment.author is not None and event.comment.author.kind is ActorKind.BRIDGE
    [again] = sandbox.perform([reply], check_existing=True)
    assert again.skipped and again.remote_id == outcome.remote_id


def test_group_mentions_are_named_in_the_text_not_mentioned(
    sandbox: SandboxConnector, recorder: Recorder, ticket: str
) -> None:
    note = act(ticket, ActionKind.NOTE, text="Pickup overdue", mention=("alice", "group:l2"))
    sandbox.perform([note])
    [comment] = sandbox.store.ticket(ticket)["comments"]
    assert comment["body"] == "Pickup overdue (group: l2)"
    assert comment["mentions"] == ["alice"] and comment["public"] is False
    assert json.loads(recorder.sent[0][1])["comment"]["mentions"] == ["alice"]


def test_unassign_clears_the_assignee_and_moves_the_group(
    sandbox: SandboxConnector, recorder: Recorder, ticket: str
) -> None:
    sandbox.perform([act(ticket, ActionKind.ASSIGN, 9, assignee="alice")])
    recorder.sent.clear()
    unassign = act(ticket, ActionKind.ASSIGN, group="l2", extra={"unassign": True})
    [outcome] = sandbox.perform([unassign])
    assert outcome.detail == "assignee=none, group=l2"
    found = sandbox.store.ticket(ticket)
    assert (found["assignee"], found["group"]) == (None, "l2")
    assert [(e.type, e.before, e.after) for e in recorder.parsed(sandbox)] == [
        (EventType.ASSIGNEE_CHANGED, "alice", None),
        (EventType.GROUP_CHANGED, "sd", "l2"),
    ]


def test_unassign_of_an_unassigned_ticket_changes_nothing(
    sandbox: SandboxConnector, recorder: Recorder, ticket: str
) -> None:
    [outcome] = sandbox.perform([act(ticket, ActionKind.ASSIGN, extra={"unassign": True})])
    assert (outcome.ok, outcome.detail) == (True, "already assigned so")
    assert sandbox.store.ticket(ticket)["assignee"] is None and recorder.sent == []


def test_assign_sets_assignee_and_group(
    sandbox: SandboxConnector, recorder: Recorder, ticket: str
) -> None:
    sandbox.perform([act(ticket, ActionKind.ASSIGN, assignee="alice", group="l2")])
    found = sandbox.store.ticket(ticket)
    assert (found["assignee"], found["group"]) == ("alice", "l2")
    events = recorder.parsed(sandbox)
    assert [(e.type, e.before, e.after) for e in events] == [
        (EventType.ASSIGNEE_CHANGED, None, "alice"),
        (EventType.GROUP_CHANGED, "sd", "l2"),
    ]


def test_set_field(sandbox: SandboxConnector, recorder: Recorder, ticket: str) -> None:
    sandbox.perform([act(ticket, ActionKind.SET_FIELD, field="kb_article", value="KB-12")])
    assert sandbox.store.ticket(ticket)["fields"] == {"kb_article": "KB-12"}
    [event] = recorder.parsed(sandbox)
    assert (event.type, event.field, event.before, event.after) == (
        EventType.FIELD_CHANGED,
        "kb_article",
        None,
        "KB-12",
    )


def test_labels_are_added_and_removed(
    sandbox: SandboxConnector, recorder: Recorder, ticket: str
) -> None:
    sandbox.perform([act(ticket, ActionKind.ADD_LABEL, label="vip")])
    assert sandbox.store.ticket(ticket)["labels"] == ["vip"]
    sandbox.perform([act(ticket, ActionKind.REMOVE_LABEL, label="vip")])
    assert sandbox.store.ticket(ticket)["labels"] == []
    assert [(e.field, e.before, e.after) for e in recorder.parsed(sandbox)] == [
        ("labels", "", "vip"),
        ("labels", "vip", ""),
    ]


def test_transition_moves_to_a_canonical_status(
    sandbox: SandboxConnector, recorder: Recorder, ticket: str
) -> None:
    sandbox.perform([act(ticket, ActionKind.TRANSITION, status="pending")])
    assert sandbox.store.ticket(ticket)["status"] == "pending"
    [event] = recorder.parsed(sandbox)
    assert (event.type, event.before, event.after) == (EventType.STATUS_CHANGED, "new", "pending")
    assert event.snapshot is not None and event.snapshot.status is Status.PENDING


def test_create_task_links_a_task_tagged_with_the_action_id(
    sandbox: SandboxConnector, recorder: Recorder, ticket: str
) -> None:
    task = TaskSpec("kb", "Write a KB article", "About the VPN", assignee="alice")
    [outcome] = sandbox.perform([act(ticket, ActionKind.CREATE_TASK, task=task)])
    found = sandbox.store.ticket(ticket)
    [created] = found["tasks"]
    assert created["id"] == outcome.remote_id
    assert (created["kind"], created["summary"], created["assignee"]) == (
        "kb",
        "Write a KB article",
        "alice",
    )
    assert created["action_id"] == "tco-create_task-1"
    assert recorder.events() == ["task.created"]
    assert recorder.parsed(sandbox) == []  # acknowledged, not used


def test_create_task_finds_a_task_already_tagged_with_its_id(
    sandbox: SandboxConnector, ticket: str
) -> None:
    from connectors.sandbox.model import Person

    with sandbox.store.transaction() as tx:  # e.g. created before the performed row existed
        existing = tx.add_task(
            ticket, Person("tco-bridge"), {"kind": "kb", "summary": "s"}, "tco-create_task-1"
        )
    task = TaskSpec("kb", "Write a KB article")
    [outcome] = sandbox.perform([act(ticket, ActionKind.CREATE_TASK, task=task)])
    assert outcome.skipped and outcome.remote_id == existing
    assert len(sandbox.store.ticket(ticket)["tasks"]) == 1


def test_set_owner_mirrors_the_owner_as_a_label(
    sandbox: SandboxConnector, recorder: Recorder, ticket: str
) -> None:
    sandbox.perform([act(ticket, ActionKind.SET_OWNER, owner="alice", field="label")])
    assert sandbox.store.ticket(ticket)["labels"] == ["tco-owner-alice"]
    sandbox.perform(
        [act(ticket, ActionKind.SET_OWNER, 2, owner="Bob@Example.com", previous_owner="alice")]
    )
    assert sandbox.store.ticket(ticket)["labels"] == ["tco-owner-bob-example.com"]
    assert [e.after for e in recorder.parsed(sandbox)] == [
        "tco-owner-alice",
        "tco-owner-bob-example.com",
    ]


def test_set_owner_into_a_field(sandbox: SandboxConnector, ticket: str) -> None:
    sandbox.perform([act(ticket, ActionKind.SET_OWNER, owner="alice", field="owner")])
    found = sandbox.store.ticket(ticket)
    assert found["fields"] == {"owner": "alice"} and found["labels"] == []


# --- idempotency and failures ----------------------------------------------------------------

ONE_OF_EACH: list[tuple[ActionKind, dict[str, Any]]] = [
    (ActionKind.NOTE, {"text": "hello", "mention": ("alice",)}),
    (ActionKind.ASSIGN, {"assignee": "alice"}),
    (ActionKind.SET_FIELD, {"field": "f", "value": 1}),
    (ActionKind.ADD_LABEL, {"label": "x"}),
    (ActionKind.REMOVE_LABEL, {"label": "x"}),
    (ActionKind.TRANSITION, {"status": "open"}),
    (ActionKind.CREATE_TASK, {"task": TaskSpec("review", "Review notes")}),
    (ActionKind.SET_OWNER, {"owner": "alice"}),
]


OUTCOMES: list[tuple[ActionKind, dict[str, Any], str, str]] = [
    # kind, fields, what the first action reports, what a second action with the same effect
    # (another rule, another id) reports: the tool already had it
    (ActionKind.NOTE, {"text": "hi"}, "internal note added", "internal note added"),
    (ActionKind.ASSIGN, {"assignee": "alice"}, "assignee=alice", "already assigned so"),
    (ActionKind.SET_FIELD, {"field": "f", "value": 1}, "f set", "f already had that value"),
    (ActionKind.ADD_LABEL, {"label": "x"}, "label x added", "label x already there"),
    (ActionKind.REMOVE_LABEL, {"label": "vip"}, "label vip removed", "label vip was not there"),
    (ActionKind.TRANSITION, {"status": "open"}, "status open", "status open already"),
    (
        ActionKind.SET_OWNER,
        {"owner": "bo"},
        "owner label tco-owner-bo",
        "owner label tco-owner-bo already set",
    ),
    (
        ActionKind.SET_OWNER,
        {"owner": "bo", "field": "own"},
        "owner bo in own",
        "owner bo in own already",
    ),
    (
        ActionKind.SET_OWNER,
        {"owner": None, "previous_owner": "vip"},
        "owner label tco-owner-vip removed",
        "owner label tco-owner-vip was not there",
    ),
]


@pytest.mark.parametrize(("kind", "fields", "first", "again"), OUTCOMES, ids=lambda v: str(v)[:14])
def test_each_action_reports_its_own_outcome(
    sandbox: SandboxConnector,
    ticket: str,
    kind: ActionKind,
    fields: dict[str, Any],
    first: str,
    again: str,
) -> None:
    """What the connector reports is what the bridge records (done markers, the timeline): the
    action's own id, success, and what happened, including 'it was there already'."""
    sandbox.perform([act(ticket, ActionKind.ADD_LABEL, 97, label="vip")])
    sandbox.perform([act(ticket, ActionKind.ADD_LABEL, 98, label="tco-owner-vip")])
    outcomes = sandbox.perform([act(ticket, kind, 1, **fields), act(ticket, kind, 2, **fields)])
    assert [(o.action_id, o.ok, o.skipped, o.detail) for o in outcomes] == [
        (f"tco-{kind.value}-1", True, False, first),
        (f"tco-{kind.value}-2", True, False, again),
    ]


@pytest.mark.parametrize(("kind", "fields"), ONE_OF_EACH, ids=lambda v: str(v)[:12])
@pytest.mark.parametrize("check_existing", [False, True])
def test_a_second_perform_of_the_same_action_writes_nothing(
    sandbox: SandboxConnector,
    recorder: Recorder,
    ticket: str,
    kind: ActionKind,
    fields: dict[str, Any],
    check_existing: bool,
) -> None:
    if kind is ActionKind.REMOVE_LABEL:
        sandbox.perform([act(ticket, ActionKind.ADD_LABEL, 99, label="x")])
    action = act(ticket, kind, **fields)
    [first] = sandbox.perform([action])
    before, sent = sandbox.store.ticket(ticket), len(recorder.sent)
    [again] = sandbox.perform([action], check_existing=check_existing)
    assert first.ok and not first.skipped
    assert again.ok and again.skipped and again.remote_id == first.remote_id
    assert sandbox.store.ticket(ticket) == before
    assert len(recorder.sent) == sent


def test_an_unknown_ticket_is_a_permanent_error(sandbox: SandboxConnector) -> None:
    with pytest.raises(PermanentApiError, match="no sandbox ticket 'SBX-404'") as caught:
        sandbox.perform([act("SBX-404", ActionKind.NOTE, text="hi")])
    assert caught.value.status == 404 and caught.value.connector == "sandbox"
    with pytest.raises(PermanentApiError):
        sandbox.perform([act("JIRA-1", ActionKind.NOTE, text="hi")])


@pytest.mark.parametrize(
    ("kind", "fields", "reason"),
    [
        (ActionKind.TRANSITION, {"status": "done"}, "status 'done' is not one of"),
        (ActionKind.ASSIGN, {}, "neither an assignee nor a group"),
        (ActionKind.NOTE, {}, "has no text"),
        (ActionKind.CREATE_TASK, {}, "has no task"),
    ],
)
def test_an_invalid_action_is_a_permanent_error(
    sandbox: SandboxConnector, ticket: str, kind: ActionKind, fields: dict[str, Any], reason: str
) -> None:
    with pytest.raises(PermanentApiError, match=reason):
        sandbox.perform([act(ticket, kind, **fields)])


def test_actions_done_before_a_failure_stay_done_and_are_skipped_on_retry(
    sandbox: SandboxConnector, ticket: str
) -> None:
    good = act(ticket, ActionKind.ADD_LABEL, label="a")
    bad = act(ticket, ActionKind.TRANSITION, status="done")
    with pytest.raises(PermanentApiError):
        sandbox.perform([good, bad])
    [again] = sandbox.perform([good])
    assert again.skipped


# --- the loop guard, end to end ----------------------------------------------------------------


def test_the_bots_own_webhooks_are_marked_bridge_and_change_no_ownership(
    sandbox: SandboxConnector, recorder: Recorder, ticket: str
) -> None:
    sandbox.perform([act(ticket, kind, **fields) for kind, fields in ONE_OF_EACH])
    events = recorder.parsed(sandbox)
    assert events and all(e.actor and e.actor.kind is ActorKind.BRIDGE for e in events)
    authors = [e.comment.author for e in events if e.comment]
    assert authors and all(a is not None and a.kind is ActorKind.BRIDGE for a in authors)
    state = apply_all(new_state("sandbox", ticket), events, OwnershipPolicy())
    assert state.bridge_events == len(events)
    # What the bot did is recorded (the state follows the ticket) but makes no owner.
    assert state.owner is None and state.candidates == () and state.touches == 0
    assert state.assignee is not None


# --- open tickets, settings, the shared secret ---------------------------------------------------


def test_open_tickets_lists_tickets_not_resolved_or_closed(
    sandbox: SandboxConnector, ticket: str
) -> None:
    from connectors.sandbox.model import Person

    carol = Person("carol", "requester")
    with sandbox.store.transaction() as tx:
        others = [tx.create_ticket(carol, f"t{n}", carol, "low", None) for n in range(4)]
        tx.update(others[0], Person("a"), "status", "resolved")
        tx.update(others[1], Person("a"), "status", "closed")
        tx.update(others[2], Person("a"), "status", "on_hold")
        tx.delete(others[3], Person("a"))
    records = list(sandbox.open_tickets())
    assert [r.ticket for r in records] == [ticket, others[2]]
    assert records[0].snapshot.status is Status.NEW and records[0].snapshot.group == "sd"
    assert records[0].updated_at.tzinfo is not None


def test_refresh_tickets_shows_any_status_and_leaves_out_the_deleted(
    sandbox: SandboxConnector, ticket: str
) -> None:
    from connectors.sandbox.model import Person

    carol = Person("carol", "requester")
    with sandbox.store.transaction() as tx:
        closed, deleted = (tx.create_ticket(carol, f"t{n}", carol, "low", None) for n in range(2))
        tx.update(closed, Person("a"), "status", "closed")
        tx.delete(deleted, Person("a"))
    records = list(sandbox.refresh_tickets([closed, deleted, "SBX-999", ticket]))
    assert [(r.ticket, r.snapshot.status) for r in records] == [
        (closed, Status.CLOSED),
        (ticket, Status.NEW),
    ]


def test_open_tickets_pages_through_many(sandbox: SandboxConnector) -> None:
    from connectors.sandbox.model import Person

    carol = Person("carol", "requester")
    with sandbox.store.transaction() as tx:
        for n in range(250):
            tx.create_ticket(carol, f"t{n}", carol, "low", None)
    assert len(list(sandbox.open_tickets())) == 250


def test_it_satisfies_the_connector_protocol(sandbox: SandboxConnector) -> None:
    assert isinstance(sandbox, Connector)
    assert sandbox.name == "sandbox" and sandbox.bot_account == "tco-bridge"


def test_settings_defaults_follow_the_data_dir_and_port(tmp_path: Path) -> None:
    settings = SandboxSettings.from_env({"TCO_DATA_DIR": str(tmp_path), "PORT": "9001"})
    assert settings.db_path == tmp_path / "sandbox.sqlite"
    assert settings.webhook_url == "http://127.0.0.1:9001/webhooks/sandbox"
    assert settings.bot_account == "tco-bridge" and settings.webhook_secret is None
    assert "secret" not in repr(SandboxSettings(webhook_secret="secret"))


def test_settings_from_env(tmp_path: Path) -> None:
    settings = SandboxSettings.from_env(
        {
            "TCO_SANDBOX_DB": str(tmp_path / "x.db"),
            "TCO_SANDBOX_WEBHOOK_SECRET": "k",
            "TCO_SANDBOX_BOT_ACCOUNT": "bot",
            "TCO_SANDBOX_WEBHOOK_URL": "http://bridge/webhooks/sandbox",
            "TCO_SANDBOX_WEBHOOK_TIMEOUT": "0.5",
        }
    )
    assert (settings.db_path, settings.webhook_secret, settings.bot_account) == (
        tmp_path / "x.db",
        "k",
        "bot",
    )
    assert (settings.webhook_url, settings.timeout) == ("http://bridge/webhooks/sandbox", 0.5)


def test_a_bad_timeout_is_a_config_error() -> None:
    from tco_bridge.errors import ConfigError

    with pytest.raises(ConfigError, match="TCO_SANDBOX_WEBHOOK_TIMEOUT='soon'"):
        SandboxSettings.from_env({"TCO_SANDBOX_WEBHOOK_TIMEOUT": "soon"})


def test_without_a_secret_every_process_of_one_installation_shares_a_generated_one(
    tmp_path: Path,
) -> None:
    env = {"TCO_SANDBOX_DB": str(tmp_path / "data" / "s.sqlite")}
    first, second = SandboxConnector.from_env(env), SandboxConnector.from_env(env)
    other = SandboxConnector.from_env({"TCO_SANDBOX_DB": str(tmp_path / "other" / "s.sqlite")})
    configured = SandboxConnector.from_env({**env, "TCO_SANDBOX_WEBHOOK_SECRET": "mine"})
    try:
        assert first.webhook_secret and len(first.webhook_secret) >= 32
        assert first.webhook_secret == second.webhook_secret != other.webhook_secret
        assert configured.webhook_secret == "mine"
    finally:
        for connector in (first, second, other, configured):
            connector.close()


# --- the outbox --------------------------------------------------------------------------------


def test_a_dead_bridge_never_breaks_a_change_and_resend_delivers_later(
    sandbox: SandboxConnector, recorder: Recorder, ticket: str
) -> None:
    recorder.down = True
    [outcome] = sandbox.perform([act(ticket, ActionKind.ASSIGN, assignee="a", group="g")])
    assert outcome.ok and sandbox.store.ticket(ticket)["assignee"] == "a"
    pending = sandbox.outbox.pending()
    assert [p["event"] for p in pending] == ["ticket.assigned", "ticket.group_changed"]
    assert pending[0]["attempts"] == 1 and "connection refused" in pending[0]["last_error"]
    assert pending[1]["attempts"] == 0  # the flush stopped at the first failure
    recorder.down = False
    assert sandbox.resend_pending() == 2
    assert recorder.events() == ["ticket.assigned", "ticket.group_changed"]
    assert sandbox.outbox.pending() == []


def test_the_next_change_sends_what_was_pending_first(
    sandbox: SandboxConnector, recorder: Recorder, ticket: str
) -> None:
    recorder.down = True
    sandbox.perform([act(ticket, ActionKind.ADD_LABEL, label="a")])
    recorder.down = False
    sandbox.perform([act(ticket, ActionKind.ADD_LABEL, 2, label="b")])
    assert [e.after for e in recorder.parsed(sandbox)] == ["a", "a b"]


@responses.activate
def test_the_http_emitter_posts_signed_deliveries(tmp_path: Path) -> None:
    url = "http://bridge.test/webhooks/sandbox"
    responses.post(url, status=202, json={"status": "accepted"})
    settings = SandboxSettings(db_path=tmp_path / "s.sqlite", webhook_url=url)
    connector = SandboxConnector(settings)
    try:
        assert isinstance(connector.outbox.emitter, HttpEmitter) and connector.background
        connector.outbox.emitter = HttpEmitter(url, 1.0)
        _create(connector)
        connector.outbox.flush()
        [call] = responses.calls
        headers = lower_headers(call.request.headers)
        body = call.request.body
        assert isinstance(body, bytes)
        connector.verify(headers, body, START)
        assert headers["x-sandbox-delivery"] == json.loads(body)["delivery"]
    finally:
        connector.close()


@responses.activate
@pytest.mark.parametrize(("status", "kept"), [(503, True), (429, True), (401, False)])
def test_the_http_emitter_keeps_retryable_failures_and_drops_refusals(
    tmp_path: Path, status: int, kept: bool
) -> None:
    url = "http://bridge.test/webhooks/sandbox"
    responses.post(url, status=status, json={"reason": "no"})
    connector = SandboxConnector(
        SandboxSettings(db_path=tmp_path / "s.sqlite", webhook_url=url),
        HttpEmitter(url, 1.0),
    )
    try:
        _create(connector)
        assert connector.outbox.flush() == 0
        assert len(connector.outbox.pending()) == (1 if kept else 0)
    finally:
        connector.close()


def _create(connector: SandboxConnector) -> str:
    from connectors.sandbox.model import Person

    carol = Person("carol", "requester")
    with connector.store.transaction() as tx:
        return tx.create_ticket(carol, "s", carol, "low", None)


# --- several processes, one file ------------------------------------------------------------


def _create_many(path: str, count: int) -> list[str]:
    from connectors.sandbox.model import Person

    connector = SandboxConnector(SandboxSettings(db_path=Path(path)), lambda h, b: None)
    carol = Person("carol", "requester")
    created = []
    for n in range(count):
        with connector.store.transaction() as tx:
            created.append(tx.create_ticket(carol, f"t{n}", carol, "low", None))
    connector.close()
    return created


def test_several_processes_share_one_database(tmp_path: Path) -> None:
    path = str(tmp_path / "shared.sqlite")
    _create_many(path, 1)  # schema and secret first, as the web process would
    context = multiprocessing.get_context("spawn")
    with context.Pool(3) as pool:
        results = pool.starmap(_create_many, [(path, 40)] * 3)
    ids = [t for batch in results for t in batch]
    assert len(set(ids)) == 120
    connector = SandboxConnector(SandboxSettings(db_path=Path(path)), lambda h, b: None)
    try:
        assert len(connector.store.tickets()) == 121
        with connector.db.read() as conn:
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        connector.close()
