"""docs/rules.md is the rules file's reference: every name the loader accepts is in it, and
every condition and action its tables list is one the loader knows."""

from __future__ import annotations

import re
from pathlib import Path

from tco_bridge.ownership import Model, OwnerTrigger
from tco_bridge.rules import actions, conditions, loader, model, recipients, rules_section
from tco_bridge.rules.comment_conditions import REPLY_KINDS
from tco_bridge.rules.targets_section import GROUP_KEYS, KEYS

DOC = (Path(__file__).resolve().parents[2] / "docs" / "rules.md").read_text()
#: The reference's YAML examples, which show keys and values the prose does not repeat.
EXAMPLES = "\n".join(re.findall(r"^```yaml\n(.*?)^```", DOC, re.M | re.S))


def _documented(name: str) -> bool:
    return f"`{name}`" in DOC or re.search(rf"(?<![\w-]){name}(?![\w-])", EXAMPLES) is not None


def _table_names(heading: str) -> set[str]:
    """The backticked names in the first column of the table under ``heading``."""
    section = DOC.split(heading, 1)[1].split("\n#", 1)[0]
    rows = re.findall(r"^\| (`[^|]+)\|", section, re.M)
    return {name for row in rows for name in re.findall(r"`([a-z_]+)`", row)}


def test_every_name_the_loader_accepts_is_documented() -> None:
    accepted = {
        "top-level key": loader.TOP_LEVEL,
        "rule key": rules_section.RULE_KEYS,
        "trigger": rules_section.EVENT_TRIGGERS,
        "condition": tuple(conditions.COMPILERS),
        "action": tuple(actions.COMPILERS),
        "target": recipients.TARGETS,
        "anchor": model.ANCHORS,
        "escalation_targets key": (*KEYS, *GROUP_KEYS),
        "ownership model": tuple(m.value for m in Model),
        "owner trigger": tuple(t.value for t in OwnerTrigger),
        "reply verdict": REPLY_KINDS,
    }
    missing = [
        f"{kind} {n}" for kind, names in accepted.items() for n in names if not _documented(n)
    ]
    assert missing == []


def test_every_condition_and_action_the_doc_lists_is_known() -> None:
    assert _table_names("### Conditions") - set(conditions.COMPILERS) == set()
    assert _table_names("### Actions") - set(actions.COMPILERS) == set()
    assert {"status", "not", "owner_workload_above"} <= _table_names("### Conditions")
    assert {"nudge", "set_timer", "watch_eta"} <= _table_names("### Actions")
