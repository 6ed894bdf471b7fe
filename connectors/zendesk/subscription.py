"""Event-subscription payloads (``zen:event-type:ticket.*``) → canonical events.

Each payload is one change to one ticket: ``detail`` is the ticket after the change (ids as
strings, enums in UPPER case, ``null`` where unset), ``event`` is the change itself. Mapping:

====================================  ===================  ====================================
Zendesk type (``ticket.`` omitted)    canonical event      before → after / field
====================================  ===================  ====================================
created                               CREATED
comment_added                         COMMENT_ADDED        comment (author kind from is_staff)
agent_assignment_changed              ASSIGNEE_CHANGED     assignee ids
group_assignment_changed              GROUP_CHANGED        group ids
status_changed                        STATUS_CHANGED       canonical statuses (HOLD → on_hold,
                                                           SOLVED → resolved); unknown ones
                                                           lower-cased
custom_status_changed                 FIELD_CHANGED        ``custom_status`` ids (the status
                                                           category change, if any, arrives as
                                                           its own status_changed)
priority_changed                      PRIORITY_CHANGED     low / normal / high / urgent
tags_changed                          FIELD_CHANGED        ``tags``: space-separated lists
                                                           before and after the change
custom_field_changed                  FIELD_CHANGED        ``custom_field:<id>``
subject, type, form, brand,           FIELD_CHANGED        ``subject``, ``type``, ``form_id``,
requester, organization, ... changed                       ``brand_id``, ``requester_id``, ...
soft_deleted, permanently_deleted,    DELETED
marked_as_spam
====================================  ===================  ====================================

Every other ``ticket.*`` type (attachments, CSAT, followers, CCs, SLA policies, merges,
redactions, undelete) and every non-ticket type (``user.*``, ``organization.*``, ...) yields no
event and an ``ignored`` reason. The event ``key`` is the payload ``id`` (Zendesk's event id,
also the delivery id); a payload yielding several events would key them ``<id>#<n>``.
The actor is ``detail.actor_id``: ``bridge`` when it is the bot user, ``system`` for ``-1`` or
none, ``requester`` when it equals ``detail.requester_id``, else ``agent``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from tco_bridge.connector import Delivery
from tco_bridge.errors import UnreadableDelivery
from tco_bridge.events import (
    Actor,
    ActorKind,
    Comment,
    EventType,
    Snapshot,
    TicketEvent,
)

from .formats import (
    canonical_status,
    change_value,
    lower,
    optional_enum,
    parse_timestamp,
    status_value,
    text,
    zendesk_status,
)

CONNECTOR = "zendesk"
EVENT_PREFIX = "zen:event-type:"
TICKET_PREFIX = "zen:event-type:ticket."
SYSTEM_ACTOR = "-1"


@dataclass(frozen=True, slots=True)
class _Context:
    """What every ticket event shares, read once from the envelope and ``detail``."""

    event_id: str
    ticket: str
    at: datetime
    actor: Actor
    snapshot: Snapshot
    change: dict[str, Any]
    bot: str | None

    def event(self, type_: EventType, **extra: Any) -> TicketEvent:
        return TicketEvent(
            connector=CONNECTOR,
            ticket=self.ticket,
            type=type_,
            at=self.at,
            key=self.event_id,
            delivery=self.event_id,
            actor=self.actor,
            snapshot=self.snapshot,
            **extra,
        )

    def changed(self, type_: EventType, convert: Callable[[Any], str | None]) -> TicketEvent:
        before, after = self.change.get("previous"), self.change.get("current")
        return self.event(type_, before=convert(before), after=convert(after))


def parse_event(payload: dict[str, Any], *, bot: str | None) -> Delivery:
    """Map one event-subscription payload; unused types come back ``ignored``."""
    kind = str(payload["type"])
    event_id = text(payload.get("id"))
    if not kind.startswith(TICKET_PREFIX):
        return Delivery(event_id, [], ignored=f"{kind} is not a ticket event")
    name = kind.removeprefix(TICKET_PREFIX)
    handler = _HANDLERS.get(name)
    if handler is None:
        return Delivery(event_id, [], ignored=f"ticket event {name!r} is not used by the bridge")
    if event_id is None:
        raise UnreadableDelivery(f"{kind} payload has no 'id' (Zendesk's event id)")
    events = handler(_context(payload, event_id, bot))
    if len(events) > 1:
        events = [replace(e, key=f"{event_id}#{n}") for n, e in enumerate(events)]
    return Delivery(event_id, events)


def _context(payload: dict[str, Any], event_id: str, bot: str | None) -> _Context:
    detail = payload.get("detail")
    if not isinstance(detail, dict):
        raise UnreadableDelivery(f"{payload['type']} payload has no 'detail' object")
    if not isinstance(payload.get("subject"), str):
        raise UnreadableDelivery(f"{payload['type']} payload has no 'subject' (zen:ticket:<id>)")
    ticket = text(detail.get("id"))
    if ticket is None:
        raise UnreadableDelivery(f"{payload['type']} payload has no 'detail.id' (the ticket id)")
    change = payload.get("event")
    return _Context(
        event_id=event_id,
        ticket=ticket,
        at=_time(payload.get("time"), "time"),
        actor=_actor(detail, bot),
        snapshot=snapshot_from_detail(detail),
        change=change if isinstance(change, dict) else {},
        bot=bot,
    )


def _time(value: Any, name: str) -> datetime:
    if not isinstance(value, str):
        raise UnreadableDelivery(f"Zendesk event has no '{name}'")
    try:
        return parse_timestamp(value)
    except ValueError:
        raise UnreadableDelivery(f"Zendesk event '{name}' is not an ISO 8601 timestamp") from None


def _actor(detail: dict[str, Any], bot: str | None) -> Actor:
    actor_id = text(detail.get("actor_id"))
    if actor_id is not None and actor_id == bot:
        return Actor(actor_id, ActorKind.BRIDGE)
    if actor_id is None or actor_id == SYSTEM_ACTOR:
        return Actor(SYSTEM_ACTOR, ActorKind.SYSTEM)
    if actor_id == text(detail.get("requester_id")):
        return Actor(actor_id, ActorKind.REQUESTER)
    return Actor(actor_id, ActorKind.AGENT)


def snapshot_from_detail(detail: dict[str, Any]) -> Snapshot:
    """The ticket as ``detail`` describes it (the same 21 keys on every ticket event)."""
    via = detail.get("via")
    created = detail.get("created_at")
    return Snapshot(
        status=canonical_status(detail.get("status")),
        raw_status=zendesk_status(detail.get("status")),
        priority=optional_enum(detail.get("priority")),
        assignee=text(detail.get("assignee_id")),
        group=text(detail.get("group_id")),
        requester=text(detail.get("requester_id")),
        type=optional_enum(detail.get("type")),
        summary=text(detail.get("subject")),
        tags=tuple(str(t) for t in detail.get("tags") or ()),
        created_at=_time(created, "detail.created_at") if created else None,
        fields={
            "brand_id": text(detail.get("brand_id")),
            "form_id": text(detail.get("form_id")),
            "organization_id": text(detail.get("organization_id")),
            "via_channel": text(via.get("channel")) if isinstance(via, dict) else None,
            "custom_status": text(detail.get("custom_status")),
        },
    )


def _comment(ctx: _Context) -> list[TicketEvent]:
    raw = ctx.change.get("comment")
    comment_id = text(raw.get("id")) if isinstance(raw, dict) else None
    if not isinstance(raw, dict) or comment_id is None:
        raise UnreadableDelivery("ticket.comment_added payload has no 'event.comment.id'")
    author = raw.get("author")
    comment = Comment(
        id=comment_id,
        body=str(raw.get("body") or ""),
        public=raw.get("is_public") is True,
        author=_author(author, ctx.bot) if isinstance(author, dict) else None,
    )
    event = ctx.event(EventType.COMMENT_ADDED, comment=comment)
    if comment.author and comment.author.id == ctx.actor.id:  # the actor's name, for free
        event = replace(event, actor=replace(ctx.actor, name=comment.author.name))
    return [event]


def _author(author: dict[str, Any], bot: str | None) -> Actor | None:
    author_id = text(author.get("id"))
    if author_id is None:
        return None
    if author_id == bot:
        kind = ActorKind.BRIDGE
    else:
        kind = ActorKind.AGENT if author.get("is_staff") is True else ActorKind.REQUESTER
    return Actor(author_id, kind, text(author.get("name")))


def _tags(ctx: _Context) -> list[TicketEvent]:
    """Before/after tag lists: Zendesk sends what was added and removed; ``detail`` has after."""
    added = [str(t) for t in ctx.change.get("tags_added") or ()]
    removed = [str(t) for t in ctx.change.get("tags_removed") or ()]
    if not added and not removed and ("previous" in ctx.change or "current" in ctx.change):
        return [ctx.changed(EventType.FIELD_CHANGED, change_value)]
    after = list(ctx.snapshot.tags)
    before = [t for t in after if t not in added] + [t for t in removed if t not in after]
    return [
        ctx.event(
            EventType.FIELD_CHANGED,
            field="tags",
            before=" ".join(before) or None,
            after=" ".join(after) or None,
        )
    ]


def _custom_field(ctx: _Context) -> list[TicketEvent]:
    definition = ctx.change.get("custom_field")
    field_id = text(definition.get("id")) if isinstance(definition, dict) else None
    event = ctx.changed(EventType.FIELD_CHANGED, change_value)
    return [replace(event, field=f"custom_field:{field_id or 'unknown'}")]


def _simple(type_: EventType, convert: Callable[[Any], str | None]) -> _Handler:
    return lambda ctx: [ctx.changed(type_, convert)]


def _field(name: str, convert: Callable[[Any], str | None] = change_value) -> _Handler:
    return lambda ctx: [replace(ctx.changed(EventType.FIELD_CHANGED, convert), field=name)]


def _only(type_: EventType) -> _Handler:
    return lambda ctx: [ctx.event(type_)]


_Handler = Callable[[_Context], list[TicketEvent]]

_HANDLERS: dict[str, _Handler] = {
    "created": _only(EventType.CREATED),
    "comment_added": _comment,
    "agent_assignment_changed": _simple(EventType.ASSIGNEE_CHANGED, change_value),
    "group_assignment_changed": _simple(EventType.GROUP_CHANGED, change_value),
    "status_changed": _simple(EventType.STATUS_CHANGED, status_value),
    "priority_changed": _simple(EventType.PRIORITY_CHANGED, lower),
    "custom_status_changed": _field("custom_status"),
    "tags_changed": _tags,
    "custom_field_changed": _custom_field,
    "subject_changed": _field("subject"),
    "description_changed": _field("description"),
    "type_changed": _field("type", lower),
    "form_changed": _field("form_id"),
    "brand_changed": _field("brand_id"),
    "requester_changed": _field("requester_id"),
    "submitter_changed": _field("submitter_id"),
    "organization_changed": _field("organization_id"),
    "external_id_changed": _field("external_id"),
    "problem_link_changed": _field("problem_id"),
    "task_due_at_changed": _field("due_at"),
    "soft_deleted": _only(EventType.DELETED),
    "permanently_deleted": _only(EventType.DELETED),
    "marked_as_spam": _only(EventType.DELETED),
}
