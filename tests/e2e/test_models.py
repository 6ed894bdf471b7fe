"""Ownership models ``team`` and ``none``, and the front-line agent who escalates first, over
whole ticket lives through the real stack (Redis, RQ, clock; Zendesk faked at HTTP).

Like tests/e2e/test_practices.py (model ``individual``), every assertion is about what reached
the tool, and each story ends with ``assert_settled`` (echoes and replays write nothing).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from practice_kit import (
    ALICE,
    BOB,
    CUSTOMER,
    ERIN,
    FRONTLINE,
    L2,
    LEAD_SD,
    T0,
    Note,
    Story,
    hours,
    minutes,
    rules_with,
    story_on,
)

TEAM = f"group:{FRONTLINE}"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def containing(notes: list[Note], text: str) -> list[Note]:
    return [n for n in notes if text in n.text]


@pytest.fixture
def team(make_runtime: Any, tmp_path: Path) -> Iterator[Story]:
    rules = rules_with(tmp_path, ("model: individual", "model: team"))
    with story_on(make_runtime(TCO_RULES=rules)) as s:
        yield s


@pytest.fixture
def none(make_runtime: Any, tmp_path: Path) -> Iterator[Story]:
    rules = rules_with(tmp_path, ("model: individual", "model: none"))
    with story_on(make_runtime(TCO_RULES=rules)) as s:
        yield s


@pytest.fixture
def story(make_runtime: Any) -> Iterator[Story]:
    with story_on(make_runtime()) as s:
        yield s


# --- individual: triage and escalate ---------------------------------------------------------


@pytest.mark.parametrize("assign_first", [False, True])
def test_agent_who_escalates_before_replying_owns_the_contact(
    story: Story, assign_first: bool
) -> None:
    """Alice moves the ticket to L2 with Erin as assignee (two events at one instant, in either
    order). Alice owns it, is told once the mirror settles on her, and keeps it to the end."""
    story.create("101", T0)
    at = T0 + minutes(5)
    if assign_first:
        story.assign("101", at, ERIN, actor=ALICE)
        story.group("101", at, L2, actor=ALICE)
    else:
        story.group("101", at, L2, actor=ALICE)
        story.assign("101", at, ERIN, actor=ALICE)
    view = story.view("101")
    assert view["owner"]["id"] == ALICE and view["owner"]["via"] == "escalated_by_frontline"
    assert story.fake.tickets["101"].tags == [f"tco_owner_{ALICE}"]
    welcomes = containing(story.fake.notes("101"), "you are now the contact owner")
    assert welcomes[-1].mentions == (ALICE,)
    if assign_first:  # Erin looked like the first assignee for a moment: the change is told
        assert [w.mentions for w in welcomes] == [(ERIN,), (ALICE,)]
        assert f"{ERIN} was announced as owner before" in welcomes[-1].text
    else:
        assert len(welcomes) == 1
    mark = len(story.fake.writes)
    story.comment("101", T0 + hours(1), ERIN, "Found it, the MTU.", public=True)
    story.status("101", T0 + hours(2), "solved", actor=ERIN)
    assert story.view("101")["owner"]["id"] == ALICE
    assert containing(story.fake.notes("101", since=mark), "contact owner of") == []
    [review] = story.fake.tasks(since=mark)
    assert review["assignee_id"] == int(ALICE)
    story.assert_settled("101")


# --- team ------------------------------------------------------------------------------------


def test_team_owns_at_first_contact_and_through_escalation(team: Story) -> None:
    team.create("101", T0)
    team.comment("101", T0 + minutes(10), ALICE, "Hello Carol, we are on it.")
    [welcome] = team.fake.notes("101")
    assert welcome.mentions == (TEAM,)
    assert welcome.text.startswith(f"{FRONTLINE}, you are now the contact owner of 101 (P3)")
    assert team.fake.tag_changes("101") == [("+", [f"tco_owner_{FRONTLINE}"])]
    view = team.view("101")
    assert (view["owner"]["id"], view["owner"]["kind"]) == (FRONTLINE, "team")
    mark = len(team.fake.writes)
    team.comment("101", T0 + minutes(20), BOB, "Bob here, taking the next step.")
    team.group("101", T0 + minutes(30), L2, actor=BOB)
    team.assign("101", T0 + minutes(40), ERIN, actor=ERIN)
    assert team.fake.since(mark) == []  # another member acting is no change of owner
    assert team.view("101")["owner"]["id"] == FRONTLINE
    team.assert_settled("101")


def test_team_pickup_and_cadence_go_to_the_team_then_its_lead(team: Story) -> None:
    team.create("101", T0, priority="high")
    team.comment("101", T0 + minutes(10), ALICE, "Hello Carol, we are on it.")
    team.group("101", T0 + minutes(20), L2)
    mark = len(team.fake.writes)
    team.advance(utc(2026, 1, 5, 18, 0))
    notes = team.fake.notes("101", since=mark)
    pickups = containing(notes, "without anyone picking it up")
    assert [n.mentions for n in pickups] == [(TEAM, f"group:{L2}")] * 2
    [lead] = containing(notes, "nobody has picked it up after 2 nudges")
    assert lead.mentions == ("8447388090002", TEAM)  # the L2 lead, and the owning team
    warn = containing(notes, "Reminder for")[0]
    due = containing(notes, "is due now")[0]
    assert warn.mentions == due.mentions == (TEAM,)
    overdue = containing(notes, "still overdue")[0]
    assert overdue.mentions == (LEAD_SD,)
    team.assert_settled("101")


def test_team_resolve_by_l2_asks_the_team_to_review_and_close_gets_a_kb_task(
    team: Story,
) -> None:
    team.create("101", T0)
    team.comment("101", T0 + minutes(10), ALICE, "Hello Carol, we are on it.")
    team.group("101", T0 + minutes(20), L2)
    team.assign("101", T0 + minutes(30), ERIN, actor=ERIN)
    mark = len(team.fake.writes)
    team.status("101", T0 + hours(2), "solved", actor=ERIN)
    [review] = team.fake.tasks(since=mark)
    assert review["subject"] == "Review the support notes of 101"
    assert review["group_id"] == int(FRONTLINE) and "assignee_id" not in review
    [note] = containing(team.fake.notes("101", since=mark), "review the support notes")
    assert note.mentions == (TEAM,)
    team.comment("101", T0 + hours(3), CUSTOMER, "Yes, it works now.")
    mark = len(team.fake.writes)
    team.status("101", T0 + hours(4), "closed", actor="-1")
    [kb] = team.fake.tasks(since=mark)
    assert kb["subject"].startswith("KB article for 101") and kb["group_id"] == int(FRONTLINE)
    team.assert_settled("101")


def test_team_owned_tickets_are_not_handed_over_when_a_member_is_away(team: Story) -> None:
    team.create("101", T0, priority="urgent")
    team.comment("101", T0 + minutes(10), ALICE, "Hello Carol, we are on it.")
    mark = len(team.fake.writes)
    assert team.away(ALICE, backup=BOB) == []
    assert team.fake.since(mark) == []
    assert team.view("101")["owner"]["id"] == FRONTLINE


# --- none ------------------------------------------------------------------------------------


def test_none_first_agent_answers_and_a_reopen_goes_to_the_next_free_agent(none: Story) -> None:
    none.create("101", T0)
    none.comment("101", T0 + minutes(10), ALICE, "Restart the VPN client, that fixes it.")
    assert none.view("101")["owner"]["id"] == ALICE
    none.status("101", T0 + minutes(20), "solved")
    mark = len(none.fake.writes)
    none.comment("101", T0 + hours(3), CUSTOMER, "It broke again this morning.")
    none.status("101", T0 + hours(3), "open", actor=CUSTOMER)
    assert none.view("101")["owner"] is None
    [released] = containing(none.fake.notes("101", since=mark), "no longer owns")
    assert released.mentions == (LEAD_SD,)
    assert released.text == (
        "101 was reopened by the requester: Alice Agent no longer owns the contact, and the "
        "next agent to answer takes it."
    )
    changes = none.fake.tag_changes("101", since=mark)
    removed = [t for sign, tags in changes if sign == "-" for t in tags]
    assert f"tco_owner_{ALICE}" in removed
    assert f"tco_owner_{ALICE}" not in none.fake.tickets["101"].tags
    mark = len(none.fake.writes)
    none.comment("101", T0 + hours(4), BOB, "Bob here: let's replace the profile.")
    view = none.view("101")
    assert view["owner"]["id"] == BOB
    [welcome] = containing(none.fake.notes("101", since=mark), "contact owner of")
    assert welcome.mentions == (BOB,)
    assert none.fake.tag_changes("101", since=mark) == [("+", [f"tco_owner_{BOB}"])]
    none.assert_settled("101")


def test_none_ownerless_reminders_go_to_the_front_line_lead(none: Story) -> None:
    """Between the release and the next agent, nobody owns it: the cadence reminders go to
    the front-line lead (the default fallback), never to "nobody"."""
    none.create("101", T0, priority="high")
    none.comment("101", T0 + minutes(10), ALICE, "Restart the VPN client.")
    none.status("101", T0 + minutes(20), "solved")
    none.comment("101", T0 + hours(1), CUSTOMER, "Still broken.")
    none.status("101", T0 + hours(1), "open", actor=CUSTOMER)
    mark = len(none.fake.writes)
    none.advance(utc(2026, 1, 5, 18, 0))
    notes = none.fake.notes("101", since=mark)
    assert notes and all(n.mentions == (LEAD_SD,) for n in notes)
    assert all("nobody" not in n.text for n in notes)
    assert containing(notes, "no contact owner yet")
    none.assert_settled("101")


def test_none_agent_who_escalates_first_owns_until_the_reopen(none: Story) -> None:
    none.create("101", T0)
    none.group("101", T0 + minutes(5), L2, actor=ALICE)
    assert none.view("101")["owner"]["id"] == ALICE
    none.assign("101", T0 + minutes(30), ERIN, actor=ERIN)
    none.status("101", T0 + hours(2), "solved", actor=ERIN)
    assert none.view("101")["owner"]["id"] == ALICE
    none.assert_settled("101")
