"""Loading ``rules:``: each rule's name, triggers, conditions and actions, and the check that
every ``timer:<name>`` trigger names a timer some rule sets.
"""

from __future__ import annotations

import re

from ..events import EventType
from .actions import Library, compile_actions
from .conditions import compile_conditions
from .engine import OWNER_CHANGED, OWNER_RELEASED, TIMER_PREFIX, Rule
from .model import Definitions
from .yamlsrc import Node, Source

RULE_KEYS = ("name", "description", "enabled", "on", "when", "do")
EVENT_TRIGGERS = tuple(t.value for t in EventType if t is not EventType.TIMER_FIRED)
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def load_rule_list(
    src: Source, top: dict[str, Node], defs: Definitions, lib: Library
) -> list[Rule]:
    if "rules" not in top:
        return []  # already reported: "key 'rules' is required"
    items = src.seq(top["rules"], scalar_ok=False) or []
    compiled: list[tuple[Rule, dict[str, Node]]] = []
    seen: dict[str, int] = {}
    for item in items:
        keys = src.mapping(item, RULE_KEYS, ("name", "on", "do"))
        if keys is None or not {"name", "on", "do"} <= set(keys):
            continue
        name = src.string(keys["name"])
        if name is not None and not NAME.match(name):
            src.error(keys["name"], f"bad rule name {name!r} (letters, digits, '-', '_', '.')")
        elif name is not None and name in seen:
            src.error(keys["name"], f"duplicate rule name {name!r} (first at line {seen[name]})")
        elif name is not None:
            seen[name] = keys["name"].line
        triggers = src.strings(keys["on"])
        when = compile_conditions(src, keys["when"], defs) if "when" in keys else ()
        actions = compile_actions(src, keys["do"], lib)
        enabled = src.boolean(keys["enabled"]) if "enabled" in keys else True
        description = src.string(keys["description"]) or "" if "description" in keys else ""
        rule = Rule(
            name or "?",
            item.line,
            frozenset(triggers),
            when,
            actions,
            description,
            bool(enabled),
        )
        compiled.append((rule, keys))
    for _rule, keys in compiled:  # after every set_timer is known
        _check_triggers(src, keys["on"], lib)
    return [rule for rule, _ in compiled]


def _check_triggers(src: Source, node: Node, lib: Library) -> None:
    for item in src.seq(node) or []:
        value = str(item.value)
        if value.startswith(TIMER_PREFIX):
            timer = value[len(TIMER_PREFIX) :]
            if timer not in lib.timers:
                known = ", ".join(sorted(lib.timers)) or "none"
                src.error(item, f"timer {timer!r} is never set by a rule (set: {known})")
        elif value not in (*EVENT_TRIGGERS, OWNER_CHANGED, OWNER_RELEASED):
            allowed = ", ".join((*EVENT_TRIGGERS, OWNER_CHANGED, OWNER_RELEASED, "timer:<name>"))
            src.error(item, f"trigger {value!r} is not one of: {allowed}")
