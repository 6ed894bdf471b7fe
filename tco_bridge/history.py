"""A ticket's ordered history: every event evaluated at its own place in it.

Jira and Zendesk do not deliver in order. ``state.apply`` already merges events into the same
ownership state whatever the order, but rules must see the *change* an event made: the
ticket just before and just after it in the tool's order (timestamp, then key), not the
merged latest state. So each ticket keeps, beside its state, the ordered list of events it
has evaluated and what each one decided (marks, timers, owner change, action ids written).

* An event later than everything evaluated is the common case: it is evaluated on the
  current state, as before.
* An event that belongs *before* events already evaluated (it came late) is put in its
  place: the state just before it is rebuilt from the recorded decisions of the earlier
  events, the rules judge it as of its own time, and the later events are evaluated again
  with it in place, so the final state is the one an in-order run gives. A later event's
  actions that were already written are never written again; what the late event changed is
  written once.

Everything here is pure: the caller passes how an event is decided (``Decide``). About the
last :data:`KEEP` events are kept; older ones are folded into ``base``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol

from .events import TicketEvent
from .ownership import OwnershipPolicy
from .pipeline import Step, process
from .plan import Context, OwnerChange, OwnershipOnly, Plan
from .slotted import builder
from .state import TicketState, new_state

#: Events kept per ticket: up to KEEP + FOLD, then the oldest go into ``base`` down to
#: KEEP - FOLD (the fold decodes the kept events, so it runs once every few batches).
KEEP = 50
FOLD = 10

Decide = Callable[[TicketState, TicketEvent], Step]
Order = tuple[datetime, str]


def order(event: TicketEvent) -> Order:
    """The tool's own order: its timestamp, ties broken by the key naming the change."""
    return (event.at, event.key)


@dataclass(frozen=True, slots=True)
class Entry:
    """One evaluated event and what the rules decided for it."""

    event: TicketEvent
    marks: dict[str, Any] = field(default_factory=dict)
    timers_set: dict[str, datetime] = field(default_factory=dict)
    timers_cleared: frozenset[str] = frozenset()
    owner_change: OwnerChange | None = None
    sent: tuple[str, ...] = ()  # ids of the actions written for this event

    @property
    def order(self) -> Order:
        return order(self.event)

    def plan(self) -> Plan:
        """The recorded decision, without actions (they were written already)."""
        return Plan(
            timers_set=dict(self.timers_set),
            timers_cleared=set(self.timers_cleared),
            marks=dict(self.marks),
            owner_change=self.owner_change,
        )


class Kept(Protocol):
    """A ticket's history as stored: the fast path reads only its keys, last order and size;
    ``load`` decodes every event (a late event needs them)."""

    def keys(self) -> set[str]: ...

    def last(self) -> Order | None: ...

    def size(self) -> int: ...

    def has_base(self) -> bool: ...

    def load(self) -> History | None:
        """Every kept event decoded; None when they cannot be read."""


@dataclass(frozen=True, slots=True)
class History:
    entries: tuple[Entry, ...] = ()
    #: The state before ``entries[0]``; None means a new ticket.
    base: TicketState | None = None

    def keys(self) -> set[str]:
        return {e.event.key for e in self.entries}

    def last(self) -> Order | None:
        return self.entries[-1].order if self.entries else None

    def size(self) -> int:
        return len(self.entries)

    def has_base(self) -> bool:
        return self.base is not None

    def load(self) -> History:
        return self


@dataclass(frozen=True, slots=True)
class Outcome:
    state: TicketState
    plan: Plan
    #: The whole history when it was rebuilt, else None and ``appended`` holds what to add.
    history: History | None = None
    appended: tuple[Entry, ...] = ()
    #: Events placed before ones already evaluated, and later events evaluated again.
    late: int = 0
    replayed: int = 0
    #: Events older than the history kept: merged without rules.
    folded: int = 0


@dataclass(frozen=True, slots=True)
class _Recorded:
    """A rule book that answers with a decision taken before (to rebuild past states)."""

    ownership: OwnershipPolicy
    decision: Plan

    def evaluate(
        self, state: TicketState, trigger: TicketEvent, now: datetime, context: Context
    ) -> Plan:
        return self.decision


def replay(state: TicketState, entry: Entry, policy: OwnershipPolicy) -> TicketState:
    """The state after ``entry``, with the decision recorded for it (no rule runs)."""
    event = entry.event
    return process(state, event, _Recorded(policy, entry.plan()), event.at, Context()).state


