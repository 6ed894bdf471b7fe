"""The actions and template variables behind escalation-group targets.

``arm_targets`` plans the current stay's timers (``target_response_warn``/``_due``,
``target_resolution_warn``/``_due``): all of them on the event that began the stay, and on
any later event (a priority change) only those still pending, so each warning and breach fires
at most once per stay. Outside an escalation group, or in one without targets, it clears them.
``watch_eta`` arms ``eta_passed`` at the group's estimated completion whenever that field takes
a new value, so a passed ETA nudges once per value.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..escalation import Segment, is_escalated
from .calendar import wall_clock
from .flag_conditions import escalation_of
from .targets import (
    ETA_MARK,
    ETA_PASSED,
    RESOLUTION_DUE,
    RESOLUTION_WARN,
    RESPONSE_DUE,
    RESPONSE_WARN,
    TARGET_TIMERS,
    due_after,
    parse_eta,
    targets_for,
    warn_before,
)
from .yamlsrc import Node, Source

if TYPE_CHECKING:
    from .emit import Emit, Library, Run
    from .model import Facts


def current_segment(f: Facts) -> Segment | None:
    """The stay the ticket is in now (None: it is not with an escalation group)."""
    if not is_escalated(f.state, f.policy):
        return None
    path = escalation_of(f)
    return path[-1] if path and path[-1].left_at is None else None


def compile_arm_targets(src: Source, node: Node, lib: Library) -> Run | None:
    value = src.boolean(node)
    if value is None:
        return None
    if not value:
        src.error(node, "arm_targets takes true (leave the action out to arm nothing)")
        return None
    if not lib.defs.targets.groups:
        src.error(node, "arm_targets needs escalation_targets with at least one group")
        return None
    lib.timers.update(TARGET_TIMERS)
    return _arm


def _arm(f: Facts, emit: Emit) -> None:
    plan = emit.plan
    seg = current_segment(f)
    found = targets_for(f.defs, f.connector, seg.group, f.priority) if seg else None
    if seg is None or found is None:
        _clear(emit, TARGET_TIMERS)
        return
    fresh = seg.entered_at == f.event.at  # this event began the stay
    pending = {*f.state.timers, *plan.timers_set}
    if not fresh and pending.isdisjoint(TARGET_TIMERS):
        return  # every target of this stay has fired or stopped: nothing to re-plan
    entry, calendar, response, resolution = found
    share = f.defs.targets.warn_at
    for kind, (warn, due_name), target, done in (
        ("response", (RESPONSE_WARN, RESPONSE_DUE), response, seg.picked_up_at is not None),
        ("resolution", (RESOLUTION_WARN, RESOLUTION_DUE), resolution, False),
    ):
        if target is None or done:
            _clear(emit, (warn, due_name))
            continue
        due = due_after(calendar, seg.entered_at, target)
        how = (
            f"entered {f.group_alias} {wall_clock(seg.entered_at, calendar)} + {target.text} "
            f"({kind} target, {f.priority or 'no priority'}"
            f"{', ' + calendar.name + ' hours' if calendar and target.business else ''})"
        )
        warn_at = warn_before(calendar, seg.entered_at, due, share)
        for name, at, note in (
            (warn, warn_at, f"{how}, warning at {share:.0%} = {wall_clock(warn_at, calendar)}"),
            (due_name, due, f"{how} = {wall_clock(due, calendar)}"),
        ):
            if fresh or name in pending:
                plan.timers_cleared.discard(name)
                plan.timers_set[name] = at
                plan.timer_notes[name] = note


def _clear(emit: Emit, names: tuple[str, ...]) -> None:
    for name in names:
        emit.plan.timers_set.pop(name, None)
        emit.plan.timers_cleared.add(name)


def compile_watch_eta(src: Source, node: Node, lib: Library) -> Run | None:
    if src.boolean(node) is None:
        return None
    if lib.defs.targets.eta_field is None:
        src.error(node, "watch_eta needs escalation_targets.eta_field")
        return None
    lib.timers.add(ETA_PASSED)
    return _watch_eta


def eta_value(f: Facts) -> Any:
    alias = f.defs.targets.eta_field
    if alias is None:
        return None
    return f.state.register(f"field:{f.defs.field_id(alias, f.connector)}")


def eta_of(f: Facts) -> datetime | None:
    return parse_eta(eta_value(f), f.defs.calendar(None))


def _watch_eta(f: Facts, emit: Emit) -> None:
    raw = eta_value(f)
    if raw == f.mark(ETA_MARK):
        return
    emit.mark(ETA_MARK, raw)
    at = parse_eta(raw, f.defs.calendar(None))
    if at is None:
        _clear(emit, (ETA_PASSED,))
        return
    emit.plan.timers_cleared.discard(ETA_PASSED)
    emit.plan.timers_set[ETA_PASSED] = at
    emit.plan.timer_notes[ETA_PASSED] = f"estimated completion {raw}"


def _group_name(f: Facts) -> str | None:
    alias = f.group_alias
    group = f.defs.groups.get(alias) if alias else None
    return group.label if group else alias


def stay_scope(f: Facts, local: Any) -> dict[str, Any]:
    """``stay`` in templates: the current stay, its targets, and which one a timer is about."""
    seg = current_segment(f)
    found = targets_for(f.defs, f.connector, seg.group, f.priority) if seg else None
    timer = f.event.field if f.event.field in TARGET_TIMERS else ""
    out: dict[str, Any] = {
        "group": _group_name(f),
        "entered": local(seg.entered_at) if seg else None,
        "priority": f.priority,
        "target": "response" if "response" in timer else "resolution" if timer else None,
        "response_due": None,
        "resolution_due": None,
        "response": None,
        "resolution": None,
        "due": None,
    }
    if seg is None or found is None:
        return out
    _, calendar, response, resolution = found
    for kind, target in (("response", response), ("resolution", resolution)):
        if target is not None:
            out[kind] = target.text
            out[f"{kind}_due"] = local(due_after(calendar, seg.entered_at, target))
    if out["target"]:
        out["due"] = out[f"{out['target']}_due"]
    return out
