"""Canonical ticket events as JSON, the wire format between the receiver and the workers.

:class:`TicketEventSchema` (marshmallow) defines and validates the format; the ``v`` field
versions it, so a worker can refuse (or upgrade) an event written by a newer or older
receiver. ``dump_event`` and ``load_event`` are the hot path's hand-written equivalents,
tested against the schema field by field.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from marshmallow import EXCLUDE, Schema, fields, post_load, validate

from .events import Actor, ActorKind, Comment, EventType, Snapshot, Status, TicketEvent

SCHEMA_VERSION = 1


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
    """An event from its wire form, validated as :class:`TicketEventSchema` validates it.

    The drain loads every queued event, and marshmallow's generic load was nearly half of a
    drain's time. The wire form :func:`dump_event` writes is read directly here, each value
    checked to be exactly what the schema accepts (a datetime must read back to the same
    text); anything else (another version, a missing field, a loose type) goes through the
    schema, which accepts it the same way or raises its ``ValidationError``.
    ``tests/core/test_events.py`` checks that both agree."""
    try:
        return _read_event(data)
    except (KeyError, TypeError, ValueError, AttributeError):
        return schema_load(data)


def schema_load(data: dict[str, Any]) -> TicketEvent:
    """marshmallow's own load of an event (the reference :func:`load_event` must match)."""
    event: TicketEvent = _schema.load(data)
    return event


# Members by value, as plain dicts: a lookup costs less than calling the enum.
_KINDS: dict[Any, ActorKind] = {k.value: k for k in ActorKind}
_STATUSES: dict[Any, Status] = {s.value: s for s in Status}
_TYPES: dict[Any, EventType] = {t.value: t for t in EventType}


def _text(value: Any) -> str:
    if type(value) is not str:
        raise TypeError("not text")
    return value


def _opt_text(value: Any) -> str | None:
    return None if value is None else _text(value)


def _aware(value: Any) -> datetime:
    """An aware datetime, only in the exact form ``isoformat`` writes (others: the schema)."""
    at = datetime.fromisoformat(_text(value))
    if at.tzinfo is None or at.isoformat() != value:
        raise ValueError("not an isoformat aware datetime")
    return at


def _read_actor(value: Any) -> Actor | None:
    if value is None:
        return None
    kind = value.get("kind", ActorKind.UNKNOWN.value)
    return Actor(_text(value["id"]), _KINDS[kind], _opt_text(value.get("name")))


def _read_comment(value: Any) -> Comment | None:
    if value is None:
        return None
    public = value["public"]
    if type(public) is not bool:
        raise TypeError("not a boolean")
    author = _read_actor(value.get("author"))
    return Comment(_text(value["id"]), _text(value["body"]), public, author)


def _read_snapshot(value: Any) -> Snapshot | None:
    if value is None:
        return None
    status, created, tags = value.get("status"), value.get("created_at"), value.get("tags", [])
    fields_ = value.get("fields", {})
    if type(tags) is not list or type(fields_) is not dict:
        raise TypeError("not a list or an object")
    return Snapshot(
        status=None if status is None else _STATUSES[status],
        raw_status=_opt_text(value.get("raw_status")),
        priority=_opt_text(value.get("priority")),
        assignee=_opt_text(value.get("assignee")),
        assignee_name=_opt_text(value.get("assignee_name")),
        group=_opt_text(value.get("group")),
        requester=_opt_text(value.get("requester")),
        requester_name=_opt_text(value.get("requester_name")),
        type=_opt_text(value.get("type")),
        summary=_opt_text(value.get("summary")),
        tags=tuple(_text(t) for t in tags),
        created_at=None if created is None else _aware(created),
        fields=fields_,
    )


def _read_event(data: dict[str, Any]) -> TicketEvent:
    version = data["v"]
    if type(version) is not int or version != SCHEMA_VERSION:
        raise ValueError("another version")
    return TicketEvent(
        connector=_text(data["connector"]),
        ticket=_text(data["ticket"]),
        type=_TYPES[data["type"]],
        at=_aware(data["at"]),
        key=_text(data["key"]),
        delivery=_text(data.get("delivery", "")),
        actor=_read_actor(data.get("actor")),
        comment=_read_comment(data.get("comment")),
        field=_opt_text(data.get("field")),
        before=_opt_text(data.get("before")),
        after=_opt_text(data.get("after")),
        after_name=_opt_text(data.get("after_name")),
        snapshot=_read_snapshot(data.get("snapshot")),
        v=version,
    )
