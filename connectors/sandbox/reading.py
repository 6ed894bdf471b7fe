"""Reading a sandbox delivery's values: each reader either returns the value in the shape the
bridge uses or raises :class:`UnreadableDelivery` naming the field and what is wrong with it,
so a bad delivery gets a clear 400. The ticket snapshot and the actor (the bot account first:
the loop guard) are read here too. Pure."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from tco_bridge import jsonbody
from tco_bridge.errors import UnreadableDelivery
from tco_bridge.events import Actor, ActorKind, Snapshot, Status

from .model import ROLES, STATUSES


def status_of(value: Any, where: str) -> str | None:
    status = optional_text(value, where)
    if status is not None and status not in STATUSES:
        raise UnreadableDelivery(f"{where}={status!r} is not a status; use one of {list(STATUSES)}")
    return status


def value_of(value: Any, where: str) -> str | None:
    """A field value as the canonical string: lists (labels) space-separated, else JSON."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return " ".join(value)
    return json.dumps(value, sort_keys=True)


def read_object(body: bytes) -> dict[str, Any]:
    return jsonbody.read_object(body, "sandbox webhook")


def mapping(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise UnreadableDelivery(f"sandbox webhook has no {where} object")
    return value


def text(data: dict[str, Any], key: str, where: str, *, allow_empty: bool = False) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not (value or allow_empty):
        raise UnreadableDelivery(f"sandbox webhook needs a text '{where}'")
    return value


def optional_text(value: Any, where: str) -> str | None:
    if value is None or isinstance(value, str):
        return value or None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise UnreadableDelivery(f"'{where}' must be text or null, not {type(value).__name__}")


def time_of(value: Any, where: str = "at") -> datetime:
    # The shape of web/agents.py's ``until`` check, with a delivery's errors, not a request's.
    if not isinstance(value, str):
        raise UnreadableDelivery(f"sandbox webhook needs '{where}' as an ISO 8601 time")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise UnreadableDelivery(f"'{where}'={value!r} is not an ISO 8601 time") from None
    if parsed.tzinfo is None:
        raise UnreadableDelivery(f"'{where}'={value!r} has no time zone")
    return parsed


def actor(value: Any, where: str, bot: str | None) -> Actor:
    raw = mapping(value, where)
    actor_id = optional_text(raw.get("id"), f"{where}.id")
    if actor_id is None:
        raise UnreadableDelivery(f"sandbox webhook needs '{where}.id'")
    role = raw.get("role")
    if role not in ROLES:
        raise UnreadableDelivery(f"'{where}.role'={role!r} is not one of {list(ROLES)}")
    name = optional_text(raw.get("name"), f"{where}.name")
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
    status = status_of(ticket.get("status"), "ticket.status")
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
        priority=optional_text(ticket.get("priority"), "ticket.priority"),
        assignee=optional_text(ticket.get("assignee"), "ticket.assignee"),
        group=optional_text(ticket.get("group"), "ticket.group"),
        requester=optional_text(ticket.get("requester"), "ticket.requester"),
        requester_name=optional_text(ticket.get("requester_name"), "ticket.requester_name"),
        summary=optional_text(ticket.get("subject"), "ticket.subject"),
        type=optional_text(ticket.get("type"), "ticket.type"),
        tags=tuple(labels),
        created_at=time_of(created, "ticket.created_at") if created is not None else None,
        fields=dict(fields),
    )
