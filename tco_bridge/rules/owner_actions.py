"""Owner changes: ``assign`` (assignee and group), ``set_owner`` and ``hand_back``."""

from __future__ import annotations

from ..actions import ActionKind
from ..plan import OwnerChange
from .emit import Emit, Library, Run
from .model import Facts
from .recipients import resolve
from .yamlsrc import Node, Source

ASSIGN_TO = ("owner", "assignee", "lead", "backup", "agent", "actor", "none")


OWNER_TO = ("backup", "agent", "assignee", "actor")


def assign(src: Source, node: Node, lib: Library) -> Run | None:
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


def set_owner(src: Source, node: Node, lib: Library) -> Run | None:
    to = src.choice(node, OWNER_TO, "owner")
    if to is None:
        return None

    def run(f: Facts, emit: Emit) -> None:
        agent = resolve(to, f)
        if agent is None:
            raise ValueError(f"set_owner: {to} is unknown for this ticket")
        emit.plan.owner_change = OwnerChange(agent, None, emit.rule)

    return run


def hand_back(src: Source, node: Node, lib: Library) -> Run | None:
    if not src.boolean(node):
        return None

    def run(f: Facts, emit: Emit) -> None:
        emit.plan.owner_change = OwnerChange(None, None, emit.rule)

    return run
