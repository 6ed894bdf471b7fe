"""``apply(state, event, policy)``: one ticket event folded into a :class:`TicketState`.

Deliveries arrive twice and out of order; ``state.py`` says how the state stays
order-insensitive. Nothing here does I/O or reads the clock.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from .contact_owner import derive_owner
from .events import Actor, ActorKind, EventType, Snapshot, Status, TicketEvent
from .ownership import OwnershipPolicy, OwnerTrigger
from .state import (
    CANDIDATE_LIMIT,
    SEEN_LIMIT,
    SNAPSHOT_FIELD,
    Candidate,
    Change,
    TicketState,
    draft,
    earliest,
    insert_change,
    latest,
    put,
    put_register,
    value_at,
)
from .touches import touch_key_of, touching_agent


def apply(state: TicketState, event: TicketEvent, policy: OwnershipPolicy) -> TicketState:
    """Return the state after ``event``. Duplicates (same key) return ``state`` unchanged.

    Every change the event makes is made on one private copy (``state.draft``), the only copy
    of the state an event costs; the handlers below change that draft in place."""
    if event.key in state.seen:
        return state
    new = draft(state)
    put(
        new,
        seen=(*state.seen, event.key)[-SEEN_LIMIT:],
        updated_at=latest(state.updated_at, event.at),
    )
    if event.actor is not None and event.actor.kind is ActorKind.BRIDGE:
        _apply_own_write(new, event)
        return new
    if event.snapshot is not None:
        _apply_snapshot(new, event, event.snapshot)
    event = _recognise_requester(new, event)
    handler = _HANDLERS.get(event.type)
    if handler is not None:
        handler(new, event)
    agent = touching_agent(event)
    if agent is not None:
        _touch(new, event, agent)
    owner = derive_owner(new, policy)
    if owner != new.owner:
        put(new, owner=owner)
    return new


def _apply_own_write(new: TicketState, event: TicketEvent) -> None:
    """Loop guard: the bridge's own write-backs come back as webhooks. What they did to the
    ticket (status, assignee, group, fields) is recorded so the state matches the tool, but
    they are never agent touches, comments or owner candidates, and trigger no rule."""
    put(new, bridge_events=new.bridge_events + 1)
    if event.snapshot is not None:
        _apply_snapshot(new, event, event.snapshot)
    if event.type in _OWN_WRITE_HANDLERS:
        _OWN_WRITE_HANDLERS[event.type](new, event)


def apply_all(
    state: TicketState, events: Iterable[TicketEvent], policy: OwnershipPolicy
) -> TicketState:
    """Apply events in the tool's time order (ties by key)."""
    for event in sorted(events, key=lambda e: (e.at, e.key)):
        state = apply(state, event, policy)
    return state


def _apply_snapshot(state: TicketState, event: TicketEvent, snap: Snapshot) -> None:
    def reg(name: str, value: Any, label: str | None = None) -> None:
        if value is not None:
            put_register(state, name, Change(event.at, event.key, value, label))

    reg("status", snap.status.value if snap.status else None, snap.raw_status)
    reg("priority", snap.priority)
    reg("summary", snap.summary)
    reg("type", snap.type)
    reg("tags", list(snap.tags))
    for name, value in snap.fields.items():
        if isinstance(value, str | int | float | bool):
            reg(f"field:{name}", value)
    if snap.requester and state.requester is None:
        put(state, requester=snap.requester)
    if snap.created_at is not None:
        put(state, created_at=earliest(state.created_at, snap.created_at))
    # Assignee and group from a snapshot only fill gaps a lost change event left behind.
    marker = f"{event.key}#snapshot"
    if snap.assignee is not None or event.type is EventType.CREATED:
        if value_at(state.assignees, event.at) != snap.assignee:
            change = Change(event.at, marker, snap.assignee, snap.assignee_name)
            put(state, assignees=insert_change(state.assignees, change))
    if snap.group is not None and value_at(state.groups, event.at) != snap.group:
        put(state, groups=insert_change(state.groups, Change(event.at, marker, snap.group)))


def _on_created(state: TicketState, event: TicketEvent) -> None:
    put(state, created_at=earliest(state.created_at, event.at))
    snap = event.snapshot
    if snap is not None and snap.assignee:
        candidate = Candidate(
            event.at,
            f"{event.key}#assignee",
            snap.assignee,
            snap.assignee_name,
            OwnerTrigger.FIRST_ASSIGNMENT,
        )
        _add_candidate(state, candidate)
    actor = event.actor
    if actor is not None and actor.kind is ActorKind.AGENT and actor.id != state.requester:
        _add_candidate(
            state, Candidate(event.at, event.key, actor.id, actor.name, OwnerTrigger.AGENT_CREATED)
        )


def _on_comment(state: TicketState, event: TicketEvent) -> None:
    comment = event.comment
    if comment is None:
        return
    author = comment.author or event.actor
    kind = author.kind if author else ActorKind.UNKNOWN
    if kind is ActorKind.BRIDGE:
        put(state, bridge_events=state.bridge_events + 1)
        return
    if kind is ActorKind.REQUESTER:
        put(state, last_requester_reply_at=latest(state.last_requester_reply_at, event.at))
        if state.status in (Status.RESOLVED, Status.CLOSED):
            put(state, reopens=tuple(sorted({*state.reopens, event.at})))
        return
    if kind is not ActorKind.AGENT or author is None:
        return
    if not comment.public:
        put(state, last_internal_note_at=latest(state.last_internal_note_at, event.at))
        return
    put(
        state,
        first_response_at=earliest(state.first_response_at, event.at),
        last_customer_update_at=latest(state.last_customer_update_at, event.at),
        customer_updates=state.customer_updates + 1,
    )
    _add_candidate(
        state,
        Candidate(event.at, event.key, author.id, author.name, OwnerTrigger.FIRST_PUBLIC_REPLY),
    )


