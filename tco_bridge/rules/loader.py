"""Strict loading of a rules file into a :class:`~.engine.RuleSet`.

Modelled on Alertmanager's config loader: unknown keys are errors, enumerations quote the bad
value and list the allowed ones, every cross-reference (calendar, template, group, field,
priority, timer) is checked, templates are compiled and their variables checked. All problems
are collected, each as ``file:line: path: message``, and raised together as
:class:`~tco_bridge.errors.RulesError`.

Top-level keys: ``version``, ``ownership``, ``groups``, ``fields``, ``priorities``,
``calendars``, ``default_calendar``, ``durations``, ``escalation_targets``, ``templates``,
``rules``.
"""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

from ..connector import available
from ..errors import RulesError
from .actions import Library, per_priority
from .calendar_section import load_calendars
from .connector_values import per_connector, per_connector_lists
from .engine import RuleSet
from .model import Definitions, DurationSpec, Group
from .ownership_section import load_ownership
from .rules_section import load_rule_list
from .targets_section import load_targets
from .templates import TemplateProblem, Text, compile_template
from .yamlsrc import Node, Source

TOP_LEVEL = (
    "version",
    "ownership",
    "groups",
    "fields",
    "priorities",
    "calendars",
    "default_calendar",
    "durations",
    "escalation_targets",
    "templates",
    "rules",
)


def load_rules(path: str | Path) -> RuleSet:
    """Read and validate a rules file; raise ``RulesError`` listing every problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RulesError([f"{path}:1: cannot read the rules file: {exc}"]) from exc
    return load_rules_text(text, str(path))


def load_rules_text(text: str, filename: str = "<rules>") -> RuleSet:
    src = Source(filename)
    root = src.parse(text)
    if root is None:
        raise RulesError(src.errors)
    if root.value is None:
        raise RulesError([f"{filename}:1: the rules file is empty"])
    top = src.mapping(root, TOP_LEVEL, ("rules",))
    if top is None:
        raise RulesError(src.errors)
    ruleset = _Loader(src, top).load(hashlib.sha256(text.encode()).hexdigest())
    if src.errors or ruleset is None:
        raise RulesError(sorted(src.errors, key=_line_of))
    return ruleset


def _line_of(message: str) -> int:
    """Errors are reported in file order (the sort is stable within a line)."""
    _, _, rest = message.partition(":")
    number, _, _ = rest.partition(":")
    return int(number) if number.isdigit() else 0


class _Loader:
    def __init__(self, src: Source, top: dict[str, Node]) -> None:
        self.src = src
        self.top = top
        self.connectors = tuple(sorted(available()))

    def load(self, digest: str) -> RuleSet | None:
        src, top = self.src, self.top
        if "version" in top and top["version"].value != 1:
            src.error(top["version"], f"unsupported version {top['version'].value!r} (allowed: 1)")
        names, prio_default, prio_map = self.priorities()
        groups = self.groups()
        fields = self.fields()
        calendars = load_calendars(src, top.get("calendars"))
        default_calendar = None
        if "default_calendar" in top:
            default_calendar = src.choice(top["default_calendar"], calendars, "calendar")
        defs = Definitions.build(
            groups=groups,
            fields=fields,
            priority_names=names,
            priority_map=prio_map,
            priority_default=prio_default,
            calendars=calendars,
            default_calendar=default_calendar,
        )
        defs.durations.update(self.durations(defs))
        policy = load_ownership(src, top.get("ownership"), defs, self.connectors)
        frontline = defs.frontline_aliases(policy.frontline_groups)
        targets = load_targets(src, top.get("escalation_targets"), defs, frontline)
        defs = dataclasses.replace(defs, targets=targets)
        present = {"requester"}
        if defs.leads_complete(frontline):
            present |= {"lead", "frontline_lead"}
        lib = Library(defs, self.templates(), fallback=policy.fallback, present=frozenset(present))
        rules = load_rule_list(src, top, defs, lib)
        if src.errors:
            return None
        return RuleSet(policy, defs, rules, source=src.filename, digest=digest)

    # --- sections -----------------------------------------------------------------------
    def priorities(self) -> tuple[tuple[str, ...], str | None, dict[str, dict[str, str]]]:
        src = self.src
        node = self.top.get("priorities")
        if node is None:
            return (), None, {}
        children = src.mapping(node, ("names", "default", "map"), ("names",)) or {}
        names = tuple(src.strings(children["names"])) if "names" in children else ()
        default = (
            src.choice(children["default"], names, "priority") if "default" in children else None
        )
        table: dict[str, dict[str, str]] = {}
        if "map" in children:
            for connector, mapping in (src.mapping(children["map"]) or {}).items():
                if connector not in self.connectors:
                    src.error(
                        mapping,
                        f"connector {connector!r} is not one of: {', '.join(self.connectors)}",
                    )
                    continue
                entries = src.mapping(mapping) or {}
                table[connector] = {
                    raw.lower(): value
                    for raw, child in entries.items()
                    if (value := src.choice(child, names, "priority")) is not None
                }
        return names, default, table

    def groups(self) -> dict[str, Group]:
        src = self.src
        out: dict[str, Group] = {}
        node = self.top.get("groups")
        for alias, child in ((src.mapping(node) or {}) if node else {}).items():
            keys = src.mapping(child, ("ids", "lead", "name", "members"), ("ids",))
            if keys is None or "ids" not in keys:
                continue
            ids = per_connector(self.src, keys["ids"], self.connectors)
            leads = per_connector(self.src, keys["lead"], self.connectors) if "lead" in keys else {}
            name = src.string(keys["name"]) if "name" in keys else None
            members = (
                per_connector_lists(self.src, keys["members"], self.connectors)
                if "members" in keys
                else {}
            )
            out[alias] = Group(alias, ids, leads, name, members)
        return out

    def fields(self) -> dict[str, dict[str, str]]:
        node = self.top.get("fields")
        if node is None:
            return {}
        return {
            a: per_connector(self.src, c, self.connectors)
            for a, c in (self.src.mapping(node) or {}).items()
        }

    def durations(self, defs: Definitions) -> dict[str, DurationSpec]:
        src = self.src
        node = self.top.get("durations")
        out: dict[str, DurationSpec] = {}
        for name, child in ((src.mapping(node) or {}) if node else {}).items():
            spec = (
                per_priority(src, child, defs)
                if isinstance(child.value, dict)
                else src.duration(child)
            )
            if spec is not None:
                out[name] = spec
        return out

    def templates(self) -> dict[str, Text]:
        src = self.src
        node = self.top.get("templates")
        out: dict[str, Text] = {}
        for name, child in ((src.mapping(node) or {}) if node else {}).items():
            text = src.string(child)
            if text is None:
                continue
            try:
                out[name] = compile_template(text)
            except TemplateProblem as exc:
                src.error(child, str(exc))
        return out
