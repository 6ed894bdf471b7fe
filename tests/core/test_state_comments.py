"""What each comment and agent action records in a ticket's state, field by field: the rules
read these (bridge echoes, the requester's last reply, internal notes, touches)."""

from __future__ import annotations

from datetime import timedelta

from test_state import ANNA, BRIDGE, CUSTOMER, ENGINEER, POLICY, T0, created, ev, reply

from tco_bridge.events import Actor, ActorKind, Comment, EventType, Status, TicketEvent
from tco_bridge.state import TicketState, new_state
from tco_bridge.ticket_apply import apply


def fold(events: list[TicketEvent]) -> TicketState:
    """Apply the events in the order given: the order deliveries arrived in."""
    state = new_state("jira", "SUP-1")
    for event in events:
        state = apply(state, event, POLICY)
    return state


def test_the_bridges_own_comments_are_counted_and_change_nothing_else() -> None:
    base = fold([created()])
    state = fold([created(), reply(5, BRIDGE, "b1"), reply(6, BRIDGE, "b2")])
    assert state.bridge_events == 2
    assert (state.owner, state.customer_updates, state.touches) == (None, 0, 0)
    assert state.last_touch_at == base.last_touch_at


def test_the_requesters_last_reply_is_the_latest_whatever_the_order() -> None:
    events = [created(), reply(30, CUSTOMER, "r2"), reply(10, CUSTOMER, "r1")]
    state = fold(events)
    assert state.last_requester_reply_at == T0 + timedelta(minutes=30)
    assert state.reopens == ()  # the ticket was open: no reopen


def test_a_requester_reply_to_a_resolved_ticket_is_recorded_as_a_reopen() -> None:
    resolved = ev(20, EventType.STATUS_CHANGED, "s1", actor=ANNA, after=Status.RESOLVED.value)
    state = fold([created(), reply(5, ANNA, "c1"), resolved, reply(40, CUSTOMER, "r1")])
    assert state.reopens == (T0 + timedelta(minutes=40),)


def test_an_internal_note_is_no_customer_update_and_its_latest_time_is_kept() -> None:
    notes = [reply(50, ENGINEER, "n2", public=False), reply(20, ENGINEER, "n1", public=False)]
    state = fold([created(), *notes])
    assert state.last_internal_note_at == T0 + timedelta(minutes=50)
    assert (state.customer_updates, state.first_response_at, state.owner) == (0, None, None)


def test_a_public_reply_without_a_comment_author_is_the_actors() -> None:
    anonymous = ev(5, EventType.COMMENT_ADDED, "c1", actor=ANNA, comment=Comment("c1", "hi", True))
    state = fold([created(), anonymous])
    assert state.owner is not None and state.owner.id == "anna"
    assert state.customer_updates == 1
    assert state.first_response_at == state.last_customer_update_at == T0 + timedelta(minutes=5)


def test_touches_count_each_agent_action_once_and_list_the_agents() -> None:
    events = [
        created(),
        reply(5, ENGINEER, "c1"),
        reply(5, ENGINEER, "c1-again"),  # the same action delivered under another key
        reply(9, ANNA, "c2", public=False),
        reply(12, CUSTOMER, "r1"),  # not an agent action
    ]
    state = fold(events)
    assert state.touches == 2
    assert state.agents == ("anna", "eng-7")
    assert state.last_touch_at == T0 + timedelta(minutes=9)  # the customer's reply is none


def test_a_comment_by_someone_of_unknown_role_records_nothing() -> None:
    """Neither the requester nor an agent (a light agent, an integration): no customer update,
    no internal note, no owner."""
    stranger = Actor("int-9", ActorKind.UNKNOWN, "Integration")
    state = fold(
        [created(), reply(5, stranger, "c1", public=False), reply(6, stranger, "c2", public=True)]
    )
    assert (state.last_internal_note_at, state.customer_updates, state.owner) == (None, 0, None)
