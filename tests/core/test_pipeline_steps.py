"""pipeline.process and with_ticket, one step at a time: a fired timer is counted once and
leaves the pending set, a stale one changes nothing, and the workload the rules see moves with
the ticket being taken."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from test_state import ANNA, ENGINEER, POLICY, T0, created, ev, reply

from tco_bridge.events import EventType, Status
from tco_bridge.pipeline import process, with_ticket
from tco_bridge.plan import Context, OwnershipOnly
from tco_bridge.state import TicketState, new_state
from tco_bridge.ticket_apply import apply_all

RULES = OwnershipOnly(POLICY)


def owned() -> TicketState:
    return apply_all(new_state("jira", "SUP-1"), [created(), reply(5, ANNA, "c1")], POLICY)


def fire(state: TicketState, name: str, minute: int) -> TicketState:
    at = T0 + timedelta(minutes=minute)
    event = ev(minute, EventType.TIMER_FIRED, f"timer:{name}:{minute}", field=name)
    step = process(state, event, RULES, at, Context())
    return step.state


def test_a_fired_timer_is_counted_and_leaves_the_pending_timers() -> None:
    state = replace(owned(), timers={"due": T0 + timedelta(minutes=60), "warn": T0})
    once = fire(state, "due", 60)
    assert once.timers_fired == {"due": 1}
    assert once.timers == {"warn": T0}
    again = fire(replace(once, timers={"due": T0 + timedelta(minutes=120)}), "due", 120)
    assert again.timers_fired == {"due": 2}
    assert again.timers == {}


def test_a_timer_reset_after_it_was_released_fires_nothing() -> None:
    state = replace(owned(), timers={"due": T0 + timedelta(minutes=90)})
    stale = fire(state, "due", 60)  # released at 60, moved to 90 meanwhile
    assert stale is state


def test_the_workload_rules_see_moves_with_the_ticket_being_taken() -> None:
    before = apply_all(new_state("jira", "SUP-1"), [created()], POLICY)
    taken = apply_all(before, [reply(5, ANNA, "c1")], POLICY)
    context = Context(workload={"anna": 3, "jira:anna": 2, "eng-7": 1})
    seen = with_ticket(context, before, taken).workload
    assert (seen["anna"], seen["jira:anna"], seen["eng-7"]) == (4, 3, 1)

    resolved = apply_all(
        taken,
        [ev(9, EventType.STATUS_CHANGED, "s1", actor=ANNA, after=Status.RESOLVED.value)],
        POLICY,
    )
    closing = with_ticket(Context(workload={"anna": 4, "jira:anna": 4}), taken, resolved)
    assert (closing.workload["anna"], closing.workload["jira:anna"]) == (3, 3)
    assert with_ticket(context, taken, taken) is context  # nothing moved: the same context
    assert ENGINEER.id not in with_ticket(Context(), before, taken).workload
