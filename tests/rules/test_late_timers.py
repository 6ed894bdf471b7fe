"""Tickets first seen late (an old issue, a reconcile of the backlog): a timer already due
fires once and is re-armed from now, never into the past, so there is no burst."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from tco_bridge.connector import TicketRecord
from tco_bridge.events import Actor, ActorKind, EventType, Snapshot, Status, TicketEvent
from tco_bridge.pipeline import process
from tco_bridge.plan import Context
from tco_bridge.reconcile import snapshot_event
from tco_bridge.state import TicketState, new_state

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
TWO_YEARS_AGO = NOW - timedelta(days=730)
ALICE = Actor("alice", ActorKind.AGENT, "Alice Agent")


def old_ticket(n: int) -> TicketRecord:
    snap = Snapshot(
        status=Status.OPEN,
        priority=("P1", "P2", "P3", "P4")[n % 4],
        assignee="alice",
        assignee_name="Alice Agent",
        group="service-desk",
        requester=f"cust-{n}",
        created_at=TWO_YEARS_AGO + timedelta(minutes=n),
    )
    return TicketRecord(
        ticket=f"OLD-{n}", updated_at=TWO_YEARS_AGO + timedelta(days=3), snapshot=snap
    )


def run_clock(
    states: dict[str, TicketState], rules: Any, now: datetime
) -> Counter[tuple[str, str]]:
    """Release every timer due at ``now`` until none is, as the clock would; count each rule's
    firings per ticket (a firing may write a note and a label: one action of the rule)."""
    actions: Counter[tuple[str, str]] = Counter()
    for _ in range(20):
        due = [(t, n, at) for t, s in states.items() for n, at in s.timers.items() if at <= now]
        if not due:
            return actions
        for ticket, name, at in due:
            fired = TicketEvent("sandbox", ticket, EventType.TIMER_FIRED, at, f"timer:{name}:{at}",
                                field=name)  # fmt: skip
            step = process(states[ticket], fired, rules, now, Context())
            states[ticket] = step.state
            actions.update({(ticket, a.rule) for a in step.plan.actions})
    raise AssertionError("timers still due after 20 rounds: they re-arm into the past")


def test_reconcile_of_a_thousand_old_tickets_gives_each_at_most_one_action_per_rule(
    default_rules: Any,
) -> None:
    states: dict[str, TicketState] = {}
    actions: Counter[tuple[str, str]] = Counter()
    for n in range(1000):
        event = snapshot_event("sandbox", old_ticket(n), known=False)
        step = process(new_state("sandbox", event.ticket), event, default_rules, NOW, Context())
        states[event.ticket] = step.state
        actions.update({(event.ticket, a.rule) for a in step.plan.actions})
    assert any(at <= NOW for s in states.values() for at in s.timers.values())  # due already
    actions += run_clock(states, default_rules, NOW)
    assert actions, "old tickets are overdue: the bridge should say so once"
    worst = actions.most_common(1)[0]
    assert worst[1] == 1, worst
    # Every timer left is re-armed from now, none into the past.
    assert all(at > NOW for s in states.values() for at in s.timers.values())
    # And an hour later only timers due within that hour fire, once each.
    later = run_clock(states, default_rules, NOW + timedelta(hours=1))
    assert all(count == 1 for count in later.values())
