"""Canonical ticket events: what every connector turns a webhook into.

Connectors map their tool's payloads onto these few types so that the ownership core and the
rules never see a Jira or Zendesk shape. Events travel through Redis as JSON produced by
:class:`TicketEventSchema`; the ``v`` field versions that wire format so a worker can refuse (or
upgrade) an event written by a newer or older receiver.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from marshmallow import EXCLUDE, Schema, fields, post_load, validate

SCHEMA_VERSION = 1


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


class _ActorSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    id = fields.String(required=True)
    kind = fields.Enum(ActorKind, by_value=True, load_default=ActorKind.UNKNOWN)
    name = fields.String(allow_none=True, load_default=None)

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> Actor:
        return Actor(**data)


class _CommentSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    id = fields.String(required=True)
    body = fields.String(required=True)
    public = fields.Boolean(required=True)
    author = fields.Nested(_ActorSchema, allow_none=True, load_default=None)

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> Comment:
        return Comment(**data)


class _SnapshotSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    status = fields.Enum(Status, by_value=True, allow_none=True, load_default=None)
    raw_status = fields.String(allow_none=True, load_default=None)
    priority = fields.String(allow_none=True, load_default=None)
    assignee = fields.String(allow_none=True, load_default=None)
    assignee_name = fields.String(allow_none=True, load_default=None)
    group = fields.String(allow_none=True, load_default=None)
    requester = fields.String(allow_none=True, load_default=None)
    requester_name = fields.String(allow_none=True, load_default=None)
    type = fields.String(allow_none=True, load_default=None)
    summary = fields.String(allow_none=True, load_default=None)
    tags = fields.List(fields.String(), load_default=list)
    created_at = fields.AwareDateTime(allow_none=True, load_default=None, default_timezone=UTC)
    fields_ = fields.Dict(data_key="fields", attribute="fields", load_default=dict)

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> Snapshot:
        data["tags"] = tuple(data["tags"])
        return Snapshot(**data)


class TicketEventSchema(Schema):
    """Wire format of :class:`TicketEvent` (JSON in Redis streams and recordings)."""

    class Meta:
        unknown = EXCLUDE

    v = fields.Integer(required=True, validate=validate.Equal(SCHEMA_VERSION))
    connector = fields.String(required=True)
    ticket = fields.String(required=True)
    type = fields.Enum(EventType, by_value=True, required=True)
    at = fields.AwareDateTime(required=True, default_timezone=UTC)
    key = fields.String(required=True)
    delivery = fields.String(load_default="")
    actor = fields.Nested(_ActorSchema, allow_none=True, load_default=None)
    comment = fields.Nested(_CommentSchema, allow_none=True, load_default=None)
    field_ = fields.String(data_key="field", attribute="field", allow_none=True, load_default=None)
    before = fields.String(allow_none=True, load_default=None)
    after = fields.String(allow_none=True, load_default=None)
    after_name = fields.String(allow_none=True, load_default=None)
    snapshot = fields.Nested(_SnapshotSchema, allow_none=True, load_default=None)

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> TicketEvent:
        return TicketEvent(**data)


_schema = TicketEventSchema()


def dump_event(event: TicketEvent) -> dict[str, Any]:
    """The wire form of an event, exactly as :class:`TicketEventSchema` dumps it.

    The receiver runs this once per accepted event, where marshmallow's generic dump costs
    about 50 µs; this direct version costs a fraction of that. ``tests/core/test_events.py``
    checks that both agree on every field, so the schema stays the single definition of the
    format and the one used to load (and validate) events in the worker.
    """
    snap = event.snapshot
    return {
        "v": event.v,
        "connector": event.connector,
        "ticket": event.ticket,
        "type": event.type.value,
        "at": event.at.isoformat(),
        "key": event.key,
        "delivery": event.delivery,
        "actor": _actor(event.actor),
        "comment": (
            {
                "id": event.comment.id,
                "body": event.comment.body,
                "public": event.comment.public,
                "author": _actor(event.comment.author),
            }
            if event.comment is not None
            else None
        ),
        "field": event.field,
        "before": event.before,
        "after": event.after,
        "after_name": event.after_name,
        "snapshot": _snapshot(snap) if snap is not None else None,
    }


def _actor(actor: Actor | None) -> dict[str, Any] | None:
    if actor is None:
        return None
    return {"id": actor.id, "kind": actor.kind.value, "name": actor.name}


def _snapshot(snap: Snapshot) -> dict[str, Any]:
    return {
        "status": snap.status.value if snap.status is not None else None,
        "raw_status": snap.raw_status,
        "priority": snap.priority,
        "assignee": snap.assignee,
        "assignee_name": snap.assignee_name,
        "group": snap.group,
        "requester": snap.requester,
        "requester_name": snap.requester_name,
        "type": snap.type,
        "summary": snap.summary,
        "tags": list(snap.tags),
        "created_at": snap.created_at.isoformat() if snap.created_at is not None else None,
        "fields": dict(snap.fields),
    }


def schema_dump(event: TicketEvent) -> dict[str, Any]:
    """marshmallow's own dump of an event (the reference :func:`dump_event` must match)."""
    out: dict[str, Any] = _schema.dump(event)
    return out


def load_event(data: dict[str, Any]) -> TicketEvent:
    event: TicketEvent = _schema.load(data)
    return event
