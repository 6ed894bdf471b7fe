"""An explicit handover: who owns the contact after it, and what the state records of it."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from test_state import ANNA, CUSTOMER, ENGINEER, POLICY, T0, created, escalation, ev, reply

from tco_bridge.contact_owner import keep_owner, set_owner_override
from tco_bridge.events import Actor, ActorKind, EventType, Snapshot, Status
from tco_bridge.ownership import Model
from tco_bridge.state import Owner, new_state
from tco_bridge.ticket_apply import apply, apply_all

BEN = Actor("ben", ActorKind.AGENT, "Ben Backup")


def test_a_handover_names_the_new_owner_and_records_why_and_when() -> None:
    taken = apply_all(new_state("jira", "SUP-1"), [reply(5, ANNA, "c1")], POLICY)
    at = T0 + timedelta(hours=3)
    handed = set_owner_override(taken, "bob", "Bob Backup", at, "handover", POLICY)
    assert handed.owner == Owner("bob", "Bob Backup", "agent", at, "override")
    change = handed.owner_override
    assert change is not None
    assert (change.key, change.value, change.name) == (
        f"override:handover:{at.isoformat()}",
        "bob",
        "Bob Backup",
    )
    back = set_owner_override(handed, None, None, at + timedelta(hours=1), "hand-back", POLICY)
    assert back.owner is not None and back.owner.id == "anna"  # the first touch owns it again


def test_a_handover_before_anyone_touched_the_ticket_still_names_an_owner() -> None:
    fresh = apply_all(new_state("jira", "SUP-1"), [created()], POLICY)
    assert fresh.owner is None
    handed = set_owner_override(fresh, "bob", None, T0, "rule", POLICY)
    assert handed.owner == Owner("bob", None, "agent", T0, "override")


def test_derived_owners_carry_who_what_kind_since_and_why() -> None:
    agent = apply_all(new_state("jira", "SUP-1"), [created(), reply(5, ANNA, "c1")], POLICY)
    assert agent.owner == Owner(
        "anna", "Anna Agent", "agent", T0 + timedelta(minutes=5), "first_public_reply"
    )
    team = replace(POLICY, model=Model.TEAM)
    owned = apply_all(new_state("jira", "SUP-1"), escalation(), team)
    assert owned.owner == Owner(
        "service-desk", None, "team", T0 + timedelta(minutes=5), "first_public_reply"
    )


def test_team_model_skips_a_touch_made_before_the_ticket_had_a_group() -> None:
    team = replace(POLICY, model=Model.TEAM)
    ungrouped = Snapshot(status=Status.NEW, priority="High", requester="cust-1")
    events = [
        ev(0, EventType.CREATED, "created", actor=CUSTOMER, snapshot=ungrouped),
        reply(5, ANNA, "c1"),  # the front line (no group yet), but no team to own it
        ev(8, EventType.GROUP_CHANGED, "g1", actor=ANNA, after="service-desk"),
        reply(10, BEN, "c2"),
    ]
    state = apply_all(new_state("jira", "SUP-1"), events, team)
    assert state.owner == Owner(
        "service-desk", None, "team", T0 + timedelta(minutes=10), "first_public_reply"
    )


def test_an_escalation_counts_from_the_group_it_left_even_if_no_group_is_front_line() -> None:
    strict = replace(POLICY, no_group_is_frontline=False)
    events = [created(), *escalation()[2:]]  # Anna moves it from the service desk to L2 first
    state = apply_all(new_state("jira", "SUP-1"), events, strict)
    assert state.owner is not None
    assert (state.owner.id, state.owner.via) == ("anna", "escalated_by_frontline")


def test_model_none_a_touch_at_the_instant_of_the_reopen_takes_the_contact() -> None:
    none = replace(POLICY, model=Model.NONE)
    events = [
        created(),
        reply(5, ANNA, "c1"),
        ev(10, EventType.STATUS_CHANGED, "s1", actor=ANNA, before="open", after="resolved"),
        reply(60, CUSTOMER, "c3"),  # reopens: the contact is free again
        reply(60, BEN, "c4"),
    ]
    state = apply_all(new_state("jira", "SUP-1"), events, none)
    assert state.owner is not None and state.owner.id == "ben"


def test_model_none_keeps_an_announced_owner_when_nothing_explicit_moved_it() -> None:
    none = replace(POLICY, model=Model.NONE)
    base = apply_all(new_state("jira", "SUP-1"), [created()], none)
    pickup = ev(31, EventType.ASSIGNEE_CHANGED, "a1", actor=ENGINEER, after="eng-7")
    early = apply(base, pickup, none)
    assert early.owner is not None
    derived = apply(early, ev(30, EventType.GROUP_CHANGED, "g1", after="l2-network"), none)
    assert derived.owner is None and derived.reopens == early.reopens
    assert keep_owner(early, derived, none).owner == early.owner
