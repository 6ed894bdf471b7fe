"""What a team lead watches, from ticket states and the time (pure): customer updates overdue
or due soon, and escalations whose pickup or per-group target is at risk or breached.

Timer names follow the shipped rules (``rules/default.yaml``): ``customer_update_warn`` /
``customer_update_due`` / ``customer_update_overdue`` for the update cadence and
``pickup_due`` for a warm transfer; the mark ``update_cycles_missed`` counts the update
deadlines missed since the last update, and past the rules' cap on it the reminders stop;
``confirm_reminder`` / ``confirm_reminders`` ask a requester to confirm a resolution. A
group's response and resolution targets are read from the current stay's record
(``rules/targets.py``: the rules' ``escalation_targets``), not from timers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from .escalation import escalation_path
from .events import Status
from .ownership import OwnershipPolicy
from .plan import Rulebook
from .rules.engine import RuleSet
from .rules.targets import Stay, stays
from .state import TicketState

UPDATE_WARN = "customer_update_warn"
UPDATE_DUE = "customer_update_due"
UPDATE_OVERDUE = "customer_update_overdue"
CYCLES_MISSED = "update_cycles_missed"  # mark: deadlines missed since the last update
CONFIRMED = "confirmed"  # mark: the requester confirmed the resolution
CONFIRM_REMINDER = "confirm_reminder"
CONFIRM_REMINDERS = "confirm_reminders"  # mark: reminders sent to the requester so far
PICKUP = "pickup_due"
AT_RISK_SHARE = 0.25  # at risk once less than this share of the allowed time is left


def _base(state: TicketState) -> dict[str, Any]:
    owner = state.owner
    return {
        "connector": state.connector,
        "ticket": state.ticket,
        "summary": state.register("summary"),
        "priority": state.priority,
        "owner": owner.id if owner else None,
        "owner_name": owner.name if owner else None,
        "assignee": state.assignee,
        "group": state.group,
    }


def update_watch(
    states: Iterable[TicketState], now: datetime, cap: int | None = None
) -> list[dict[str, Any]]:
    """Open tickets whose customer update is overdue or whose warning has passed; ``cap``:
    the cycles missed after which the rules stop reminding (``RuleSet.bound``)."""
    rows = []
    for s in states:
        if s.owner is None or s.status not in _CADENCED:
            continue
        state = _update_state(s, now)
        if state is None:
            continue
        escalate_at = s.timers.get(UPDATE_OVERDUE)
        missed = int(s.marks.get(CYCLES_MISSED) or 0)
        # Told once the overdue timer fired in this spell: with none pending, either the
        # cadence stopped (no due timer) or it re-armed the next cycle (deadlines missed).
        spell = missed > 0 or s.timers.get(UPDATE_DUE) is None
        told = spell and escalate_at is None and bool(s.timers_fired.get(UPDATE_OVERDUE))
        rows.append(
            {
                **_base(s),
                "state": state,
                "last_update": s.last_customer_update_at or s.created_at,
                "due": s.timers.get(UPDATE_DUE),
                "missed": missed,
                "past_cap": cap is not None and missed >= cap,
                "lead_at": escalate_at,
                "lead_told": told,
            }
        )
    return sorted(rows, key=lambda r: (r["state"] != "overdue", r["last_update"] or now))


_CADENCED = (None, Status.NEW, Status.OPEN)  # the shipped rules nudge only while open


def confirmation_watch(states: Iterable[TicketState], now: datetime) -> list[dict[str, Any]]:
    """Resolved tickets whose owner still waits for the requester's confirmation, the
    longest waiting first: ownership lasts until then."""
    rows = []
    for s in states:
        if s.owner is None or s.deleted or s.status is not Status.RESOLVED:
            continue
        if s.marks.get(CONFIRMED):
            continue
        resolved = s.resolved_at or s.updated_at or now
        rows.append(
            {
                **_base(s),
                "resolved_at": resolved,
                "waiting_s": (now - resolved).total_seconds(),
                "reminder": s.timers.get(CONFIRM_REMINDER),
                "reminders": int(s.marks.get(CONFIRM_REMINDERS) or 0),
            }
        )
    return sorted(rows, key=lambda r: r["resolved_at"])


def _update_state(s: TicketState, now: datetime) -> str | None:
    if s.marks.get(CYCLES_MISSED):
        # The shipped cadence recurs: a missed deadline re-arms the next cycle from its nudge,
        # so the due timer is in the future again while the requester still waits.
        return "overdue"
    due = s.timers.get(UPDATE_DUE)
    if due is None:
        # The deadline passed (the timer fired) and no update reset it since.
        return "overdue" if s.timers_fired.get(UPDATE_DUE) else None
    if due <= now:
        return "overdue"
    if UPDATE_WARN not in s.timers and s.timers_fired.get(UPDATE_WARN):
        return "due soon"
    return None


def workload_watch(workload: Mapping[tuple[str, str], int], cap: int) -> list[dict[str, Any]]:
    """Owners with more open tickets than the rules' workload cap (``workload`` by connector
    and owner), the busiest first."""
    rows = [
        {"connector": c, "owner": owner, "open": n, "over": n - cap}
        for (c, owner), n in workload.items()
        if n > cap
    ]
    return sorted(rows, key=lambda r: (-r["open"], r["owner"]))


def escalation_watch(
    states: Iterable[TicketState], rules: Rulebook | OwnershipPolicy, now: datetime
) -> list[dict[str, Any]]:
    """Tickets with an escalation group now whose pickup or group target is at risk/breached.

    ``rules`` is the rule book (its ``escalation_targets`` give each stay its targets), or
    just an ownership policy (then only the pickup clock is watched)."""
    policy = rules if isinstance(rules, OwnershipPolicy) else rules.ownership
    defs = rules.defs if isinstance(rules, RuleSet) else None
    rows = []
    for s in states:
        path = escalation_path(s, policy) if s.is_open else []
        seg = path[-1] if path and path[-1].left_at is None else None
        if seg is None:
            continue
        found = _pickup(s, seg.entered_at, seg.picked_up_at, now)
        if defs is not None and defs.targets.groups:
            found += _stay_targets(stays(s, policy, defs, now)[-1], now)
        for name, state, due in found:
            rows.append(
                {
                    **_base(s),
                    "target": name,
                    "state": state,
                    "due": due,
                    "entered_at": seg.entered_at,
                    "picked_up_at": seg.picked_up_at,
                    "in_group_s": (now - seg.entered_at).total_seconds(),
                }
            )
    return sorted(rows, key=lambda r: (r["state"] != "breached", r["entered_at"]))


Found = list[tuple[str, str, datetime | None]]


def _pickup(s: TicketState, entered: datetime, picked: datetime | None, now: datetime) -> Found:
    due = s.timers.get(PICKUP)
    if due is not None:
        state = _risk(entered, due, now)
        return [(PICKUP, state, due)] if state else []
    if s.timers_fired.get(PICKUP) and picked is None:
        # The clock ran out in this stay (picked up late: no longer). A state stored before
        # the firing times were kept has only the count: breached, with no time to show.
        passed = s.timers_fired_at.get(PICKUP)
        if passed is None or passed >= entered:
            return [(PICKUP, "breached", passed)]
    return []


def _stay_targets(stay: Stay, now: datetime) -> Found:
    """The current stay's response (until picked up) and resolution targets."""
    found: Found = []
    for kind, outcome in (("response", stay.response), ("resolution", stay.resolution)):
        if outcome.due is None or outcome.done_at is not None:
            continue
        state = _risk(stay.segment.entered_at, outcome.due, now)
        if state:
            found.append((f"{kind} target", state, outcome.due))
    return found


def _risk(entered: datetime, due: datetime, now: datetime) -> str | None:
    if due <= now:
        return "breached"
    if (due - now) <= (due - entered) * AT_RISK_SHARE:
        return "at risk"
    return None
