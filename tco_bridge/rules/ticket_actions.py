"""Edits to the ticket itself: ``set_field``, labels, ``transition`` and ``create_task``."""

from __future__ import annotations

from ..actions import ActionKind, TaskSpec
from ..events import Status
from .emit import Compiler, Emit, Library, Run
from .model import Facts
from .note_actions import inline_template
from .recipients import TARGETS, check_reach, resolve_all
from .yamlsrc import Node, Source

STATUSES = tuple(s.value for s in Status)


def set_field(src: Source, node: Node, lib: Library) -> Run | None:
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


def label(kind: ActionKind) -> Compiler:
    def compile_(src: Source, node: Node, lib: Library) -> Run | None:
        label = src.string(node)
        if label is None:
            return None
        return lambda f, emit: (emit.action(kind, label=label), None)[1]

    return compile_


def transition(src: Source, node: Node, lib: Library) -> Run | None:
    status = src.choice(node, STATUSES, "status")
    if status is None:
        return None
    return lambda f, emit: (emit.action(ActionKind.TRANSITION, status=status), None)[1]


def create_task(src: Source, node: Node, lib: Library) -> Run | None:
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
