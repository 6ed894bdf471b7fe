"""Conditions on the ticket's values: status, priority, group, type, author, tags and fields."""

from __future__ import annotations

from ..events import ActorKind, Status
from .checks import Check, Compiler, one_of
from .model import Definitions, Facts
from .yamlsrc import Node, Source

STATUSES = tuple(s.value for s in Status)


AUTHOR_KINDS = tuple(k.value for k in ActorKind)


def status(src: Source, node: Node, defs: Definitions) -> Check | None:
    test = one_of("status", frozenset(src.choices(node, STATUSES, "status")))

    def check(f: Facts) -> tuple[bool, str]:
        return test(f.state.register("status"))

    return check


def priority(src: Source, node: Node, defs: Definitions) -> Check | None:
    test = one_of("priority", frozenset(src.choices(node, defs.priority_names, "priority")))
    return lambda f: test(f.priority)


def group(src: Source, node: Node, defs: Definitions) -> Check | None:
    test = one_of("group", frozenset(src.choices(node, defs.groups, "group")))
    return lambda f: test(f.group_alias)


def type_(src: Source, node: Node, defs: Definitions) -> Check | None:
    test = one_of("type", frozenset(s.lower() for s in src.strings(node)))

    def check(f: Facts) -> tuple[bool, str]:
        raw = f.state.register("type")
        return test(str(raw).lower() if raw is not None else None)

    return check


def author(src: Source, node: Node, defs: Definitions) -> Check | None:
    test = one_of("author", frozenset(src.choices(node, AUTHOR_KINDS, "author kind")))
    return lambda f: test(f.actor_kind.value)


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
