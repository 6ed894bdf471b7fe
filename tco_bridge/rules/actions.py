"""Rule actions: compiled once at load, run when a rule matches.

Each ``do:`` item names one action. Running it adds write-backs (:class:`~tco_bridge.actions.
Action`, each with a deterministic id from ticket, rule and trigger), timers, marks or an owner
change to the rule's :class:`Emit`. Targets (``owner``, ``assignee``, ``group``, ``lead``,
``requester``, ``backup``, ``agent``, ``owner_team``, ``actor``, ``peer``) are resolved against the
ticket at run time; group aliases and field aliases map to each connector's ids.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..actions import Action, ActionKind, TaskSpec, action_id
from ..events import EventType, Status
from ..plan import OwnerChange, Plan
from .calendar import BusinessCalendar
from .durations import Duration
from .model import ANCHORS, Definitions, DurationSpec, Facts, PerPriority
from .target_actions import compile_arm_targets, compile_watch_eta
from .templates import TemplateProblem, Text, compile_template, render
from .yamlsrc import Node, Source

TARGETS = (
    "owner",
    "assignee",
    "group",
    "lead",
    "frontline_lead",
    "group_lead",
    "requester",
    "backup",
    "agent",
    "owner_team",
    "actor",
    "peer",
)
ASSIGN_TO = ("owner", "assignee", "lead", "backup", "agent", "actor", "none")
OWNER_TO = ("backup", "agent", "assignee", "actor")
STATUSES = tuple(s.value for s in Status)

Scope = Callable[["Emit", datetime | None, frozenset[str]], dict[str, Any]]


@dataclass(slots=True)
class Emit:
    """What one matching rule produces for one trigger."""

    rule: str
    trigger_key: str
    facts: Facts
    scope: Scope
    plan: Plan = field(default_factory=Plan)
    count: int = 0
    due: datetime | None = None  # of the timer that fired, or the last timer this rule set

    def action(self, kind: ActionKind, *, once: bool = False, **fields: Any) -> Action:
        state = self.facts.state
        trigger = "once" if once else self.trigger_key
        if self.count and not once:
            trigger = f"{trigger}#{self.count}"
        self.count += 1
        action = Action(
            id=action_id(state.connector, state.ticket, self.rule, trigger),
            connector=state.connector,
            ticket=state.ticket,
            kind=kind,
            rule=self.rule,
            **fields,
        )
        self.plan.actions.append(action)
        return action

    def text(self, template: Text) -> str:
        return render(template, self.scope(self, self.due, template.names))

    def mark(self, name: str, value: Any) -> None:
        self.plan.marks[name] = value
        self.facts.written[name] = value


Run = Callable[[Facts, Emit], None]
Compiler = Callable[[Source, Node, "Library"], Run | None]


@dataclass(frozen=True)
class Library:
    """What action compilation may reference: definitions and named templates."""

    defs: Definitions
    templates: dict[str, Text]
    #: Timer names some ``set_timer`` sets (``timer:<name>`` triggers must name one).
    timers: set[str] = field(default_factory=set)
    #: ``ownership.fallback``: who an action addresses when its targets are missing.
    fallback: tuple[str, ...] = ()
    #: Targets that exist on every ticket (``requester``; the leads when every front-line
    #: group names one).
    present: frozenset[str] = frozenset({"requester"})


# --- targets ----------------------------------------------------------------------------


def resolve(target: str, f: Facts) -> str | None:
    """A target name → an id (a user id, or ``group:<id>`` for a group)."""
    s = f.state
    if target == "owner":
        owner = s.owner
        if owner is None:
            return None
        return f"group:{owner.id}" if owner.kind == "team" else owner.id
    if target == "assignee":
        return s.assignee
    if target == "group":
        return f"group:{s.group}" if s.group else None
    if target == "owner_team":
        team = f.owner_team
        return f"group:{team}" if team else None
    if target == "lead":
        return f.lead
    if target == "frontline_lead":
        return f.frontline_lead
    if target == "group_lead":
        return f.defs.lead_of(f.group_alias, f.connector)
    if target == "requester":
        return s.requester
    if target == "backup":
        return f.backup
    if target == "agent":
        return f.agent
    if target == "actor":
        actor = f.actor
        return actor.id if actor is not None else None
    if target == "peer":
        return f.peer
    raise ValueError(f"unknown target {target!r}")


def resolve_all(targets: tuple[str, ...], f: Facts) -> tuple[str, ...]:
    """Targets → distinct ids. No action is addressed to nobody: an ``owner`` that does not
    exist yet, or a list that resolves to no one, falls back to ``ownership.fallback``."""
    fallback = f.policy.fallback
    found = []
    for target in targets:
        ids = [resolve(target, f)]
        if ids[0] is None and target == "owner":
            ids = [resolve(t, f) for t in fallback]
        found += ids
    if not any(found):
        found = [resolve(t, f) for t in fallback]
    return tuple(dict.fromkeys(m for m in found if m))


def _plain(targets: tuple[str, ...], f: Facts) -> tuple[str, ...]:
    return tuple(dict.fromkeys(m for m in (resolve(t, f) for t in targets) if m))


def check_reach(src: Source, node: Node, targets: tuple[str, ...], lib: Library) -> None:
    """``rules check`` refuses an action that can reach no one: every target may be missing
    on some ticket and the fallback names nobody who always exists."""
    if any(t in lib.present for t in (*targets, *lib.fallback)):
        return
    src.error(
        node,
        f"{', '.join(targets) or 'no target'} may be missing on a ticket, with no fallback to "
        "address instead: set ownership.fallback (e.g. frontline_lead, with a lead for every "
        "front-line group)",
    )


def _text_source(src: Source, children: dict[str, Node], lib: Library) -> Text | None:
    if ("template" in children) == ("text" in children):
        node = next(iter(children.values()), None)
        if node is not None:
            src.error(node, "give exactly one of 'template' or 'text'")
        return None
    if "template" in children:
        node = children["template"]
        name = src.string(node)
        if name is None:
            return None
        if name not in lib.templates:
            defined = ", ".join(sorted(lib.templates)) or "none"
            src.error(node, f"template {name!r} is not defined (defined: {defined})")
            return None
        return lib.templates[name]
    return inline_template(src, children["text"])


def inline_template(src: Source, node: Node) -> Text | None:
    text = src.string(node)
    if text is None:
        return None
    try:
        return compile_template(text)
    except TemplateProblem as exc:
        src.error(node, str(exc))
        return None


# --- notes ------------------------------------------------------------------------------


def _note(fixed_to: tuple[str, ...] | None, public: bool = False) -> Compiler:
    def compile_(src: Source, node: Node, lib: Library) -> Run | None:
        allowed = ("template", "text") if fixed_to is not None else ("to", "template", "text")
        children = src.mapping(node, allowed, () if fixed_to is not None else ("to",))
        if children is None:
            return None
        targets: tuple[str, ...] = ()
        if fixed_to is not None:
            targets = fixed_to
        elif "to" in children:
            targets = tuple(src.choices(children["to"], TARGETS, "target"))
        template = _text_source(src, children, lib)
        if template is None:
            return None
        if not public:
            check_reach(src, node, targets, lib)

        def run(f: Facts, emit: Emit) -> None:
            # a public reply goes to the requester only: never a fallback mention there
            mention = resolve_all(targets, f) if not public else _plain(targets, f)
            extra = {"public": True} if public else {}
            emit.action(ActionKind.NOTE, text=emit.text(template), mention=mention, extra=extra)

        return run

    return compile_


# --- assignment and ownership -----------------------------------------------------------


def _assign(src: Source, node: Node, lib: Library) -> Run | None:
    children = src.mapping(node, ("to", "group"))
    if not children:
        if children is not None:
            src.error(node, "give 'to', 'group' or both")
        return None
    to = src.choice(children["to"], ASSIGN_TO, "assignee") if "to" in children else None
    group = None
    if "group" in children:
        allowed = (*lib.defs.groups, "owner_team")
        group = src.choice(children["group"], allowed, "group")

    def run(f: Facts, emit: Emit) -> None:
        assignee = resolve(to, f) if to and to != "none" else None
        group_id = None
        if group == "owner_team":
            group_id = f.owner_team
        elif group is not None:
            group_id = lib.defs.group_id(group, f.connector)
        extra = {"unassign": True} if to == "none" else {}
        emit.action(ActionKind.ASSIGN, assignee=assignee, group=group_id, extra=extra)

    return run


def _set_owner(src: Source, node: Node, lib: Library) -> Run | None:
    to = src.choice(node, OWNER_TO, "owner")
    if to is None:
        return None

    def run(f: Facts, emit: Emit) -> None:
        agent = resolve(to, f)
        if agent is None:
            raise ValueError(f"set_owner: {to} is unknown for this ticket")
        emit.plan.owner_change = OwnerChange(agent, None, emit.rule)

    return run


def _hand_back(src: Source, node: Node, lib: Library) -> Run | None:
    if not src.boolean(node):
        return None

    def run(f: Facts, emit: Emit) -> None:
        emit.plan.owner_change = OwnerChange(None, None, emit.rule)

    return run


# --- fields, labels, status, tasks ------------------------------------------------------


def _set_field(src: Source, node: Node, lib: Library) -> Run | None:
    children = src.mapping(node, ("field", "value"), ("field", "value"))
    if not children or "field" not in children or "value" not in children:
        return None
    defs = lib.defs
    if defs.fields:
        alias = src.choice(children["field"], defs.fields, "field")
    else:
        alias = src.string(children["field"])
    template = inline_template(src, children["value"])
    if alias is None or template is None:
        return None

    def run(f: Facts, emit: Emit) -> None:
        field_id = defs.field_id(alias, f.connector)
        emit.action(ActionKind.SET_FIELD, field=field_id, value=emit.text(template))

    return run


def _label(kind: ActionKind) -> Compiler:
    def compile_(src: Source, node: Node, lib: Library) -> Run | None:
        label = src.string(node)
        if label is None:
            return None
        return lambda f, emit: (emit.action(kind, label=label), None)[1]

    return compile_


def _transition(src: Source, node: Node, lib: Library) -> Run | None:
    status = src.choice(node, STATUSES, "status")
    if status is None:
        return None
    return lambda f, emit: (emit.action(ActionKind.TRANSITION, status=status), None)[1]


def _create_task(src: Source, node: Node, lib: Library) -> Run | None:
    allowed = ("kind", "summary", "description", "assignee", "once")
    children = src.mapping(node, allowed, ("kind", "summary"))
    if not children or "kind" not in children or "summary" not in children:
        return None
    kind = src.string(children["kind"])
    summary = inline_template(src, children["summary"])
    description = (
        inline_template(src, children["description"]) if "description" in children else None
    )
    assignee = (
        src.choice(children["assignee"], TARGETS, "target") if "assignee" in children else None
    )
    once = src.boolean(children["once"]) if "once" in children else False
    if kind is None or summary is None:
        return None
    if assignee is not None:
        check_reach(src, children["assignee"], (assignee,), lib)

    def run(f: Facts, emit: Emit) -> None:
        found = resolve_all((assignee,), f) if assignee else ()
        spec = TaskSpec(
            kind=kind,
            summary=emit.text(summary),
            description=emit.text(description) if description else "",
            assignee=found[0] if found else None,
        )
        emit.action(ActionKind.CREATE_TASK, task=spec, once=bool(once))

    return run


# --- timers and marks -------------------------------------------------------------------


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


def _set_timer(src: Source, node: Node, lib: Library) -> Run | None:
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

    def run(f: Facts, emit: Emit) -> None:
        duration = _pick(spec, f)
        start = f.anchor(anchor) or f.state.created_at or f.event.at
        calendar = defs.calendar(calendar_name)

        def due_from(start: datetime) -> datetime:
            due = calendar.add(start, duration) if calendar else start + duration.timedelta
            if before is not None:
                due = max(start, due - _pick(before, f).timedelta)
            return due

        due = due_from(start)
        how = f"{anchor} {_local(start, calendar)} + {duration.text}"
        if duration.business and calendar is not None:
            how += f" of business time ({calendar_name or defs.default_calendar} hours)"
        if before is not None:
            how += f" - {_pick(before, f).text}"
        how += f" = {_local(due, calendar)}"
        if due <= f.now:
            late = _late_due(f, name, due, due_from)
            if late != due:
                how += f", already past: due {_local(late, calendar)}"
            due = late
        emit.plan.timers_cleared.discard(name)
        emit.plan.timers_set[name] = due
        emit.plan.timer_notes[name] = how
        emit.due = due

    return run


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


def _local(at: datetime, calendar: BusinessCalendar | None) -> str:
    """A moment in the calendar's time zone (UTC without one), for deadline explanations."""
    return at.astimezone(calendar.tz if calendar else UTC).strftime("%a %Y-%m-%d %H:%M %Z")


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


