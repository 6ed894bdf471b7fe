"""Conditions on the ticket's values: status, priority, group, type, author, tags and fields."""

from __future__ import annotations

from collections.abc import Callable

from ..events import ActorKind, Status
from .checks import Check, Compiler, Tested, one_of
from .model import Definitions, Facts
from .yamlsrc import Node, Source

STATUSES = tuple(s.value for s in Status)


AUTHOR_KINDS = tuple(k.value for k in ActorKind)


def _value_in(what: str, wanted: frozenset[str], value: Callable[[Facts], object]) -> Tested:
    """``value(f)`` is one of ``wanted``."""
    test = one_of(what, wanted)
    return Tested(lambda f: test(value(f)), lambda f: value(f) in wanted, wanted)


def status(src: Source, node: Node, defs: Definitions) -> Tested | None:
    wanted = frozenset(src.choices(node, STATUSES, "status"))
    return _value_in("status", wanted, _status_of)


def priority(src: Source, node: Node, defs: Definitions) -> Tested | None:
    wanted = frozenset(src.choices(node, defs.priority_names, "priority"))
    return _value_in("priority", wanted, lambda f: f.priority)


def group(src: Source, node: Node, defs: Definitions) -> Tested | None:
    return _value_in("group", frozenset(src.choices(node, defs.groups, "group")), _group_of)


def _group_of(f: Facts) -> str | None:
    return f.group_alias


def type_(src: Source, node: Node, defs: Definitions) -> Tested | None:
    return _value_in("type", frozenset(s.lower() for s in src.strings(node)), _type_of)


def _type_of(f: Facts) -> str | None:
    raw = f.state.register("type")
    return str(raw).lower() if raw is not None else None


def author(src: Source, node: Node, defs: Definitions) -> Tested | None:
    wanted = frozenset(src.choices(node, AUTHOR_KINDS, "author kind"))
    return _value_in("author", wanted, _author_of)


def _status_of(f: Facts) -> object:
    return f.state.register("status")


def _author_of(f: Facts) -> object:
    return f.author


#: Conditions whose value the engine reads once per evaluation to narrow the candidate rules:
#: a rule that opens with such a condition excluding the value cannot match.
NARROWING: dict[str, Callable[[Facts], object]] = {"status": _status_of, "author": _author_of}


def narrowing_values(f: Facts) -> tuple[object, object]:
    """The values of :data:`NARROWING`, in its order (written out: read on every event)."""
    return f.state.register("status"), f.author


def tags(mode: str) -> Compiler:
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


def fields(empty: bool) -> Compiler:
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


def field_equals(src: Source, node: Node, defs: Definitions) -> Check | None:
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
