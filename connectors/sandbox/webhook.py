"""The sandbox's own webhook format: build, sign, verify and parse, all pure.

A delivery is one JSON object describing one change (``docs/sandbox.md`` has an example of
each)::

    {"event": "ticket.assigned", "delivery": "<uuid>", "sequence": 12,
     "at": "2025-03-04T09:30:00.000000+00:00",
     "actor": {"id": "alice", "name": "Alice", "role": "agent"},
     "ticket": {...full snapshot...},
     "change": {"field": "assignee", "from": null, "to": "alice"}}

``comment.added`` carries ``comment`` {id, body, public, author} instead of ``change``.
Headers: ``X-Sandbox-Signature: sha256=<hex HMAC-SHA256(secret, body)>`` and
``X-Sandbox-Delivery: <uuid>``. There is no timestamp in the signature on purpose: deliveries
kept in the outbox while the bridge was down are resent hours later with their original body,
and the receiver dedupes them by delivery id.

The event ``key`` is ``<ticket>#<sequence>``, ``sequence`` being the sandbox's own event-log
number (zero-padded so ties on ``at`` sort in the order the changes happened): it names the
change, so a resent delivery is recognised as the same happening.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from tco_bridge import jsonbody
from tco_bridge.connector import Delivery, Headers
from tco_bridge.errors import SignatureError, UnreadableDelivery
from tco_bridge.events import Actor, ActorKind, Comment, EventType, Snapshot, Status, TicketEvent

from .model import CONNECTOR, ROLES, STATUSES, Person

SIGNATURE_HEADER = "x-sandbox-signature"
DELIVERY_HEADER = "x-sandbox-delivery"
EVENT_HEADER = "x-sandbox-event"

EVENT_TYPES: dict[str, EventType] = {
    "ticket.created": EventType.CREATED,
    "comment.added": EventType.COMMENT_ADDED,
    "ticket.assigned": EventType.ASSIGNEE_CHANGED,
    "ticket.group_changed": EventType.GROUP_CHANGED,
    "ticket.status_changed": EventType.STATUS_CHANGED,
    "ticket.priority_changed": EventType.PRIORITY_CHANGED,
    "ticket.field_changed": EventType.FIELD_CHANGED,
    "ticket.deleted": EventType.DELETED,
}
#: Events the sandbox sends that carry nothing the bridge uses (acknowledged, ignored).
TASK_CREATED = "task.created"


# --- out ---------------------------------------------------------------------------------


def build_body(
    *,
    event: str,
    delivery: str,
    sequence: int,
    at: datetime,
    actor: Person,
    ticket: dict[str, Any],
    change: dict[str, Any] | None = None,
    comment: dict[str, Any] | None = None,
) -> bytes:
    """The JSON body of one delivery, compact and with stable key order."""
    payload: dict[str, Any] = {
        "event": event,
        "delivery": delivery,
        "sequence": sequence,
        "at": at.isoformat(),
        "actor": actor.to_json(),
        "ticket": ticket,
    }
    if change is not None:
        payload["change"] = change
    if comment is not None:
        payload["comment"] = comment
    return json.dumps(payload, separators=(",", ":"), sort_keys=False).encode()


def sign(secret: str, body: bytes) -> str:
    """The ``X-Sandbox-Signature`` value for ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def headers_for(secret: str, delivery: str, event: str, body: bytes) -> dict[str, str]:
    """Every header a delivery is sent with."""
    return {
        "Content-Type": "application/json",
        "User-Agent": "tco-bridge-sandbox",
        "X-Sandbox-Signature": sign(secret, body),
        "X-Sandbox-Delivery": delivery,
        "X-Sandbox-Event": event,
    }


# --- in ----------------------------------------------------------------------------------


def verify(headers: Headers, body: bytes, *, secret: str | None) -> None:
    """Raise :class:`SignatureError` unless ``body`` is signed with ``secret``."""
    if not secret:
        raise SignatureError("no sandbox webhook secret is configured to verify against")
    given = headers.get(SIGNATURE_HEADER)
    if not given:
        raise SignatureError("missing X-Sandbox-Signature header")
    if not given.startswith("sha256="):
        raise SignatureError("X-Sandbox-Signature must look like sha256=<hex digest>")
    expected = sign(secret, body)
    if not hmac.compare_digest(expected.encode(), given.strip().encode("utf-8", "replace")):
        raise SignatureError("X-Sandbox-Signature does not match the body")


def parse(headers: Headers, body: bytes, *, bot: str | None) -> Delivery:
    """One delivery → canonical events; unknown ``event`` values are acknowledged, ignored."""
    payload = _object(body)
    name = _text(payload, "event", "event")
    delivery = _optional_text(payload.get("delivery"), "delivery") or headers.get(DELIVERY_HEADER)
    event_type = EVENT_TYPES.get(name)
    if event_type is None:
        return Delivery(delivery, [], ignored=f"sandbox event {name!r} is not used by the bridge")
    if not delivery:
        raise UnreadableDelivery("sandbox webhook has no 'delivery' id")
    return Delivery(delivery, [_event(payload, name, event_type, delivery, bot)])


def _event(
    payload: dict[str, Any], name: str, event_type: EventType, delivery: str, bot: str | None
) -> TicketEvent:
    snapshot_json = _mapping(payload.get("ticket"), "ticket")
    ticket = _text(snapshot_json, "id", "ticket.id")
    sequence = payload.get("sequence")
    if isinstance(sequence, bool) or not isinstance(sequence, int) or sequence < 1:
        raise UnreadableDelivery("'sequence' must be a positive whole number")
    event = TicketEvent(
        connector=CONNECTOR,
        ticket=ticket,
        type=event_type,
        at=_time(payload.get("at")),
        key=f"{ticket}#{sequence:010d}",
        delivery=delivery,
        actor=_actor(payload.get("actor"), "actor", bot),
        snapshot=snapshot_of(snapshot_json),
    )
    return _DETAIL[event_type](event, payload, name, bot)


