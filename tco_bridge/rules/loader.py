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
import re
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_pkg

from ..connector import available
from ..errors import RulesError
from ..events import EventType
from ..ownership import Model, OwnershipPolicy, OwnerTrigger
from .actions import TARGETS, Library, compile_actions, per_priority
from .calendar import WEEKDAYS, BusinessCalendar, Hours, parse_hours
from .conditions import compile_conditions
from .engine import OWNER_CHANGED, OWNER_RELEASED, TIMER_PREFIX, Rule, RuleSet
from .model import ANY, Definitions, DurationSpec, Group
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
RULE_KEYS = ("name", "description", "enabled", "on", "when", "do")
EVENT_TRIGGERS = tuple(t.value for t in EventType if t is not EventType.TIMER_FIRED)
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


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
        calendars = self.calendars()
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
        policy = self.ownership(defs)
        frontline = defs.frontline_aliases(policy.frontline_groups)
        targets = load_targets(src, top.get("escalation_targets"), defs, frontline)
        defs = dataclasses.replace(defs, targets=targets)
        present = {"requester"}
        if defs.leads_complete(frontline):
            present |= {"lead", "frontline_lead"}
        lib = Library(defs, self.templates(), fallback=policy.fallback, present=frozenset(present))
        rules = self.rules(defs, lib)
        if src.errors:
            return None
        return RuleSet(policy, defs, rules, source=src.filename, digest=digest)

    # --- connectors -----------------------------------------------------------------------
    def per_connector(self, node: Node) -> dict[str, str]:
        """``value`` (every connector) or ``{jira: value, zendesk: value}``."""
        if not isinstance(node.value, dict):
            text = self.src.string(node)
            return {ANY: text} if text is not None else {}
        out = {}
        for name, child in (self.src.mapping(node) or {}).items():
            if name not in self.connectors:
                self.src.error(
                    child,
                    f"connector {name!r} is not one of: {', '.join(self.connectors)}",
                )
                continue
            text = self.src.string(child)
            if text is not None:
                out[name] = text
        return out

    def per_connector_lists(self, node: Node) -> dict[str, tuple[str, ...]]:
        """``[a, b]`` (every connector) or ``{jira: [a, b], zendesk: [c]}``."""
        if not isinstance(node.value, dict):
            return {ANY: tuple(self.src.strings(node))}
        return {
            name: tuple(self.src.strings(child))
            for name, child in (self.src.mapping(node, self.connectors) or {}).items()
        }

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
            ids = self.per_connector(keys["ids"])
            leads = self.per_connector(keys["lead"]) if "lead" in keys else {}
            name = src.string(keys["name"]) if "name" in keys else None
            members = self.per_connector_lists(keys["members"]) if "members" in keys else {}
            out[alias] = Group(alias, ids, leads, name, members)
        return out

    def fields(self) -> dict[str, dict[str, str]]:
        node = self.top.get("fields")
        if node is None:
            return {}
        return {a: self.per_connector(c) for a, c in (self.src.mapping(node) or {}).items()}

    def calendars(self) -> dict[str, BusinessCalendar]:
        src = self.src
        node = self.top.get("calendars")
        out: dict[str, BusinessCalendar] = {}
        for name, child in ((src.mapping(node) or {}) if node else {}).items():
            calendar = self.calendar(name, child)
            if calendar is not None:
                out[name] = calendar
        return out

    def calendar(self, name: str, node: Node) -> BusinessCalendar | None:
        src = self.src
        keys = src.mapping(node, ("timezone", "hours", "holidays", "dates"), ("timezone", "hours"))
        if keys is None or "timezone" not in keys or "hours" not in keys:
            return None
        tz = src.string(keys["timezone"])
        if tz is not None:
            try:
                ZoneInfo(tz)
            except (ZoneInfoNotFoundError, ValueError):
                src.error(
                    keys["timezone"], f"unknown time zone {tz!r} (an IANA name like Europe/Berlin)"
                )
                tz = None
        hours = self.hours(keys["hours"])
        country, subdivision = (
            self.holidays(keys["holidays"]) if "holidays" in keys else (None, None)
        )
        dates = self.dates(keys["dates"]) if "dates" in keys else []
        if tz is None or hours is None:
            return None
        try:
            return BusinessCalendar(
                name, tz, hours, country=country, subdivision=subdivision, dates=dates
            )
        except ValueError as exc:
            src.error(node, str(exc))
            return None

    def hours(self, node: Node) -> list[Hours] | None:
        src = self.src
        days = src.mapping(node, WEEKDAYS)
        if days is None:
            return None
        out: list[Hours] = []
        ok = True
        for day in WEEKDAYS:
            if day not in days:
                out.append(())
                continue
            text = src.string(days[day], empty_ok=True)
            try:
                out.append(parse_hours(text or ""))
            except ValueError as exc:
                src.error(days[day], str(exc))
                ok = False
        if ok and not any(out):
            src.error(node, "no business hours on any weekday")
            return None
        return out if ok else None

    def holidays(self, node: Node) -> tuple[str | None, str | None]:
        src = self.src
        keys = src.mapping(node, ("country", "subdivision"), ("country",)) or {}
        supported: dict[str, list[str]] = holidays_pkg.list_supported_countries()
        country = (
            src.choice(keys["country"], supported, "country code") if "country" in keys else None
        )
        subdivision = None
        if country is not None and "subdivision" in keys:
            subdivisions = supported[country]
            if not subdivisions:
                src.error(keys["subdivision"], f"country {country!r} has no subdivisions")
            else:
                subdivision = src.choice(keys["subdivision"], subdivisions, "subdivision")
        return country, subdivision

    def dates(self, node: Node) -> list[date]:
        out = []
        for item in self.src.seq(node) or []:
            if isinstance(item.value, date):
                out.append(item.value)
                continue
            try:
                out.append(date.fromisoformat(str(item.value)))
            except ValueError:
                self.src.error(item, f"bad date {item.value!r} (expected YYYY-MM-DD)")
        return out

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

    def ownership(self, defs: Definitions) -> OwnershipPolicy:
        src = self.src
        node = self.top.get("ownership")
        if node is None:
            return OwnershipPolicy()
        allowed = (
            "model",
            "owner_trigger",
            "frontline_groups",
            "no_group_is_frontline",
            "owner_field",
            "mirror_owner",
            "fallback",
        )
        keys = src.mapping(node, allowed) or {}
        policy = OwnershipPolicy()
        kwargs: dict[str, Any] = {}
        if "model" in keys:
            model = src.choice(keys["model"], [m.value for m in Model], "model")
            if model is not None:
                kwargs["model"] = Model(model)
        if "owner_trigger" in keys:
            triggers = src.choices(
                keys["owner_trigger"], [t.value for t in OwnerTrigger], "owner trigger"
            )
            kwargs["triggers"] = frozenset(OwnerTrigger(t) for t in triggers)
        if "frontline_groups" in keys:
            aliases = src.choices(keys["frontline_groups"], defs.groups, "group")
            kwargs["frontline_groups"] = defs.frontline_ids(aliases)
        for flag in ("no_group_is_frontline", "mirror_owner"):
            if flag in keys and (value := src.boolean(keys[flag])) is not None:
                kwargs[flag] = value
        if "fallback" in keys:
            fallback = keys["fallback"]
            if fallback.value in (None, "none", []):
                kwargs["fallback"] = ()
            else:
                targets = [t for t in TARGETS if t != "owner"]
                kwargs["fallback"] = tuple(src.choices(fallback, targets, "fallback target"))
        if "owner_field" in keys:
            table = self.per_connector(keys["owner_field"])
            kwargs["owner_field"] = {
                c: table.get(c) or table[ANY] for c in self.connectors if c in table or ANY in table
            }
        return OwnershipPolicy(**{**_fields_of(policy), **kwargs})

    def rules(self, defs: Definitions, lib: Library) -> list[Rule]:
        src = self.src
        if "rules" not in self.top:
            return []  # already reported: "key 'rules' is required"
        items = src.seq(self.top["rules"], scalar_ok=False) or []
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
                src.error(
                    keys["name"], f"duplicate rule name {name!r} (first at line {seen[name]})"
                )
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
            self.check_triggers(keys["on"], lib)
        return [rule for rule, _ in compiled]

    def check_triggers(self, node: Node, lib: Library) -> None:
        src = self.src
        for item in src.seq(node) or []:
            value = str(item.value)
            if value.startswith(TIMER_PREFIX):
                timer = value[len(TIMER_PREFIX) :]
                if timer not in lib.timers:
                    known = ", ".join(sorted(lib.timers)) or "none"
                    src.error(item, f"timer {timer!r} is never set by a rule (set: {known})")
            elif value not in (*EVENT_TRIGGERS, OWNER_CHANGED, OWNER_RELEASED):
                allowed = ", ".join(
                    (*EVENT_TRIGGERS, OWNER_CHANGED, OWNER_RELEASED, "timer:<name>")
                )
                src.error(item, f"trigger {value!r} is not one of: {allowed}")


def _fields_of(policy: OwnershipPolicy) -> dict[str, Any]:
    return {name: getattr(policy, name) for name in policy.__dataclass_fields__}
