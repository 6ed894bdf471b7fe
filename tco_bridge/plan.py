"""What rule evaluation returns, and the contract a rule book fulfils.

``evaluate`` is pure: given a ticket's state, the event (or fired timer) that woke it and the
time, it returns a :class:`Plan`. The worker and ``simulate`` then carry the plan out (or print
it); nothing in a plan has happened yet.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from .actions import Action
from .events import TicketEvent
from .ownership import OwnershipPolicy
from .state import TicketState


@dataclass(frozen=True, slots=True)
class Away:
    """An agent marked away: who covers, and until when (None: until marked back)."""

    agent: str
    backup: str | None = None
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class Context:
    """Facts beyond one ticket that rules may read; gathered by the caller, never fetched here."""

    #: Open tickets owned per agent (for workload caps).
    workload: Mapping[str, int] = field(default_factory=dict)
    #: Agents currently away.
    away: Mapping[str, Away] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class OwnerChange:
    agent: str | None  # None hands the contact back to the derived owner
    name: str | None
    reason: str


@dataclass(slots=True)
class Plan:
    actions: list[Action] = field(default_factory=list)
    timers_set: dict[str, datetime] = field(default_factory=dict)
    timers_cleared: set[str] = field(default_factory=set)
    marks: dict[str, Any] = field(default_factory=dict)
    owner_change: OwnerChange | None = None
    #: Human-readable lines: why each rule fired (simulate and logs show them).
    notes: list[str] = field(default_factory=list)
    #: Per timer set: how its deadline was computed ("from 09:12 + 4bh on office = 13:12").
    timer_notes: dict[str, str] = field(default_factory=dict)

    def is_empty(self) -> bool:
        """Nothing decided (most events under most rules)."""
        return not (
            self.actions
            or self.timers_set
            or self.timers_cleared
            or self.marks
            or self.owner_change
            or self.notes
            or self.timer_notes
        )

    def extend(self, other: Plan) -> None:
        if other.is_empty():
            return
        self.actions.extend(other.actions)
        for name in other.timers_cleared:
            self.timers_set.pop(name, None)
        self.timers_set.update(other.timers_set)
        self.timers_cleared |= other.timers_cleared - set(other.timers_set)
        self.marks.update(other.marks)
        self.owner_change = other.owner_change or self.owner_change
        self.notes.extend(other.notes)
        self.timer_notes.update(other.timer_notes)


class Rulebook(Protocol):
    """A loaded rules file: the ownership policy plus the practices as rules."""

    @property
    def ownership(self) -> OwnershipPolicy: ...

    def evaluate(
        self, state: TicketState, trigger: TicketEvent, now: datetime, context: Context
    ) -> Plan: ...


@dataclass(frozen=True, slots=True)
class OwnershipOnly:
    """A rule book with no rules: ownership tracking and the owner mirror only."""

    ownership: OwnershipPolicy = field(default_factory=OwnershipPolicy)

    def evaluate(
        self, state: TicketState, trigger: TicketEvent, now: datetime, context: Context
    ) -> Plan:
        return Plan()
