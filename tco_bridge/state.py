"""Per-ticket ownership state and the pure ``apply(state, event, policy)`` that updates it.

Deliveries arrive twice and out of order, so ``apply`` is built to be order-insensitive:

* every event carries a ``key`` naming the happening; a key already seen is a no-op;
* scalar fields (status, priority, tags, ...) are last-writer-wins registers ordered by the
  tool's own timestamp, ties broken by key;
* assignee and group are kept as time-ordered histories (for the escalation path), and owner
  candidates as a time-ordered list; the owner is *derived* from them, never overwritten by
  arrival order.

Applying the same set of events in any order therefore gives the same state (see
``tests/test_state.py``). Nothing here does I/O or reads the clock.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from typing import Any

from .events import ActorKind, EventType, Snapshot, Status, TicketEvent
from .ownership import Model, OwnershipPolicy, OwnerTrigger
from .touches import touch_key, touching_agent

HISTORY_LIMIT = 100
CANDIDATE_LIMIT = 20
SEEN_LIMIT = 500
#: ``field.changed`` with this field carries a full snapshot and no single change (reconcile,
#: Zendesk trigger bodies).
SNAPSHOT_FIELD = "snapshot"
OPEN_STATUSES = frozenset({Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD})


@dataclass(frozen=True, slots=True)
class Change:
    """A value a field took at a moment; ``key`` is the event that said so."""

    at: datetime
    key: str
    value: Any
    name: str | None = None
    by: str | None = None

    @property
    def order(self) -> tuple[datetime, str]:
        return (self.at, self.key)


@dataclass(frozen=True, slots=True)
class Candidate:
    """An agent touch that could make an agent (or their group) the contact owner."""

    at: datetime
    key: str
    agent: str
    name: str | None
    via: OwnerTrigger


@dataclass(frozen=True, slots=True)
class Owner:
    id: str
    name: str | None
    kind: str  # "agent" or "team"
    since: datetime
    via: str  # an OwnerTrigger value, or "override"


@dataclass(frozen=True, slots=True)
class Segment:
    """One stay of the ticket with an escalation group."""

    group: str
    entered_at: datetime
    left_at: datetime | None
    assignee: str | None
    picked_up_at: datetime | None


@dataclass(frozen=True, slots=True)
class TicketState:
    connector: str
    ticket: str
    created_at: datetime | None = None
    requester: str | None = None
    registers: dict[str, Change] = field(default_factory=dict)
    assignees: tuple[Change, ...] = ()
    groups: tuple[Change, ...] = ()
    candidates: tuple[Candidate, ...] = ()
    reopens: tuple[datetime, ...] = ()
    owner_override: Change | None = None
    owner: Owner | None = None
    owner_mirrored: str | None = None
    touches: int = 0
    customer_updates: int = 0
    timers_fired: dict[str, int] = field(default_factory=dict)
    agents: tuple[str, ...] = ()
    first_response_at: datetime | None = None
    last_customer_update_at: datetime | None = None
    last_requester_reply_at: datetime | None = None
    last_internal_note_at: datetime | None = None
    last_touch_at: datetime | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    closed_at: datetime | None = None
    deleted: bool = False
    updated_at: datetime | None = None
    bridge_events: int = 0
    timers: dict[str, datetime] = field(default_factory=dict)
    marks: dict[str, Any] = field(default_factory=dict)
    seen: tuple[str, ...] = ()

    # --- read helpers -------------------------------------------------------------------
    def register(self, name: str) -> Any:
        change = self.registers.get(name)
        return change.value if change else None

    @property
    def key(self) -> str:
        return f"{self.connector}:{self.ticket}"

    @property
    def status(self) -> Status | None:
        value = self.register("status")
        return Status(value) if value else None

    @property
    def priority(self) -> str | None:
        value: str | None = self.register("priority")
        return value

    @property
    def tags(self) -> tuple[str, ...]:
        return tuple(self.register("tags") or ())

    @property
    def assignee(self) -> str | None:
        return self.assignees[-1].value if self.assignees else None

    @property
    def assignee_name(self) -> str | None:
        return self.assignees[-1].name if self.assignees else None

    @property
    def group(self) -> str | None:
        return self.groups[-1].value if self.groups else None

    @property
    def is_open(self) -> bool:
        return not self.deleted and (self.status is None or self.status in OPEN_STATUSES)

    @property
    def is_owned_now(self) -> bool:
        """Ownership lasts until the customer confirms: open, or resolved and awaiting the
        customer's confirmation (not yet closed)."""
        return self.is_open or (not self.deleted and self.status is Status.RESOLVED)


_STATE_FIELDS = tuple(f.name for f in fields(TicketState))
_set = object.__setattr__


def _evolve(state: TicketState, **changes: Any) -> TicketState:
    """``dataclasses.replace`` for the one hot type: apply() makes several copies per event,
    and this skips replace's generic __init__ round trip (about twice as fast)."""
    new = object.__new__(TicketState)
    for name in _STATE_FIELDS:
        _set(new, name, changes[name] if name in changes else getattr(state, name))
    return new


