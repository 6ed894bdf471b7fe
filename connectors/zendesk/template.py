"""Trigger-connected webhooks: the JSON body template admins paste into a Zendesk trigger.

Event subscriptions are the documented default. Admins who prefer triggers (to filter with
trigger conditions, or on plans without event subscriptions) connect the webhook to a trigger
whose action *Notify webhook* sends :data:`TRIGGER_BODY_TEMPLATE` as its JSON body:

* one trigger with the condition *Ticket is Updated* sends the template as is;
* optionally a second one with *Ticket is Created* sends it with ``"event": "created"``.

How a rendered body is read:

* ``"tco_bridge": "zendesk-trigger/1"`` marks the body as ours and versions it; any other
  version is refused (400) so a changed template never half-parses.
* ``event`` ``created`` → one ``CREATED`` event, key ``trigger:<ticket>:created``;
  ``updated`` → one ``FIELD_CHANGED`` event with ``field="snapshot"`` (a trigger does not say
  *what* changed: the core compares the snapshot), key ``trigger:<ticket>:updated:<updated_at>``.
  ``at`` is ``{{ticket.updated_at_with_timestamp}}``.
* when ``latest_comment.id`` rendered, a ``COMMENT_ADDED`` event follows, key
  ``trigger:<ticket>:comment:<comment id>``: every update repeats the latest comment, and the
  key makes the receiver apply it once.
* the actor is ``{{current_user.id}}``: empty → ``system``, the bot user → ``bridge``, the
  requester → ``requester``, anyone else → ``agent``. Placeholders do not say whether a user is
  staff, so a CC'd end user counts as an agent here; event subscriptions are exact.
* placeholders render as strings and may render empty: ``""`` and ``"-"`` become ``None``;
  ``{{ticket.status}}`` renders the display name ("Open", "On-hold"), mapped like the REST
  names when the account language is English, else kept in ``raw_status`` only (as are custom
  statuses); ``{{ticket.tags}}`` renders space-separated.
* the delivery id is the ``x-zendesk-webhook-invocation-id`` header (``None`` without it).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tco_bridge.connector import Delivery, Headers
from tco_bridge.errors import UnreadableDelivery
from tco_bridge.events import Actor, ActorKind, Comment, EventType, Snapshot, TicketEvent

from .formats import (
    canonical_status,
    optional_enum,
    parse_timestamp,
    text,
    zendesk_status,
)

CONNECTOR = "zendesk"
MARKER = "tco_bridge"
VERSION = "zendesk-trigger/1"
INVOCATION_HEADER = "x-zendesk-webhook-invocation-id"

#: The JSON body to paste into the trigger's *Notify webhook* action (README quotes it).
TRIGGER_BODY_TEMPLATE = """\
{
  "tco_bridge": "zendesk-trigger/1",
  "event": "updated",
  "actor_id": "{{current_user.id}}",
  "ticket": {
    "id": "{{ticket.id}}",
    "title": "{{ticket.title}}",
    "status": "{{ticket.status}}",
    "priority": "{{ticket.priority}}",
    "type": "{{ticket.ticket_type}}",
    "tags": "{{ticket.tags}}",
    "assignee_id": "{{ticket.assignee.id}}",
    "assignee_name": "{{ticket.assignee.name}}",
    "group_id": "{{ticket.group.id}}",
    "requester_id": "{{ticket.requester.id}}",
    "requester_name": "{{ticket.requester.name}}",
    "via": "{{ticket.via}}",
    "created_at": "{{ticket.created_at_with_timestamp}}",
    "updated_at": "{{ticket.updated_at_with_timestamp}}"
  },
  "latest_comment": {
    "id": "{{ticket.latest_comment.id}}",
    "public": "{{ticket.latest_comment.is_public}}",
    "author_id": "{{ticket.latest_comment.author.id}}",
    "author_name": "{{ticket.latest_comment.author.name}}",
    "body": "{{ticket.latest_comment.value}}"
  }
}
"""

_KINDS = {"created": EventType.CREATED, "updated": EventType.FIELD_CHANGED}
_HELP = "see TRIGGER_BODY_TEMPLATE in connectors/zendesk/template.py (quoted in the README)"


def parse_trigger_body(payload: dict[str, Any], headers: Headers, *, bot: str | None) -> Delivery:
    """Read a rendered :data:`TRIGGER_BODY_TEMPLATE` (see the module docstring)."""
    kind = _kind(payload)
    ticket = _ticket(payload)
    ticket_id = _required(ticket, "id")
    updated_raw = _required(ticket, "updated_at")
    at = _timestamp(updated_raw, "ticket.updated_at")
    snapshot = _snapshot(ticket)
    delivery = headers.get(INVOCATION_HEADER) or None
    actor = _actor(text(payload.get("actor_id")), snapshot.requester, bot)
    key = f"trigger:{ticket_id}:{kind}" + (f":{updated_raw}" if kind == "updated" else "")
    main = TicketEvent(
        connector=CONNECTOR,
        ticket=ticket_id,
        type=_KINDS[kind],
        at=at,
        key=key,
        delivery=delivery or "",
        actor=actor,
        field="snapshot" if kind == "updated" else None,
        snapshot=snapshot,
    )
    comment = _comment(payload.get("latest_comment"), snapshot.requester, bot)
    if comment is None:
        return Delivery(delivery, [main])
    added = TicketEvent(
        connector=CONNECTOR,
        ticket=ticket_id,
        type=EventType.COMMENT_ADDED,
        at=at,
        key=f"trigger:{ticket_id}:comment:{comment.id}",
        delivery=delivery or "",
        actor=comment.author,
        comment=comment,
        snapshot=snapshot,
    )
    return Delivery(delivery, [main, added])


def explain_unknown_body(payload: dict[str, Any]) -> str:
    """The 400 reason for a body that is neither an event nor our template."""
    keys = ", ".join(sorted(str(k)[:40] for k in payload)[:10]) or "none"
    return (
        "not a Zendesk event-subscription payload (no 'type' starting with "
        "'zen:event-type:') and not the tco-bridge trigger body (no 'tco_bridge' marker); "
        f"keys found: {keys}. Subscribe the webhook to zen:event-type:ticket.* events, or "
        f"connect the trigger with the tco-bridge JSON body: {_HELP}"
    )


def _kind(payload: dict[str, Any]) -> str:
    version = payload.get(MARKER)
    if version != VERSION:
        raise UnreadableDelivery(
            f"tco_bridge trigger body version {str(version)[:40]!r} is not {VERSION!r}; "
            f"paste the current template again: {_HELP}"
        )
    kind = payload.get("event")
    if kind not in _KINDS:
        raise UnreadableDelivery(
            f"tco_bridge trigger body: 'event' is {str(kind)[:40]!r}; use 'created' or 'updated'"
        )
    return str(kind)


def _ticket(payload: dict[str, Any]) -> dict[str, Any]:
    ticket = payload.get("ticket")
    if not isinstance(ticket, dict):
        raise UnreadableDelivery(f"tco_bridge trigger body has no 'ticket' object: {_HELP}")
    return ticket


def _required(ticket: dict[str, Any], key: str) -> str:
    value = text(ticket.get(key))
    if value is None:
        raise UnreadableDelivery(
            f"tco_bridge trigger body: 'ticket.{key}' is missing or rendered empty: {_HELP}"
        )
    return value


def _timestamp(value: str, name: str) -> datetime:
    try:
        return parse_timestamp(value)
    except ValueError:
        raise UnreadableDelivery(
            f"tco_bridge trigger body: '{name}' is not an ISO 8601 timestamp "
            "(use the *_with_timestamp placeholder)"
        ) from None


def _optional_time(value: Any) -> datetime | None:
    rendered = text(value)
    try:
        return parse_timestamp(rendered) if rendered else None
    except ValueError:
        return None


def _snapshot(ticket: dict[str, Any]) -> Snapshot:
    tags = text(ticket.get("tags"))
    return Snapshot(
        status=canonical_status(ticket.get("status")),
        raw_status=zendesk_status(ticket.get("status")),
        priority=optional_enum(ticket.get("priority")),
        assignee=text(ticket.get("assignee_id")),
        assignee_name=text(ticket.get("assignee_name")),
        group=text(ticket.get("group_id")),
        requester=text(ticket.get("requester_id")),
        requester_name=text(ticket.get("requester_name")),
        type=optional_enum(ticket.get("type")),
        summary=text(ticket.get("title")),
        tags=tuple(tags.split()) if tags else (),
        created_at=_optional_time(ticket.get("created_at")),
        fields={"via": text(ticket.get("via"))},
    )


def _actor(user_id: str | None, requester: str | None, bot: str | None) -> Actor:
    if user_id is None or user_id == "-1":
        return Actor("-1", ActorKind.SYSTEM)
    if user_id == bot:
        return Actor(user_id, ActorKind.BRIDGE)
    return Actor(user_id, ActorKind.REQUESTER if user_id == requester else ActorKind.AGENT)


def _comment(raw: Any, requester: str | None, bot: str | None) -> Comment | None:
    if not isinstance(raw, dict) or text(raw.get("id")) is None:
        return None
    author_id = text(raw.get("author_id"))
    author = None
    if author_id is not None:
        kind = _actor(author_id, requester, bot).kind
        author = Actor(author_id, kind, text(raw.get("author_name")))
    return Comment(
        id=str(text(raw.get("id"))),
        body=str(raw.get("body") or ""),
        public=(text(raw.get("public")) or "").lower() == "true",
        author=author,
    )
