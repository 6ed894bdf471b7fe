"""The pure ownership core: owner at first contact, kept through escalation, order-insensitive."""

from __future__ import annotations

import itertools
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from tco_bridge.contact_owner import keep_owner, set_owner_override
from tco_bridge.escalation import escalation_path, is_escalated
from tco_bridge.events import Actor, ActorKind, Comment, EventType, Snapshot, Status, TicketEvent
from tco_bridge.ownership import Model, OwnershipPolicy, OwnerTrigger
from tco_bridge.state import evolve, new_state
from tco_bridge.state_codec import decode, encode
from tco_bridge.ticket_apply import apply, apply_all

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
POLICY = OwnershipPolicy(frontline_groups=frozenset({"service-desk"}))
CUSTOMER = Actor("cust-1", ActorKind.REQUESTER, "Casey Customer")
ANNA = Actor("anna", ActorKind.AGENT, "Anna Agent")
ENGINEER = Actor("eng-7", ActorKind.AGENT, "Eve Engineer")
BRIDGE = Actor("tco-bot", ActorKind.BRIDGE, "tco-bridge")


def ev(minute: int, type_: EventType, key: str, **kw: object) -> TicketEvent:
    return TicketEvent(
        connector="jira",
        ticket="SUP-1",
        type=type_,
        at=T0 + timedelta(minutes=minute),
        key=key,
        **kw,  # type: ignore[arg-type]
    )


def created() -> TicketEvent:
    snap = Snapshot(status=Status.NEW, priority="High", group="service-desk", requester="cust-1")
    return ev(0, EventType.CREATED, "created", actor=CUSTOMER, snapshot=snap)


def reply(minute: int, who: Actor, key: str, public: bool = True) -> TicketEvent:
    return ev(
        minute, EventType.COMMENT_ADDED, key, actor=who, comment=Comment(key, "hello", public, who)
    )


def escalation() -> list[TicketEvent]:
    return [
        created(),
        reply(5, ANNA, "c1"),
        ev(
            30, EventType.GROUP_CHANGED, "g1", actor=ANNA, before="service-desk", after="l2-network"
        ),
        ev(42, EventType.ASSIGNEE_CHANGED, "a1", actor=ENGINEER, after="eng-7", after_name="Eve"),
        reply(50, ENGINEER, "c2", public=False),
    ]


def test_first_public_reply_by_front_line_agent_becomes_owner() -> None:
    state = apply_all(new_state("jira", "SUP-1"), escalation()[:2], POLICY)
    assert state.owner is not None
    assert (state.owner.id, state.owner.via) == ("anna", OwnerTrigger.FIRST_PUBLIC_REPLY.value)
    assert state.owner.since == T0 + timedelta(minutes=5)


def test_owner_survives_escalation_and_path_is_recorded() -> None:
    state = apply_all(new_state("jira", "SUP-1"), escalation(), POLICY)
    assert state.owner is not None and state.owner.id == "anna"
    assert state.assignee == "eng-7" and state.group == "l2-network"
    assert is_escalated(state, POLICY)
    [segment] = escalation_path(state, POLICY)
    assert segment.group == "l2-network"
    assert segment.entered_at == T0 + timedelta(minutes=30)
    assert segment.left_at is None
    assert (segment.assignee, segment.picked_up_at) == ("eng-7", T0 + timedelta(minutes=42))


def test_escalating_first_makes_the_front_line_agent_owner_never_the_engineer() -> None:
    events = [created(), *escalation()[2:]]  # Anna escalates before any other touch
    state = apply_all(new_state("jira", "SUP-1"), events, POLICY)
    assert state.owner is not None
    assert (state.owner.id, state.owner.via) == ("anna", "escalated_by_frontline")
    assert state.owner.since == T0 + timedelta(minutes=30)
    without = replace(POLICY, triggers=POLICY.triggers - {OwnerTrigger.ESCALATED})
    assert apply_all(new_state("jira", "SUP-1"), events, without).owner is None


def test_moving_within_the_front_line_is_no_escalation() -> None:
    move = ev(
        20, EventType.GROUP_CHANGED, "g0", actor=ANNA, before="service-desk", after="service-desk"
    )
    assign = ev(21, EventType.ASSIGNEE_CHANGED, "a0", actor=ANNA, after="bob", after_name="Bob")
    state = apply_all(new_state("jira", "SUP-1"), [created(), move, assign], POLICY)
    assert state.owner is not None and state.owner.id == "bob"  # the dispatcher's pick owns it


