"""Escalation-group targets: the stay arithmetic (business time, DST, reordering), the timers
``arm_targets`` plans, and the loader's errors. Pure: no Redis."""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from rules_kit import ALICE, ERIN, T0, Sim, hours, minutes

from tco_bridge.events import EventType, Status, TicketEvent
from tco_bridge.plan import Plan
from tco_bridge.rules import RuleSet
from tco_bridge.rules.targets import Stay, parse_eta, stays, warn_before
from tco_bridge.state import new_state
from tco_bridge.team_metrics import targets_by_group
from tco_bridge.ticket_apply import apply_all
from tco_bridge.watch import escalation_watch


@dataclass
class Recorder(Sim):
    """A Sim that keeps the deliveries (not the timer firings) to replay them reordered."""

    delivered: list[TicketEvent] = field(default_factory=list)

    def _process(self, event: TicketEvent) -> Plan:
        if event.type is not EventType.TIMER_FIRED:
            self.delivered.append(event)
        return super()._process(event)


def record(sim: Sim, rules: RuleSet, at: datetime) -> list[Stay]:
    return stays(sim.state, rules.ownership, rules.defs, at)


def escalated(rules: RuleSet, priority: str = "high", ticket: str = "T-1") -> Sim:
    """Created Monday 3 March 2025 09:00 Berlin, answered by Alice, moved to L2 at 09:30."""
    sim = Recorder(rules, ticket=ticket)
    sim.created(priority=priority)
    sim.comment(T0 + minutes(10), ALICE, "We are on it.")
    sim.group(T0 + minutes(30), "l2_network")
    return sim


def test_a_pickup_in_time_meets_the_response_target(default_rules: RuleSet) -> None:
    sim = escalated(default_rules)  # P2: response 2bh, resolution 2bd
    sim.assign(T0 + hours(1), ERIN, actor=ERIN)
    [stay] = record(sim, default_rules, T0 + hours(2))
    assert (stay.alias, stay.priority) == ("l2_network", "P2")
    assert stay.response.due == datetime(2025, 3, 3, 10, 30, tzinfo=UTC)  # 11:30 Berlin
    assert (stay.response.status, stay.response.done_at) == ("met", T0 + hours(1))
    assert stay.response.met is True
    assert stay.resolution.status == "running" and stay.resolution.met is None
    # 2bd from Monday 09:30 is Wednesday 09:30 Berlin.
    assert stay.resolution.due == datetime(2025, 3, 5, 8, 30, tzinfo=UTC)


def test_no_pickup_breaches_once_the_target_passed(default_rules: RuleSet) -> None:
    sim = escalated(default_rules)
    assert record(sim, default_rules, T0 + hours(2))[0].response.status == "running"
    [stay] = record(sim, default_rules, T0 + hours(3))
    assert (stay.response.status, stay.response.met) == ("breached", False)


def test_resolution_is_the_stay_ending_resolved_or_handed_on(default_rules: RuleSet) -> None:
    sim = escalated(default_rules)
    sim.assign(T0 + hours(3), ERIN, actor=ERIN)  # a late pickup
    sim.status(T0 + hours(5), Status.RESOLVED, actor=ERIN)
    [stay] = record(sim, default_rules, T0 + hours(30))
    assert stay.response.status == "breached" and stay.response.done_at == T0 + hours(3)
    assert (stay.resolution.status, stay.resolution.done_at, stay.resolved) == (
        "met",
        T0 + hours(5),
        True,
    )
    handed = escalated(default_rules)
    handed.group(T0 + hours(2), "l3_engineering", actor=ERIN)
    first, second = record(handed, default_rules, T0 + hours(3))
    assert (first.resolution.status, first.resolved) == ("met", False)
    assert first.response.status == "none"  # moved on unpicked before its target passed
    assert second.alias == "l3_engineering" and second.response.status == "running"


