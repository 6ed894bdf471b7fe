"""Ownership metrics for team leads, computed from ticket states (pure).

Per contact owner (or per front-line team):

* ``open`` / ``done``: tickets owned now, and owned tickets resolved or closed;
* ``first_contact_resolution``: share of done tickets resolved without ever leaving the front
  line, by the owner (or with no resolver recorded);
* ``escalation_minutes``: mean time done-or-open tickets spent with escalation groups; a stay
  ends when the ticket leaves the group or is resolved or closed (:func:`escalation_seconds`);
* ``touches``: mean agent touches (agent actions, see ``touches.py``) per ticket;
* ``first_response_minutes``: mean time from creation to the first public agent reply;
* ``cadence_compliance``: customer updates / (customer updates + update deadlines missed),
  where a missed deadline is a firing of the cadence timer (``customer_update_due`` in the
  default rules) — 1.0 means no customer ever waited past the cadence.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .escalation import Segment, escalation_path
from .events import Status
from .ownership import OwnershipPolicy
from .state import TicketState, value_at

CADENCE_TIMER = "customer_update_due"


@dataclass
class _Tally:
    open: int = 0
    done: int = 0
    fcr: int = 0
    escalated: int = 0
    escalation_s: list[float] = field(default_factory=list)
    touches: list[int] = field(default_factory=list)
    first_response_s: list[float] = field(default_factory=list)
    updates: int = 0
    missed: int = 0

    def row(self, key: str) -> dict[str, Any]:
        answered = self.updates + self.missed
        return {
            "key": key,
            "open": self.open,
            "done": self.done,
            "escalated": self.escalated,
            "first_contact_resolution": _ratio(self.fcr, self.done),
            "escalation_minutes": _mean_minutes(self.escalation_s),
            "touches": round(sum(self.touches) / len(self.touches), 2) if self.touches else None,
            "first_response_minutes": _mean_minutes(self.first_response_s),
            "customer_updates": self.updates,
            "update_deadlines_missed": self.missed,
            "cadence_compliance": _ratio(self.updates, answered),
        }


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 3) if b else None


def _mean_minutes(values: list[float]) -> float | None:
    return round(sum(values) / len(values) / 60, 1) if values else None


def team_of(state: TicketState) -> str | None:
    """The front-line team that took the contact: the group when the owner took it."""
    owner = state.owner
    if owner is None:
        return None
    if owner.kind == "team":
        return owner.id
    group = value_at(state.groups, owner.since)
    return str(group) if group is not None else None


def escalation_seconds(state: TicketState, path: list[Segment], now: datetime) -> float:
    """Time spent with escalation groups: each stay runs until the ticket left the group,
    else until it was resolved or closed (when it is not open now), else until ``now``."""
    done_at = None if state.is_open else _earliest(state.resolved_at, state.closed_at)
    total = 0.0
    for segment in path:
        end = segment.left_at
        if end is None:
            end = done_at if done_at is not None and done_at >= segment.entered_at else now
        total += max(0.0, (end - segment.entered_at).total_seconds())
    return total


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    return min(x for x in (a, b) if x is not None) if (a or b) else None


def ownership_metrics(
    states: Iterable[TicketState], policy: OwnershipPolicy, now: datetime, by: str = "owner"
) -> list[dict[str, Any]]:
    """One row per owner (``by="owner"``) or per team (``by="team"``), busiest first."""
    tallies: dict[str, _Tally] = defaultdict(_Tally)
    for state in states:
        if state.owner is None or state.deleted:
            continue
        key = state.owner.id if by == "owner" else team_of(state)
        if key is None:
            continue
        _count(tallies[key], state, policy, now)
    rows = [t.row(k) for k, t in tallies.items()]
    return sorted(rows, key=lambda r: (-(r["open"] + r["done"]), r["key"]))


def _count(t: _Tally, state: TicketState, policy: OwnershipPolicy, now: datetime) -> None:
    path = escalation_path(state, policy)
    done = state.status in (Status.RESOLVED, Status.CLOSED)
    t.done += done
    t.open += state.is_open
    t.escalated += bool(path)
    owner = state.owner.id if state.owner else None
    if done and not path and state.resolved_by in (None, owner):
        t.fcr += 1
    if path:
        t.escalation_s.append(escalation_seconds(state, path, now))
    t.touches.append(state.touches)
    if state.created_at and state.first_response_at:
        t.first_response_s.append((state.first_response_at - state.created_at).total_seconds())
    t.updates += state.customer_updates
    t.missed += state.timers_fired.get(CADENCE_TIMER, 0)
