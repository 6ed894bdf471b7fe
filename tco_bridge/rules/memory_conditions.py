"""Conditions on what the rules remember and count: timers, marks, workload, elapsed time."""

from __future__ import annotations

from .checks import Check, Compiler, Tested
from .durations import Duration
from .model import ANCHORS, Definitions, Facts
from .yamlsrc import Node, Source

#: What the workload conditions count (their bound: ``RuleSet.bound(WORKLOAD)``).
WORKLOAD = "owner_workload"


def timer_set(src: Source, node: Node, defs: Definitions) -> Tested | None:
    names = src.strings(node)

    def check(f: Facts) -> tuple[bool, str]:
        missing = [n for n in names if n not in f.state.timers]
        return not missing, f"timer {missing} not set" if missing else f"timers {names} set"

    if len(names) == 1:  # the usual case, without a generator per test
        (only,) = names
        return Tested(check, lambda f: only in f.state.timers)
    return Tested(check, lambda f: all(n in f.state.timers for n in names))


def workload(crosses: bool) -> Compiler:
    """``owner_workload_above: N``: the owner has more than N open tickets, this one included;
    ``owner_workload_crosses: N``: this ticket is the one that took them over N."""

    def compile_(src: Source, node: Node, defs: Definitions) -> Tested | None:
        cap = src.integer(node)
        if cap is None:
            return None

        def test(f: Facts) -> bool:
            owner = f.owner_id
            count = f.context.workload.get(owner, 0) if owner else 0
            return count == cap + 1 if crosses else count > cap

        def check(f: Facts) -> tuple[bool, str]:
            owner = f.owner_id
            count = f.context.workload.get(owner, 0) if owner else 0
            return test(f), f"owner {owner!r} has {count} open owned tickets (cap {cap})"

        return Tested(check, test, bounds=((WORKLOAD, cap),))

    return compile_


def marked(wanted: bool) -> Compiler:
    def compile_(src: Source, node: Node, defs: Definitions) -> Tested | None:
        names = src.strings(node)

        def check(f: Facts) -> tuple[bool, str]:
            set_ = [n for n in names if f.marks.get(n) not in (None, False)]
            if wanted:
                missing = sorted(set(names) - set(set_))
                return not missing, f"not marked {missing}" if missing else f"marked {names}"
            return not set_, f"marked {set_}" if set_ else f"not marked {names}"

        def test(f: Facts) -> bool:
            marks = f.marks
            return all((marks.get(n) not in (None, False)) is wanted for n in names)

        if len(names) == 1:  # the usual case, without a generator per test
            (only,) = names
            return Tested(check, lambda f: (f.marks.get(only) not in (None, False)) is wanted)
        return Tested(check, test)

    return compile_


def mark_compare(below: bool) -> Compiler:
    def compile_(src: Source, node: Node, defs: Definitions) -> Tested | None:
        children = src.mapping(node) or {}
        limits = {
            k: v for k, v in ((k, src.integer(n)) for k, n in children.items()) if v is not None
        }

        def count(f: Facts, name: str) -> int:
            value = f.marks.get(name) or 0
            if not isinstance(value, int):
                raise TypeError(f"mark {name!r} holds {value!r}, not a number")
            return value

        def check(f: Facts) -> tuple[bool, str]:
            for name, limit in limits.items():
                value = count(f, name)
                ok = value < limit if below else value >= limit
                if not ok:
                    op = "<" if below else ">="
                    return False, f"mark {name} is {value}, wanted {op} {limit}"
            return True, f"marks {limits} ok"

        def test(f: Facts) -> bool:
            for name, limit in limits.items():
                value = count(f, name)
                if not (value < limit if below else value >= limit):
                    return False
            return True

        return Tested(check, test, bounds=tuple(limits.items()))

    return compile_


def elapsed(older: bool) -> Compiler:
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
