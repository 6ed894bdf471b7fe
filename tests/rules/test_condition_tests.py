"""Evaluation asks each condition's fast ``test`` and words reasons only for rules that match;
``rules explain`` asks the worded ``check``. Both must give the same verdict on every ticket.

Random ticket lives (seeded) run through the default rules; at every evaluation every
condition of every rule is asked both ways, and each rule's fast verdict is compared with
``matches``. The candidates narrowed by status and author must keep every rule that matches,
evaluation's plan notes must carry the same reasons explain gives, and rules writing into one
shared plan must give the plan that merging each rule's own plan gives.
"""

from __future__ import annotations

import random
from datetime import datetime

import pytest
from rules_kit import ALICE, BOB, CAROL, ERIN, T0, Sim, minutes

from tco_bridge.events import Status, TicketEvent
from tco_bridge.plan import Context, Plan
from tco_bridge.rules import RuleSet
from tco_bridge.rules.value_conditions import NARROWING, narrowing_values
from tco_bridge.state import TicketState

REPLIES = [
    "Yes, it works now. Thank you!",
    "Still broken.",
    "Not fixed, the app still crashes",
    "I think it works, will test tomorrow.",
    "Any news?",
    "ok",
]
NOTES = ["checking logs", "Found the cause: stale route; fixed by replacing the profile."]


class Both:
    """A rule book that asks every condition both ways before evaluating."""

    def __init__(self, rules: RuleSet) -> None:
        self.rules = rules
        self.ownership = rules.ownership
        self.merged = RuleSet(rules.ownership, rules.defs, rules.rules, source=rules.source)
        self.merged._own_plan = frozenset(rule.name for rule in rules.rules)
        self.compared = 0
        self.matched_notes: list[str] = []

    def evaluate(
        self, state: TicketState, trigger: TicketEvent, now: datetime, context: Context
    ) -> Plan:
        facts = self.rules.facts(state, trigger, now, context)
        # the values the engine narrows by, read in one go, are those NARROWING names
        assert narrowing_values(facts) == tuple(read(facts) for read in NARROWING.values())
        candidates = self.rules.candidates(facts)
        listening = self.rules.listening(
            facts.trigger, self.rules.owner_changed(facts), self.rules.owner_released(facts)
        )
        for rule in self.rules.rules:
            for condition in rule.conditions:
                assert condition.test(facts) == condition.check(facts)[0], (rule.name, condition)
                self.compared += 1
            ok, why = self.rules.matches(rule, facts)
            assert self.rules.passes(rule, facts) == ok, rule.name
            if ok and rule in listening:
                # narrowing the candidates by status and author never drops a match
                assert rule in candidates, rule.name
                self.matched_notes.append(f"{rule.name}: {why}")
        plan = self.rules.evaluate(state, trigger, now, context)
        # every rule writing into the shared plan equals each rule planning alone, merged
        assert plan == self.merged.evaluate(state, trigger, now, context)
        for note in plan.notes:
            assert note in self.matched_notes, note
        return plan


def live(sim: Sim, rng: random.Random) -> None:
    at = T0 + minutes(rng.randrange(0, 3 * 24 * 60))
    sim.created(at, priority=rng.choice(["urgent", "high", "normal", "low"]))
    for _ in range(rng.randrange(6, 16)):
        at += minutes(rng.randrange(5, 600))
        step = rng.randrange(9)
        if step == 0:
            sim.comment(at, rng.choice([ALICE, ERIN]), rng.choice(NOTES), public=False)
        elif step == 1:
            sim.comment(at, rng.choice([ALICE, ERIN]), "Update: deploying a fix now.")
        elif step == 2:
            sim.comment(at, CAROL, rng.choice(REPLIES))
        elif step == 3:
            sim.group(at, rng.choice(["l2_network", "service_desk"]))
        elif step == 4:
            sim.assign(at, rng.choice([ALICE, BOB, ERIN]))
        elif step == 5:
            sim.priority(at, rng.choice(["urgent", "high", "normal", "low"]))
        elif step == 6:
            sim.status(at, rng.choice([Status.ON_HOLD, Status.OPEN, Status.PENDING]))
        elif step == 7:
            sim.status(at, Status.RESOLVED)
        else:
            sim.advance(at)


@pytest.mark.parametrize("seed", range(6))
def test_fast_verdicts_equal_worded_ones(default_rules: RuleSet, seed: int) -> None:
    rng = random.Random(seed)
    both = Both(default_rules)
    for n in range(8):
        sim = Sim(both, ticket=f"T-{seed}-{n}", workload={"alice": rng.randrange(0, 30)})
        live(sim, rng)
    assert both.compared > 1000
    assert both.matched_notes
