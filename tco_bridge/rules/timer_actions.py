"""Timers and cadence: ``set_timer`` (elapsed or business time, per priority, from an anchor)
with the "how" note that explains its deadline, and ``clear_timer``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from ..events import EventType
from .calendar import BusinessCalendar, wall_clock
from .durations import Duration
from .emit import Emit, Library, Run
from .model import ANCHORS, Definitions, DurationSpec, Facts, PerPriority
from .yamlsrc import Node, Source


def duration_spec(src: Source, node: Node, defs: Definitions) -> DurationSpec | None:
    """``4h`` / ``1bd``, a per-priority mapping, or the name of an entry under ``durations``."""
    value = node.value
    if isinstance(value, dict):
        return per_priority(src, node, defs)
    if isinstance(value, str) and value in defs.durations:
        return defs.durations[value]
    if isinstance(value, str) and value[:1].isalpha():
        named = ", ".join(sorted(defs.durations)) or "none"
        src.error(
            node,
            f"bad duration {value!r}: not a duration and not defined under durations "
            f"(defined: {named})",
        )
        return None
    return src.duration(node)


def per_priority(src: Source, node: Node, defs: Definitions) -> PerPriority | None:
    children = src.mapping(node, defs.priority_names) or {}
    values = {}
    for name, child in children.items():
        duration = src.duration(child)
        if duration is not None:
            values[name] = duration
    missing = [p for p in defs.priority_names if p not in children]
    if missing:
        src.error(node, f"missing priorities {', '.join(missing)} (every priority needs a value)")
        return None
    text = ", ".join(f"{k}: {v.text}" for k, v in values.items())
    return PerPriority(text, values) if len(values) == len(defs.priority_names) else None


def set_timer(src: Source, node: Node, lib: Library) -> Run | None:
    defs = lib.defs
    allowed = ("name", "after", "before", "from", "calendar")
    children = src.mapping(node, allowed, ("name", "after"))
    if not children or "name" not in children or "after" not in children:
        return None
    name = src.string(children["name"])
    spec = duration_spec(src, children["after"], defs)
    before = duration_spec(src, children["before"], defs) if "before" in children else None
    for d in _durations(before):
        if d.business:
            src.error(children["before"], f"'before' takes elapsed time, not {d.text!r}")
            before = None
    anchor = src.choice(children["from"], ANCHORS, "anchor") if "from" in children else "event"
    calendar_name = None
    if "calendar" in children:
        calendar_name = src.choice(children["calendar"], defs.calendars, "calendar")
    needs_calendar = any(d.business for d in _durations(spec))
    if needs_calendar and defs.calendar(calendar_name) is None and "calendar" not in children:
        src.error(children["after"], "business durations need a calendar (set default_calendar)")
        return None
    if name is None or spec is None or anchor is None:
        return None
    lib.timers.add(name)
    calendar = defs.calendar(calendar_name)
    on_hours = f" of business time ({calendar_name or defs.default_calendar} hours)"

    def run(f: Facts, emit: Emit) -> None:
        duration = _pick(spec, f)
        start = f.anchor(anchor) or f.state.created_at or f.event.at
        cut = _pick(before, f) if before is not None else None
        due = _due(calendar, start, duration, cut)
        how = f"{anchor} {wall_clock(start, calendar)} + {duration.text}"
        if duration.business and calendar is not None:
            how += on_hours
        if cut is not None:
            how += f" - {cut.text}"
        how += f" = {wall_clock(due, calendar)}"
        if due <= f.now:
            late = _late_due(f, name, due, lambda at: _due(calendar, at, duration, cut))
            if late != due:
                how += f", already past: due {wall_clock(late, calendar)}"
            due = late
        plan = emit.plan
        plan.timers_cleared.discard(name)
        plan.timers_set[name] = due
        plan.timer_notes[name] = how
        emit.due = due

    return run


def _due(
    calendar: BusinessCalendar | None, start: datetime, duration: Duration, cut: Duration | None
) -> datetime:
    """``start`` + ``duration`` (on the calendar), less ``cut`` but never before ``start``."""
    due = calendar.add(start, duration) if calendar else start + duration.timedelta
    if cut is not None:
        due = max(start, due - cut.timedelta)
    return due


def _late_due(
    f: Facts, name: str, due: datetime, due_from: Callable[[datetime], datetime]
) -> datetime:
    """A timer computed into the past (a ticket first seen late: an old issue, a reconcile).

    Armed for the first time, it stays due and fires once. Re-armed (by a timer firing, or
    once it has fired before) it counts from now, never into the past: otherwise each firing
    re-arms it already due and the ticket gets the same nudge again within the second. A timer
    already re-armed into the future keeps that due time."""
    current = f.state.timers.get(name)
    if current is not None and current > f.now:
        return current
    if f.event.type is EventType.TIMER_FIRED or f.state.timers_fired.get(name):
        return due_from(f.now)
    return due


def _durations(spec: DurationSpec | None) -> list[Duration]:
    if spec is None:
        return []
    return list(spec.values.values()) if isinstance(spec, PerPriority) else [spec]


def _pick(spec: DurationSpec, f: Facts) -> Duration:
    if not isinstance(spec, PerPriority):
        return spec
    if f.priority is None:
        raise ValueError("a per-priority duration, but the ticket has no priority")
    return spec.values[f.priority]


def clear_timer(src: Source, node: Node, lib: Library) -> Run | None:
    names = src.strings(node)

    def run(f: Facts, emit: Emit) -> None:
        for name in names:
            emit.plan.timers_set.pop(name, None)
            emit.plan.timers_cleared.add(name)

    return run
