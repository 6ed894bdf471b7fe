"""The sandbox's own webhook format: build, sign, verify and parse, all pure (each value of a
delivery is read by :mod:`.reading`).

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

from tco_bridge.connector import Delivery, Headers
from tco_bridge.errors import SignatureError, UnreadableDelivery
from tco_bridge.events import Comment, EventType, TicketEvent

from .model import CONNECTOR, Person
from .reading import (
    actor,
    actor_kind,
    mapping,
    optional_text,
    read_object,
    snapshot_of,
    status_of,
    text,
    time_of,
    value_of,
)

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
    payload = read_object(body)
    name = text(payload, "event", "event")
    delivery = optional_text(payload.get("delivery"), "delivery") or headers.get(DELIVERY_HEADER)
    event_type = EVENT_TYPES.get(name)
    if event_type is None:
        return Delivery(delivery, [], ignored=f"sandbox event {name!r} is not used by the bridge")
    if not delivery:
        raise UnreadableDelivery("sandbox webhook has no 'delivery' id")
    return Delivery(delivery, [_event(payload, name, event_type, delivery, bot)])


def _event(
    payload: dict[str, Any], name: str, event_type: EventType, delivery: str, bot: str | None
) -> TicketEvent:
    snapshot_json = mapping(payload.get("ticket"), "ticket")
    ticket = text(snapshot_json, "id", "ticket.id")
    sequence = payload.get("sequence")
    if isinstance(sequence, bool) or not isinstance(sequence, int) or sequence < 1:
        raise UnreadableDelivery("'sequence' must be a positive whole number")
    event = TicketEvent(
        connector=CONNECTOR,
        ticket=ticket,
        type=event_type,
        at=time_of(payload.get("at")),
        key=f"{ticket}#{sequence:010d}",
        delivery=delivery,
        actor=actor(payload.get("actor"), "actor", bot),
        snapshot=snapshot_of(snapshot_json),
    )
    return _DETAIL[event_type](event, payload, name, bot)


def _changed(
    convert: Callable[[Any, str], str | None],
) -> Callable[[TicketEvent, dict[str, Any], str, str | None], TicketEvent]:
    def detail(event: TicketEvent, payload: dict[str, Any], name: str, _: str | None) -> Any:
        change = mapping(payload.get("change"), f"{name} 'change'")
        field = text(change, "field", "change.field")
        return replace(
            event,
            field=field,
            before=convert(change.get("from"), "change.from"),
            after=convert(change.get("to"), "change.to"),
        )

    return detail


def _comment(event: TicketEvent, payload: dict[str, Any], _: str, bot: str | None) -> TicketEvent:
    raw = mapping(payload.get("comment"), "comment.added 'comment'")
    public = raw.get("public")
    if not isinstance(public, bool):
        raise UnreadableDelivery("'comment.public' must be true or false")
    comment = Comment(
        id=text(raw, "id", "comment.id"),
        body=text(raw, "body", "comment.body", allow_empty=True),
        public=public,
        author=actor(raw.get("author"), "comment.author", bot),
    )
    return replace(event, comment=comment)


def _plain(event: TicketEvent, payload: dict[str, Any], name: str, bot: str | None) -> TicketEvent:
    return event


_DETAIL: dict[EventType, Callable[[TicketEvent, dict[str, Any], str, str | None], TicketEvent]] = {
    EventType.CREATED: _plain,
    EventType.DELETED: _plain,
    EventType.COMMENT_ADDED: _comment,
    EventType.ASSIGNEE_CHANGED: _changed(optional_text),
    EventType.GROUP_CHANGED: _changed(optional_text),
    EventType.STATUS_CHANGED: _changed(status_of),
    EventType.PRIORITY_CHANGED: _changed(optional_text),
    EventType.FIELD_CHANGED: _changed(value_of),
}


__all__ = [
    "DELIVERY_HEADER",
    "EVENT_HEADER",
    "EVENT_TYPES",
    "SIGNATURE_HEADER",
    "TASK_CREATED",
    "actor_kind",
    "build_body",
    "headers_for",
    "parse",
    "sign",
    "snapshot_of",
    "verify",
]
