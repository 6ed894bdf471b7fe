"""Conditions: compiled once at load, each answering ``(matched, reason)``.

A condition that does not match says why ("status is 'open', wanted one of: resolved"), so
``rules explain`` and simulate notes need no second code path. Compilation checks every
value against the rule file's definitions (statuses, priority names, group aliases,
field aliases) and records errors in the :class:`~.yamlsrc.Source`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ..escalation import escalation_path, is_escalated
from ..events import ActorKind, Status
from .durations import Duration
from .model import ANCHORS, Definitions, Facts
from .replies import Reply
from .replies import classify as classify_reply
from .yamlsrc import Node, Source

Check = Callable[[Facts], tuple[bool, str]]


@dataclass(frozen=True, slots=True)
class Condition:
    name: str
    check: Check

    def __call__(self, facts: Facts) -> tuple[bool, str]:
        return self.check(facts)


Compiler = Callable[[Source, Node, Definitions], Check | None]
STATUSES = tuple(s.value for s in Status)
AUTHOR_KINDS = tuple(k.value for k in ActorKind)
REPLY_KINDS = tuple(r.value for r in Reply)


def _one_of(what: str, wanted: frozenset[str]) -> Callable[[object], tuple[bool, str]]:
    """A membership test whose reasons are cheap (the wanted list is formatted once)."""
    wanted_text = _list(wanted)

    def test(actual: object) -> tuple[bool, str]:
        if actual in wanted:
            return True, f"{what} is {actual!r}"
        return False, f"{what} is {actual!r}, wanted {wanted_text}"

    return test


def _list(values: frozenset[str] | list[str]) -> str:
    return "one of: " + ", ".join(sorted(values))


def _flag(what: str, wanted: bool, actual: bool, detail: str = "") -> tuple[bool, str]:
    text = f"{what}: {'yes' if actual else 'no'}{detail}"
    return actual == wanted, text if actual == wanted else f"{text}, wanted {wanted!r}".lower()


# --- value sets -------------------------------------------------------------------------


def _status(src: Source, node: Node, defs: Definitions) -> Check | None:
    test = _one_of("status", frozenset(src.choices(node, STATUSES, "status")))

    def check(f: Facts) -> tuple[bool, str]:
        return test(f.state.register("status"))

    return check


def _priority(src: Source, node: Node, defs: Definitions) -> Check | None:
    test = _one_of("priority", frozenset(src.choices(node, defs.priority_names, "priority")))
    return lambda f: test(f.priority)


def _group(src: Source, node: Node, defs: Definitions) -> Check | None:
    test = _one_of("group", frozenset(src.choices(node, defs.groups, "group")))
    return lambda f: test(f.group_alias)


def _type(src: Source, node: Node, defs: Definitions) -> Check | None:
    test = _one_of("type", frozenset(s.lower() for s in src.strings(node)))

    def check(f: Facts) -> tuple[bool, str]:
        raw = f.state.register("type")
        return test(str(raw).lower() if raw is not None else None)

    return check


def _author(src: Source, node: Node, defs: Definitions) -> Check | None:
    test = _one_of("author", frozenset(src.choices(node, AUTHOR_KINDS, "author kind")))
    return lambda f: test(f.actor_kind.value)


def _tags(mode: str) -> Compiler:
    def compile_(src: Source, node: Node, defs: Definitions) -> Check | None:
        wanted = frozenset(src.strings(node))

        def check(f: Facts) -> tuple[bool, str]:
            have = frozenset(t.lower() for t in f.state.tags)
            hit = {w for w in wanted if w.lower() in have}
            if mode == "any":
                return bool(hit), f"tags include {sorted(hit)}" if hit else (
                    f"no tag of {sorted(wanted)}"
                )
            if mode == "all":
                missing = sorted(wanted - hit)
                return not missing, f"missing tags {missing}" if missing else "has all tags"
            return not hit, f"has tags {sorted(hit)}" if hit else f"none of tags {sorted(wanted)}"

        return check

    return compile_


# --- booleans ---------------------------------------------------------------------------


def _bool(what: str, fn: Callable[[Facts], bool]) -> Compiler:
    def compile_(src: Source, node: Node, defs: Definitions) -> Check | None:
        wanted = src.boolean(node)
        if wanted is None:
            return None
        return lambda f: _flag(what, wanted, fn(f))

    return compile_


def _picked_up(f: Facts) -> bool:
    if not is_escalated(f.state, f.policy):
        return False
    path = escalation_path(f.state, f.policy)
    return bool(path) and path[-1].picked_up_at is not None


def _confirmed_by_actor(f: Facts) -> bool:
    actor = f.actor
    return actor is not None and f.owner_id is not None and actor.id == f.owner_id


BOOLEANS: dict[str, Callable[[Facts], bool]] = {
    "escalated": lambda f: is_escalated(f.state, f.policy),
    "picked_up": _picked_up,
    "has_owner": lambda f: f.state.owner is not None,
    "has_assignee": lambda f: f.state.assignee is not None,
    "owner_is_actor": _confirmed_by_actor,
    "owner_is_agent": lambda f: f.owner_id is not None and f.owner_id == f.agent,
    "resolved_by_owner": lambda f: f.owner_id is not None and f.state.resolved_by == f.owner_id,
    "owner_away": lambda f: f.owner_id is not None and f.owner_id in f.context.away,
    "has_backup": lambda f: f.backup is not None,
    "owner_changed": lambda f: f.owner_id is not None and f.marks.get("_owner") != f.owner_id,
    "comment_public": lambda f: f.event.comment is not None and f.event.comment.public,
    "handed_over": lambda f: (
        isinstance(f.marks.get("handover"), dict) and f.marks["handover"].get("from") == f.agent
    ),
}


# --- numbers, marks, fields, text -------------------------------------------------------


def _timer_set(src: Source, node: Node, defs: Definitions) -> Check | None:
    names = src.strings(node)

    def check(f: Facts) -> tuple[bool, str]:
        missing = [n for n in names if n not in f.state.timers]
        return not missing, f"timer {missing} not set" if missing else f"timers {names} set"

    return check


def _workload(crosses: bool) -> Compiler:
    """``owner_workload_above: N``: the owner has more than N open tickets, this one included;
    ``owner_workload_crosses: N``: this ticket is the one that took them over N."""

    def compile_(src: Source, node: Node, defs: Definitions) -> Check | None:
        cap = src.integer(node)
        if cap is None:
            return None

        def check(f: Facts) -> tuple[bool, str]:
            owner = f.owner_id
            count = f.context.workload.get(owner, 0) if owner else 0
            ok = count == cap + 1 if crosses else count > cap
            return ok, f"owner {owner!r} has {count} open owned tickets (cap {cap})"

        return check

    return compile_


def _marked(wanted: bool) -> Compiler:
    def compile_(src: Source, node: Node, defs: Definitions) -> Check | None:
        names = src.strings(node)

        def check(f: Facts) -> tuple[bool, str]:
            set_ = [n for n in names if f.marks.get(n) not in (None, False)]
            if wanted:
                missing = sorted(set(names) - set(set_))
                return not missing, f"not marked {missing}" if missing else f"marked {names}"
            return not set_, f"marked {set_}" if set_ else f"not marked {names}"

        return check

    return compile_


def _mark_compare(below: bool) -> Compiler:
    def compile_(src: Source, node: Node, defs: Definitions) -> Check | None:
        children = src.mapping(node) or {}
        limits = {
            k: v for k, v in ((k, src.integer(n)) for k, n in children.items()) if v is not None
        }

        def check(f: Facts) -> tuple[bool, str]:
            for name, limit in limits.items():
                value = f.marks.get(name) or 0
                if not isinstance(value, int):
                    raise TypeError(f"mark {name!r} holds {value!r}, not a number")
                ok = value < limit if below else value >= limit
                if not ok:
                    op = "<" if below else ">="
                    return False, f"mark {name} is {value}, wanted {op} {limit}"
            return True, f"marks {limits} ok"

        return check

    return compile_


def _fields(empty: bool) -> Compiler:
    def compile_(src: Source, node: Node, defs: Definitions) -> Check | None:
        names = _field_aliases(src, node, defs)

        def check(f: Facts) -> tuple[bool, str]:
            for alias in names:
                value = f.state.register(f"field:{defs.field_id(alias, f.connector)}")
                is_empty = value in (None, "", False)
                if is_empty != empty:
                    return False, f"field {alias} is {value!r}"
            return True, f"fields {names} {'empty' if empty else 'set'}"

        return check

    return compile_


def _field_aliases(src: Source, node: Node, defs: Definitions) -> list[str]:
    return src.choices(node, defs.fields, "field") if defs.fields else src.strings(node)


def _field_equals(src: Source, node: Node, defs: Definitions) -> Check | None:
    children = src.mapping(node) or {}
    wanted: dict[str, str] = {}
    for alias, child in children.items():
        if defs.fields and alias not in defs.fields:
            src.error(child, f"field {alias!r} is not defined (defined: {', '.join(defs.fields)})")
            continue
        text = src.string(child, empty_ok=True)
        if text is not None:
            wanted[alias] = text

    def check(f: Facts) -> tuple[bool, str]:
        for alias, value in wanted.items():
            actual = f.state.register(f"field:{defs.field_id(alias, f.connector)}")
            if str(actual) != value:
                return False, f"field {alias} is {actual!r}, wanted {value!r}"
        return True, f"fields match {wanted}"

    return check


def _comment_matches(src: Source, node: Node, defs: Definitions) -> Check | None:
    text = src.string(node)
    if text is None:
        return None
    try:
        pattern = re.compile(text)
    except re.error as exc:
        src.error(node, f"bad regular expression {text!r}: {exc}")
        return None

    def check(f: Facts) -> tuple[bool, str]:
        comment = f.event.comment
        if comment is None:
            return False, "the event carries no comment"
        hit = pattern.search(comment.body)
        return hit is not None, f"comment {'matches' if hit else 'does not match'} /{text}/"

    return check


def _reply_is(src: Source, node: Node, defs: Definitions) -> Check | None:
    """The comment read by :mod:`.replies`: confirmed, rejected or neither."""
    test = _one_of("the reply", frozenset(src.choices(node, REPLY_KINDS, "reply verdict")))

    def check(f: Facts) -> tuple[bool, str]:
        comment = f.event.comment
        if comment is None:
            return False, "the event carries no comment"
        return test(classify_reply(comment.body).value)

    return check


def _notes_below_bar(src: Source, node: Node, defs: Definitions) -> Check | None:
    children = src.mapping(node, ("mark", "min_chars", "keywords"), ("mark",)) or {}
    mark = src.string(children["mark"]) if "mark" in children else None
    min_chars = src.integer(children["min_chars"]) if "min_chars" in children else 0
    keywords = (
        [k.lower() for k in src.strings(children["keywords"])] if "keywords" in children else []
    )
    if mark is None or min_chars is None:
        return None

    def check(f: Facts) -> tuple[bool, str]:
        notes = f.marks.get(mark)
        if not isinstance(notes, dict):
            return True, "no agent notes recorded"
        chars, text = int(notes.get("chars", 0)), str(notes.get("text", "")).lower()
        if chars < min_chars:
            return True, f"last agent note has {chars} characters (< {min_chars})"
        if keywords and not any(k in text for k in keywords):
            return True, f"last agent note mentions none of {keywords}"
        return False, f"last agent note meets the bar ({chars} characters)"

    return check


def _elapsed(older: bool) -> Compiler:
    def compile_(src: Source, node: Node, defs: Definitions) -> Check | None:
        children = src.mapping(node, ANCHORS) or {}
        limits: list[tuple[str, Duration]] = []
        for anchor, child in children.items():
            duration = src.duration(child)
            if duration is None:
                continue
            if duration.business and defs.calendar(None) is None:
                src.error(child, f"business duration {duration.text!r} needs default_calendar")
                continue
            limits.append((anchor, duration))

        def check(f: Facts) -> tuple[bool, str]:
            for anchor, duration in limits:
                at = f.anchor(anchor)
                if at is None:
                    return False, f"no {anchor} yet"
                calendar = f.defs.calendar(None) if duration.business else None
                deadline = calendar.add(at, duration) if calendar else at + duration.timedelta
                ok = f.now >= deadline if older else f.now < deadline
                if not ok:
                    word = "less" if older else "more"
                    return False, f"{anchor} was {word} than {duration.text} ago"
            return True, f"time since {', '.join(a for a, _ in limits)} ok"

        return check

    return compile_


def _combinator(kind: str) -> Compiler:
    def compile_(src: Source, node: Node, defs: Definitions) -> Check | None:
        if kind == "not":
            inner = compile_conditions(src, node, defs)

            def negate(f: Facts) -> tuple[bool, str]:
                ok, why = evaluate_all(inner, f)
                return not ok, f"not ({why})"

            return negate
        branches = [
            compile_conditions(src, item, defs) for item in src.seq(node, scalar_ok=False) or []
        ]

        def any_of(f: Facts) -> tuple[bool, str]:
            reasons = []
            for branch in branches:
                ok, why = evaluate_all(branch, f)
                if ok:
                    return True, why
                reasons.append(why)
            return False, "none of: " + " | ".join(reasons)

        return any_of

    return compile_


COMPILERS: dict[str, Compiler] = {
    "status": _status,
    "priority": _priority,
    "group": _group,
    "type": _type,
    "author": _author,
    "tags_any": _tags("any"),
    "tags_all": _tags("all"),
    "tags_none": _tags("none"),
    **{name: _bool(name.replace("_", " "), fn) for name, fn in BOOLEANS.items()},
    "owner_workload_above": _workload(False),
    "owner_workload_crosses": _workload(True),
    "timer_set": _timer_set,
    "marked": _marked(True),
    "not_marked": _marked(False),
    "mark_below": _mark_compare(True),
    "mark_at_least": _mark_compare(False),
    "fields_set": _fields(False),
    "fields_empty": _fields(True),
    "field_equals": _field_equals,
    "comment_matches": _comment_matches,
    "reply_is": _reply_is,
    "notes_below_bar": _notes_below_bar,
    "older_than": _elapsed(True),
    "newer_than": _elapsed(False),
    "any": _combinator("any"),
    "not": _combinator("not"),
}


def compile_conditions(src: Source, node: Node, defs: Definitions) -> tuple[Condition, ...]:
    children = src.mapping(node, tuple(COMPILERS)) or {}
    out: list[Condition] = []
    for name, child in children.items():
        check = COMPILERS[name](src, child, defs)
        if check is not None:
            out.append(Condition(name, check))
    return tuple(out)


def evaluate_all(conditions: tuple[Condition, ...], facts: Facts) -> tuple[bool, str]:
    """All must match; the reason is the first miss, or every reason when all match."""
    reasons = []
    for condition in conditions:
        ok, why = condition(facts)
        if not ok:
            return False, f"{condition.name}: {why}"
        reasons.append(why)
    return True, "; ".join(reasons) if reasons else "no conditions"
