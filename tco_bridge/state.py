"""Per-ticket ownership state: the data and its history primitives.

The operations on it live beside it, by concept: ``ticket_apply`` (the pure
``apply(state, event, policy)``), ``contact_owner`` (who owns the contact) and ``escalation``
(the path through the groups). Deliveries arrive twice and out of order, so ``apply`` is built
to be order-insensitive:

* every event carries a ``key`` naming the happening; a key already seen is a no-op;
* scalar fields (status, priority, tags, ...) are last-writer-wins registers ordered by the
  tool's own timestamp, ties broken by key;
* assignee and group are kept as time-ordered histories (for the escalation path), and owner
  candidates as a time-ordered list; the owner is *derived* from them, never overwritten by
  arrival order.

Applying the same set of events in any order therefore gives the same state (see
``tests/core/test_state.py``). Nothing here does I/O or reads the clock.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .events import Status
from .ownership import OwnerTrigger
from .slotted import copier, setters

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
    #: When each timer last fired (its due time): a lead's view says when a deadline passed.
    timers_fired_at: dict[str, datetime] = field(default_factory=dict)
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


#: Each slot's own setter, and a copy written out field by field (``slotted.py``): about
#: twice as fast as a loop over the names, five times ``dataclasses.replace``.
_SETTERS = setters(TicketState)
_copy = copier(TicketState)


def evolve(state: TicketState, **changes: Any) -> TicketState:
    """``dataclasses.replace`` for the one hot type (the pipeline and the rules' plans copy
    states on every event), without replace's generic ``__init__`` round trip (about five
    times as fast): a :func:`draft` finished at once."""
    new = draft(state)
    put(new, **changes)
    return new


def draft(state: TicketState) -> TicketState:
    """A private copy to change in place with :func:`put`: ``apply`` makes all of an event's
    changes on one copy instead of one copy per change. Nobody else may hold a draft until
    it is finished, since a state is otherwise immutable."""
    return _copy(state)


def put(draft: TicketState, **changes: Any) -> None:
    """Set fields of a :func:`draft` in place (never of a state someone else holds)."""
    for name, value in changes.items():
        try:
            setter = _SETTERS[name]
        except KeyError:
            raise TypeError(f"TicketState has no field {name!r}") from None
        setter(draft, value)


def new_state(connector: str, ticket: str) -> TicketState:
    return TicketState(connector=connector, ticket=ticket)


# --- history primitives (shared by apply, owner derivation and the escalation path) ---


def latest(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


def earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


def _wins(registers: dict[str, Change], name: str, change: Change) -> bool:
    """Last writer wins: a register takes a change later than the one it holds."""
    current = registers.get(name)
    return current is None or current.order < change.order


def set_register(state: TicketState, name: str, change: Change) -> TicketState:
    if not _wins(state.registers, name, change):
        return state
    return evolve(state, registers={**state.registers, name: change})


def put_register(draft: TicketState, name: str, change: Change) -> None:
    """:func:`set_register` on a :func:`draft`."""
    if _wins(draft.registers, name, change):
        put(draft, registers={**draft.registers, name: change})


def insert_change(history: tuple[Change, ...], change: Change) -> tuple[Change, ...]:
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
