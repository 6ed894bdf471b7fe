"""Conditions: compiled once at load, each answering ``(matched, reason)``.

A condition that does not match says why ("status is 'open', wanted one of: resolved"), so
``rules explain`` and simulate notes need no second code path. Compilation checks every
value against the rule file's definitions (statuses, priority names, group aliases,
field aliases) and records errors in the :class:`~.yamlsrc.Source`. This module is the table
of condition names and the combinators; the tests live by what they look at:
``value_conditions``, ``flag_conditions``, ``comment_conditions``, ``memory_conditions``.
"""

from __future__ import annotations

from .checks import Check, Compiler, Condition, Tested
from .comment_conditions import comment_matches, notes_below_bar, reply_is
from .flag_conditions import BOOLEANS, bool_condition
from .memory_conditions import elapsed, mark_compare, marked, timer_set, workload
from .model import Definitions, Facts
from .value_conditions import author, field_equals, fields, group, priority, status, tags, type_
from .yamlsrc import Node, Source

__all__ = [
    "COMPILERS",
    "Check",
    "Condition",
    "Tested",
    "compile_conditions",
    "evaluate_all",
    "passes",
]


def _combinator(kind: str) -> Compiler:
    def compile_(src: Source, node: Node, defs: Definitions) -> Tested | None:
        if kind == "not":
            inner = compile_conditions(src, node, defs)

            def negate(f: Facts) -> tuple[bool, str]:
                ok, why = evaluate_all(inner, f)
                return not ok, f"not ({why})"

            return Tested(negate, lambda f: not passes(inner, f))
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

        def any_passes(f: Facts) -> bool:
            for branch in branches:
                if passes(branch, f):
                    return True
            return False

        return Tested(any_of, any_passes)

    return compile_


COMPILERS: dict[str, Compiler] = {
    "status": status,
    "priority": priority,
    "group": group,
    "type": type_,
    "author": author,
    "tags_any": tags("any"),
    "tags_all": tags("all"),
    "tags_none": tags("none"),
    **{name: bool_condition(name.replace("_", " "), fn) for name, fn in BOOLEANS.items()},
    "owner_workload_above": workload(False),
    "owner_workload_crosses": workload(True),
    "timer_set": timer_set,
    "marked": marked(True),
    "not_marked": marked(False),
    "mark_below": mark_compare(True),
    "mark_at_least": mark_compare(False),
    "fields_set": fields(False),
    "fields_empty": fields(True),
    "field_equals": field_equals,
    "comment_matches": comment_matches,
    "reply_is": reply_is,
    "notes_below_bar": notes_below_bar,
    "older_than": elapsed(True),
    "newer_than": elapsed(False),
    "any": _combinator("any"),
    "not": _combinator("not"),
}


def compile_conditions(src: Source, node: Node, defs: Definitions) -> tuple[Condition, ...]:
    children = src.mapping(node, tuple(COMPILERS)) or {}
    out: list[Condition] = []
    for name, child in children.items():
        compiled = COMPILERS[name](src, child, defs)
        if compiled is not None:
            out.append(Condition.of(name, compiled))
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


def passes(conditions: tuple[Condition, ...], facts: Facts) -> bool:
    """``evaluate_all(...)[0]`` without wording any reason."""
    for condition in conditions:
        if not condition.test(facts):
            return False
    return True