def test_escalation_and_pickup_at_the_same_instant_keep_the_escalating_agent() -> None:
    """Zendesk reports a move to L2 with an assignee as two events at one timestamp; in either
    arrival order the engineer never owns, the front-line agent does."""
    group = ev(30, EventType.GROUP_CHANGED, "g1", actor=ANNA, after="l2-network")
    assign = ev(30, EventType.ASSIGNEE_CHANGED, "a1", actor=ANNA, after="eng-7")
    for order in ([group, assign], [assign, group]):
        state = apply_all(new_state("jira", "SUP-1"), [created()], POLICY)
        for event in order:
            state = apply(state, event, POLICY)
        assert state.owner is not None and state.owner.id == "anna"


def test_keep_owner_never_drops_an_announced_owner_silently() -> None:
    base = apply_all(new_state("jira", "SUP-1"), [created()], POLICY)
    # The engineer's pickup arrives before the move to L2 that came first: for a moment the
    # engineer looks like the first assignee in the front line.
    pickup = ev(31, EventType.ASSIGNEE_CHANGED, "a1", actor=ENGINEER, after="eng-7")
    early = apply(base, pickup, POLICY)
    assert early.owner is not None and early.owner.id == "eng-7"
    late = ev(30, EventType.GROUP_CHANGED, "g1", after="l2-network")  # a routing trigger
    derived = apply(early, late, POLICY)
    assert derived.owner is None  # re-derived: nobody
    kept = keep_owner(early, derived, POLICY)
    assert kept.owner == early.owner  # announced, so kept until something explicit moves it
    handed = set_owner_override(kept, None, None, T0, "hand-back", POLICY)
    assert handed.owner is None and keep_owner(kept, handed, POLICY).owner is None  # explicit
    anna = apply(kept, reply(29, ANNA, "c1"), POLICY)  # late: she replied before the move
    assert keep_owner(kept, anna, POLICY).owner.id == "anna"  # type: ignore[union-attr]


def test_keep_owner_lets_model_none_release_on_reopen() -> None:
    none = OwnershipPolicy(model=Model.NONE, frontline_groups=frozenset({"service-desk"}))
    events = [
        created(),
        reply(5, ANNA, "c1"),
        ev(10, EventType.STATUS_CHANGED, "s1", actor=ANNA, before="open", after="resolved"),
    ]
    before = apply_all(new_state("jira", "SUP-1"), events, none)
    after = apply(before, reply(60, CUSTOMER, "c3"), none)
    assert keep_owner(before, after, none).owner is None


def test_any_order_and_duplicates_give_the_same_state() -> None:
    events = escalation()
    expected = encode(apply_all(new_state("jira", "SUP-1"), events, POLICY))
    rng = random.Random(7)
    for _ in range(30):
        shuffled = events + rng.sample(events, 3)  # with duplicates
        rng.shuffle(shuffled)
        state = new_state("jira", "SUP-1")
        for event in shuffled:  # one at a time, arrival order, no sorting
            state = apply(state, event, POLICY)
        assert state.owner is not None and state.owner.id == "anna"
        got = encode(state)
        # `seen` records arrival order; everything else must match exactly.
        assert _without_seen(got) == _without_seen(expected)


def test_duplicate_event_returns_the_same_object() -> None:
    state = apply(new_state("jira", "SUP-1"), created(), POLICY)
    assert apply(state, created(), POLICY) is state


def test_bridge_authored_events_are_recorded_but_change_nothing() -> None:
    base = apply_all(new_state("jira", "SUP-1"), [created()], POLICY)
    after = apply(base, reply(3, BRIDGE, "bot-note"), POLICY)
    assert after.owner is None and after.touches == 0
    assert after.bridge_events == 1
    assert "bot-note" in after.seen