def _changed(
    convert: Callable[[Any, str], str | None],
) -> Callable[[TicketEvent, dict[str, Any], str, str | None], TicketEvent]:
    def detail(event: TicketEvent, payload: dict[str, Any], name: str, _: str | None) -> Any:
        change = _mapping(payload.get("change"), f"{name} 'change'")
        field = _text(change, "field", "change.field")
        return replace(
            event,
            field=field,
            before=convert(change.get("from"), "change.from"),
            after=convert(change.get("to"), "change.to"),
        )

    return detail


def _comment(event: TicketEvent, payload: dict[str, Any], _: str, bot: str | None) -> TicketEvent:
    raw = _mapping(payload.get("comment"), "comment.added 'comment'")
    public = raw.get("public")
    if not isinstance(public, bool):
        raise UnreadableDelivery("'comment.public' must be true or false")
    comment = Comment(
        id=_text(raw, "id", "comment.id"),
        body=_text(raw, "body", "comment.body", allow_empty=True),
        public=public,
        author=_actor(raw.get("author"), "comment.author", bot),
    )
    return replace(event, comment=comment)


def _plain(event: TicketEvent, payload: dict[str, Any], name: str, bot: str | None) -> TicketEvent:
    return event


def _status(value: Any, where: str) -> str | None:
    text = _optional_text(value, where)
    if text is not None and text not in STATUSES:
        raise UnreadableDelivery(f"{where}={text!r} is not a status; use one of {list(STATUSES)}")
    return text


def _value(value: Any, where: str) -> str | None:
    """A field value as the canonical string: lists (labels) space-separated, else JSON."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return " ".join(value)
    return json.dumps(value, sort_keys=True)


# --- readers that explain what is wrong ----------------------------------------------------


def _object(body: bytes) -> dict[str, Any]:
    return jsonbody.read_object(body, "sandbox webhook")


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise UnreadableDelivery(f"sandbox webhook has no {where} object")
    return value


def _text(data: dict[str, Any], key: str, where: str, *, allow_empty: bool = False) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not (value or allow_empty):
        raise UnreadableDelivery(f"sandbox webhook needs a text '{where}'")
    return value


def _optional_text(value: Any, where: str) -> str | None:
    if value is None or isinstance(value, str):
        return value or None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise UnreadableDelivery(f"'{where}' must be text or null, not {type(value).__name__}")


def _time(value: Any, where: str = "at") -> datetime:
    if not isinstance(value, str):
        raise UnreadableDelivery(f"sandbox webhook needs '{where}' as an ISO 8601 time")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise UnreadableDelivery(f"'{where}'={value!r} is not an ISO 8601 time") from None
    if parsed.tzinfo is None:
        raise UnreadableDelivery(f"'{where}'={value!r} has no time zone")
    return parsed


def _actor(value: Any, where: str, bot: str | None) -> Actor:
    raw = _mapping(value, where)
    actor_id = _optional_text(raw.get("id"), f"{where}.id")
    if actor_id is None:
        raise UnreadableDelivery(f"sandbox webhook needs '{where}.id'")
    role = raw.get("role")
    if role not in ROLES:
        raise UnreadableDelivery(f"'{where}.role'={role!r} is not one of {list(ROLES)}")
    name = _optional_text(raw.get("name"), f"{where}.name")
    return Actor(actor_id, actor_kind(actor_id, str(role), bot), name)


def actor_kind(actor_id: str, role: str, bot: str | None) -> ActorKind:
    """The bot account first (loop guard), then the sandbox role."""
    if bot and actor_id == bot:
        return ActorKind.BRIDGE
    return {
        "agent": ActorKind.AGENT,
        "requester": ActorKind.REQUESTER,
        "system": ActorKind.SYSTEM,
    }.get(role, ActorKind.UNKNOWN)


def snapshot_of(ticket: dict[str, Any]) -> Snapshot:
    status = _status(ticket.get("status"), "ticket.status")
    labels = ticket.get("labels") or []
    if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
        raise UnreadableDelivery("'ticket.labels' must be a list of text")
    fields = ticket.get("fields") or {}
    if not isinstance(fields, dict):
        raise UnreadableDelivery("'ticket.fields' must be an object")
    created = ticket.get("created_at")
    return Snapshot(
        status=Status(status) if status else None,
        raw_status=status,
        priority=_optional_text(ticket.get("priority"), "ticket.priority"),
        assignee=_optional_text(ticket.get("assignee"), "ticket.assignee"),
        group=_optional_text(ticket.get("group"), "ticket.group"),
        requester=_optional_text(ticket.get("requester"), "ticket.requester"),
        requester_name=_optional_text(ticket.get("requester_name"), "ticket.requester_name"),
        summary=_optional_text(ticket.get("subject"), "ticket.subject"),
        type=_optional_text(ticket.get("type"), "ticket.type"),
        tags=tuple(labels),
        created_at=_time(created, "ticket.created_at") if created is not None else None,
        fields=dict(fields),
    )


_DETAIL: dict[EventType, Callable[[TicketEvent, dict[str, Any], str, str | None], TicketEvent]] = {
    EventType.CREATED: _plain,
    EventType.DELETED: _plain,
    EventType.COMMENT_ADDED: _comment,
    EventType.ASSIGNEE_CHANGED: _changed(_optional_text),
    EventType.GROUP_CHANGED: _changed(_optional_text),
    EventType.STATUS_CHANGED: _changed(_status),
    EventType.PRIORITY_CHANGED: _changed(_optional_text),
    EventType.FIELD_CHANGED: _changed(_value),
}
