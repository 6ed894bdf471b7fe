"""Freshdesk webhooks in: verify and parse, pure functions of (lower-cased headers, body).

Freshdesk sends webhooks from automation rules ("Trigger webhook" action), with a JSON body
the admin writes and no signature of its own. This connector documents the body
(:data:`BODY_TEMPLATE`, one automation rule per ``event``: ``created``, ``updated``, ``note``)
and two ways to authenticate it:

* ``hmac`` (default): ``X-Tco-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>``. Freshdesk
  cannot compute it, so the rule posts to a small signing relay (or a Freshworks serverless
  app) that adds the header; the body is then protected end to end.
* ``token``: the rule sends a static custom header ``X-Tco-Token: <secret>``, compared in
  constant time. It proves the sender knows the secret but not that the body is untouched;
  use it only over HTTPS straight from Freshdesk.

Events (keys name the happening, so a repeated delivery is applied once):

* ``created`` → ``CREATED``, key ``created:<ticket>``;
* ``updated`` → ``FIELD_CHANGED`` with ``field="snapshot"`` (Freshdesk does not say what
  changed; the core compares snapshots), key ``updated:<ticket>:<at>``;
* ``note`` → ``COMMENT_ADDED``, key ``note:<ticket>:<at>``.

Placeholders render as text; ``""`` and ``"-"`` count as missing. Status and priority arrive as
display names (``Open``, ``Waiting on Customer``) or numbers. The actor is ``actor_id``: the bot
agent → ``bridge``, the requester → ``requester``, empty → ``system``, anyone else → ``agent``.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from typing import Any

from tco_bridge import jsonbody
from tco_bridge.connector import Delivery, Headers
from tco_bridge.errors import SignatureError, UnreadableDelivery
from tco_bridge.events import (
    Actor,
    ActorKind,
    Comment,
    EventType,
    Snapshot,
    Status,
    TicketEvent,
    utc,
)

CONNECTOR = "freshdesk"
VERSION = "freshdesk/1"
SIGNATURE_HEADER = "x-tco-signature"
TOKEN_HEADER = "x-tco-token"

#: Freshdesk's built-in status ids and the default custom ones, with their display names.
STATUS_BY_ID: dict[int, tuple[str, Status]] = {
    2: ("open", Status.OPEN),
    3: ("pending", Status.PENDING),
    4: ("resolved", Status.RESOLVED),
    5: ("closed", Status.CLOSED),
    6: ("waiting on customer", Status.PENDING),
    7: ("waiting on third party", Status.ON_HOLD),
}
STATUS_BY_NAME = {name: status for name, status in STATUS_BY_ID.values()}

#: The JSON body of the automation rule's webhook (check the placeholder names in your
#: account's placeholder picker; set "event" per rule).
BODY_TEMPLATE = """\
{
  "tco_bridge": "freshdesk/1",
  "event": "updated",
  "at": "{{ticket.updated_at}}",
  "actor_id": "{{triggered_by.id}}",
  "ticket": {
    "id": "{{ticket.id}}",
    "subject": "{{ticket.subject}}",
    "status": "{{ticket.status}}",
    "priority": "{{ticket.priority}}",
    "agent_id": "{{ticket.agent.id}}",
    "group": "{{ticket.group.name}}",
    "requester_id": "{{ticket.requester.id}}",
    "tags": "{{ticket.tags}}"
  },
  "note": {"body": "{{ticket.latest_private_comment}}", "private": "true"}
}
"""
_KINDS = {"created": EventType.CREATED, "updated": EventType.FIELD_CHANGED}


def sign(secret: str, body: bytes) -> str:
    """The ``X-Tco-Signature`` value for ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(headers: Headers, body: bytes, *, secret: str | None, mode: str) -> None:
    if not secret:
        raise SignatureError("no Freshdesk webhook secret is configured to verify against")
    if mode == "token":
        token = headers.get(TOKEN_HEADER)
        if not token:
            raise SignatureError("missing X-Tco-Token header: add it to the automation rule")
        if not hmac.compare_digest(token.strip().encode(), secret.encode()):
            raise SignatureError("X-Tco-Token does not match the configured secret")
        return
    given = headers.get(SIGNATURE_HEADER)
    if not given:
        raise SignatureError("missing X-Tco-Signature header: is the signing relay in place?")
    if not hmac.compare_digest(sign(secret, body).encode(), given.strip().lower().encode()):
        raise SignatureError("X-Tco-Signature does not match the body and the configured secret")


