"""``tco-bridge rules test``: unit tests for rule files, in the spirit of ``promtool test rules``.

A test file (YAML) names the rules file(s) it checks and lists tests. Each test feeds
deliveries or canonical events, with their times, through :class:`tco_bridge.simulate.Simulator`
(``pipeline.process`` on a virtual clock, timers firing in time order) and compares the actions
the bridge would take up to ``until`` with the expected ones: kind, rule, target and time.
``docs/rules.md`` documents the format; ``rules/tests/`` holds the tests of the shipped rules.
"""

from __future__ import annotations

import difflib
import fnmatch
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from ..errors import RulesError, TcoError
from ..event_codec import load_event
from ..events import EventType, utc
from ..simulate import Entry, Simulator, delivery_events
from .loader import load_rules

DEFAULT_TICKET = "T-1"
DEFAULT_CONNECTOR = "sandbox"
#: Timers keep firing this long after the last input when a test names no ``until``.
DEFAULT_TAIL = timedelta(days=14)


class RuleTestError(TcoError):
    """A test file that cannot be read (not a failing test: that is a :class:`Outcome`)."""


@dataclass(frozen=True, slots=True)
class Expected:
    at: datetime
    kind: str
    rule: str
    target: str | None  # None: any target


@dataclass(frozen=True, slots=True)
class Outcome:
    file: str
    name: str
    diff: list[str]  # empty when the test passed

    @property
    def passed(self) -> bool:
        return not self.diff


def _yaml() -> YAML:
    yaml = YAML(typ="safe", pure=True)
    # Keep times as written: a bare YAML timestamp would lose its zone.
    yaml.constructor.add_constructor(
        "tag:yaml.org,2002:timestamp", lambda c, node: c.construct_scalar(node)
    )
    return yaml


