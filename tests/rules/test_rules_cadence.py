"""Practices 3 (customer updates) and 2 (the warm-transfer ladder) over whole ticket lives
on a virtual clock (pure). The update clock recurs until the customer confirms, across
weekends, public holidays and a DST change; the lead hears once per missed cycle, with the
count; waits pause it, their end restarts it. The pickup ladder: owner, repeat, group lead.

Calendar of rules/default.yaml: Europe/Berlin, Mon-Thu 08-18, Fri 08-17, Berlin holidays.
P3: an update every business day, warning 1h before, the lead 4 business hours after.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from rules_kit import ALICE, BRIDGE, CAROL, ERIN, Sim, minutes

from tco_bridge.actions import Action, ActionKind
from tco_bridge.events import Actor, ActorKind, Status
from tco_bridge.rules import RuleSet
from tco_bridge.watch import update_watch

NOBODY = Actor("", ActorKind.AGENT)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def fired(actions: list[Action], rule: str) -> list[Action]:
    return [a for a in actions if a.rule == rule and a.kind is ActionKind.NOTE]


def opened(rules: RuleSet, at: datetime) -> Sim:
    """A P3 ticket opened at ``at``; Alice answers ten minutes later."""
    sim = Sim(rules, now=at)
    sim.created(at)
    sim.comment(at + minutes(10), ALICE, "Hello Carol, we are on it.")
    return sim


def test_cadence_recurs_across_a_weekend_and_the_dst_change(default_rules: RuleSet) -> None:
    # Thursday 27 March 2025, 09:00 CET; Europe moves to CEST on Sunday 30 March.
    sim = opened(default_rules, utc(2025, 3, 27, 8, 0))
    mark = len(sim.actions)
    sim.advance(utc(2025, 4, 2, 18, 0))  # to Wednesday evening: nobody writes to Carol
    actions = sim.actions[mark:]
    due = [a.id for a in fired(actions, "update-cadence-due")]
    dues = [p for p in sim.plans if any(a.rule == "update-cadence-due" for a in p.actions)]
    assert len(due) == len(dues) == 3  # the cap: three cycles missed in a row
    # Every business day at 09:10 local time: CET on Friday, CEST from Monday on.
    due_times = sorted(
        t for p in dues for n, t in p.timers_set.items() if n == "customer_update_overdue"
    )
    assert due_times == [  # the lead is due 4 business hours after each due nudge
        utc(2025, 3, 28, 12, 10),  # Fri 13:10 CET
        utc(2025, 3, 31, 11, 10),  # Mon 13:10 CEST
        utc(2025, 4, 1, 11, 10),
    ]
    leads = fired(actions, "update-cadence-overdue")
    assert [a.mention for a in leads] == [("lead-sd",)] * 2
    assert [a.text.rsplit("(", 1)[1] for a in leads if a.text] == [
        "1 update cycle missed).",
        "2 update cycles missed).",
    ]
    # Tuesday's cycle is the third: the lead hears once that it is three behind, and the
    # reminders stop (Wednesday brings no warning and no nudge).
    [behind] = fired(actions, "update-cadence-behind")
    assert behind.mention == ("lead-sd",)
    assert actions[-1] is behind  # nothing after it: Wednesday's warning and nudge are gone
    assert (behind.text or "").startswith("T-1 (P3) is 3 customer-update cycles behind:")
    assert "although Alice Agent was reminded each cycle" in (behind.text or "")
    warns = fired(actions, "update-cadence-warn")
    assert [w.text.split(" is due ")[1].split(";")[0] for w in warns if w.text] == [
        "2025-03-28 09:10 CET",
        "2025-03-31 09:10 CEST",
        "2025-04-01 09:10 CEST",
    ]
    # The clock goes on quietly: Wednesday's deadline counted as the fourth missed cycle.
    assert sim.state.timers["customer_update_due"] == utc(2025, 4, 3, 7, 10)
    assert sim.state.marks["update_cycles_missed"] == 4
    assert sim.state.timers_fired["customer_update_due"] == 4


def test_cadence_skips_the_easter_holidays(default_rules: RuleSet) -> None:
    # Thursday 17 April 2025; Good Friday and Easter Monday are holidays in Berlin.
    sim = opened(default_rules, utc(2025, 4, 17, 7, 0))
    assert sim.state.timers["customer_update_due"] == utc(2025, 4, 22, 7, 10)  # Tue 09:10
    mark = len(sim.actions)
    sim.advance(utc(2025, 4, 22, 7, 9))
    assert fired(sim.actions[mark:], "update-cadence-due") == []
    sim.advance(utc(2025, 4, 23, 7, 10))
    assert len(fired(sim.actions[mark:], "update-cadence-due")) == 2


def test_a_public_reply_restarts_the_cycle_and_its_count(default_rules: RuleSet) -> None:
    sim = opened(default_rules, utc(2025, 3, 3, 8, 0))
    sim.advance(utc(2025, 3, 5, 18, 0))  # two cycles missed
    sim.comment(utc(2025, 3, 6, 8, 0), ALICE, "Update: the new profile is on its way.")
    assert sim.state.timers["customer_update_due"] == utc(2025, 3, 7, 8, 0)
    mark = len(sim.actions)
    sim.advance(utc(2025, 3, 7, 18, 0))
    [lead] = fired(sim.actions[mark:], "update-cadence-overdue")
    assert (lead.text or "").endswith("(1 update cycle missed).")


def test_past_the_cap_the_clock_counts_quietly_until_an_update(default_rules: RuleSet) -> None:
    """Three cycles missed: the lead is told once; then no reminder (not even after a
    priority change re-plans the clock), while the missed cycles go on counting for the
    metrics and the lead's view; a public reply resumes the cadence from one."""
    sim = opened(default_rules, utc(2025, 3, 3, 8, 0))  # Monday 09:00 CET
    sim.advance(utc(2025, 3, 6, 18, 0))  # Tuesday, Wednesday, Thursday 09:10 missed
    [behind] = fired(sim.actions, "update-cadence-behind")
    assert behind.mention == ("lead-sd",)
    mark = len(sim.actions)
    sim.priority(utc(2025, 3, 7, 8, 0), "urgent")  # now a P1: hourly, from the last update
    sim.advance(utc(2025, 3, 10, 18, 0))
    assert [a.rule for a in sim.actions[mark:] if a.rule.startswith("update-")] == []
    missed = sim.state.marks["update_cycles_missed"]
    assert missed > 3 + 70  # every hour since Friday 09:00 counted
    assert sim.state.timers_fired["customer_update_due"] == missed
    [row] = update_watch([sim.state], utc(2025, 3, 10, 18, 0))
    assert (row["state"], row["missed"], row["lead_told"]) == ("overdue", missed, True)
    mark = len(sim.actions)
    sim.comment(utc(2025, 3, 11, 8, 0), ALICE, "Update: the new profile is on its way.")
    sim.advance(utc(2025, 3, 11, 9, 35))  # P1: warn 09:45, due 10:00, lead 10:30 (CET)
    assert [a.rule for a in sim.actions[mark:] if a.kind is ActionKind.NOTE] == [
        "update-cadence-warn",
        "update-cadence-due",
        "update-cadence-overdue",
    ]
    assert (sim.actions[-1].text or "").endswith("(1 update cycle missed).")


