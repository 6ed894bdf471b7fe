"""The wire format of ticket events, defined and validated with marshmallow.

:class:`TicketEventSchema` is the single definition of the JSON the receiver queues and the
worker reads; the ``v`` field versions it, so a worker can refuse (or upgrade) an event
written by a newer or older receiver. ``event_codec`` holds the hot path's hand-written
equivalents, tested against this schema field by field.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from marshmallow import EXCLUDE, Schema, fields, post_load, validate

from .events import (
    SCHEMA_VERSION,
    Actor,
    ActorKind,
    Comment,
    EventType,
    Snapshot,
    Status,
    TicketEvent,
)


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


def schema_dump(event: TicketEvent) -> dict[str, Any]:
    """marshmallow's own dump of an event (the reference :func:`dump_event` must match)."""
    out: dict[str, Any] = _schema.dump(event)
    return out


def schema_load(data: dict[str, Any]) -> TicketEvent:
    """marshmallow's own load of an event (the reference :func:`load_event` must match)."""
    event: TicketEvent = _schema.load(data)
    return event
