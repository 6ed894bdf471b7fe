"""The sandbox webhook format: signing, verifying and parsing, as pure functions."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from connectors.sandbox import webhook
from connectors.sandbox.model import Person
from tco_bridge.errors import SignatureError, UnreadableDelivery
from tco_bridge.events import ActorKind, EventType, Status

DOCS = Path(__file__).resolve().parents[2] / "docs" / "sandbox.md"
SECRET = "s3cret"
BOT = "tco-bridge"


def doc_examples() -> list[dict[str, Any]]:
    """Every JSON example in docs/sandbox.md, so the documentation cannot drift."""
    blocks = re.findall(r"```json\n(.*?)```", DOCS.read_text(), flags=re.S)
    return [json.loads(block) for block in blocks]


def example(event: str, n: int = 0) -> dict[str, Any]:
    return [e for e in doc_examples() if e["event"] == event][n]


def body_of(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload).encode()


def parse(payload: dict[str, Any], bot: str | None = BOT) -> Any:
    return webhook.parse({}, body_of(payload), bot=bot)


# --- sign and verify ---------------------------------------------------------------------


def signed(body: bytes, secret: str = SECRET) -> dict[str, str]:
    return {"x-sandbox-signature": webhook.sign(secret, body)}


def test_a_valid_signature_verifies() -> None:
    body = body_of(example("ticket.created"))
    webhook.verify(signed(body), body, secret=SECRET)


def test_the_signature_is_hex_hmac_sha256_of_the_body() -> None:
    import hashlib
    import hmac

    digest = hmac.new(b"k", b"{}", hashlib.sha256).hexdigest()
    assert webhook.sign("k", b"{}") == f"sha256={digest}"


def test_a_tampered_body_is_refused() -> None:
    body = body_of(example("ticket.created"))
    headers = signed(body)
    with pytest.raises(SignatureError, match="does not match"):
        webhook.verify(headers, body.replace(b"VPN", b"WiFi"), secret=SECRET)


def test_a_wrong_secret_is_refused() -> None:
    body = body_of(example("ticket.created"))
    with pytest.raises(SignatureError, match="does not match"):
        webhook.verify(signed(body, "other"), body, secret=SECRET)


def test_a_missing_signature_is_refused() -> None:
    with pytest.raises(SignatureError, match="missing X-Sandbox-Signature"):
        webhook.verify({}, b"{}", secret=SECRET)


def test_a_signature_without_its_scheme_is_refused() -> None:
    digest = webhook.sign(SECRET, b"{}").removeprefix("sha256=")
    with pytest.raises(SignatureError, match="sha256=<hex digest>"):
        webhook.verify({"x-sandbox-signature": digest}, b"{}", secret=SECRET)


def test_no_secret_is_a_different_error_from_a_missing_signature() -> None:
    with pytest.raises(SignatureError, match="no sandbox webhook secret"):
        webhook.verify(signed(b"{}"), b"{}", secret=None)


def test_built_headers_carry_signature_delivery_and_event() -> None:
    body = b'{"a":1}'
    headers = webhook.headers_for(SECRET, "d-1", "ticket.created", body)
    assert headers["X-Sandbox-Delivery"] == "d-1"
    assert headers["X-Sandbox-Event"] == "ticket.created"
    assert headers["Content-Type"] == "application/json"
    webhook.verify({k.lower(): v for k, v in headers.items()}, body, secret=SECRET)


# --- parse: every documented event --------------------------------------------------------


def test_every_documented_event_type_has_an_example() -> None:
    documented = {e["event"] for e in doc_examples()}
    assert set(webhook.EVENT_TYPES) | {webhook.TASK_CREATED} <= documented


@pytest.mark.parametrize("payload", doc_examples(), ids=lambda p: f"{p['event']}-{p['sequence']}")
def test_every_doc_example_parses(payload: dict[str, Any]) -> None:
    delivery = parse(payload)
    assert delivery.id == payload["delivery"]
    if payload["event"] == webhook.TASK_CREATED:
        assert delivery.events == [] and "not used" in (delivery.ignored or "")
        return
    [event] = delivery.events
    assert event.type is webhook.EVENT_TYPES[payload["event"]]
    assert event.connector == "sandbox" and event.ticket == "SBX-1"
    assert event.key == f"SBX-1#{payload['sequence']:010d}"
    assert event.delivery == payload["delivery"]
    assert event.at == datetime.fromisoformat(payload["at"])


def test_created_carries_the_snapshot() -> None:
    [event] = parse(example("ticket.created")).events
    assert event.actor is not None and event.actor.kind is ActorKind.REQUESTER
    assert event.actor.id == "carol@example.com" and event.actor.name == "Carol"
    snap = event.snapshot
    assert snap is not None
    assert snap.status is Status.NEW and snap.raw_status == "new"
    assert (snap.priority, snap.group, snap.assignee) == ("high", "service_desk", None)
    assert (snap.requester, snap.requester_name) == ("carol@example.com", "Carol")
    assert snap.summary == "VPN drops every hour"
    assert snap.created_at == datetime(2025, 3, 4, 9, 7, tzinfo=UTC)


def test_an_agent_reply_is_a_public_agent_comment() -> None:
    [event] = parse(example("comment.added")).events
    assert event.comment is not None
    assert (event.comment.id, event.comment.public) == ("1", True)
    assert event.comment.body == "Looking into it now."
    assert event.comment.author is not None
    assert event.comment.author.kind is ActorKind.AGENT
    assert event.actor is not None and event.actor.kind is ActorKind.AGENT


def test_the_bots_note_is_internal_and_marked_bridge() -> None:
    [event] = parse(example("comment.added", 1)).events
    assert event.comment is not None and event.comment.public is False
    assert event.comment.author is not None
    assert event.comment.author.kind is ActorKind.BRIDGE
    assert event.actor is not None and event.actor.kind is ActorKind.BRIDGE


@pytest.mark.parametrize(
    ("name", "field", "before", "after"),
    [
        ("ticket.assigned", "assignee", None, "alice"),
        ("ticket.group_changed", "group", "service_desk", "l2_network"),
        ("ticket.status_changed", "status", "new", "open"),
        ("ticket.priority_changed", "priority", "high", "urgent"),
        ("ticket.field_changed", "labels", "", "tco-owner-alice"),
    ],
)
def test_changes_carry_field_before_and_after(
    name: str, field: str, before: str | None, after: str
) -> None:
    [event] = parse(example(name)).events
    assert (event.field, event.before, event.after) == (field, before, after)


def test_deleted_maps_to_deleted() -> None:
    [event] = parse(example("ticket.deleted")).events
    assert event.type is EventType.DELETED
    assert event.actor is not None and event.actor.kind is ActorKind.SYSTEM


def test_field_values_that_are_not_text_become_json_text() -> None:
    payload = example("ticket.field_changed")
    payload["change"] = {"field": "kb_article", "from": None, "to": {"id": 7}}
    [event] = parse(payload).events
    assert (event.field, event.before, event.after) == ("kb_article", None, '{"id": 7}')


def test_the_bot_is_recognised_by_id_whatever_its_role() -> None:
    payload = example("ticket.assigned")
    payload["actor"] = {"id": "robot", "name": "Robot", "role": "agent"}
    [event] = parse(payload, bot="robot").events
    assert event.actor is not None and event.actor.kind is ActorKind.BRIDGE
    [event] = parse(payload, bot=BOT).events
    assert event.actor is not None and event.actor.kind is ActorKind.AGENT


def test_keys_name_the_change_not_the_delivery() -> None:
    payload = example("ticket.assigned")
    resent = {**payload, "delivery": "another-delivery"}
    assert parse(payload).events[0].key == parse(resent).events[0].key
    later = {**payload, "sequence": payload["sequence"] + 10}
    assert parse(later).events[0].key > parse(payload).events[0].key  # padded: sorts in order


def test_a_built_body_parses_back() -> None:
    at = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    body = webhook.build_body(
        event="ticket.priority_changed",
        delivery="d-9",
        sequence=42,
        at=at,
        actor=Person("sam", "system"),
        ticket={"id": "SBX-7", "status": "open"},
        change={"field": "priority", "from": "low", "to": "high"},
    )
    [event] = webhook.parse({}, body, bot=BOT).events
    assert (event.ticket, event.key, event.at) == ("SBX-7", "SBX-7#0000000042", at)
    assert event.actor is not None and event.actor.kind is ActorKind.SYSTEM


# --- parse: what is refused or ignored ------------------------------------------------------


def test_an_unknown_event_is_acknowledged_and_ignored() -> None:
    payload = {**example("ticket.created"), "event": "ticket.merged"}
    delivery = parse(payload)
    assert delivery.events == []
    assert delivery.ignored == "sandbox event 'ticket.merged' is not used by the bridge"


def _broken(**changes: Any) -> dict[str, Any]:
    payload = example("ticket.status_changed")
    for key, value in changes.items():
        if value is None:
            payload.pop(key)
        else:
            payload[key] = value
    return payload


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (_broken(event=None), "text 'event'"),
        (_broken(ticket=None), "no ticket object"),
        (_broken(ticket={"status": "open"}), "'ticket.id'"),
        (_broken(actor={"id": "x", "role": "boss"}), "'actor.role'='boss'"),
        (_broken(actor={"role": "agent"}), "'actor.id'"),
        (_broken(at="2025-03-04T10:03:00"), "has no time zone"),
        (_broken(at="yesterday"), "not an ISO 8601 time"),
        (_broken(sequence=None), "'sequence'"),
        (_broken(sequence="7"), "'sequence'"),
        (_broken(change=None), "'change'"),
        (_broken(change={"field": "status", "from": "new", "to": "done"}), "'done' is not a"),
        (_broken(delivery=None), "no 'delivery'"),
        (_broken(ticket={"id": "SBX-1", "labels": "a b"}), "'ticket.labels'"),
    ],
)
def test_malformed_payloads_are_refused_with_a_reason(payload: dict[str, Any], reason: str) -> None:
    with pytest.raises(UnreadableDelivery) as caught:
        parse(payload)
    assert reason in caught.value.reason


def test_a_comment_without_its_public_flag_is_refused() -> None:
    payload = example("comment.added")
    del payload["comment"]["public"]
    with pytest.raises(UnreadableDelivery, match="comment.public"):
        parse(payload)


def test_the_delivery_header_stands_in_for_a_missing_body_delivery() -> None:
    payload = _broken(delivery=None)
    delivery = webhook.parse({"x-sandbox-delivery": "from-header"}, body_of(payload), bot=BOT)
    assert delivery.id == "from-header"


@pytest.mark.parametrize(
    ("body", "reason"),
    [(b"not json", "not JSON"), (b"[1, 2]", "JSON list, not an object"), (b"\xff", "not JSON")],
)
def test_bodies_that_are_not_a_json_object_are_refused(body: bytes, reason: str) -> None:
    with pytest.raises(UnreadableDelivery, match=reason):
        webhook.parse({}, body, bot=BOT)