def test_a_bounce_back_is_a_new_stay_with_its_own_targets(default_rules: RuleSet) -> None:
    sim = escalated(default_rules)
    sim.group(T0 + hours(1), "service_desk", actor=ERIN)
    sim.group(T0 + hours(2), "l2_network")
    first, second = record(sim, default_rules, T0 + hours(3))
    assert first.segment.entered_at == T0 + minutes(30)
    assert second.segment.entered_at == T0 + hours(2)
    assert second.response.due == T0 + hours(4)
    assert second.response.status == "running"
    assert sim.state.timers["target_response_due"] == T0 + hours(4)


def test_stays_cross_a_weekend_and_a_dst_change_on_business_time(
    default_rules: RuleSet,
) -> None:
    # Friday 28 March 2025 16:00 Berlin (CET), summer time starts Sunday 30 March.
    friday = datetime(2025, 3, 28, 15, 0, tzinfo=UTC)
    sim = Sim(default_rules)
    sim.created(friday - minutes(30), priority="normal")
    sim.comment(friday - minutes(20), ALICE, "We are on it.")
    sim.group(friday, "l2_network")
    [stay] = record(sim, default_rules, friday)
    # P3 response 4bh: 1h on Friday (closing 17:00), 3h on Monday from 08:00 CEST = 11:00 CEST.
    assert stay.response.due == datetime(2025, 3, 31, 9, 0, tzinfo=UTC)
    # P3 resolution 5bd: the next Friday at 16:00 CEST (the wall-clock time is kept).
    assert stay.resolution.due == datetime(2025, 4, 4, 14, 0, tzinfo=UTC)
    # 80 % of 4 business hours (3h 12m): 1h on Friday, 2h 12m on Monday = 10:12 CEST.
    assert sim.state.timers["target_response_warn"] == datetime(2025, 3, 31, 8, 12, tzinfo=UTC)
    calendar = default_rules.defs.calendar(None)
    assert warn_before(None, friday, friday + hours(10), 0.5) == friday + hours(5)
    assert calendar is not None
    assert warn_before(calendar, friday, stay.response.due or friday, 0.25) == friday + hours(1)


def test_stays_do_not_depend_on_delivery_order(default_rules: RuleSet) -> None:
    sim = escalated(default_rules)
    sim.assign(T0 + hours(1), ERIN, actor=ERIN)
    sim.group(T0 + hours(2), "service_desk", actor=ERIN)
    sim.group(T0 + hours(4), "l3_engineering")
    sim.status(T0 + hours(6), Status.RESOLVED, actor=ERIN)
    events = sim.delivered
    expected = record(sim, default_rules, T0 + hours(8))
    shuffled = events[:]
    random.Random(8).shuffle(shuffled)
    state = apply_all(new_state("sandbox", "T-1"), shuffled, default_rules.ownership)
    assert stays(state, default_rules.ownership, default_rules.defs, T0 + hours(8)) == expected
    # L3 never assigned it, but resolved it in time: that counts as its response too.
    assert [s.response.status for s in expected] == ["met", "met"]
    assert [s.resolution.status for s in expected] == ["met", "met"]


def test_a_priority_change_replans_only_the_pending_timers(default_rules: RuleSet) -> None:
    sim = escalated(default_rules, priority="normal")  # P3: response 4bh
    warned = [a for p in sim.advance(T0 + hours(4)) for a in p.actions]
    assert [a.rule for a in warned] == ["group-target-warning"]
    plan = sim.priority(T0 + hours(4), "high")  # P2: 2bh, already past: due at once
    assert "target_response_warn" not in plan.timers_set  # fired already: not again
    assert plan.timers_set["target_response_due"] == T0 + hours(2) + minutes(30)
    late = [a.rule for p in sim.advance(T0 + hours(5)) for a in p.actions]
    assert late.count("group-target-breach") == 1 and "group-target-warning" not in late