@pytest.mark.parametrize("wait", [Status.PENDING, Status.ON_HOLD])
def test_a_wait_pauses_the_clock_and_its_end_restarts_it(
    default_rules: RuleSet, wait: Status
) -> None:
    sim = opened(default_rules, utc(2025, 3, 3, 8, 0))
    sim.status(utc(2025, 3, 3, 9, 0), wait)
    assert not {"customer_update_due", "customer_update_warn"} & set(sim.state.timers)
    mark = len(sim.actions)
    sim.advance(utc(2025, 3, 4, 18, 0))
    assert fired(sim.actions[mark:], "update-cadence-due") == []
    # Carol answers on Wednesday and the tool reopens the ticket (awaiting information), or
    # the hold is lifted: the clock starts from then.
    if wait is Status.PENDING:
        sim.comment(utc(2025, 3, 5, 10, 0), CAROL, "Here is the log you asked for.")
    sim.status(utc(2025, 3, 5, 10, 0), Status.OPEN, actor=CAROL)
    assert sim.state.timers["customer_update_due"] == utc(2025, 3, 6, 10, 0)
    assert sim.state.timers["customer_update_warn"] == utc(2025, 3, 6, 9, 0)


def test_expired_hold_restarts_the_clock(default_rules: RuleSet) -> None:
    sim = opened(default_rules, utc(2025, 3, 3, 8, 0))
    sim.status(utc(2025, 3, 3, 9, 0), Status.ON_HOLD)
    sim.advance(utc(2025, 3, 10, 9, 30))  # 5 business days: Monday 10:00, the bridge reopens
    reopen = [a for a in sim.actions if a.rule == "hold-expired" and a.status == "open"]
    assert len(reopen) == 1
    # Its own reopen comes back as a bridge event that triggers no rule (loop guard), so the
    # expiry itself restarted the clock.
    assert sim.state.timers["customer_update_due"] == utc(2025, 3, 11, 9, 0)
    sim.status(utc(2025, 3, 10, 9, 31), Status.OPEN, actor=BRIDGE)
    assert sim.state.timers["customer_update_due"] == utc(2025, 3, 11, 9, 0)


