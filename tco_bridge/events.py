"""Canonical ticket events: what every connector turns a webhook into.

Connectors map their tool's payloads onto these few types so that the ownership core and the
rules never see a Jira or Zendesk shape. How they travel through Redis
as JSON is in :mod:`tco_bridge.event_codec`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

SCHEMA_VERSION = 1  # of the JSON wire format (event_codec.py)


class EventType(enum.StrEnum):
    CREATED = "ticket.created"
    COMMENT_ADDED = "comment.added"
    ASSIGNEE_CHANGED = "assignee.changed"
    GROUP_CHANGED = "group.changed"
    STATUS_CHANGED = "status.changed"
    PRIORITY_CHANGED = "priority.changed"
    FIELD_CHANGED = "field.changed"
    DELETED = "ticket.deleted"
    # Raised by the bridge itself, never by a connector's parse():
    TIMER_FIRED = "timer.fired"
    AGENT_AWAY = "agent.away"
    AGENT_BACK = "agent.back"


class Status(enum.StrEnum):
    """Canonical statuses. ``pending`` means waiting on the customer."""

    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    ON_HOLD = "on_hold"
    RESOLVED = "resolved"
    CLOSED = "closed"


class ActorKind(enum.StrEnum):
    AGENT = "agent"
    REQUESTER = "requester"
    BRIDGE = "bridge"  # the bridge's own account: recorded, never triggers rules
    SYSTEM = "system"  # automations, triggers, the tool itself
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Actor:
    id: str
    kind: ActorKind = ActorKind.UNKNOWN
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Comment:
    id: str
    body: str
    public: bool
    author: Actor | None = None


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The ticket as the delivery described it, where the tool sends that (may be partial)."""

    status: Status | None = None
    raw_status: str | None = None
    priority: str | None = None
    assignee: str | None = None
    assignee_name: str | None = None
    group: str | None = None
    requester: str | None = None
    requester_name: str | None = None
    type: str | None = None
    summary: str | None = None
    tags: tuple[str, ...] = ()
    created_at: datetime | None = None
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TicketEvent:
    """One thing that happened to one ticket.

    ``key`` identifies the happening itself (a comment id, a changelog item), so the same
    change reaching us through two deliveries is applied once. ``at`` is the tool's own
    timestamp and decides order; arrival order means nothing.
    """

    connector: str
    ticket: str
    type: EventType
    at: datetime
    key: str
    delivery: str = ""
    actor: Actor | None = None
    comment: Comment | None = None
    field: str | None = None
    before: str | None = None
    after: str | None = None
    after_name: str | None = None
    snapshot: Snapshot | None = None
    v: int = SCHEMA_VERSION

    @property
    def ticket_key(self) -> str:
        return f"{self.connector}:{self.ticket}"

    def with_actor_kind(self, kind: ActorKind) -> TicketEvent:
        return replace(self, actor=replace(self.actor, kind=kind) if self.actor else None)


def utc(dt: datetime) -> datetime:
    """Normalise to an aware UTC datetime (naive values are taken as UTC)."""
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
