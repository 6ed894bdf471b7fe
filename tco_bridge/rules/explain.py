"""``rules explain``: for one event, which rules match, and why the others do not."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from ..events import TicketEvent, utc
from ..plan import Context
from ..recording import Presence
from ..state import TicketState, new_state
from ..ticket_apply import apply
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


def replay_to(
    rules: RuleSet, items: Sequence[TicketEvent | Presence], ticket: str, at: datetime | None
) -> tuple[TicketEvent, TicketState, Context] | None:
    """The ticket's last event at or before ``at``, with the ticket's state and the context
    (workload, away) just before it, from replaying everything earlier as simulate does."""
    events = [
        i
        for i in items
        if isinstance(i, TicketEvent)
        and ticket in (i.ticket, i.ticket_key)
        and (at is None or i.at <= utc(at))
    ]
    if not events:
        return None
    last = max(events, key=lambda e: (utc(e.at), e.key))
    order = (utc(last.at), last.key)
    earlier = [i for i in items if (utc(i.at), i.key) < order]
    from ..simulate import Simulator  # simulate's CLI imports the rules package

    sim = Simulator(rules)
    sim.run(earlier, until=last.at)
    state = sim.states.get(last.ticket_key) or new_state(last.connector, last.ticket)
    return last, state, sim.context()


def format_verdicts(verdicts: list[Verdict]) -> str:
    width = max((len(v.rule) for v in verdicts), default=0)
    lines = []
    for v in verdicts:
        mark = "MATCH" if v.matched else "no   "
        lines.append(f"{mark} {v.rule.ljust(width)}  {v.reason}")
    return "\n".join(lines)
