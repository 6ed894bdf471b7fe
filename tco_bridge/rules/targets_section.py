"""Loading ``escalation_targets:``, strictly like every other section (file:line errors).

```yaml
escalation_targets:
  warn_at: 80%                 # warn when this share of a target has passed
  eta_field: eta               # a field alias: the group's estimated completion
  groups:                      # first matching entry wins; keys: group aliases or globs
    l2_network: {response: {P1: 30m, P2: 2bh, P3: 4bh, P4: 1bd}, resolution: ..., calendar: office}
    "l3_*": {response: 1bd, resolution: 5bd}
```
"""

from __future__ import annotations

import re
from fnmatch import fnmatchcase

from .model import Definitions, PerPriority
from .targets import EscalationTargets, GroupTargets
from .timer_actions import duration_spec
from .yamlsrc import Node, Source

KEYS = ("warn_at", "eta_field", "groups")
GROUP_KEYS = ("response", "resolution", "calendar")
_PERCENT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*$")


def load_targets(
    src: Source, node: Node | None, defs: Definitions, frontline: list[str]
) -> EscalationTargets:
    if node is None:
        return EscalationTargets()
    keys = src.mapping(node, KEYS) or {}
    targets = EscalationTargets()
    warn_at = _share(src, keys["warn_at"]) if "warn_at" in keys else targets.warn_at
    eta_field = None
    if "eta_field" in keys:
        eta_field = src.choice(keys["eta_field"], defs.fields, "field alias")
    groups = []
    for pattern, child in (src.mapping(keys["groups"]) or {} if "groups" in keys else {}).items():
        entry = _group(src, pattern, child, defs, frontline)
        if entry is not None:
            groups.append(entry)
    return EscalationTargets(tuple(groups), warn_at or targets.warn_at, eta_field)


def _share(src: Source, node: Node) -> float | None:
    value = node.value
    match = _PERCENT.match(value) if isinstance(value, str) else None
    share = float(match.group(1)) / 100 if match else value
    if isinstance(share, bool) or not isinstance(share, int | float) or not 0 < share < 1:
        src.error(node, f"expected a share of the target like 80% or 0.8, got {value!r}")
        return None
    return float(share)


def _group(
    src: Source, pattern: str, node: Node, defs: Definitions, frontline: list[str]
) -> GroupTargets | None:
    keys = src.mapping(node, GROUP_KEYS)
    if keys is None:
        return None
    matched = [a for a in defs.groups if fnmatchcase(a, pattern)]
    if not matched:
        src.error(
            node,
            f"{pattern!r} names no group (groups: {', '.join(defs.groups) or 'none'}); "
            "use a group alias or a pattern such as l2_*",
        )
        return None
    if pattern in frontline:
        src.error(node, f"{pattern!r} is a front-line group; targets are for escalation groups")
        return None
    if "response" not in keys and "resolution" not in keys:
        src.error(node, "expected a response or a resolution target (or both)")
        return None
    calendar = None
    if "calendar" in keys:
        calendar = src.choice(keys["calendar"], defs.calendars, "calendar")
    specs = {k: duration_spec(src, keys[k], defs) for k in ("response", "resolution") if k in keys}
    business = any(
        d.business
        for spec in specs.values()
        for d in (spec.values.values() if isinstance(spec, PerPriority) else [spec] if spec else [])
    )
    if business and defs.calendar(calendar) is None and "calendar" not in keys:
        src.error(node, "business durations need a calendar (set calendar or default_calendar)")
        return None
    return GroupTargets(pattern, specs.get("response"), specs.get("resolution"), calendar)