def test_no_targets_outside_escalation_groups(default_rules: RuleSet) -> None:
    sim = escalated(default_rules)
    plan = sim.group(T0 + hours(1), "service_desk", actor=ERIN)
    assert {"target_response_due", "target_resolution_due"} <= plan.timers_cleared
    assert not any(name.startswith("target_") for name in sim.state.timers)


def test_eta_values() -> None:
    assert parse_eta("2025-03-11", None) == datetime(2025, 3, 12, tzinfo=UTC)
    assert parse_eta("2025-03-11T10:00:00Z", None) == datetime(2025, 3, 11, 10, tzinfo=UTC)
    assert parse_eta("soon", None) is None and parse_eta(None, None) is None


# --- the estimated completion ------------------------------------------------------------------


def test_the_eta_reaches_the_owners_reminders_and_a_passed_one_nudges_once(
    default_rules: RuleSet,
) -> None:
    sim = escalated(default_rules, priority="normal")  # P3 cadence: 1bd from Alice's reply
    sim.assign(T0 + hours(1), ERIN, actor=ERIN)
    eta = sim._event(EventType.FIELD_CHANGED, T0 + hours(2), actor=ERIN, field="eta")
    plan = sim.send(replace(eta, after="2025-03-04"))
    assert plan.timers_set["eta_passed"] == datetime(2025, 3, 4, 23, 0, tzinfo=UTC)
    fired = [a for p in sim.advance(T0 + hours(40)) for a in p.actions]
    [due] = [a for a in fired if a.rule == "update-cadence-due"]
    assert "L2 Network expects to finish by 2025-03-05 00:00 CET." in (due.text or "")
    [passed] = [a for a in fired if a.rule == "eta-passed"]
    assert passed.mention == ("erin", "alice")
    assert (passed.text or "").startswith(
        "The estimated completion of T-1 (2025-03-05 00:00 CET) has passed and it is not resolved."
    )
    # Another change that leaves the estimate as it was does not arm it again.
    plan = sim.comment(T0 + hours(41), ERIN, "Still on it.", public=False)
    assert "eta_passed" not in plan.timers_set and "eta_passed" not in sim.state.timers
    later = sim.send(replace(eta, key="moved", at=T0 + hours(42), after="2025-03-06T12:00:00"))
    assert later.timers_set["eta_passed"] == datetime(2025, 3, 6, 11, 0, tzinfo=UTC)
    cleared = sim.send(replace(eta, key="cleared", at=T0 + hours(43), after=""))
    assert "eta_passed" in cleared.timers_cleared


# --- metrics and the stalled-escalations view --------------------------------------------------


def test_target_compliance_per_group_and_the_stalled_view(default_rules: RuleSet) -> None:
    met = escalated(default_rules)
    met.assign(T0 + hours(1), ERIN, actor=ERIN)
    late = escalated(default_rules, ticket="T-2")
    now = T0 + hours(3)  # 12:00 Berlin: L2's P2 response target (11:30) has passed for T-2
    rows = targets_by_group([met.state, late.state], default_rules, now)
    assert rows == [
        {
            "group": "l2_network",
            "stays": 2,
            "running": 2,
            "response_met": 1,
            "response_breached": 1,
            "response_compliance": 0.5,
            "resolution_met": 0,
            "resolution_breached": 0,
            "resolution_compliance": None,
        }
    ]
    stalled = escalation_watch([met.state, late.state], default_rules, now)
    assert [(r["ticket"], r["target"], r["state"], r["due"]) for r in stalled] == [
        ("T-2", "pickup_due", "breached", T0 + hours(1) + minutes(30)),
        ("T-2", "response target", "breached", T0 + hours(2) + minutes(30)),
    ]
    # Without the rule book (a bare ownership policy) only the pickup clock is watched.
    bare = escalation_watch([late.state], default_rules.ownership, now)
    assert [r["target"] for r in bare] == ["pickup_due"]
