"""The pure read models behind the console, the JSON API and the CLI: team metrics per group,
day and owner, CSV export, the lead's watch lists, the demo clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from tco_bridge import democlock, timeline
from tco_bridge.errors import ConfigError
from tco_bridge.events import Status
from tco_bridge.ownership import OwnershipPolicy
from tco_bridge.state import Change, Owner, TicketState
from tco_bridge.team_metrics import (
    cadence_by_day,
    escalation_by_group,
    in_period,
    parse_day,
    resolution_by_owner,
    to_csv,
)
from tco_bridge.watch import (
    confirmation_watch,
    escalation_watch,
    update_watch,
    workload_watch,
)

T0 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
POLICY = OwnershipPolicy(frontline_groups=frozenset({"sd"}))


def h(n: float) -> timedelta:
    return timedelta(hours=n)


def ticket(
    tid: str,
    *,
    owner: str = "anna",
    status: Status = Status.OPEN,
    groups: tuple[tuple[float, str], ...] = ((0, "sd"),),
    assignees: tuple[tuple[float, str], ...] = (),
    **kw: object,
) -> TicketState:
    return TicketState(
        connector="zendesk",
        ticket=tid,
        created_at=T0,
        registers={"status": Change(T0, f"s{tid}", status.value)},
        groups=tuple(Change(T0 + h(at), f"g{tid}{at}", g) for at, g in groups),
        assignees=tuple(Change(T0 + h(at), f"a{tid}{at}", a) for at, a in assignees),
        owner=Owner(owner, owner.title(), "agent", T0, "first_public_reply"),
        **kw,  # type: ignore[arg-type]
    )


def test_escalation_time_and_pickup_per_group() -> None:
    states = [
        ticket("1", groups=((0, "sd"), (1, "l2"), (3, "sd")), assignees=((2, "eve"),)),
        ticket("2", groups=((0, "sd"), (1, "l2"))),
    ]
    rows = escalation_by_group(states, POLICY, T0 + h(5))
    # Ticket 1: two hours in L2, picked up after one; ticket 2: four hours and counting.
    assert rows == [{"group": "l2", "stays": 2, "mean_minutes": 180.0, "mean_pickup_minutes": 60.0}]


def test_cadence_per_day_and_resolution_per_owner() -> None:
    day2 = ticket("2", status=Status.RESOLVED, resolved_at=T0 + h(30), customer_updates=1)
    day2 = TicketState(**_shift(day2, h(24)))  # type: ignore[arg-type]
    states = [
        ticket("1", customer_updates=3, timers_fired={"customer_update_due": 1}),
        day2,
        ticket("3", owner="eve", status=Status.CLOSED, resolved_at=T0 + h(2)),
    ]
    assert cadence_by_day(states) == [
        {
            "day": "2026-01-05",
            "customer_updates": 3,
            "update_deadlines_missed": 1,
            "cadence_compliance": 0.75,
        },
        {
            "day": "2026-01-06",
            "customer_updates": 1,
            "update_deadlines_missed": 0,
            "cadence_compliance": 1.0,
        },
    ]
    assert resolution_by_owner(states) == [
        {"owner": "anna", "resolved": 1, "mean_hours": 6.0},
        {"owner": "eve", "resolved": 1, "mean_hours": 2.0},
    ]
    assert [s.ticket for s in in_period(states, date(2026, 1, 6), None)] == ["2"]
    assert [s.ticket for s in in_period(states, None, date(2026, 1, 5))] == ["1", "3"]
    assert (
        to_csv(resolution_by_owner(states)) == "owner,resolved,mean_hours\nanna,1,6.0\neve,1,2.0\n"
    )
    assert to_csv([]) == ""


def _shift(state: TicketState, by: timedelta) -> dict[str, object]:
    fields = {k: getattr(state, k) for k in state.__dataclass_fields__}
    fields["created_at"] = state.created_at + by if state.created_at else None
    return fields


def test_parse_day_names_the_parameter() -> None:
    assert parse_day("2026-11-30", "from") == date(2026, 11, 30)
    assert parse_day("", "from") is None
    with pytest.raises(ValueError, match="'to' must be a date like 2026-11-30, not 'soon'"):
        parse_day("soon", "to")


def test_update_watch_overdue_due_soon_and_quiet() -> None:
    now = T0 + h(10)
    states = [
        ticket("late", timers={"customer_update_due": now - h(1)}),
        ticket(
            "told",
            timers_fired={"customer_update_due": 1, "customer_update_overdue": 1},
        ),
        ticket(
            "soon",
            timers={"customer_update_due": now + h(1)},
            timers_fired={"customer_update_warn": 1},
        ),
        ticket("fine", timers={"customer_update_due": now + h(5), "customer_update_warn": now}),
        ticket("waiting", status=Status.PENDING, timers_fired={"customer_update_due": 1}),
    ]
    rows = {r["ticket"]: r for r in update_watch(states, now)}
    assert set(rows) == {"late", "told", "soon"}
    assert rows["late"]["state"] == rows["told"]["state"] == "overdue"
    assert rows["told"]["lead_told"] is True and rows["late"]["lead_told"] is False
    assert rows["soon"]["state"] == "due soon"


def test_escalation_watch_at_risk_and_breached() -> None:
    now = T0 + h(4)
    escalated = ((0, "sd"), (1, "l2"))
    states = [
        ticket("risk", groups=escalated, timers={"pickup_due": now + h(0.5)}),  # 0.5 of 3.5h
        ticket("calm", groups=escalated, timers={"pickup_due": now + h(3)}),
        ticket("late", groups=escalated, timers_fired={"pickup_due": 1}),
        ticket("guess", groups=escalated, timers={"l2_target": now - h(1)}),  # not a target
        ticket("back", groups=((0, "sd"), (1, "l2"), (2, "sd")), timers_fired={"pickup_due": 1}),
    ]
    rows = escalation_watch(states, POLICY, now)
    assert [(r["ticket"], r["target"], r["state"]) for r in rows] == [
        ("late", "pickup_due", "breached"),
        ("risk", "pickup_due", "at risk"),
    ]
    assert rows[0]["due"] is None  # a state stored with the count alone: no time to show


def test_a_fired_pickup_shows_when_it_passed_in_this_stay_only() -> None:
    now = T0 + h(6)
    bounced = ((0, "sd"), (1, "l2"), (2, "sd"), (3, "l2"))
    states = [
        ticket("late", groups=((0, "sd"), (1, "l2")), timers_fired={"pickup_due": 1},
               timers_fired_at={"pickup_due": T0 + h(2)}),
        # fired in the first L2 stay; the second stay's clock did not run out
        ticket("earlier", groups=bounced, timers_fired={"pickup_due": 1},
               timers_fired_at={"pickup_due": T0 + h(1.5)}),
    ]  # fmt: skip
    rows = escalation_watch(states, POLICY, now)
    assert [(r["ticket"], r["state"], r["due"]) for r in rows] == [("late", "breached", T0 + h(2))]


def test_demo_clock_runs_faster_from_a_pinned_start() -> None:
    clock = democlock.parse("60", "1000.0@2026-12-01T08:00:00+00:00")
    assert clock is not None and clock.speed == 60.0
    assert clock.pinned == "1000.0@2026-12-01T08:00:00+00:00"
    again = democlock.parse("60", clock.pinned)
    assert again == clock and clock() > datetime(2026, 12, 1, 8, tzinfo=UTC) + h(24)
    assert democlock.parse(None, None) is None
    fresh = democlock.parse("2", None)
    assert fresh is not None and abs((fresh() - datetime.now(UTC)).total_seconds()) < 5
    for speed, start, message in [
        ("fast", None, "TCO_DEMO_SPEED='fast' is not a number"),
        ("-1", None, "must be above 0"),
        ("60", "yesterday", "TCO_DEMO_START='yesterday' is not"),
    ]:
        with pytest.raises(ConfigError, match=message):
            democlock.parse(speed, start)


def test_a_recurring_cadence_stays_overdue_until_the_requester_hears() -> None:
    """The shipped cadence re-arms the next deadline from the due nudge: the due timer is in
    the future again, yet the requester is still waiting, so the ticket stays overdue."""
    now = T0 + h(30)
    rearmed = {"customer_update_due": now + h(8), "customer_update_warn": now + h(7)}
    states = [
        ticket("missed", timers=rearmed, marks={"update_cycles_missed": 2}),
        ticket("answered", timers=rearmed, marks={"update_cycles_missed": 0}),
    ]
    rows = {r["ticket"]: r for r in update_watch(states, now)}
    assert set(rows) == {"missed"} and rows["missed"]["state"] == "overdue"
    assert rows["missed"]["missed"] == 2


def test_the_lead_told_of_a_missed_update_shows_while_the_next_cycle_runs() -> None:
    """The shipped rules tell the lead when the overdue timer fires, and the cadence has
    re-armed the next deadline by then: the lead was told, though a due timer is pending."""
    now = T0 + h(30)
    rearmed = {"customer_update_due": now + h(8), "customer_update_warn": now + h(7)}
    fired = {"customer_update_due": 1, "customer_update_overdue": 1}
    waiting = {**rearmed, "customer_update_overdue": now + h(1)}
    states = [
        ticket("told", timers=rearmed, timers_fired=fired, marks={"update_cycles_missed": 1}),
        ticket("soon", timers=waiting, timers_fired=fired, marks={"update_cycles_missed": 1}),
    ]
    rows = {r["ticket"]: r for r in update_watch(states, now)}
    assert rows["told"]["lead_told"] is True and rows["told"]["lead_at"] is None
    # Told in an earlier spell; in this one the lead hears in an hour.
    assert rows["soon"]["lead_told"] is False and rows["soon"]["lead_at"] == now + h(1)


def test_a_timeline_excerpt_says_it_was_cut() -> None:
    assert timeline.excerpt("Hello Carol, we are on it.") == "Hello Carol, we are on it."
    note = "Anna Agent, please follow up with the group. " * 5
    cut = timeline.excerpt(note)
    assert len(cut) <= timeline.EXCERPT and note.startswith(cut[:-1])
    assert cut.endswith(" Anna Agent, please…")  # whole words, and the reader sees the cut
    assert timeline.excerpt("x" * 500) == "x" * (timeline.EXCERPT - 1) + "…"


def test_awaiting_confirmation_lists_resolved_unconfirmed_owned_tickets_oldest_first() -> None:
    now = T0 + h(30)
    states = [
        ticket(
            "late", status=Status.RESOLVED, resolved_at=T0 + h(5), marks={"confirm_reminders": 2}
        ),
        ticket("early", status=Status.RESOLVED, resolved_at=T0 + h(1)),
        ticket("confirmed", status=Status.RESOLVED, resolved_at=T0, marks={"confirmed": True}),
        ticket("gone", status=Status.RESOLVED, resolved_at=T0, deleted=True),
        ticket("open"),
        ticket("closed", status=Status.CLOSED, resolved_at=T0),
    ]
    rows = confirmation_watch(states, now)
    assert [r["ticket"] for r in rows] == ["early", "late"]
    assert rows[1]["reminders"] == 2 and rows[0]["waiting_s"] == h(29).total_seconds()


def test_the_workload_cap_is_read_from_the_rules_and_owners_over_it_listed() -> None:
    from tco_bridge.rules import load_rules, load_rules_text
    from tco_bridge.rules.memory_conditions import WORKLOAD

    text = """
rules:
  - name: cap
    on: owner.changed
    when: {owner_workload_crosses: 12}
    do: [{add_label: busy}]
  - name: lower-but-off
    enabled: false
    on: owner.changed
    when: {owner_workload_above: 5}
    do: [{add_label: busy}]
"""
    rules = load_rules_text(text)
    assert rules.bound(WORKLOAD) == 12  # the disabled rule's lower bound does not count
    assert load_rules_text("rules: []").bound(WORKLOAD) is None
    shipped = load_rules(Path(__file__).parents[2] / "rules" / "default.yaml")
    assert shipped.bound(WORKLOAD) == 25 and shipped.bound("update_cycles_missed") == 3
    rows = workload_watch({("jira", "anna"): 13, ("jira", "bob"): 12, ("zendesk", "cy"): 20}, 12)
    assert [(r["owner"], r["over"]) for r in rows] == [("cy", 8), ("anna", 1)]