def test_reopen_restarts_the_clock_until_the_customer_confirms(default_rules: RuleSet) -> None:
    sim = opened(default_rules, utc(2025, 3, 3, 8, 0))
    sim.status(utc(2025, 3, 3, 10, 0), Status.RESOLVED)
    assert "customer_update_due" not in sim.state.timers
    sim.comment(utc(2025, 3, 4, 9, 0), CAROL, "Still broken, sorry.")
    sim.status(utc(2025, 3, 4, 9, 0), Status.OPEN, actor=CAROL)
    assert sim.state.timers["customer_update_due"] == utc(2025, 3, 5, 9, 0)
    sim.status(utc(2025, 3, 4, 12, 0), Status.RESOLVED)
    sim.comment(utc(2025, 3, 4, 13, 0), CAROL, "Yes, it works now.")
    mark = len(sim.actions)
    sim.advance(utc(2025, 3, 20, 18, 0))
    assert fired(sim.actions[mark:], "update-cadence-due") == []


# --- 2. warm transfer ladder -------------------------------------------------------------------


def test_pickup_ladder_owner_repeat_then_the_group_lead(default_rules: RuleSet) -> None:
    # P3 escalated Friday 14:00 Berlin; pickup 4bh, repeat 2bh; Friday closes at 17:00.
    sim = opened(default_rules, utc(2025, 3, 7, 8, 0))
    sim.group(utc(2025, 3, 7, 13, 0), "l2_network")
    fired_at = []
    for p in sim.advance(utc(2025, 3, 10, 18, 0)):
        fired_at += [(a.rule, a.mention) for a in p.actions if a.rule.startswith("pickup-")]
    assert fired_at == [
        ("pickup-overdue", ("alice", "group:l2_network")),
        ("pickup-repeat", ("alice", "group:l2_network")),
        ("pickup-lead", ("lead-l2", "alice")),
    ]
    lead = [a for a in sim.actions if a.rule == "pickup-lead"][0]
    assert "nobody has picked it up after 2 nudges to Alice Agent" in (lead.text or "")
    assert lead.id.startswith("tco-")
    assert "pickup_repeat" not in sim.state.timers and "pickup_due" not in sim.state.timers


def test_pickup_ladder_times_across_the_weekend(default_rules: RuleSet) -> None:
    sim = opened(default_rules, utc(2025, 3, 7, 8, 0))
    sim.group(utc(2025, 3, 7, 13, 0), "l2_network")
    assert sim.state.timers["pickup_due"] == utc(2025, 3, 10, 8, 0)  # Monday 09:00 CET
    sim.advance(utc(2025, 3, 10, 8, 0))
    assert sim.state.timers["pickup_repeat"] == utc(2025, 3, 10, 10, 0)  # Monday 11:00
    sim.advance(utc(2025, 3, 10, 10, 0))
    assert sim.state.timers["pickup_repeat"] == utc(2025, 3, 10, 12, 0)  # the lead at 13:00


def test_pickup_stops_the_ladder_and_a_new_group_restarts_it(default_rules: RuleSet) -> None:
    sim = opened(default_rules, utc(2025, 3, 7, 8, 0))
    sim.group(utc(2025, 3, 7, 13, 0), "l2_network")
    sim.advance(utc(2025, 3, 10, 8, 30))  # first rung fired Monday 09:00
    sim.assign(utc(2025, 3, 10, 9, 0), ERIN, actor=ERIN)  # Erin takes it at 10:00
    assert not {"pickup_due", "pickup_repeat"} & set(sim.state.timers)
    mark = len(sim.actions)
    sim.advance(utc(2025, 3, 10, 17, 0))
    assert [a for a in sim.actions[mark:] if a.rule.startswith("pickup-")] == []
    # Erin moves it on to L3, unassigned: the ladder starts again from its first rung.
    sim.group(utc(2025, 3, 10, 14, 0), "l3_engineering", actor=ERIN)
    sim.assign(utc(2025, 3, 10, 14, 0), NOBODY, actor=ERIN)
    assert sim.state.timers["pickup_due"] == utc(2025, 3, 11, 8, 0)  # 4bh: Tuesday 09:00
    mark = len(sim.actions)
    sim.advance(utc(2025, 3, 11, 18, 0))
    rungs = [(a.rule, a.mention) for a in sim.actions[mark:] if a.rule.startswith("pickup-")]
    assert rungs == [
        ("pickup-overdue", ("alice", "group:l3_engineering")),
        ("pickup-repeat", ("alice", "group:l3_engineering")),
        ("pickup-lead", ("lead-l3", "alice")),
    ]