def _clear_timer(src: Source, node: Node, lib: Library) -> Run | None:
    names = src.strings(node)

    def run(f: Facts, emit: Emit) -> None:
        for name in names:
            emit.plan.timers_set.pop(name, None)
            emit.plan.timers_cleared.add(name)

    return run


def _mark(src: Source, node: Node, lib: Library) -> Run | None:
    children = src.mapping(node) or {}
    values: dict[str, Any] = {}
    for name, child in children.items():
        if isinstance(child.value, dict | list):
            src.error(child, "a mark holds a plain value (text, number, true/false)")
            continue
        values[name] = str(child.value) if isinstance(child.value, str) else child.value

    def run(f: Facts, emit: Emit) -> None:
        for name, value in values.items():
            emit.mark(name, value)

    return run


def _unmark(src: Source, node: Node, lib: Library) -> Run | None:
    names = src.strings(node)

    def run(f: Facts, emit: Emit) -> None:
        for name in names:
            emit.mark(name, None)

    return run


def _increment(src: Source, node: Node, lib: Library) -> Run | None:
    name = src.string(node)
    if name is None:
        return None

    def run(f: Facts, emit: Emit) -> None:
        value = f.mark(name) or 0
        if not isinstance(value, int):
            raise TypeError(f"mark {name!r} holds {value!r}, not a number")
        emit.mark(name, value + 1)

    return run


