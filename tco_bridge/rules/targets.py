"""Response and resolution targets per escalation group (the groups' OLAs), and each stay's
record against them.

A stay is one visit of the ticket to an escalation group (``escalation.py``). Its targets are
the group's (first ``escalation_targets.groups`` entry whose alias or pattern matches), by the
ticket's priority, counted from the moment the ticket entered the group on that group's
business calendar. *Response* is the pickup (the first assignee while the ticket sits with
the group, as the pickup rules read it); *resolution* is the stay ending: the ticket resolved
while with the group, or handed back or moved on.

Everything here is a pure function of the ticket's ordered history, the rules and the clock,
so a stay's record is the same whatever order the deliveries came in, and it is recomputed,
never stored (a corrected delivery corrects the record).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING

from ..escalation import Segment, escalation_path
from ..ownership import OwnershipPolicy
from ..state import TicketState
from .calendar import BusinessCalendar
from .durations import Duration

if TYPE_CHECKING:
    from .model import Definitions, DurationSpec

RESPONSE_WARN = "target_response_warn"
RESPONSE_DUE = "target_response_due"
RESOLUTION_WARN = "target_resolution_warn"
RESOLUTION_DUE = "target_resolution_due"
RESPONSE_TIMERS = (RESPONSE_WARN, RESPONSE_DUE)
TARGET_TIMERS = (*RESPONSE_TIMERS, RESOLUTION_WARN, RESOLUTION_DUE)
ETA_PASSED = "eta_passed"
ETA_MARK = "_eta"


@dataclass(frozen=True, slots=True)
class GroupTargets:
    """One ``escalation_targets.groups`` entry: a group alias or a glob over aliases."""

    pattern: str
    response: DurationSpec | None
    resolution: DurationSpec | None
    calendar: str | None = None

    def matches(self, alias: str) -> bool:
        return fnmatchcase(alias, self.pattern)


@dataclass(frozen=True, slots=True)
class EscalationTargets:
    groups: tuple[GroupTargets, ...] = ()
    #: A warning when this share of a target has passed (business time on business targets).
    warn_at: float = 0.8
    #: Field alias holding the group's estimated time of completion (a date or date-time).
    eta_field: str | None = None

    def for_group(self, alias: str | None) -> GroupTargets | None:
        if alias is None:
            return None
        return next((g for g in self.groups if g.matches(alias)), None)


@dataclass(frozen=True, slots=True)
class Outcome:
    """One target of one stay: when it was due, when the group did it, and the verdict."""

    due: datetime | None  # None: the group has no such target
    done_at: datetime | None
    status: str  # met | breached | running | none (no target, or left unpicked in time)

    @property
    def met(self) -> bool | None:
        return {"met": True, "breached": False}.get(self.status)


@dataclass(frozen=True, slots=True)
class Stay:
    segment: Segment
    alias: str | None
    priority: str | None
    response: Outcome
    resolution: Outcome
    resolved: bool  # the stay ended with the ticket resolved (not handed on)

    @property
    def group(self) -> str:
        return self.segment.group


NO_TARGET = Outcome(None, None, "none")


def _pick(spec: DurationSpec | None, priority: str | None) -> Duration | None:
    if spec is None or isinstance(spec, Duration):
        return spec
    return spec.values.get(priority) if priority else None


def due_after(calendar: BusinessCalendar | None, start: datetime, duration: Duration) -> datetime:
    return calendar.add(start, duration) if calendar else start + duration.timedelta


def warn_before(
    calendar: BusinessCalendar | None, start: datetime, due: datetime, share: float
) -> datetime:
    """The moment ``share`` of the span from ``start`` to ``due`` has passed; business time
    on a calendar (nights, weekends and holidays do not count), else elapsed time."""
    if calendar is None:
        return start + (due - start) * share
    spent = calendar.business_seconds_between(start, due) * share
    return calendar.add_business_seconds(calendar.next_open(start), spent)


def targets_for(
    defs: Definitions, connector: str, raw_group: str, priority: str | None
) -> tuple[GroupTargets, BusinessCalendar | None, Duration | None, Duration | None] | None:
    alias = defs.group_alias(connector, raw_group) or raw_group
    entry = defs.targets.for_group(alias)
    if entry is None:
        return None
    calendar = defs.calendar(entry.calendar)
    return entry, calendar, _pick(entry.response, priority), _pick(entry.resolution, priority)


def stays(
    state: TicketState, policy: OwnershipPolicy, defs: Definitions, now: datetime
) -> list[Stay]:
    """Every stay in the escalation path with its targets and whether each was met."""
    priority = defs.priority(state.connector, state.priority)
    return [_stay(state, seg, defs, priority, now) for seg in escalation_path(state, policy)]


def _stay(
    state: TicketState, seg: Segment, defs: Definitions, priority: str | None, now: datetime
) -> Stay:
    alias = defs.group_alias(state.connector, seg.group)
    resolved_at = state.resolved_at
    resolved = (
        resolved_at is not None
        and resolved_at >= seg.entered_at
        and (seg.left_at is None or resolved_at <= seg.left_at)
    )
    found = targets_for(defs, state.connector, seg.group, priority)
    if found is None:
        return Stay(seg, alias, priority, NO_TARGET, NO_TARGET, resolved)
    _, calendar, response, resolution = found
    ended = resolved_at if resolved else seg.left_at
    # A group that resolves the ticket without anyone taking it has responded too.
    picked = seg.picked_up_at or (resolved_at if resolved else None)
    respond = _outcome(calendar, seg, response, picked, now, pickup=True)
    resolve = _outcome(calendar, seg, resolution, ended, now, pickup=False)
    return Stay(seg, alias, priority, respond, resolve, resolved)


def _outcome(
    calendar: BusinessCalendar | None,
    seg: Segment,
    target: Duration | None,
    done_at: datetime | None,
    now: datetime,
    *,
    pickup: bool,
) -> Outcome:
    if target is None:
        return NO_TARGET
    due = due_after(calendar, seg.entered_at, target)
    if done_at is not None:
        return Outcome(due, done_at, "met" if done_at <= due else "breached")
    end = seg.left_at or now
    if end > due:
        return Outcome(due, None, "breached")
    if pickup and seg.left_at is not None:
        return Outcome(due, None, "none")  # moved on unpicked before the target passed
    return Outcome(due, None, "running")


def parse_eta(value: object, calendar: BusinessCalendar | None) -> datetime | None:
    """An ETA field's value as an instant: a date means the end of that day in the calendar's
    zone (UTC without one); a date-time without offset is read in that zone too."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00")
    zone = calendar.tz if calendar else UTC
    try:
        if len(text) == 10:
            day = datetime.fromisoformat(text).date()
            return datetime.combine(day + timedelta(days=1), time(), zone).astimezone(UTC)
        at = datetime.fromisoformat(text)
    except ValueError:
        return None
    return (at if at.tzinfo else at.replace(tzinfo=zone)).astimezone(UTC)