def _on_assignee(state: TicketState, event: TicketEvent) -> None:
    _record_assignee(state, event)
    if event.after:
        _add_candidate(
            state,
            Candidate(
                event.at, event.key, event.after, event.after_name, OwnerTrigger.FIRST_ASSIGNMENT
            ),
        )
    _escalation_candidate(state, event)


def _escalation_candidate(state: TicketState, event: TicketEvent) -> None:
    """An agent moving the ticket (group or assignee) may be escalating it: a candidate whose
    test (did the move take it from the front line to an escalation group?) is made when the
    owner is derived, once every change at that instant is known."""
    actor = event.actor
    if actor is None or actor.kind is not ActorKind.AGENT or actor.id == event.after:
        return
    candidate = Candidate(
        event.at, f"{event.key}#escalated", actor.id, actor.name, OwnerTrigger.ESCALATED
    )
    _add_candidate(state, candidate)


def _record_assignee(state: TicketState, event: TicketEvent) -> None:
    change = Change(event.at, event.key, event.after, event.after_name, _actor_id(event))
    put(state, assignees=insert_change(state.assignees, change))


def _on_group(state: TicketState, event: TicketEvent) -> None:
    _record_group(state, event)
    _escalation_candidate(state, event)


def _record_group(state: TicketState, event: TicketEvent) -> None:
    change = Change(event.at, event.key, event.after, event.after_name, _actor_id(event))
    put(state, groups=insert_change(state.groups, change))


def _on_status(state: TicketState, event: TicketEvent) -> None:
    if event.after is None:
        return
    put_register(state, "status", Change(event.at, event.key, event.after, None))
    if event.after == Status.RESOLVED and (
        state.resolved_at is None or event.at >= state.resolved_at
    ):
        put(state, resolved_at=event.at, resolved_by=_actor_id(event))
    if event.after == Status.CLOSED:
        put(state, closed_at=latest(state.closed_at, event.at))


def _on_priority(state: TicketState, event: TicketEvent) -> None:
    put_register(state, "priority", Change(event.at, event.key, event.after, None))


def _on_field(state: TicketState, event: TicketEvent) -> None:
    if not event.field or event.field == SNAPSHOT_FIELD:
        return  # a whole-ticket snapshot: already applied from event.snapshot
    name = "tags" if event.field in ("tags", "labels") else f"field:{event.field}"
    value: Any = event.after
    if name == "tags" and isinstance(event.after, str):
        value = [t for t in event.after.replace(",", " ").split() if t]
    put_register(state, name, Change(event.at, event.key, value, None))


def _on_deleted(state: TicketState, event: TicketEvent) -> None:
    put(state, deleted=True)


_HANDLERS = {
    EventType.CREATED: _on_created,
    EventType.COMMENT_ADDED: _on_comment,
    EventType.ASSIGNEE_CHANGED: _on_assignee,
    EventType.GROUP_CHANGED: _on_group,
    EventType.STATUS_CHANGED: _on_status,
    EventType.PRIORITY_CHANGED: _on_priority,
    EventType.FIELD_CHANGED: _on_field,
    EventType.DELETED: _on_deleted,
}


def _recognise_requester(state: TicketState, event: TicketEvent) -> TicketEvent:
    """Some deliveries (Jira Cloud comment events) omit the reporter, so the connector cannot
    tell the customer from an agent; the state knows the requester and corrects the kind."""
    requester = state.requester
    if requester is None:
        return event
    actor, comment = event.actor, event.comment
    fix_actor = (
        actor is not None and actor.id == requester and actor.kind is not ActorKind.REQUESTER
    )
    author = comment.author if comment else None
    fix_author = (
        author is not None and author.id == requester and author.kind is not ActorKind.REQUESTER
    )
    if not (fix_actor or fix_author):
        return event
    if fix_actor:
        event = event.with_actor_kind(ActorKind.REQUESTER)
    if fix_author and comment is not None and author is not None:
        author = replace(author, kind=ActorKind.REQUESTER)
        event = replace(event, comment=replace(comment, author=author))
    return event


_OWN_WRITE_HANDLERS = {
    EventType.ASSIGNEE_CHANGED: _record_assignee,
    EventType.GROUP_CHANGED: _record_group,
    EventType.STATUS_CHANGED: _on_status,
    EventType.PRIORITY_CHANGED: _on_priority,
    EventType.FIELD_CHANGED: _on_field,
}


def _actor_id(event: TicketEvent) -> str | None:
    return event.actor.id if event.actor else None


def _touch(state: TicketState, event: TicketEvent, agent: Actor) -> None:
    """Count the action once (see ``touches.py``: ``agent`` is the event's touching agent);
    its key joins ``seen``."""
    key = touch_key_of(agent, event)
    agents, seen = state.agents, state.seen
    counted = key not in seen
    put(
        state,
        agents=agents if agent.id in agents else tuple(sorted((*agents, agent.id))),
        touches=state.touches + counted,
        seen=(*seen, key)[-SEEN_LIMIT:] if counted else seen,
        last_touch_at=latest(state.last_touch_at, event.at),
    )


def _add_candidate(state: TicketState, candidate: Candidate) -> None:
    key = candidate.key
    for c in state.candidates:  # a loop: a generator in any() costs twice as much here
        if c.key == key:
            return
    items = list(state.candidates)
    bisect.insort(items, candidate, key=lambda c: (c.at, c.key))
    put(state, candidates=tuple(items[:CANDIDATE_LIMIT]))