def parse(headers: Headers, body: bytes, *, bot: str | None) -> Delivery:
    payload = _object(body)
    if payload.get("tco_bridge") != VERSION:
        raise UnreadableDelivery(
            f'not the tco-bridge Freshdesk body (expected "tco_bridge": "{VERSION}"); '
            "paste BODY_TEMPLATE from tco_bridge_freshdesk/webhook.py into the automation rule"
        )
    kind = _text(payload.get("event"))
    ticket = payload.get("ticket")
    if kind not in ("created", "updated", "note") or not isinstance(ticket, dict):
        raise UnreadableDelivery(f"'event' must be created, updated or note, not {kind!r}")
    ticket_id = _required(ticket.get("id"), "ticket.id")
    at_text = _required(payload.get("at"), "at")
    at = _time(at_text)
    snapshot = _snapshot(ticket)
    actor = _actor(_text(payload.get("actor_id")), snapshot.requester, bot)
    delivery = f"{ticket_id}:{kind}:{at_text}"
    common: dict[str, Any] = {
        "connector": CONNECTOR,
        "ticket": ticket_id,
        "at": at,
        "delivery": delivery,
        "actor": actor,
        "snapshot": snapshot,
    }
    if kind == "note":
        event = TicketEvent(
            type=EventType.COMMENT_ADDED,
            key=f"note:{ticket_id}:{at_text}",
            comment=_note(payload.get("note"), at_text, actor),
            **common,
        )
    elif kind == "created":
        event = TicketEvent(type=EventType.CREATED, key=f"created:{ticket_id}", **common)
    else:
        key = f"updated:{ticket_id}:{at_text}"
        event = TicketEvent(type=_KINDS[kind], key=key, field="snapshot", **common)
    return Delivery(delivery, [event])


def canonical_status(value: Any) -> tuple[str | None, Status | None]:
    """(Freshdesk's own name, canonical status) for a display name or a status id."""
    text = _text(value)
    if text is None:
        return None, None
    if text.isdigit() and int(text) in STATUS_BY_ID:
        return STATUS_BY_ID[int(text)]
    return text.lower(), STATUS_BY_NAME.get(text.lower())


def _object(body: bytes) -> dict[str, Any]:
    return jsonbody.read_object(body, "Freshdesk webhook")


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list | bool):
        return None
    text = str(value).strip()
    return None if text in ("", "-") else text


def _required(value: Any, where: str) -> str:
    text = _text(value)
    if text is None:
        raise UnreadableDelivery(f"'{where}' is missing or rendered empty: see BODY_TEMPLATE")
    return text


def _time(text: str) -> datetime:
    try:
        return utc(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        raise UnreadableDelivery(f"'at'={text[:40]!r} is not an ISO 8601 time") from None


def _snapshot(ticket: dict[str, Any]) -> Snapshot:
    raw_status, status = canonical_status(ticket.get("status"))
    tags = _text(ticket.get("tags"))
    priority = _text(ticket.get("priority"))
    return Snapshot(
        status=status,
        raw_status=raw_status,
        priority=priority.lower() if priority else None,
        assignee=_text(ticket.get("agent_id")),
        group=_text(ticket.get("group")),
        requester=_text(ticket.get("requester_id")),
        summary=_text(ticket.get("subject")),
        tags=tuple(t.strip() for t in tags.split(",") if t.strip()) if tags else (),
    )


def _actor(actor_id: str | None, requester: str | None, bot: str | None) -> Actor:
    if actor_id is None:
        return Actor("system", ActorKind.SYSTEM)
    if bot and actor_id == bot:
        return Actor(actor_id, ActorKind.BRIDGE)
    return Actor(actor_id, ActorKind.REQUESTER if actor_id == requester else ActorKind.AGENT)


def _note(raw: Any, at_text: str, author: Actor) -> Comment:
    note = raw if isinstance(raw, dict) else {}
    private = (_text(note.get("private")) or "true").lower() != "false"
    return Comment(f"note@{at_text}", str(note.get("body") or ""), not private, author)