def run_file(path: Path) -> list[Outcome]:
    """Run every test in one file; raise :class:`RuleTestError` when it cannot be read."""
    try:
        doc = _yaml().load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, YAMLError) as exc:
        raise RuleTestError(f"{path}: cannot read: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("tests"), list):
        raise RuleTestError(f"{path}: expected a mapping with 'rule_files' and a 'tests' list")
    files = doc.get("rule_files") or []
    if not isinstance(files, list) or len(files) != 1:
        raise RuleTestError(f"{path}: rule_files must name exactly one rules file")
    try:
        rules = load_rules(path.parent / str(files[0]))
    except RulesError as exc:
        raise RuleTestError("\n".join(exc.messages)) from None
    zone = _zone(path, doc.get("timezone", "UTC"))
    actors = {str(k): str(v) for k, v in dict(doc.get("actors") or {}).items()}
    outcomes = []
    for index, test in enumerate(doc["tests"]):
        where = f"{path}: tests[{index}]"
        if not isinstance(test, dict):
            raise RuleTestError(f"{where}: expected a mapping")
        name = str(test.get("name") or f"tests[{index}]")
        try:
            diff = _run_test(rules, test, zone, actors)
        except (TcoError, ValueError, TypeError, KeyError) as exc:
            raise RuleTestError(f"{where} ({name}): {exc}") from None
        outcomes.append(Outcome(str(path), name, diff))
    return outcomes


def _zone(path: Path, name: object) -> ZoneInfo:
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        raise RuleTestError(f"{path}: timezone {name!r} is not an IANA zone") from None


def _run_test(
    rules: Any, test: Mapping[str, Any], zone: ZoneInfo, actors: dict[str, str]
) -> list[str]:
    events = []
    for n, item in enumerate(test.get("input") or []):
        events.extend(_input(dict(item), n, zone, actors))
    if not events:
        raise ValueError("a test needs at least one input")
    until = (
        parse_time(test["until"], zone)
        if test.get("until")
        else max(e.at for e in events) + DEFAULT_TAIL
    )
    timeline = Simulator(rules).run(events, until)
    only = [str(p) for p in test.get("only_rules") or ["*"]]
    ignore = [str(p) for p in test.get("ignore_rules") or []]
    got = [
        e
        for e in timeline
        if e.at <= until and _listed(e.rule, only) and not _listed(e.rule, ignore)
    ]
    expected = [_expected(dict(x), zone) for x in test.get("expect") or []]
    return compare(expected, got, zone)


def _listed(rule: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(rule, p) for p in patterns)


def parse_time(value: object, zone: ZoneInfo) -> datetime:
    """An ISO time; one without an offset is read in the test file's ``timezone``."""
    at = datetime.fromisoformat(str(value).replace(" ", "T", 1))
    return utc(at if at.tzinfo is not None else at.replace(tzinfo=zone))


def _actor(value: object, actors: dict[str, str]) -> dict[str, Any] | None:
    if value is None:
        return None
    if isinstance(value, dict):
        return value
    ident = str(value)
    return {"id": ident, "kind": actors.get(ident, "unknown"), "name": ident}


def _input(item: dict[str, Any], n: int, zone: ZoneInfo, actors: dict[str, str]) -> list[Any]:
    if "at" not in item:
        raise ValueError(f"input[{n}] has no 'at'")
    at = parse_time(item.pop("at"), zone)
    if "delivery" in item:
        record = dict(item["delivery"])
        if not isinstance(record.get("body"), str):
            record["body"] = json.dumps(record.get("body"))
        # Deliveries carry their tool's own timestamps; 'at' only orders the input list.
        return delivery_events(record)
    kind = EventType(str(item.pop("event")))
    data: dict[str, Any] = {
        "v": 1,
        "connector": item.pop("connector", DEFAULT_CONNECTOR),
        "ticket": str(item.pop("ticket", DEFAULT_TICKET)),
        "type": kind.value,
        "at": at.isoformat(),
        "key": str(item.pop("key", f"input-{n}")),
        "actor": _actor(item.pop("actor", None), actors),
    }
    comment = item.pop("comment", None)
    if comment is not None:
        comment = dict(comment)
        comment.setdefault("id", f"c{n}")
        comment.setdefault("public", True)
        comment["author"] = _actor(comment.get("author"), actors) or data["actor"]
        data["comment"] = comment
    snapshot = item.pop("snapshot", None)
    if snapshot is not None:
        data["snapshot"] = {k: _plain(v) for k, v in dict(snapshot).items()}
    for key in ("field", "before", "after", "after_name"):
        if key in item:
            data[key] = None if item[key] is None else str(item.pop(key))
    if item:
        raise ValueError(f"input[{n}]: unknown keys {', '.join(sorted(item))}")
    return [load_event(data)]


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


def _expected(item: dict[str, Any], zone: ZoneInfo) -> Expected:
    missing = [k for k in ("at", "kind", "rule") if k not in item]
    if missing:
        raise ValueError(f"an expected action needs {', '.join(missing)}: {item}")
    target = item.get("target")
    if isinstance(target, list):
        target = ", ".join(str(t) for t in target)
    return Expected(
        parse_time(item["at"], zone),
        str(item["kind"]),
        str(item["rule"]),
        None if target is None else str(target),
    )


def compare(expected: list[Expected], got: list[Entry], zone: ZoneInfo) -> list[str]:
    """Empty when every expected action happened and nothing else did; else a unified diff."""
    left = list(got)
    unmatched: list[Expected] = []
    for x in expected:
        hit = next((e for e in left if _same(x, e)), None)
        if hit is None:
            unmatched.append(x)
        else:
            left.remove(hit)
    if not unmatched and not left:
        return []
    want = sorted(_line(x.at, x.kind, x.rule, x.target or "*", zone) for x in expected)
    have = sorted(_line(e.at, e.action, e.rule, _shown_target(e, expected), zone) for e in got)
    return list(difflib.unified_diff(want, have, "expected", "got", lineterm="", n=len(want)))


def _same(x: Expected, e: Entry) -> bool:
    return (
        x.at == e.at
        and x.kind == e.action
        and x.rule == e.rule
        and (x.target is None or _targets(x.target) == _targets(e.target))
    )


def _shown_target(e: Entry, expected: list[Expected]) -> str:
    """Show ``*`` where the matching expectation leaves the target open (a quieter diff)."""
    for x in expected:
        if x.target is None and (x.at, x.kind, x.rule) == (e.at, e.action, e.rule):
            return "*"
    return e.target


def _targets(text: str) -> list[str]:
    return sorted(t.strip() for t in text.split(",") if t.strip())


def _line(at: datetime, kind: str, rule: str, target: str, zone: ZoneInfo) -> str:
    local = at.astimezone(zone).isoformat(timespec="minutes")
    return f"{local}  {kind:<13} {rule:<26} {', '.join(_targets(target)) or '-'}"