def advance(
    state: TicketState,
    kept: Kept,
    events: Iterable[TicketEvent],
    decide: Decide,
    policy: OwnershipPolicy,
) -> Outcome:
    """Place ``events`` in the ticket's history and evaluate what they change."""
    known = kept.keys()
    fresh: dict[str, TicketEvent] = {}
    for event in events:
        # a key the state has seen is a repeat, even when older than the history kept: it
        # must not rewind (and re-evaluate) the whole kept history
        if event.key not in known and event.key not in state.seen:
            fresh.setdefault(event.key, event)
    new = sorted(fresh.values(), key=order)
    if not new:
        return Outcome(state, Plan())
    last = kept.last()
    legacy = last is None and not kept.has_base() and bool(state.seen)
    in_order = not legacy and (last is None or order(new[0]) > last)
    if in_order and kept.size() + len(new) <= KEEP + FOLD:
        return _extend(state, new, decide)  # the common case: nothing to decode
    # A ticket saved before histories were kept, or whose history cannot be read, starts one
    # from its state: events older than that state are merged without rules.
    history = None if legacy else kept.load()
    if history is None:
        legacy, history = True, History(base=state)
    if in_order or legacy:
        grown = _extend(state, new, decide)
        entries = (*history.entries, *grown.appended)
        return replace(grown, history=_trim(History(entries, history.base), policy), appended=())
    return _rewind(history, new, decide, policy)


def _extend(state: TicketState, new: list[TicketEvent], decide: Decide) -> Outcome:
    plan = Plan()
    appended = []
    for event in new:
        step = decide(state, event)
        state = step.state
        appended.append(_entry(event, step.plan, ()))
        plan.extend(step.plan)
    return Outcome(state, plan, appended=tuple(appended))


def _rewind(
    history: History, new: list[TicketEvent], decide: Decide, policy: OwnershipPolicy
) -> Outcome:
    base = history.base or new_state(new[0].connector, new[0].ticket)
    entries = list(history.entries)
    cut = order(new[0])
    horizon = base.updated_at
    too_old = [e for e in new if horizon is not None and e.at <= horizon]
    if too_old:
        # Older than the history kept: merged into the base for ownership, no rule runs.
        for event in too_old:
            base = process(base, event, OwnershipOnly(policy), event.at, Context()).state
        new = new[len(too_old) :]  # ``new`` is sorted, so the too old ones lead
        cut = min([order(e) for e in new] + [e.order for e in entries[:1]], default=cut)
    state = base
    prefix = [e for e in entries if e.order < cut]
    for entry in prefix:
        state = replay(state, entry, policy)
    earlier = {e.event.key: e for e in entries if e.order >= cut}
    written = {i for e in entries for i in e.sent}
    plan = Plan()
    out = list(prefix)
    for event in sorted([*new, *(e.event for e in earlier.values())], key=order):
        step = decide(state, event)
        state = step.state
        before = earlier.get(event.key)
        sent = before.sent if before is not None else ()
        step.plan.actions[:] = [a for a in step.plan.actions if a.id not in written]
        plan.extend(step.plan)
        out.append(_entry(event, step.plan, sent))
    trimmed = _trim(History(tuple(out), base), policy)
    return Outcome(state, plan, trimmed, (), len(new), len(earlier), len(too_old))


#: Built slot by slot (``slotted.py``): one entry per event evaluated, in every drain.
_new_entry = builder(Entry)


def _entry(event: TicketEvent, plan: Plan, sent: tuple[str, ...]) -> Entry:
    ids = (
        tuple(dict.fromkeys([*sent, *(a.id for a in plan.actions)])) if sent or plan.actions else ()
    )
    return _new_entry(
        event=event,
        marks=dict(plan.marks),
        timers_set=dict(plan.timers_set),
        timers_cleared=frozenset(plan.timers_cleared),
        owner_change=plan.owner_change,
        sent=ids,
    )


def _trim(history: History, policy: OwnershipPolicy) -> History:
    entries = history.entries
    if len(entries) <= KEEP:
        return history
    drop = len(entries) - KEEP + FOLD
    base = history.base or new_state(entries[0].event.connector, entries[0].event.ticket)
    for entry in entries[:drop]:
        base = replay(base, entry, policy)
    return History(entries[drop:], base)