def _remember_comment(src: Source, node: Node, lib: Library) -> Run | None:
    name = src.string(node)
    if name is None:
        return None

    def run(f: Facts, emit: Emit) -> None:
        comment = f.event.comment
        if comment is None:
            return
        author = comment.author.id if comment.author else None
        emit.mark(
            name,
            {
                "chars": len(comment.body.strip()),
                "text": comment.body[:500],
                "by": author,
                "at": f.event.at.isoformat(),
                "public": comment.public,
            },
        )

    return run


def _handover(src: Source, node: Node, lib: Library) -> Run | None:
    """Remember who handed a ticket over (for ``handed_over`` on return)."""
    if not src.boolean(node):
        return None

    def run(f: Facts, emit: Emit) -> None:
        emit.mark("handover", {"from": f.agent, "to": f.backup, "at": f.event.at.isoformat()})

    return run


COMPILERS: dict[str, Compiler] = {
    "nudge": _note(None),
    "notify_lead": _note(("lead",)),
    "reply": _note(("requester",), public=True),
    "assign": _assign,
    "set_owner": _set_owner,
    "hand_back": _hand_back,
    "set_field": _set_field,
    "add_label": _label(ActionKind.ADD_LABEL),
    "remove_label": _label(ActionKind.REMOVE_LABEL),
    "transition": _transition,
    "create_task": _create_task,
    "set_timer": _set_timer,
    "clear_timer": _clear_timer,
    "mark": _mark,
    "unmark": _unmark,
    "increment": _increment,
    "remember_comment": _remember_comment,
    "record_handover": _handover,
    "arm_targets": compile_arm_targets,
    "watch_eta": compile_watch_eta,
}


def compile_actions(src: Source, node: Node, lib: Library) -> tuple[tuple[str, Run], ...]:
    out: list[tuple[str, Run]] = []
    for item in src.seq(node, scalar_ok=False) or []:
        children = src.mapping(item, tuple(COMPILERS))
        if children is None:
            continue
        if len(children) != 1:
            if children:
                src.error(item, f"one action per item, got {', '.join(children)}")
            elif isinstance(item.value, dict) and not item.value:
                src.error(item, "empty action")
            continue
        ((name, child),) = children.items()
        run = COMPILERS[name](src, child, lib)
        if run is not None:
            out.append((name, run))
    return tuple(out)
