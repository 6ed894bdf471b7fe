"""Rule actions: compiled once at load, run when a rule matches.

Each ``do:`` item names one action. Running it adds write-backs (:class:`~tco_bridge.actions.
Action`, each with a deterministic id from ticket, rule and trigger), timers, marks or an owner
change to the rule's :class:`Emit`. Targets (``owner``, ``assignee``, ``group``, ``lead``,
``requester``, ``backup``, ``agent``, ``owner_team``, ``actor``, ``peer``) are resolved against the
ticket at run time (``recipients``); group aliases and field aliases map to each connector's ids.
This module is the table of action names; each concept has its own module: ``note_actions``,
``owner_actions``, ``ticket_actions``, ``timer_actions``, ``mark_actions``, ``target_actions``.
"""

from __future__ import annotations

from ..actions import ActionKind
from .emit import Compiler, Emit, Library, Run
from .mark_actions import handover, increment, mark, remember_comment, unmark
from .note_actions import note
from .owner_actions import assign, hand_back, set_owner
from .recipients import TARGETS, resolve, resolve_all
from .target_actions import compile_arm_targets, compile_watch_eta
from .ticket_actions import create_task, label, set_field, transition
from .timer_actions import clear_timer, duration_spec, per_priority, set_timer
from .yamlsrc import Node, Source

__all__ = [
    "COMPILERS",
    "TARGETS",
    "Compiler",
    "Emit",
    "Library",
    "Run",
    "compile_actions",
    "duration_spec",
    "per_priority",
    "resolve",
    "resolve_all",
]


COMPILERS: dict[str, Compiler] = {
    "nudge": note(None),
    "notify_lead": note(("lead",)),
    "reply": note(("requester",), public=True),
    "assign": assign,
    "set_owner": set_owner,
    "hand_back": hand_back,
    "set_field": set_field,
    "add_label": label(ActionKind.ADD_LABEL),
    "remove_label": label(ActionKind.REMOVE_LABEL),
    "transition": transition,
    "create_task": create_task,
    "set_timer": set_timer,
    "clear_timer": clear_timer,
    "mark": mark,
    "unmark": unmark,
    "increment": increment,
    "remember_comment": remember_comment,
    "record_handover": handover,
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
