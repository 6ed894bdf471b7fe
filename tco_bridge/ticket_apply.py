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
from .events import ActorKind, EventType, Snapshot, Status, TicketEvent
from .ownership import OwnershipPolicy, OwnerTrigger
from .state import (
    CANDIDATE_LIMIT,
    SEEN_LIMIT,
    SNAPSHOT_FIELD,
    Candidate,
    Change,
    TicketState,
    earliest,
    evolve,
    insert_change,
    latest,
    set_register,
    value_at,
)
from .touches import touch_key, touching_agent


def apply(state: TicketState, event: TicketEvent, policy: OwnershipPolicy) -> TicketState:
    """Return the state after ``event``. Duplicates (same key) return ``state`` unchanged."""
    if event.key in state.seen:
        return state
    seen = (*state.seen, event.key)[-SEEN_LIMIT:]
    state = evolve(state, seen=seen, updated_at=latest(state.updated_at, event.at))
    if event.actor is not None and event.actor.kind is ActorKind.BRIDGE:
        return _apply_own_write(state, event)
    if event.snapshot is not None:
        state = _apply_snapshot(state, event, event.snapshot)
    event = _recognise_requester(state, event)
    handler = _HANDLERS.get(event.type)
    if handler is not None:
        state = handler(state, event)
    if touching_agent(event) is not None:
        state = _touch(state, event)
    owner = derive_owner(state, policy)
    return state if owner == state.owner else evolve(state, owner=owner)


def _apply_own_write(state: TicketState, event: TicketEvent) -> TicketState:
    """Loop guard: the bridge's own write-backs come back as webhooks. What they did to the
    ticket (status, assignee, group, fields) is recorded so the state matches the tool, but
    they are never agent touches, comments or owner candidates, and trigger no rule."""
    state = evolve(state, bridge_events=state.bridge_events + 1)
    if event.snapshot is not None:
        state = _apply_snapshot(state, event, event.snapshot)
    if event.type in _OWN_WRITE_HANDLERS:
        state = _OWN_WRITE_HANDLERS[event.type](state, event)
    return state


def apply_all(
    state: TicketState, events: Iterable[TicketEvent], policy: OwnershipPolicy
) -> TicketState:
    """Apply events in the tool's time order (ties by key)."""
    for event in sorted(events, key=lambda e: (e.at, e.key)):
        state = apply(state, event, policy)
    return state


def _apply_snapshot(state: TicketState, event: TicketEvent, snap: Snapshot) -> TicketState:
    def reg(name: str, value: Any, label: str | None = None) -> None:
        nonlocal state
        if value is not None:
            state = set_register(state, name, Change(event.at, event.key, value, label))

    reg("status", snap.status.value if snap.status else None, snap.raw_status)
    reg("priority", snap.priority)
    reg("summary", snap.summary)
    reg("type", snap.type)
    reg("tags", list(snap.tags))
    for name, value in snap.fields.items():
        if isinstance(value, str | int | float | bool):
            reg(f"field:{name}", value)
    if snap.requester and state.requester is None:
        state = evolve(state, requester=snap.requester)
    if snap.created_at is not None:
        state = evolve(state, created_at=earliest(state.created_at, snap.created_at))
    # Assignee and group from a snapshot only fill gaps a lost change event left behind.
    marker = f"{event.key}#snapshot"
    if snap.assignee is not None or event.type is EventType.CREATED:
        if value_at(state.assignees, event.at) != snap.assignee:
            change = Change(event.at, marker, snap.assignee, snap.assignee_name)
            state = evolve(state, assignees=insert_change(state.assignees, change))
    if snap.group is not None and value_at(state.groups, event.at) != snap.group:
        state = evolve(
            state, groups=insert_change(state.groups, Change(event.at, marker, snap.group))
        )
    return state


def _on_created(state: TicketState, event: TicketEvent) -> TicketState:
    state = evolve(state, created_at=earliest(state.created_at, event.at))
    snap = event.snapshot
    if snap is not None and snap.assignee:
        candidate = Candidate(
            event.at,
            f"{event.key}#assignee",
            snap.assignee,
            snap.assignee_name,
            OwnerTrigger.FIRST_ASSIGNMENT,
        )
        state = _add_candidate(state, candidate)
    actor = event.actor
    if actor is not None and actor.kind is ActorKind.AGENT and actor.id != state.requester:
        state = _add_candidate(
            state, Candidate(event.at, event.key, actor.id, actor.name, OwnerTrigger.AGENT_CREATED)
        )
    return state