def test_first_assignment_trigger_only_when_configured() -> None:
    assign = ev(2, EventType.ASSIGNEE_CHANGED, "a0", actor=ANNA, after="bob", after_name="Bob")
    only_replies = OwnershipPolicy(
        frontline_groups=frozenset({"service-desk"}),
        triggers=frozenset({OwnerTrigger.FIRST_PUBLIC_REPLY}),
    )
    by_assignment = apply_all(new_state("jira", "SUP-1"), [created(), assign], POLICY)
    assert by_assignment.owner is not None and by_assignment.owner.id == "bob"
    by_reply = apply_all(new_state("jira", "SUP-1"), [created(), assign], only_replies)
    assert by_reply.owner is None


def test_agent_logged_call_makes_the_creator_owner() -> None:
    snap = Snapshot(status=Status.OPEN, group="service-desk", requester="cust-1")
    call = ev(0, EventType.CREATED, "created", actor=ANNA, snapshot=snap)
    state = apply(new_state("jira", "SUP-1"), call, POLICY)
    assert state.owner is not None
    assert (state.owner.id, state.owner.via) == ("anna", "agent_created")


def test_team_model_owner_is_the_front_line_group() -> None:
    team = OwnershipPolicy(model=Model.TEAM, frontline_groups=frozenset({"service-desk"}))
    state = apply_all(new_state("jira", "SUP-1"), escalation(), team)
    assert state.owner is not None and (state.owner.id, state.owner.kind) == (
        "service-desk",
        "team",
    )


def test_none_model_customer_reply_after_resolve_frees_the_ticket() -> None:
    none = OwnershipPolicy(model=Model.NONE, frontline_groups=frozenset({"service-desk"}))
    events = [
        created(),
        reply(5, ANNA, "c1"),
        ev(10, EventType.STATUS_CHANGED, "s1", actor=ANNA, before="open", after="resolved"),
        reply(60, CUSTOMER, "c3"),
    ]
    state = apply_all(new_state("jira", "SUP-1"), events, none)
    assert state.owner is None  # waiting for the next free agent
    state = apply(state, reply(70, Actor("ben", ActorKind.AGENT, "Ben"), "c4"), none)
    assert state.owner is not None and state.owner.id == "ben"


def test_status_is_last_writer_wins_by_tool_time() -> None:
    later = ev(20, EventType.STATUS_CHANGED, "s2", actor=ANNA, after="pending")
    earlier = ev(10, EventType.STATUS_CHANGED, "s1", actor=ANNA, after="resolved")
    for order in itertools.permutations([later, earlier]):
        state = apply_all(new_state("jira", "SUP-1"), [created()], POLICY)
        for event in order:
            state = apply(state, event, POLICY)
        assert state.status is Status.PENDING
        assert state.resolved_at == T0 + timedelta(minutes=10)


def test_codec_round_trip() -> None:
    state = apply_all(new_state("jira", "SUP-1"), escalation(), POLICY)
    assert decode(encode(state)) == state
    fired = evolve(state, timers_fired={"pickup_due": 1}, timers_fired_at={"pickup_due": T0})
    assert decode(encode(fired)) == fired


def test_codec_loads_a_state_stored_without_the_firing_times() -> None:
    """States stored before ``timers_fired_at`` existed load with the count alone."""
    import json

    state = evolve(new_state("jira", "SUP-1"), timers_fired={"pickup_due": 1})
    data = json.loads(encode(state))
    del data["timers_fired_at"]
    loaded = decode(json.dumps(data))
    assert loaded.timers_fired == {"pickup_due": 1} and loaded.timers_fired_at == {}


def _without_seen(encoded: str) -> str:
    import json

    data = json.loads(encoded)
    data["seen"] = sorted(data["seen"])
    return json.dumps(data, sort_keys=True)


def test_bridge_status_and_assignee_changes_are_recorded_without_ownership() -> None:
    base = apply_all(new_state("jira", "SUP-1"), [created()], POLICY)
    reopen = ev(9, EventType.STATUS_CHANGED, "bot-s", actor=BRIDGE, before="on_hold", after="open")
    assign = ev(9, EventType.ASSIGNEE_CHANGED, "bot-a", actor=BRIDGE, after="bob", after_name="B")
    after = apply_all(base, [reopen, assign], POLICY)
    assert after.status is Status.OPEN and after.assignee == "bob"
    assert after.owner is None and after.candidates == () and after.touches == 0
    assert after.bridge_events == 2
