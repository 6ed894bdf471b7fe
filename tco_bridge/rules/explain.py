"""``rules explain``: for one event, which rules match, and why the others do not."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..events import TicketEvent
from ..plan import Context
from ..state import TicketState, apply, new_state
from .engine import OWNER_CHANGED, RuleSet


@dataclass(frozen=True, slots=True)
class Verdict:
    rule: str
    matched: bool
    reason: str


def explain(
    rules: RuleSet,
    event: TicketEvent,
    *,
    state: TicketState | None = None,
    now: datetime | None = None,
    context: Context | None = None,
) -> list[Verdict]:
    """Apply ``event`` to ``state`` (a new ticket by default) and judge every rule."""
    state = apply(state or new_state(event.connector, event.ticket), event, rules.ownership)
    facts = rules.facts(state, event, now or event.at, context or Context())
    owner_changed = rules.owner_changed(facts)
    verdicts = []
    for rule in rules.rules:
        if not rule.enabled:
            verdicts.append(Verdict(rule.name, False, "disabled (enabled: false)"))
            continue
        listening = facts.trigger in rule.triggers or (
            owner_changed and OWNER_CHANGED in rule.triggers
        )
        if not listening:
            wanted = ", ".join(sorted(rule.triggers))
            verdicts.append(
                Verdict(rule.name, False, f"trigger is {facts.trigger}, rule listens to {wanted}")
            )
            continue
        ok, why = rules.matches(rule, facts)
        verdicts.append(Verdict(rule.name, ok, why))
    return verdicts


def format_verdicts(verdicts: list[Verdict]) -> str:
    width = max((len(v.rule) for v in verdicts), default=0)
    lines = []
    for v in verdicts:
        mark = "MATCH" if v.matched else "no   "
        lines.append(f"{mark} {v.rule.ljust(width)}  {v.reason}")
    return "\n".join(lines)