def _on_comment(state: TicketState, event: TicketEvent) -> TicketState:
    comment = event.comment
    if comment is None:
        return state
    author = comment.author or event.actor
    kind = author.kind if author else ActorKind.UNKNOWN
    if kind is ActorKind.BRIDGE:
        return evolve(state, bridge_events=state.bridge_events + 1)
    if kind is ActorKind.REQUESTER:
        state = evolve(
            state, last_requester_reply_at=latest(state.last_requester_reply_at, event.at)
        )
        if state.status in (Status.RESOLVED, Status.CLOSED):
            state = evolve(state, reopens=tuple(sorted({*state.reopens, event.at})))
        return state
    if kind is not ActorKind.AGENT or author is None:
        return state
    if not comment.public:
        return evolve(state, last_internal_note_at=latest(state.last_internal_note_at, event.at))
    state = evolve(
        state,
        first_response_at=earliest(state.first_response_at, event.at),
        last_customer_update_at=latest(state.last_customer_update_at, event.at),
        customer_updates=state.customer_updates + 1,
    )
    return _add_candidate(
        state,
        Candidate(event.at, event.key, author.id, author.name, OwnerTrigger.FIRST_PUBLIC_REPLY),
    )


def _on_assignee(state: TicketState, event: TicketEvent) -> TicketState:
    state = _record_assignee(state, event)
    if event.after:
        state = _add_candidate(
            state,
            Candidate(
                event.at, event.key, event.after, event.after_name, OwnerTrigger.FIRST_ASSIGNMENT
            ),
        )
    return _escalation_candidate(state, event)


def _escalation_candidate(state: TicketState, event: TicketEvent) -> TicketState:
    """An agent moving the ticket (group or assignee) may be escalating it: a candidate whose
    test (did the move take it from the front line to an escalation group?) is made when the
    owner is derived, once every change at that instant is known."""
    actor = event.actor
    if actor is None or actor.kind is not ActorKind.AGENT or actor.id == event.after:
        return state
    candidate = Candidate(
        event.at, f"{event.key}#escalated", actor.id, actor.name, OwnerTrigger.ESCALATED
    )
    return _add_candidate(state, candidate)


def _record_assignee(state: TicketState, event: TicketEvent) -> TicketState:
    change = Change(event.at, event.key, event.after, event.after_name, _actor_id(event))
    return evolve(state, assignees=insert_change(state.assignees, change))


def _on_group(state: TicketState, event: TicketEvent) -> TicketState:
    state = _record_group(state, event)
    return _escalation_candidate(state, event)


def _record_group(state: TicketState, event: TicketEvent) -> TicketState:
    change = Change(event.at, event.key, event.after, event.after_name, _actor_id(event))
    return evolve(state, groups=insert_change(state.groups, change))


def _on_status(state: TicketState, event: TicketEvent) -> TicketState:
    if event.after is None:
        return state
    state = set_register(state, "status", Change(event.at, event.key, event.after, None))
    if event.after == Status.RESOLVED and (
        state.resolved_at is None or event.at >= state.resolved_at
    ):
        state = evolve(state, resolved_at=event.at, resolved_by=_actor_id(event))
    if event.after == Status.CLOSED:
        state = evolve(state, closed_at=latest(state.closed_at, event.at))
    return state


def _on_priority(state: TicketState, event: TicketEvent) -> TicketState:
    return set_register(state, "priority", Change(event.at, event.key, event.after, None))


def _on_field(state: TicketState, event: TicketEvent) -> TicketState:
    if not event.field or event.field == SNAPSHOT_FIELD:
        return state  # a whole-ticket snapshot: already applied from event.snapshot
    name = "tags" if event.field in ("tags", "labels") else f"field:{event.field}"
    value: Any = event.after
    if name == "tags" and isinstance(event.after, str):
        value = [t for t in event.after.replace(",", " ").split() if t]
    return set_register(state, name, Change(event.at, event.key, value, None))


def _on_deleted(state: TicketState, event: TicketEvent) -> TicketState:
    return evolve(state, deleted=True)


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


def _touch(state: TicketState, event: TicketEvent) -> TicketState:
    """Count the action once (see ``touches.py``); its key joins ``seen``."""
    agent = touching_agent(event)
    key = touch_key(event)
    agents = state.agents
    if agent is not None and agent.id not in agents:
        agents = tuple(sorted((*agents, agent.id)))
    counted = key is not None and key not in state.seen
    return evolve(
        state,
        touches=state.touches + counted,
        seen=(*state.seen, key)[-SEEN_LIMIT:] if counted and key else state.seen,
        agents=agents,
        last_touch_at=latest(state.last_touch_at, event.at),
    )


def _add_candidate(state: TicketState, candidate: Candidate) -> TicketState:
    if any(c.key == candidate.key for c in state.candidates):
        return state
    items = list(state.candidates)
    bisect.insort(items, candidate, key=lambda c: (c.at, c.key))
    return evolve(state, candidates=tuple(items[:CANDIDATE_LIMIT]))
