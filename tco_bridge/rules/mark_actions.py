"""Marks: the rules' own memory on a ticket (``mark``, ``unmark``, ``increment``,
``remember_comment``, ``record_handover``)."""

from __future__ import annotations

from typing import Any

from .emit import Emit, Library, Run
from .model import Facts
from .yamlsrc import Node, Source


def mark(src: Source, node: Node, lib: Library) -> Run | None:
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


def unmark(src: Source, node: Node, lib: Library) -> Run | None:
    names = src.strings(node)

    def run(f: Facts, emit: Emit) -> None:
        for name in names:
            emit.mark(name, None)

    return run


def increment(src: Source, node: Node, lib: Library) -> Run | None:
    name = src.string(node)
    if name is None:
        return None

    def run(f: Facts, emit: Emit) -> None:
        value = f.mark(name) or 0
        if not isinstance(value, int):
            raise TypeError(f"mark {name!r} holds {value!r}, not a number")
        emit.mark(name, value + 1)

    return run


def remember_comment(src: Source, node: Node, lib: Library) -> Run | None:
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


def handover(src: Source, node: Node, lib: Library) -> Run | None:
    """Remember who handed a ticket over (for ``handed_over`` on return)."""
    if not src.boolean(node):
        return None

    def run(f: Facts, emit: Emit) -> None:
        emit.mark("handover", {"from": f.agent, "to": f.backup, "at": f.event.at.isoformat()})

    return run