def new_state(connector: str, ticket: str) -> TicketState:
    return TicketState(connector=connector, ticket=ticket)


# --- apply ------------------------------------------------------------------------------


def apply(state: TicketState, event: TicketEvent, policy: OwnershipPolicy) -> TicketState:
    """Return the state after ``event``. Duplicates (same key) return ``state`` unchanged."""
    if event.key in state.seen:
        return state
    seen = (*state.seen, event.key)[-SEEN_LIMIT:]
    state = _evolve(state, seen=seen, updated_at=_latest(state.updated_at, event.at))
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
    return _evolve(state, owner=derive_owner(state, policy))


def _apply_own_write(state: TicketState, event: TicketEvent) -> TicketState:
    """Loop guard: the bridge's own write-backs come back as webhooks. What they did to the
    ticket (status, assignee, group, fields) is recorded so the state matches the tool, but
    they are never agent touches, comments or owner candidates, and trigger no rule."""
    state = _evolve(state, bridge_events=state.bridge_events + 1)
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


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


def _set_register(state: TicketState, name: str, change: Change) -> TicketState:
    current = state.registers.get(name)
    if current is not None and current.order >= change.order:
        return state
    return _evolve(state, registers={**state.registers, name: change})


def _insert(history: tuple[Change, ...], change: Change) -> tuple[Change, ...]:
    if any(c.key == change.key for c in history):
        return history
    items = list(history)
    bisect.insort(items, change, key=lambda c: c.order)
    return tuple(items[-HISTORY_LIMIT:])


def value_at(history: tuple[Change, ...], at: datetime) -> Any:
    """The value a history held at ``at`` (inclusive), or None before its first change."""
    value = None
    for change in history:
        if change.at > at:
            break
        value = change.value
    return value


def value_before(history: tuple[Change, ...], at: datetime) -> Any:
    """The value a history held just before ``at`` (every change at ``at`` left out)."""
    value = None
    for change in history:
        if change.at >= at:
            break
        value = change.value
    return value


def _apply_snapshot(state: TicketState, event: TicketEvent, snap: Snapshot) -> TicketState:
    def reg(name: str, value: Any, label: str | None = None) -> None:
        nonlocal state
        if value is not None:
            state = _set_register(state, name, Change(event.at, event.key, value, label))

    reg("status", snap.status.value if snap.status else None, snap.raw_status)
    reg("priority", snap.priority)
    reg("summary", snap.summary)
    reg("type", snap.type)
    reg("tags", list(snap.tags))
    for name, value in snap.fields.items():
        if isinstance(value, str | int | float | bool):
            reg(f"field:{name}", value)
    if snap.requester and state.requester is None:
        state = _evolve(state, requester=snap.requester)
    if snap.created_at is not None:
        state = _evolve(state, created_at=_earliest(state.created_at, snap.created_at))
    # Assignee and group from a snapshot only fill gaps a lost change event left behind.
    marker = f"{event.key}#snapshot"
    if snap.assignee is not None or event.type is EventType.CREATED:
        if value_at(state.assignees, event.at) != snap.assignee:
            change = Change(event.at, marker, snap.assignee, snap.assignee_name)
            state = _evolve(state, assignees=_insert(state.assignees, change))
    if snap.group is not None and value_at(state.groups, event.at) != snap.group:
        state = _evolve(state, groups=_insert(state.groups, Change(event.at, marker, snap.group)))
    return state


