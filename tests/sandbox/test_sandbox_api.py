"""The /sandbox blueprint, on a small Flask app holding only it, and end to end in the bridge."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from connectors.sandbox import SandboxConnector, SandboxSettings
from tco_bridge.actions import Action, ActionKind

Sent = list[tuple[dict[str, str], bytes]]


@pytest.fixture
def sent() -> Sent:
    return []


@pytest.fixture
def sandbox(tmp_path: Path, sent: Sent) -> Iterator[SandboxConnector]:
    def emit(headers: Mapping[str, str], body: bytes) -> None:
        sent.append((dict(headers), body))

    settings = SandboxSettings(db_path=tmp_path / "sandbox.sqlite", webhook_secret="k")
    connector = SandboxConnector(settings, emit)
    yield connector
    connector.close()


@pytest.fixture
def client(sandbox: SandboxConnector) -> FlaskClient:
    app = Flask("sandbox-test")
    app.register_blueprint(sandbox.web_blueprint())
    return app.test_client()


def events(sent: Sent) -> list[str]:
    return [json.loads(body)["event"] for _, body in sent]


def new_ticket(client: FlaskClient, **extra: Any) -> str:
    body = {"subject": "VPN drops", "requester": "carol@example.com", **extra}
    response = client.post("/sandbox/tickets", json=body)
    assert response.status_code == 201, response.json
    assert response.json is not None
    ticket: str = response.json["id"]
    return ticket


def test_create_answers_201_with_the_ticket(client: FlaskClient, sent: Sent) -> None:
    response = client.post(
        "/sandbox/tickets",
        json={
            "subject": "VPN drops",
            "requester": "carol@example.com",
            "requester_name": "Carol",
            "priority": "high",
            "group": "service_desk",
            "description": "Since Monday.",
        },
    )
    assert response.status_code == 201
    ticket = response.json
    assert ticket is not None
    assert ticket["id"] == "SBX-1" and ticket["status"] == "new"
    assert (ticket["priority"], ticket["group"], ticket["requester_name"]) == (
        "high",
        "service_desk",
        "Carol",
    )
    [description] = ticket["comments"]
    assert description["body"] == "Since Monday." and description["public"] is True
    assert description["role"] == "requester"
    assert events(sent) == ["ticket.created", "comment.added"]
    assert json.loads(sent[0][1])["actor"]["role"] == "requester"


def test_an_agent_can_log_a_call(client: FlaskClient, sent: Sent) -> None:
    new_ticket(client, actor="alice", role="agent")
    assert json.loads(sent[0][1])["actor"] == {"id": "alice", "name": "alice", "role": "agent"}


def test_comments(client: FlaskClient, sent: Sent) -> None:
    ticket = new_ticket(client)
    response = client.post(
        f"/sandbox/tickets/{ticket}/comments",
        json={"author": "alice", "role": "agent", "body": "On it", "public": False},
    )
    assert response.status_code == 201 and response.json is not None
    [note] = response.json["comments"]
    assert (note["body"], note["public"], note["role"]) == ("On it", False, "agent")
    assert events(sent)[-1] == "comment.added"
    assert json.loads(sent[-1][1])["comment"]["public"] is False


def test_a_requester_reply_reopens_a_pending_ticket(client: FlaskClient, sent: Sent) -> None:
    ticket = new_ticket(client)
    client.post(f"/sandbox/tickets/{ticket}/status", json={"actor": "alice", "status": "pending"})
    response = client.post(
        f"/sandbox/tickets/{ticket}/comments",
        json={"author": "carol@example.com", "role": "requester", "body": "Still broken"},
    )
    assert response.json is not None and response.json["status"] == "open"
    last = json.loads(sent[-1][1])
    assert last["event"] == "ticket.status_changed" and last["actor"]["role"] == "requester"
    assert last["change"] == {"field": "status", "from": "pending", "to": "open"}


def test_assign_emits_one_webhook_per_changed_attribute(client: FlaskClient, sent: Sent) -> None:
    ticket = new_ticket(client, group="service_desk")
    sent.clear()
    body = {"actor": "alice", "assignee": "bob", "group": "l2_network"}
    response = client.post(f"/sandbox/tickets/{ticket}/assign", json=body)
    assert response.status_code == 200 and response.json is not None
    assert (response.json["assignee"], response.json["group"]) == ("bob", "l2_network")
    assert events(sent) == ["ticket.assigned", "ticket.group_changed"]
    client.post(f"/sandbox/tickets/{ticket}/assign", json=body)
    assert len(sent) == 2  # nothing changed, nothing sent
    client.post(f"/sandbox/tickets/{ticket}/assign", json={"actor": "alice", "assignee": None})
    assert json.loads(sent[-1][1])["change"] == {"field": "assignee", "from": "bob", "to": None}


def test_status_priority_fields_and_labels(client: FlaskClient, sent: Sent) -> None:
    ticket = new_ticket(client)
    base = f"/sandbox/tickets/{ticket}"
    client.post(
        f"{base}/status", json={"actor": "carol", "role": "requester", "status": "resolved"}
    )
    client.post(f"{base}/priority", json={"actor": "alice", "priority": "urgent"})
    client.post(f"{base}/fields", json={"actor": "alice", "field": "kb_article", "value": "KB-1"})
    response = client.post(f"{base}/labels", json={"actor": "alice", "add": ["vip", "vpn"]})
    found = response.json
    assert found is not None
    assert (found["status"], found["priority"]) == ("resolved", "urgent")
    assert found["fields"] == {"kb_article": "KB-1"} and found["labels"] == ["vip", "vpn"]
    assert events(sent)[-4:] == [
        "ticket.status_changed",
        "ticket.priority_changed",
        "ticket.field_changed",
        "ticket.field_changed",
    ]


def test_listing_and_reading(client: FlaskClient) -> None:
    first, second = new_ticket(client), new_ticket(client)
    client.post(f"/sandbox/tickets/{second}/status", json={"actor": "a", "status": "open"})
    listing = client.get("/sandbox/tickets").json
    assert listing is not None and [t["id"] for t in listing["tickets"]] == [first, second]
    only_open = client.get("/sandbox/tickets?status=open").json
    assert only_open is not None and [t["id"] for t in only_open["tickets"]] == [second]
    shown = client.get(f"/sandbox/tickets/{first}").json
    assert shown is not None and {"comments", "labels", "fields", "tasks"} <= set(shown)


def test_the_bridges_write_back_shows_in_the_ticket(
    client: FlaskClient, sandbox: SandboxConnector
) -> None:
    ticket = new_ticket(client)
    note = Action(
        "tco-1", "sandbox", ticket, ActionKind.NOTE, "r", text="Update due", mention=("a",)
    )
    sandbox.perform([note])
    shown = client.get(f"/sandbox/tickets/{ticket}").json
    assert shown is not None
    [comment] = shown["comments"]
    assert comment["author"]["id"] == "tco-bridge" and comment["mentions"] == ["a"]


def test_delete_hides_the_ticket(client: FlaskClient, sent: Sent) -> None:
    ticket = new_ticket(client)
    response = client.delete(f"/sandbox/tickets/{ticket}")
    assert response.status_code == 200
    assert events(sent)[-1] == "ticket.deleted"
    assert client.get(f"/sandbox/tickets/{ticket}").status_code == 404
    assert client.delete(f"/sandbox/tickets/{ticket}", json={"actor": "x"}).status_code == 404


def test_the_outbox_routes(client: FlaskClient, sandbox: SandboxConnector, sent: Sent) -> None:
    def down(headers: Mapping[str, str], body: bytes) -> None:
        raise ConnectionError("refused")

    emitter = sandbox.outbox.emitter
    sandbox.outbox.emitter = down
    new_ticket(client)
    pending = client.get("/sandbox/outbox").json
    assert pending is not None and [p["event"] for p in pending["pending"]] == ["ticket.created"]
    sandbox.outbox.emitter = emitter
    assert client.post("/sandbox/outbox/resend").json == {"sent": 1, "pending": 0}
    assert events(sent) == ["ticket.created"]


@pytest.mark.parametrize(
    ("path", "body", "reason"),
    [
        ("/sandbox/tickets", {"requester": "c"}, "'subject' is required"),
        ("/sandbox/tickets", {"subject": "s"}, "'requester' is required"),
        ("/sandbox/tickets", {"subject": 5, "requester": "c"}, "'subject' must be text"),
        ("/sandbox/tickets", {"subject": "s", "requester": "c", "priority": "p9"}, "priority"),
        ("/sandbox/tickets", [1, 2], "must be a JSON object"),
        ("/sandbox/tickets", "text", "must be a JSON object"),
        ("{t}/comments", {"author": "a", "role": "boss", "body": "b"}, "role 'boss'"),
        ("{t}/comments", {"author": "a", "body": ""}, "'body' is required"),
        ("{t}/comments", {"author": "a", "body": "b", "public": "yes"}, "true or false"),
        ("{t}/comments", {"author": "c", "role": "requester", "body": "b", "public": False}, ""),
        ("{t}/assign", {"actor": "a"}, "'assignee' and/or 'group'"),
        ("{t}/assign", {"assignee": "a"}, "'actor' is required"),
        ("{t}/status", {"actor": "a", "status": "done"}, "status 'done' is not one of"),
        ("{t}/priority", {"actor": "a", "priority": None}, "'priority' is required"),
        ("{t}/fields", {"actor": "a", "field": "f"}, "'value'"),
        ("{t}/labels", {"actor": "a", "add": ["two words"]}, "list of labels"),
        ("{t}/labels", {"actor": "a", "remove": "x"}, "list of labels"),
    ],
)
def test_bad_input_answers_400_with_a_reason(
    client: FlaskClient, path: str, body: Any, reason: str
) -> None:
    ticket = new_ticket(client)
    url = path.replace("{t}", f"/sandbox/tickets/{ticket}")
    response = client.post(url, json=body)
    assert response.status_code == 400
    assert response.json is not None and reason in response.json["reason"]


def test_a_body_that_is_not_json_answers_400(client: FlaskClient) -> None:
    response = client.post("/sandbox/tickets", data="subject=x", content_type="text/plain")
    assert response.status_code == 400 and response.json is not None
    assert "JSON object" in response.json["reason"]


@pytest.mark.parametrize("ticket", ["SBX-99", "SBX-0", "nope", "SBX-1x"])
@pytest.mark.parametrize("route", ["comments", "assign", "status", "priority", "fields"])
def test_an_unknown_ticket_answers_404(client: FlaskClient, ticket: str, route: str) -> None:
    new_ticket(client)
    body = {
        "actor": "a",
        "author": "a",
        "body": "b",
        "assignee": "a",
        "status": "open",
        "priority": "low",
        "field": "f",
        "value": 1,
    }
    response = client.post(f"/sandbox/tickets/{ticket}/{route}", json=body)
    assert response.status_code == 404
    assert response.json == {"error": 404, "reason": f"no ticket {ticket!r}"}
    assert client.get(f"/sandbox/tickets/{ticket}").status_code == 404


def test_a_bad_status_filter_answers_400(client: FlaskClient) -> None:
    assert client.get("/sandbox/tickets?status=done").status_code == 400


@pytest.mark.parametrize(
    "body", [None, 0, {}, {"actor": {"id": 1}}, {"actor": ["a"], "status": {"a": 1}}, {"": ""}]
)
@pytest.mark.parametrize("route", ["", "/SBX-1/comments", "/SBX-1/assign", "/SBX-1/status"])
def test_odd_bodies_never_cause_a_500(client: FlaskClient, route: str, body: Any) -> None:
    new_ticket(client)
    response = client.post(f"/sandbox/tickets{route}", json=body)
    assert response.status_code == 400 and response.json is not None


# --- end to end: the sandbox inside the bridge's own app ---------------------------------------


def test_the_bridge_accepts_the_sandboxs_webhooks_and_serves_its_blueprint(
    tmp_path: Path, redis_url: str
) -> None:
    from tco_bridge.config import Settings
    from tco_bridge.runtime import Runtime
    from tco_bridge.web import create_app

    answers: list[tuple[int, Any]] = []
    holder: dict[str, FlaskClient] = {}

    def into_bridge(headers: Mapping[str, str], body: bytes) -> None:
        response = holder["client"].post("/webhooks/sandbox", data=body, headers=dict(headers))
        answers.append((response.status_code, response.json))

    connector = SandboxConnector(SandboxSettings(db_path=tmp_path / "s.sqlite"), into_bridge)
    settings = Settings(redis_url=redis_url, connectors=("sandbox",))
    runtime = Runtime(settings=settings, redis_url=redis_url, connectors={"sandbox": connector})
    try:
        client = holder["client"] = create_app(runtime=runtime).test_client()
        ticket = new_ticket(client, group="service_desk")
        client.post(
            f"/sandbox/tickets/{ticket}/comments",
            json={"author": "alice", "role": "agent", "body": "On it"},
        )
        connector.perform(
            [Action("tco-9", "sandbox", ticket, ActionKind.ADD_LABEL, "r", label="x")]
        )
        assert [status for status, _ in answers] == [202, 202, 202]
        assert all(answer["status"] == "accepted" for _, answer in answers)
        forged = client.post(
            "/webhooks/sandbox",
            data=b'{"event": "ticket.created"}',
            headers={"Content-Type": "application/json", "X-Sandbox-Signature": "sha256=00"},
        )
        assert forged.status_code == 401
    finally:
        connector.close()


# --- request types ------------------------------------------------------------------------------


def test_tickets_have_a_type_that_webhooks_carry(client: FlaskClient, sent: Sent) -> None:
    from connectors.sandbox.webhook import parse

    ticket = new_ticket(client, type="change")
    assert client.get(f"/sandbox/tickets/{ticket}").json["type"] == "change"  # type: ignore[index]
    response = client.post(
        f"/sandbox/tickets/{ticket}/type", json={"actor": "alice", "type": "problem"}
    )
    assert response.status_code == 200 and response.json is not None
    assert response.json["type"] == "problem"
    created, changed = (parse(h, b, bot=None).events[0] for h, b in sent[-2:])
    assert created.snapshot is not None and created.snapshot.type == "change"
    assert (changed.type.value, changed.field, changed.before, changed.after) == (
        "field.changed",
        "type",
        "change",
        "problem",
    )
    assert changed.snapshot is not None and changed.snapshot.type == "problem"
    for bad in ({"type": "bug"}, {"actor": "alice", "type": "epic"}):
        response = client.post(f"/sandbox/tickets/{ticket}/type", json=bad)
        assert response.status_code == 400
    assert (
        client.post(
            "/sandbox/tickets", json={"subject": "s", "requester": "c", "type": "x"}
        ).status_code
        == 400
    )


def test_verify_after_resolve_and_quality_check_work_on_sandbox_tickets(
    client: FlaskClient, sent: Sent
) -> None:
    """The sandbox's own webhooks, replayed through the default rules (simulate's engine)."""
    from connectors.sandbox.webhook import parse
    from tco_bridge.config import DEFAULT_RULES
    from tco_bridge.rules import load_rules
    from tco_bridge.simulate import Simulator

    ticket = new_ticket(client, type="change", group="l2_network")
    base = f"/sandbox/tickets/{ticket}"
    client.post(f"{base}/assign", json={"actor": "erin", "assignee": "erin"})
    client.post(f"{base}/comments", json={"author": "erin", "role": "agent", "body": "Done."})
    client.post(f"{base}/status", json={"actor": "erin", "status": "resolved"})
    events = [e for h, b in sent for e in parse(h, b, bot=None).events]
    timeline = Simulator(load_rules(DEFAULT_RULES)).run(events)
    checks = [e for e in timeline if e.rule == "quality-check"]
    assert [(e.action, e.target) for e in checks] == [("create_task", "frank"), ("note", "frank")]
    follow = [e for e in timeline if e.rule == "verify-followup"]
    assert [e.action for e in follow] == ["create_task", "note"]


def test_an_older_sandbox_file_gains_the_type_column(tmp_path: Path) -> None:
    import sqlite3

    from connectors.sandbox.db import Database

    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TABLE tickets (n INTEGER PRIMARY KEY AUTOINCREMENT, subject TEXT NOT NULL,"
            " requester TEXT NOT NULL, requester_name TEXT, status TEXT NOT NULL,"
            " priority TEXT NOT NULL, assignee TEXT, grp TEXT, labels TEXT NOT NULL DEFAULT '[]',"
            " fields TEXT NOT NULL DEFAULT '{}', created_at TEXT NOT NULL,"
            " updated_at TEXT NOT NULL, deleted INTEGER NOT NULL DEFAULT 0)"
        )
    db = Database(path)
    with db.read() as conn:
        columns = {row["name"] for row in conn.execute("PRAGMA table_info(tickets)")}
    db.close()
    assert "type" in columns
