"""Canonical ticket events as JSON, the wire format between the receiver and the workers.

``event_schema.TicketEventSchema`` (marshmallow) defines and validates the format.
``dump_event`` and ``load_event`` here are the hot path's hand-written equivalents, tested
against the schema field by field; what they cannot read exactly goes through the schema.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from .event_schema import schema_dump, schema_load
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
from .slotted import builder

__all__ = ["dump_event", "load_event", "read_wire", "schema_dump", "schema_load"]


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
        "type": event.type._value_,  # ``.value`` is a slow descriptor on Python 3.11's enums
        "at": event.at.isoformat(),
        "key": event.key,
        "delivery": event.delivery,
        "actor": _actor(event.actor),
        "comment": _comment(event.comment) if event.comment is not None else None,
        "field": event.field,
        "before": event.before,
        "after": event.after,
        "after_name": event.after_name,
        "snapshot": _snapshot(snap) if snap is not None else None,
    }


def _actor(actor: Actor | None) -> dict[str, Any] | None:
    if actor is None:
        return None
    return {"id": actor.id, "kind": actor.kind._value_, "name": actor.name}


def _comment(comment: Comment) -> dict[str, Any]:
    return {
        "id": comment.id,
        "body": comment.body,
        "public": comment.public,
        "author": _actor(comment.author),
    }


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


def read_wire(data: dict[str, Any]) -> tuple[TicketEvent, bool]:
    """:func:`load_event`, and whether ``data`` is exactly what :func:`dump_event` writes for
    the event (then a copy of the event in its wire form, like a history entry, can be
    ``data`` itself instead of a new dump)."""
    try:
        event = _read_event(data)
    except (KeyError, TypeError, ValueError, AttributeError):
        return schema_load(data), False
    return event, _canonical(data)


def _canonical(data: dict[str, Any]) -> bool:
    """Read by :func:`_read_event`, which checked every value is what :func:`dump_event`
    writes: the same keys at every level make it the same dict."""
    if data.keys() != _EVENT_KEYS:
        return False
    actor, comment, snap = data["actor"], data["comment"], data["snapshot"]
    if actor is not None and actor.keys() != _ACTOR_KEYS:
        return False
    if comment is not None:
        if comment.keys() != _COMMENT_KEYS:
            return False
        author = comment["author"]
        if author is not None and author.keys() != _ACTOR_KEYS:
            return False
    return snap is None or snap.keys() == _SNAPSHOT_KEYS


# Built slot by slot (``slotted.py``): a frozen dataclass's ``__init__`` costs several times
# as much, and every queued event is built here.
_new_event = builder(TicketEvent)
_new_actor = builder(Actor)
_new_comment = builder(Comment)
_new_snapshot = builder(Snapshot)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ACTOR_KEYS = frozenset(_actor(Actor("a")) or ())
_COMMENT_KEYS = frozenset(_comment(Comment("i", "b", True)))
_SNAPSHOT_KEYS = frozenset(_snapshot(Snapshot()))
_EVENT_KEYS = frozenset(dump_event(TicketEvent("c", "t", EventType.CREATED, _EPOCH, "k")))

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


def _none_or_text(*values: Any) -> bool:
    """Each value None or text (one call for the optional fields of an event)."""
    for value in values:
        if value is not None and type(value) is not str:
            return False
    return True


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
    return _new_actor(id=_text(value["id"]), kind=_KINDS[kind], name=_opt_text(value.get("name")))


def _read_comment(value: Any, actor: Actor | None, actor_data: Any) -> Comment | None:
    if value is None:
        return None
    public = value["public"]
    if type(public) is not bool:
        raise TypeError("not a boolean")
    data = value.get("author")
    # Mostly the event's actor again: the same immutable Actor serves both.
    author = actor if actor is not None and data == actor_data else _read_actor(data)
    return _new_comment(
        id=_text(value["id"]), body=_text(value["body"]), public=public, author=author
    )


def _read_snapshot(value: Any) -> Snapshot | None:
    if value is None:
        return None
    status, created, tags = value.get("status"), value.get("created_at"), value.get("tags", [])
    fields_ = value.get("fields", {})
    if type(tags) is not list or type(fields_) is not dict:
        raise TypeError("not a list or an object")
    return _new_snapshot(
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
    actor_data = data.get("actor")
    actor = _read_actor(actor_data)
    connector, ticket, key = data["connector"], data["ticket"], data["key"]
    delivery = data.get("delivery", "")
    if not (type(connector) is str and type(ticket) is str and type(key) is str):
        raise TypeError("not text")
    field, before, after = data.get("field"), data.get("before"), data.get("after")
    name = data.get("after_name")
    if not (_none_or_text(field, before, after, name) and type(delivery) is str):
        raise TypeError("not text")
    return _new_event(
        connector=connector,
        ticket=ticket,
        type=_TYPES[data["type"]],
        at=_aware(data["at"]),
        key=key,
        delivery=delivery,
        actor=actor,
        comment=_read_comment(data.get("comment"), actor, actor_data),
        field=field,
        before=before,
        after=after,
        after_name=name,
        snapshot=_read_snapshot(data.get("snapshot")),
        v=version,
    )