def _on_created(state: TicketState, event: TicketEvent) -> TicketState:
    state = _evolve(state, created_at=_earliest(state.created_at, event.at))
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
        return _evolve(state, bridge_events=state.bridge_events + 1)
    if kind is ActorKind.REQUESTER:
        state = replace(
            state, last_requester_reply_at=_latest(state.last_requester_reply_at, event.at)
        )
        if state.status in (Status.RESOLVED, Status.CLOSED):
            state = _evolve(state, reopens=tuple(sorted({*state.reopens, event.at})))
        return state
    if kind is not ActorKind.AGENT or author is None:
        return state
    if not comment.public:
        return _evolve(state, last_internal_note_at=_latest(state.last_internal_note_at, event.at))
    state = replace(
        state,
        first_response_at=_earliest(state.first_response_at, event.at),
        last_customer_update_at=_latest(state.last_customer_update_at, event.at),
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
    return _evolve(state, assignees=_insert(state.assignees, change))


def _on_group(state: TicketState, event: TicketEvent) -> TicketState:
    state = _record_group(state, event)
    return _escalation_candidate(state, event)


def _record_group(state: TicketState, event: TicketEvent) -> TicketState:
    change = Change(event.at, event.key, event.after, event.after_name, _actor_id(event))
    return _evolve(state, groups=_insert(state.groups, change))


def _on_status(state: TicketState, event: TicketEvent) -> TicketState:
    if event.after is None:
        return state
    state = _set_register(state, "status", Change(event.at, event.key, event.after, None))
    if event.after == Status.RESOLVED and (
        state.resolved_at is None or event.at >= state.resolved_at
    ):
        state = _evolve(state, resolved_at=event.at, resolved_by=_actor_id(event))
    if event.after == Status.CLOSED:
        state = _evolve(state, closed_at=_latest(state.closed_at, event.at))
    return state


def _on_priority(state: TicketState, event: TicketEvent) -> TicketState:
    return _set_register(state, "priority", Change(event.at, event.key, event.after, None))


def _on_field(state: TicketState, event: TicketEvent) -> TicketState:
    if not event.field or event.field == SNAPSHOT_FIELD:
        return state  # a whole-ticket snapshot: already applied from event.snapshot
    name = "tags" if event.field in ("tags", "labels") else f"field:{event.field}"
    value: Any = event.after
    if name == "tags" and isinstance(event.after, str):
        value = [t for t in event.after.replace(",", " ").split() if t]
    return _set_register(state, name, Change(event.at, event.key, value, None))


def _on_deleted(state: TicketState, event: TicketEvent) -> TicketState:
    return _evolve(state, deleted=True)


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
    return replace(
        state,
        touches=state.touches + counted,
        seen=(*state.seen, key)[-SEEN_LIMIT:] if counted and key else state.seen,
        agents=agents,
        last_touch_at=_latest(state.last_touch_at, event.at),
    )


def _add_candidate(state: TicketState, candidate: Candidate) -> TicketState:
    if any(c.key == candidate.key for c in state.candidates):
        return state
    items = list(state.candidates)
    bisect.insort(items, candidate, key=lambda c: (c.at, c.key))
    return _evolve(state, candidates=tuple(items[:CANDIDATE_LIMIT]))


# --- derived views ----------------------------------------------------------------------


def derive_owner(state: TicketState, policy: OwnershipPolicy) -> Owner | None:
    """The contact owner: an explicit override, else the first qualifying front-line touch."""
    if state.owner_override is not None and state.owner_override.value:
        o = state.owner_override
        return Owner(str(o.value), o.name, "agent", o.at, "override")
    since = state.reopens[-1] if policy.model is Model.NONE and state.reopens else None
    for c in state.candidates:
        if c.via not in policy.triggers or (since is not None and c.at < since):
            continue
        group = value_at(state.groups, c.at)
        if c.via is OwnerTrigger.ESCALATED:
            # The agent acted from the front line and the ticket left it at that instant.
            if policy.is_frontline(group):
                continue
            group = value_before(state.groups, c.at)
        if not policy.is_frontline(group):
            continue
        if policy.model is Model.TEAM:
            if group is None:
                continue
            return Owner(str(group), None, "team", c.at, c.via.value)
        return Owner(c.agent, c.name, "agent", c.at, c.via.value)
    return None


def set_owner_override(
    state: TicketState,
    agent: str | None,
    name: str | None,
    at: datetime,
    reason: str,
    policy: OwnershipPolicy,
) -> TicketState:
    """Hand the contact to someone explicitly (handover, a rule's reassign); None hands it back."""
    change = Change(at, f"override:{reason}:{at.isoformat()}", agent, name)
    state = _evolve(state, owner_override=change)
    return _evolve(state, owner=derive_owner(state, policy))


def keep_owner(before: TicketState, after: TicketState, policy: OwnershipPolicy) -> TicketState:
    """An owner once announced is never dropped silently.

    The derived owner can move when a change arrives that re-reads earlier touches (the ticket
    left the front line at the instant of the owner's touch, a late delivery from before it).
    A move to someone else is kept (rules see ``owner.changed`` and explain it; the mirror is
    rewritten), but a move to nobody is not: the announced owner stays unless something
    explicit moves the contact: a rule's handover or hand-back (an override), or, in model
    ``none``, a reopen that gives the contact to the next free agent (rules see that as
    ``owner.released``)."""
    old, new = before.owner, after.owner
    if old is None or new is not None:
        return after
    if after.owner_override != before.owner_override:
        return after
    if policy.model is Model.NONE and after.reopens != before.reopens:
        return after
    return _evolve(after, owner=old)


def escalation_path(state: TicketState, policy: OwnershipPolicy) -> list[Segment]:
    """Stays with non-front-line groups: entered/left times and who picked the ticket up."""
    segments: list[Segment] = []
    groups = _collapsed(state.groups)
    for i, change in enumerate(groups):
        if change.value is None or policy.is_frontline(change.value):
            continue
        left = groups[i + 1].at if i + 1 < len(groups) else None
        pick = next(
            (
                a
                for a in state.assignees
                if a.value and a.at >= change.at and (left is None or a.at < left)
            ),
            None,
        )
        segments.append(
            Segment(
                str(change.value),
                change.at,
                left,
                pick.value if pick else None,
                pick.at if pick else None,
            )
        )
    return segments


def _collapsed(history: tuple[Change, ...]) -> list[Change]:
    out: list[Change] = []
    for change in history:
        if not out or out[-1].value != change.value:
            out.append(change)
    return out


def is_escalated(state: TicketState, policy: OwnershipPolicy) -> bool:
    return state.group is not None and not policy.is_frontline(state.group)
