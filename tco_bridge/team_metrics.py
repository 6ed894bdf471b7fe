"""The team view for leads, computed from ticket states (pure), shared by the console, the JSON
API and the CLI: a period filter, escalation time per group, each escalation group's response
and resolution target compliance, cadence compliance per day, resolution volume and duration
per owner, and CSV export of any of these rows.

A ticket belongs to a period by the day it was created. The per-owner and per-team rows
themselves come from :func:`tco_bridge.metrics.ownership_metrics`.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from .escalation import escalation_path
from .metrics import CADENCE_TIMER, ownership_metrics
from .ownership import OwnershipPolicy
from .plan import Rulebook
from .rules.engine import RuleSet
from .rules.model import Definitions
from .rules.targets import Outcome, stays
from .state import TicketState


def parse_day(text: str | None, name: str) -> date | None:
    """``YYYY-MM-DD`` (or empty) → a date; ValueError names the parameter."""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{name!r} must be a date like 2026-11-30, not {text!r}") from None


def in_period(
    states: Iterable[TicketState], start: date | None, end: date | None
) -> Iterator[TicketState]:
    """Tickets created on ``start`` .. ``end`` (both included; None: unbounded)."""
    low = datetime.combine(start, time(), UTC) if start else None
    high = datetime.combine(end + timedelta(days=1), time(), UTC) if end else None
    for s in states:
        at = s.created_at
        if at is None and (low or high):
            continue
        if (low and at and at < low) or (high and at and at >= high):
            continue
        yield s


#: What the metrics can be grouped by (the JSON API's ``?by=``, the CLI's ``--by``).
METRICS_BY = ("owner", "team", "group")


def metrics_rows(
    states: Iterable[TicketState], rules: Rulebook, now: datetime, by: str
) -> list[dict[str, Any]]:
    """The metrics rows by ``by``: ownership figures per owner or team, or each escalation
    group's target compliance. One function, so the API and the CLI cannot disagree."""
    if by not in METRICS_BY:
        raise ValueError(f"'by' must be one of {', '.join(METRICS_BY)}, not {by!r}")
    if by == "group":
        return targets_by_group(states, rules, now)
    return ownership_metrics(states, rules.ownership, now, by=by)


def escalation_by_group(
    states: Iterable[TicketState], policy: OwnershipPolicy, now: datetime
) -> list[dict[str, Any]]:
    """Per escalation group: stays, mean minutes there, mean minutes to pickup."""
    stays: dict[str, list[float]] = defaultdict(list)
    pickups: dict[str, list[float]] = defaultdict(list)
    for s in states:
        for seg in escalation_path(s, policy):
            stays[seg.group].append(((seg.left_at or now) - seg.entered_at).total_seconds())
            if seg.picked_up_at:
                pickups[seg.group].append((seg.picked_up_at - seg.entered_at).total_seconds())
    return [
        {
            "group": group,
            "stays": len(values),
            "mean_minutes": _minutes(values),
            "mean_pickup_minutes": _minutes(pickups.get(group, [])),
        }
        for group, values in sorted(stays.items())
    ]


def targets_by_group(
    states: Iterable[TicketState], rules: Rulebook, now: datetime
) -> list[dict[str, Any]]:
    """Per escalation group: stays, and how many met or breached the group's response and
    resolution targets (``escalation_targets`` in the rules); compliance is met / (met +
    breached), None while no stay has a verdict. Stays still running count in ``running``."""
    defs = rules.defs if isinstance(rules, RuleSet) else Definitions()
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for s in states:
        if s.deleted:
            continue
        for stay in stays(s, rules.ownership, defs, now):
            tally = counts[stay.alias or stay.group]
            tally["stays"] += 1
            tally["running"] += "running" in (stay.response.status, stay.resolution.status)
            _verdict(tally, "response", stay.response)
            _verdict(tally, "resolution", stay.resolution)
    rows = []
    for group, t in sorted(counts.items()):
        row: dict[str, Any] = {"group": group, "stays": t["stays"], "running": t["running"]}
        for kind in ("response", "resolution"):
            met, breached = t[f"{kind}_met"], t[f"{kind}_breached"]
            row[f"{kind}_met"] = met
            row[f"{kind}_breached"] = breached
            row[f"{kind}_compliance"] = round(met / (met + breached), 3) if met + breached else None
        rows.append(row)
    return rows


def _verdict(tally: dict[str, int], kind: str, outcome: Outcome) -> None:
    if outcome.met is not None:
        tally[f"{kind}_{'met' if outcome.met else 'breached'}"] += 1


def cadence_by_day(states: Iterable[TicketState]) -> list[dict[str, Any]]:
    """Per day tickets were created: customer updates, deadlines missed, compliance."""
    updates: dict[date, int] = defaultdict(int)
    missed: dict[date, int] = defaultdict(int)
    for s in states:
        if s.created_at is None or s.owner is None:
            continue
        day = s.created_at.astimezone(UTC).date()
        updates[day] += s.customer_updates
        missed[day] += s.timers_fired.get(CADENCE_TIMER, 0)
    rows = []
    for day in sorted(set(updates) | set(missed)):
        answered = updates[day] + missed[day]
        rows.append(
            {
                "day": day.isoformat(),
                "customer_updates": updates[day],
                "update_deadlines_missed": missed[day],
                "cadence_compliance": round(updates[day] / answered, 3) if answered else None,
            }
        )
    return rows


def resolution_by_owner(states: Iterable[TicketState]) -> list[dict[str, Any]]:
    """Per contact owner: tickets resolved, and mean hours from creation to resolution."""
    took: dict[str, list[float]] = defaultdict(list)
    for s in states:
        if s.owner is None or s.resolved_at is None or s.created_at is None or s.deleted:
            continue
        took[s.owner.id].append((s.resolved_at - s.created_at).total_seconds())
    rows = [
        {
            "owner": owner,
            "resolved": len(values),
            "mean_hours": round(sum(values) / len(values) / 3600, 2),
        }
        for owner, values in took.items()
    ]
    return sorted(rows, key=lambda r: (-r["resolved"], r["owner"]))


def to_csv(rows: list[dict[str, Any]]) -> str:
    """Rows as CSV with a header line (columns in the first row's order)."""
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return out.getvalue()


def _minutes(values: list[float]) -> float | None:
    return round(sum(values) / len(values) / 60, 1) if values else None
