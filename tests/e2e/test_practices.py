"""The eleven practices of rules/default.yaml, end to end through the real pipeline.

Real Redis, the real web app, RQ drain and write-back jobs run in-process, the real clock on a
virtual time source, and Zendesk faked at the HTTP layer (``practice_kit.FakeZendesk``): every
assertion is about what reached the tool. Each story ends with ``assert_settled``: the bridge's
own writes come back as bot-authored webhooks, every webhook is delivered again (before and
after the receiver's dedupe window), every write-back job runs again, and the worker and clock
run once more, and none of it writes anything or changes the ticket's state.

The pure versions of these stories are in tests/rules/test_rules_practices.py.
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
    LEAD_L2,
    LEAD_SD,
    T0,
    Note,
    Story,
    days,
    hours,
    minutes,
    rules_with,
    story_on,
)


@pytest.fixture
def story(make_runtime: Any) -> Iterator[Story]:
    with story_on(make_runtime()) as s:
        yield s


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def start(story: Story, ticket: str = "101", **kw: Any) -> int:
    """Carol opens the ticket at T0; Alice answers publicly ten minutes later. Returns the
    write mark after Alice became owner."""
    story.create(ticket, T0, **kw)
    story.comment(ticket, T0 + minutes(10), ALICE, "Hello Carol, we are on it.")
    return len(story.fake.writes)


def containing(notes: list[Note], text: str) -> list[Note]:
    return [n for n in notes if text in n.text]


# --- 1. owner at first contact ----------------------------------------------------------------


def test_owner_at_first_contact_is_noted_and_mirrored_once(story: Story) -> None:
    story.create("101", T0)
    assert story.fake.writes == []  # the customer's own message makes nobody owner
    story.comment("101", T0 + minutes(10), ALICE, "Hello Carol, we are on it.")
    [welcome] = story.fake.notes("101")
    assert welcome == Note(
        "101",
        "Alice Agent, you are now the contact owner of 101 (P3): you stay accountable to the "
        "requester until they confirm the resolution, even when the work moves to another "
        "group.",
        (ALICE,),
        False,
    )
    assert story.fake.tag_changes("101") == [("+", [f"tco_owner_{ALICE}"])]
    view = story.view("101")
    assert view["owner"]["id"] == ALICE and view["owner"]["via"] == "first_public_reply"
    assert view["owner_mirrored"] is True
    # Escalation and the engineer's public reply leave the owner alone.
    mark = len(story.fake.writes)
    story.group("101", T0 + minutes(20), L2)
    story.assign("101", T0 + minutes(25), ERIN, actor=ERIN)
    story.comment("101", T0 + minutes(30), ERIN, "Looking at the tunnel logs now.")
    assert story.fake.since(mark) == []
    assert story.view("101")["owner"]["id"] == ALICE
    story.assert_settled("101")


# --- 2. warm transfer -------------------------------------------------------------------------


def test_warm_transfer_not_picked_up_nudges_owner_and_group(story: Story) -> None:
    mark = start(story)
    story.group("101", T0 + minutes(20), L2)
    # P3 pickup: 4 business hours from 09:20 Berlin → 13:20 Berlin.
    assert story.view("101")["timers"]["pickup_due"] == "2026-01-05T12:20:00+00:00"
    story.advance(T0 + hours(4) + minutes(19))
    assert containing(story.fake.notes("101", since=mark), "has waited") == []
    story.advance(T0 + hours(5))
    [nudge] = containing(story.fake.notes("101", since=mark), "has waited")
    assert nudge.mentions == (ALICE, f"group:{L2}") and not nudge.public
    assert nudge.text.startswith(
        "101 has waited 4h in L2 Network without anyone picking it up (due 2026-01-05 13:20 "
        "CET). Alice Agent, please follow up with the group."
    )
    assert nudge.text.endswith("Escalation path: l2_network 4h (not picked up).")
    assert story.fake.since(mark)[0].path == "/api/v2/tickets/101.json"
    # Zendesk has no mention markup: Alice hears of the nudge as a follower of the ticket.
    # (in the same update as the L2 lead's note about the missed response target)
    [followers] = [f for text, f in story.fake.notified("101") if text == nudge.text]
    assert ALICE in followers
    [segment] = story.view("101")["escalation_path"]
    assert (segment["group"], segment["picked_up_at"]) == (L2, None)
    story.assert_settled("101")


def test_warm_transfer_picked_up_in_time_stays_quiet(story: Story) -> None:
    mark = start(story)
    story.group("101", T0 + minutes(20), L2)
    story.assign("101", T0 + hours(1), ERIN, actor=ERIN)
    assert "pickup_due" not in story.view("101")["timers"]
    story.advance(T0 + hours(6))
    assert story.fake.since(mark) == []
    [segment] = story.view("101")["escalation_path"]
    assert (segment["assignee"], segment["picked_up_at"]) == (ERIN, "2026-01-05T09:00:00+00:00")
    story.assert_settled("101")


def test_group_targets_warn_then_breach_and_a_bounce_back_is_a_new_stay(story: Story) -> None:
    """Practice 2b through Redis and the worker: L2's P3 response target (4bh) warns the owner
    at 80 % and tells the L2 lead when missed, once; the stay's record and the per-group
    metrics say so; a second stay after a bounce-back gets its own targets."""
    mark = start(story)
    story.group("101", T0 + minutes(20), L2)  # 09:20 Berlin: due 13:20, warning 12:32
    timers = story.view("101")["timers"]
    assert timers["target_response_warn"] == "2026-01-05T11:32:00+00:00"
    assert timers["target_response_due"] == "2026-01-05T12:20:00+00:00"
    story.advance(T0 + hours(3) + minutes(31))
    assert containing(story.fake.notes("101", since=mark), "target") == []
    story.advance(T0 + hours(5))
    warning, breach = containing(story.fake.notes("101", since=mark), "response target")
    assert warning.mentions == (ALICE,) and not warning.public
    assert warning.text.startswith(
        "101 (P3) is close to L2 Network's response target of 4bh: due 2026-01-05 13:20 CET"
    )
    assert breach.mentions == (LEAD_L2,)
    assert "101 (P3) missed L2 Network's response target of 4bh" in breach.text
    # Erin takes it late and hands it back; the owner sends it to L2 again: a new stay.
    story.assign("101", T0 + hours(6), ERIN, actor=ERIN)
    story.group("101", T0 + hours(7), FRONTLINE, actor=ERIN)
    assert not any(name.startswith("target_") for name in story.view("101")["timers"])
    story.group("101", T0 + hours(8), L2)  # 17:00 Berlin: 1bh today, 3bh tomorrow
    assert story.view("101")["timers"]["target_response_due"] == "2026-01-06T10:00:00+00:00"
    rows = story.client.get("/metrics/ownership?by=group").json["rows"]
    assert rows == [
        {
            "group": "l2_network",
            "stays": 2,
            "running": 1,
            "response_met": 0,
            "response_breached": 1,
            "response_compliance": 0.0,
            "resolution_met": 1,  # handed back within the 5bd resolution target
            "resolution_breached": 0,
            "resolution_compliance": 1.0,
        }
    ]
    assert story.client.get("/metrics/ownership?by=galaxy").status_code == 400
    notes_before = len(containing(story.fake.notes("101"), "target"))
    story.assert_settled("101")
    assert len(containing(story.fake.notes("101"), "target")) == notes_before


def test_every_nudge_reaches_the_agents_it_names(story: Story) -> None:
    """Who Zendesk would e-mail about each note: the agents it names, made followers in the
    same update (once: each appears once per update however many notes name them)."""
    start(story)
    story.group("101", T0 + minutes(20), L2)
    story.advance(T0 + days(3))
    notes = story.fake.notes("101")
    assert len(notes) >= 3
    for note, (text, followers) in zip(notes, story.fake.notified("101"), strict=True):
        assert text == note.text
        named = {m for m in note.mentions if not m.startswith("group:")}
        assert named and named <= followers, (note.text[:60], followers)
    for write in story.fake.writes:
        put = [f["user_id"] for f in (write.body or {}).get("ticket", {}).get("followers", [])]
        assert len(put) == len(set(put)), put


# --- 3. customer-update cadence ---------------------------------------------------------------


def test_update_cadence_warns_then_nudges_then_tells_the_lead(story: Story) -> None:
    mark = start(story, priority="high")  # P2: every 4 business hours, warn 30m, grace 2bh
    timers = story.view("101")["timers"]
    assert timers["customer_update_warn"] == "2026-01-05T11:40:00+00:00"
    assert timers["customer_update_due"] == "2026-01-05T12:10:00+00:00"
    story.advance(utc(2026, 1, 5, 11, 39))
    assert story.fake.since(mark) == []
    story.advance(utc(2026, 1, 5, 11, 40))
    [warn] = story.fake.notes("101", since=mark)
    assert warn.mentions == (ALICE,)
    assert warn.text == (
        "Reminder for Alice Agent: the next customer update on 101 (P2) is due 2026-01-05 "
        "13:10 CET; the requester has had no word from us for 3h 30m."
    )
    story.advance(utc(2026, 1, 5, 12, 10))
    [_, due] = story.fake.notes("101", since=mark)
    assert due.mentions == (ALICE,)
    assert due.text == (
        "Alice Agent, a customer update on 101 (P2) is due now: the requester has had no word "
        "from us for 4h."
    )
    # Grace 2 business hours: 13:10 → 15:10 Berlin, then the lead hears of it.
    story.advance(utc(2026, 1, 5, 14, 9))
    assert len(story.fake.notes("101", since=mark)) == 2
    story.advance(utc(2026, 1, 5, 14, 10))
    [_, _, overdue] = story.fake.notes("101", since=mark)
    assert overdue.mentions == (LEAD_SD,)
    assert overdue.text == (
        "Customer update on 101 (P2) is still overdue: owner Alice Agent has not replied to "
        "the requester for 6h (1 update cycle missed)."
    )
    assert [w.path for w in story.fake.since(mark)] == ["/api/v2/tickets/101.json"] * 3
    # The next cycle was armed by the due nudge: 13:10 + 4bh = 17:10 Berlin, warned at 16:40.
    story.advance(utc(2026, 1, 5, 16, 10))
    [*_, warn2, due2] = story.fake.notes("101", since=mark)
    assert warn2.mentions == due2.mentions == (ALICE,)
    assert "is due 2026-01-05 17:10 CET" in warn2.text
    assert due2.text.startswith("Alice Agent, a customer update on 101 (P2) is due now")
    story.assert_settled("101")


def test_public_reply_resets_the_cadence_internal_note_does_not(story: Story) -> None:
    mark = start(story, priority="high")
    due = story.view("101")["timers"]["customer_update_due"]
    story.comment("101", T0 + hours(1), ALICE, "checking with L2", public=False)
    assert story.view("101")["timers"]["customer_update_due"] == due
    story.comment("101", T0 + hours(2), ALICE, "Update: we found the cause.")
    timers = story.view("101")["timers"]
    assert timers["customer_update_due"] == "2026-01-05T14:00:00+00:00"
    assert timers["customer_update_warn"] == "2026-01-05T13:30:00+00:00"
    # The old deadlines pass quietly; the new warning comes on time.
    story.advance(utc(2026, 1, 5, 13, 29))
    assert story.fake.since(mark) == []
    story.advance(utc(2026, 1, 5, 13, 30))
    [warn] = story.fake.notes("101", since=mark)
    assert "is due 2026-01-05 15:00 CET; the requester has had no word from us for 3h 30m" in (
        warn.text
    )
    story.assert_settled("101")


def test_a_customer_message_resets_the_cadence_too(story: Story) -> None:
    start(story, priority="high")
    story.comment("101", T0 + hours(3), CUSTOMER, "Any news?")
    assert story.view("101")["timers"]["customer_update_due"] == "2026-01-05T15:00:00+00:00"
    story.assert_settled("101")


# --- 4. workload control ----------------------------------------------------------------------


def test_owner_over_the_cap_is_flagged_to_the_lead_once(story: Story) -> None:
    tickets = [str(200 + n) for n in range(27)]
    for n, ticket in enumerate(tickets):
        story.create(ticket, T0 + minutes(n))
        story.comment(ticket, T0 + minutes(n) + minutes(0.5), ALICE, "Hello, on it.")
    flags = containing(story.fake.notes(), "open tickets, over the cap of 25")
    # the 26th ticket takes her over the cap: it is flagged, with 26; the 27th is not again
    assert [(n.ticket, n.mentions) for n in flags] == [(tickets[25], (LEAD_SD,))]
    assert flags[0].text == (
        f"Alice Agent now owns 26 open tickets, over the cap of 25 ({tickets[25]} is the "
        "latest). Please rebalance."
    )
    owned = story.client.get(f"/owners/zendesk/{ALICE}/tickets").json
    assert owned["count"] == 27
    story.assert_settled(tickets[-1])


def test_workload_cap_holds_when_first_contacts_arrive_in_one_batch(story: Story) -> None:
    work, story.work = story.work, lambda: None  # queue every delivery, then drain once
    try:
        for n in range(27):
            ticket = str(300 + n)
            story.create(ticket, T0 + minutes(n))
            story.comment(ticket, T0 + minutes(n) + minutes(0.5), ALICE, "Hello, on it.")
    finally:
        story.work = work
    story.work()
    assert story.client.get(f"/owners/zendesk/{ALICE}/tickets").json["count"] == 27
    assert len(containing(story.fake.notes(), "over the cap of 25")) == 1


# --- 5. support-notes review ------------------------------------------------------------------


def test_resolve_by_someone_else_asks_the_owner_to_review(story: Story) -> None:
    start(story)
    story.group("101", T0 + minutes(20), L2)
    story.assign("101", T0 + minutes(30), ERIN, actor=ERIN)
    story.comment("101", T0 + hours(1), ERIN, "ok", public=False)
    mark = len(story.fake.writes)
    story.status("101", T0 + hours(2), "solved", actor=ERIN)
    [task] = story.fake.tasks(since=mark)
    assert task["subject"] == "Review the support notes of 101"
    assert task["assignee_id"] == int(ALICE) and "tco_task_review" in task["tags"]
    assert task["via_followup_source_id"] == 101
    review, quality = story.fake.notes("101", since=mark)
    assert review.mentions == (ALICE,)
    assert review.text.startswith(f"Alice Agent, 101 was resolved by {ERIN} while you own")
    assert quality.mentions == (ERIN, ALICE)
    assert quality.text.startswith("The support notes on 101 are below the bar")
    assert story.fake.tag_changes("101", since=mark) == [
        ("+", ["notes-below-bar", "awaiting-confirmation"])
    ]
    story.assert_settled("101")


def test_owner_resolving_with_good_notes_triggers_no_review(story: Story) -> None:
    start(story)
    body = "Cause: the VPN client kept a stale route. Fix: replaced the profile and restarted it."
    story.comment("101", T0 + hours(1), ALICE, body, public=False)
    mark = len(story.fake.writes)
    story.status("101", T0 + hours(2), "solved")
    assert story.fake.tasks(since=mark) == [] and story.fake.notes(since=mark) == []
    assert story.fake.tag_changes("101", since=mark) == [("+", ["awaiting-confirmation"])]
    story.assert_settled("101")


# --- 6. customer approval before close --------------------------------------------------------


def test_resolve_awaits_confirmation_and_the_confirmation_allows_close(story: Story) -> None:
    start(story)
    mark = len(story.fake.writes)
    story.status("101", T0 + hours(2), "solved")
    # Alice's last note ("Hello Carol, we are on it.") is below the notes bar as well.
    assert story.fake.tag_changes("101", since=mark) == [
        ("+", ["notes-below-bar", "awaiting-confirmation"])
    ]
    # 1 business day from Monday 11:00 Berlin → Tuesday 11:00 Berlin.
    assert story.view("101")["timers"]["confirm_reminder"] == "2026-01-06T10:00:00+00:00"
    mark = len(story.fake.writes)
    story.comment("101", T0 + hours(5), CUSTOMER, "Yes, it works now, thanks!")
    assert story.fake.tag_changes("101", since=mark) == [
        ("+", ["customer-confirmed"]),
        ("-", ["awaiting-confirmation"]),
    ]
    [confirmed] = story.fake.notes("101", since=mark)
    assert confirmed.mentions == (ALICE,)
    assert confirmed.text == (
        "Alice Agent: the requester confirmed the resolution of 101; it may be closed now."
    )
    assert "confirm_reminder" not in story.view("101")["timers"]
    mark = len(story.fake.writes)
    story.status("101", T0 + hours(6), "closed", actor="-1")
    assert containing(story.fake.notes("101", since=mark), "without the requester") == []
    assert story.fake.tag_changes("101", since=mark) == []
    story.advance(days(14))  # no reminder ever goes out
    assert [n for n in story.fake.notes("101", since=mark) if n.public] == []
    story.assert_settled("101")


def test_requester_reply_without_confirming_goes_back_to_the_owner(story: Story) -> None:
    start(story)
    story.status("101", T0 + hours(2), "solved")
    mark = len(story.fake.writes)
    story.comment("101", T0 + hours(3), CUSTOMER, "Is it fixed? I have not tried yet.")
    [note] = story.fake.notes("101", since=mark)
    assert note.mentions == (ALICE,) and "answered on resolved 101 without confirming" in note.text
    assert story.fake.tag_changes("101", since=mark) == []  # still awaiting the confirmation
    assert story.fake.updates("101", since=mark) == []
    assert "confirm_reminder" in story.view("101")["timers"]
    story.assert_settled("101")


def test_rejection_reopens_and_restarts_the_update_clock(story: Story) -> None:
    start(story)
    story.status("101", T0 + hours(2), "solved")
    assert "customer_update_due" not in story.view("101")["timers"]
    mark = len(story.fake.writes)
    story.comment("101", T0 + hours(3), CUSTOMER, "Not fixed, the app still crashes.")
    assert story.fake.updates("101", since=mark) == [{"status": "open"}]
    assert story.fake.tickets["101"].status == "open"
    [note] = story.fake.notes("101", since=mark)
    assert note.mentions == (ALICE,) and "says 101 is not fixed" in note.text
    changes = story.fake.tag_changes("101", since=mark)
    assert ("-", ["awaiting-confirmation"]) in changes and ("+", ["customer-rejected"]) in changes
    timers = story.view("101")["timers"]
    assert "confirm_reminder" not in timers and "customer_update_due" in timers
    story.assert_settled("101")


def test_close_without_confirmation_is_flagged(story: Story) -> None:
    start(story)
    story.status("101", T0 + hours(2), "solved")
    mark = len(story.fake.writes)
    story.status("101", T0 + hours(3), "closed", actor="-1")
    [flag] = containing(story.fake.notes("101", since=mark), "without the requester")
    assert flag.mentions == (ALICE, LEAD_SD)
    assert flag.text == (
        "101 was closed without the requester's confirmation. Alice Agent, please make sure "
        "the requester agrees the issue is resolved."
    )
    assert ("+", ["closed-unconfirmed"]) in story.fake.tag_changes("101", since=mark)
    assert story.fake.updates("101", since=mark) == []  # flagged, not reopened
    story.assert_settled("101")


def test_close_without_confirmation_reopens_when_configured(
    make_runtime: Any, tmp_path: Path
) -> None:
    rules = rules_with(
        tmp_path,
        (
            "  - name: approval-close-reopen\n    enabled: false",
            "  - name: approval-close-reopen\n    enabled: true",
        ),
        ("  - name: approval-close-flag\n", "  - name: approval-close-flag\n    enabled: false\n"),
    )
    with story_on(make_runtime(TCO_RULES=rules)) as story:
        start(story)
        story.status("101", T0 + hours(2), "solved")
        mark = len(story.fake.writes)
        story.status("101", T0 + hours(3), "closed", actor="-1")
        assert story.fake.updates("101", since=mark) == [{"status": "open"}]
        [reopen] = containing(story.fake.notes("101", since=mark), "without the requester")
        assert reopen.mentions == (ALICE,)
        assert "closed-unconfirmed" not in str(story.fake.tag_changes("101", since=mark))
        assert story.fake.tickets["101"].status == "open"
        story.assert_settled("101")


REMINDER = (
    "Hello, we believe your request 101 is resolved. Could you confirm that it works for you? "
    'Just reply "yes, it works", or tell us what is still wrong.'
)


def test_confirmation_reminders_follow_the_ladder(story: Story) -> None:
    start(story)
    story.status("101", T0 + hours(2), "solved")
    mark = len(story.fake.writes)
    story.advance(days(14))
    replies = [n for n in story.fake.notes("101", since=mark) if n.public]
    assert replies == [Note("101", REMINDER, (), True)] * 3
    # Tuesday 6th, then every 2 business days: Thursday 8th, Monday 12th; the fourth firing
    # (auto-close disabled) does nothing.
    assert story.fake.updates("101", since=mark) == []
    assert story.view("101")["timers"] == {}
    story.assert_settled("101")


def test_auto_close_after_three_reminders_when_enabled(make_runtime: Any, tmp_path: Path) -> None:
    rules = rules_with(
        tmp_path,
        (
            "without the closed-unconfirmed flag.\n    enabled: false",
            "without the closed-unconfirmed flag.\n    enabled: true",
        ),
    )
    with story_on(make_runtime(TCO_RULES=rules)) as story:
        start(story)
        story.status("101", T0 + hours(2), "solved")
        mark = len(story.fake.writes)
        story.advance(utc(2026, 1, 14, 9, 59))
        assert len([n for n in story.fake.notes("101", since=mark) if n.public]) == 3
        assert story.fake.updates("101", since=mark) == []
        closing = len(story.fake.writes)
        story.advance(utc(2026, 1, 14, 10, 0))
        [auto] = [n for n in story.fake.notes("101", since=closing) if n.public]
        [kb] = [n for n in story.fake.notes("101", since=closing) if not n.public]
        assert auto.public and auto.text.startswith("We have not heard back about 101 after")
        assert story.fake.updates("101", since=closing) == [{"status": "closed"}]
        assert story.fake.tickets["101"].status == "closed"
        # The bridge's own close gets what any close gets: the KB task, and no unconfirmed flag.
        [task] = story.fake.tasks(since=closing)
        assert task["subject"] == "KB article for 101: VPN drops every hour"
        assert kb.mentions == (ALICE,) and "knowledge-base article" in kb.text
        assert story.fake.tag_changes("101", since=closing) == []
        story.assert_settled("101")


# --- 7. knowledge-base task -------------------------------------------------------------------


def test_kb_task_after_close_only_once(story: Story) -> None:
    start(story)
    story.status("101", T0 + hours(2), "solved")
    story.comment("101", T0 + hours(3), CUSTOMER, "yes, solved")
    mark = len(story.fake.writes)
    story.status("101", T0 + hours(4), "closed", actor="-1")
    [task] = story.fake.tasks(since=mark)
    assert task["subject"] == "KB article for 101: VPN drops every hour"
    assert task["assignee_id"] == int(ALICE)
    assert task["tags"][1:] == ["tco_task", "tco_task_kb"]
    assert "Follow-up of #101." in task["comment"]["body"] and not task["comment"]["public"]
    [nudge] = story.fake.notes("101", since=mark)
    assert nudge.mentions == (ALICE,)
    assert nudge.text == (
        "Write or link a knowledge-base article for 101 (VPN drops every hour), closed without one."
    )
    # Reopened and closed again: never a second KB task.
    mark = len(story.fake.writes)
    story.status("101", T0 + hours(5), "open")
    story.status("101", T0 + hours(6), "closed", actor="-1")
    assert story.fake.tasks(since=mark) == []
    assert containing(story.fake.notes("101", since=mark), "knowledge-base") == []
    story.assert_settled("101")


def test_no_kb_task_when_an_article_is_linked(story: Story) -> None:
    start(story, tags=("kb-linked",))
    story.status("101", T0 + hours(2), "solved")
    story.comment("101", T0 + hours(3), CUSTOMER, "yes, solved")
    mark = len(story.fake.writes)
    story.status("101", T0 + hours(4), "closed", actor="-1")
    assert story.fake.tasks(since=mark) == [] and story.fake.notes(since=mark) == []
    story.assert_settled("101")


# --- 8. on hold / awaiting information --------------------------------------------------------


def test_hold_expiry_reopens_and_nudges_the_owner(story: Story) -> None:
    start(story)
    story.status("101", T0 + hours(1), "hold")
    # 5 business days from Monday 10:00 Berlin → next Monday 10:00 Berlin.
    assert story.view("101")["timers"]["hold_expires"] == "2026-01-12T09:00:00+00:00"
    mark = len(story.fake.writes)
    story.advance(utc(2026, 1, 12, 8, 59))
    assert story.fake.updates("101", since=mark) == []
    story.advance(days(1))
    assert story.fake.updates("101", since=mark) == [{"status": "open"}]
    [nudge] = containing(story.fake.notes("101", since=mark), "The hold on 101 expired")
    assert nudge.mentions == (ALICE,)
    assert nudge.text == (
        "The hold on 101 expired (2026-01-12 10:00 CET); it is open again. Alice Agent, "
        "please pick it up."
    )
    assert story.fake.tickets["101"].status == "open"
    story.assert_settled("101")


def test_leaving_hold_cancels_the_expiry(story: Story) -> None:
    mark = start(story)
    story.status("101", T0 + hours(1), "hold")
    story.status("101", T0 + hours(2), "open")
    assert "hold_expires" not in story.view("101")["timers"]
    story.advance(utc(2026, 1, 12, 10, 0))
    assert story.fake.updates("101", since=mark) == []
    story.assert_settled("101")


def test_awaiting_information_reminds_the_requester_twice_then_the_owner(story: Story) -> None:
    start(story)
    story.status("101", T0 + hours(1), "pending")
    mark = len(story.fake.writes)
    story.advance(utc(2026, 1, 15, 0, 0))
    notes = [
        n
        for n in story.fake.notes("101", since=mark)
        if "information" in n.text and "aging" not in n.text
    ]
    reminder = (
        "Hello, we are still waiting for the information we asked for on 101. Please reply so "
        "we can continue."
    )
    assert notes[:2] == [Note("101", reminder, (), True)] * 2
    [expired] = notes[2:]
    assert expired.mentions == (ALICE,) and not expired.public
    assert expired.text.startswith("Alice Agent: the requester has not sent the information")
    story.assert_settled("101")


# --- 9. verify after resolve ------------------------------------------------------------------


def test_verify_after_resolve_for_risky_types(story: Story) -> None:
    start(story, type="problem")
    story.status("101", T0 + hours(2), "solved")
    # 3 business days from Monday 11:00 Berlin → Thursday 11:00 Berlin.
    assert story.view("101")["timers"]["verify_followup"] == "2026-01-08T10:00:00+00:00"
    mark = len(story.fake.writes)
    story.advance(utc(2026, 1, 8, 9, 59))
    assert story.fake.tasks(since=mark) == []
    story.advance(utc(2026, 1, 8, 10, 0))
    [task] = story.fake.tasks(since=mark)
    assert task["subject"] == "Verify the fix of 101 still holds"
    assert task["assignee_id"] == int(ALICE) and "tco_task_followup" in task["tags"]
    [nudge] = containing(story.fake.notes("101", since=mark), "verify the fix")
    assert nudge.mentions == (ALICE,)
    assert nudge.text.startswith("Alice Agent, 101 (a problem) was resolved")
    story.advance(days(10))
    assert len(story.fake.tasks(since=mark)) == 1
    story.assert_settled("101")


def test_no_verify_follow_up_for_other_types(story: Story) -> None:
    start(story, type="question")
    story.status("101", T0 + hours(2), "solved")
    mark = len(story.fake.writes)
    assert "verify_followup" not in story.view("101")["timers"]
    story.advance(days(10))
    assert story.fake.tasks(since=mark) == []
    story.assert_settled("101")


# --- 10. shift and absence handover -----------------------------------------------------------


def test_handover_to_a_named_backup_and_back(story: Story) -> None:
    start(story, priority="urgent")
    mark = len(story.fake.writes)
    assert story.away(ALICE, backup=BOB) == ["101"]
    assert story.fake.updates("101", since=mark) == [{"assignee_id": int(BOB)}]
    [note] = story.fake.notes("101", since=mark)
    assert note.mentions == (BOB, ALICE)
    assert note.text == (
        f"{ALICE} is away: {BOB} covers 101 (P1) as contact owner until they are back."
    )
    assert story.fake.tag_changes("101", since=mark) == [
        ("+", [f"tco_owner_{BOB}"]),
        ("-", [f"tco_owner_{ALICE}"]),
    ]
    view = story.view("101")
    assert view["owner"]["id"] == BOB and view["owner"]["via"] == "override"
    assert story.fake.tickets["101"].assignee == BOB
    story.assert_settled("101")

    mark = len(story.fake.writes)
    assert story.back(ALICE) == ["101"]
    assert story.fake.updates("101", since=mark) == [{"assignee_id": int(ALICE)}]
    [welcome] = containing(story.fake.notes("101", since=mark), "Welcome back")
    assert welcome == Note("101", f"Welcome back {ALICE}: 101 is yours again.", (ALICE,), False)
    assert story.view("101")["owner"]["id"] == ALICE
    story.assert_settled("101")


def test_hand_back_restores_the_owner_mirror(story: Story) -> None:
    start(story, priority="urgent")
    story.away(ALICE, backup=BOB)
    mark = len(story.fake.writes)
    story.back(ALICE)
    assert story.fake.tag_changes("101", since=mark) == [
        ("+", [f"tco_owner_{ALICE}"]),
        ("-", [f"tco_owner_{BOB}"]),
    ]
    assert story.fake.tickets["101"].tags == [f"tco_owner_{ALICE}"]


def test_handover_without_backup_goes_to_the_owners_team(story: Story) -> None:
    start(story, priority="high")
    mark = len(story.fake.writes)
    story.away(ALICE)
    assert story.fake.updates("101", since=mark) == [
        {"assignee_id": None, "group_id": int(FRONTLINE)}
    ]
    [note] = story.fake.notes("101", since=mark)
    assert note.mentions == (f"group:{FRONTLINE}", LEAD_SD)
    assert note.text == (
        f"{ALICE} is away and has no named backup: 101 (P2) goes to the service_desk queue "
        "until they are back."
    )
    assert story.view("101")["owner"]["id"] == ALICE  # the contact stays Alice's
    assert story.fake.tag_changes("101", since=mark) == []
    story.assert_settled("101")
    mark = len(story.fake.writes)
    story.back(ALICE)
    assert story.fake.updates("101", since=mark) == [{"assignee_id": int(ALICE)}]
    assert [n.text for n in containing(story.fake.notes("101", since=mark), "back")] == [
        f"Welcome back {ALICE}: 101 is yours again."
    ]
    story.assert_settled("101")


def test_scheduled_return_hands_back_when_until_passes(story: Story) -> None:
    start(story, priority="urgent")
    until = T0 + hours(3)
    story.away(ALICE, backup=BOB, until=until)
    assert story.view("101")["owner"]["id"] == BOB
    mark = len(story.fake.writes)
    story.advance(until - minutes(1))
    assert containing(story.fake.notes("101", since=mark), "Welcome back") == []
    story.advance(until)
    [welcome] = containing(story.fake.notes("101", since=mark), "Welcome back")
    assert welcome.mentions == (ALICE,)
    assert {"assignee_id": int(ALICE)} in story.fake.updates("101", since=mark)
    assert story.view("101")["owner"]["id"] == ALICE
    assert story.client.get("/agents/away").json == {"away": []}
    story.assert_settled("101")


def test_no_handover_for_low_priority_tickets(story: Story) -> None:
    mark = start(story, priority="low")
    assert story.away(ALICE, backup=BOB) == ["101"]
    assert story.fake.since(mark) == []
    assert story.view("101")["owner"]["id"] == ALICE
    story.assert_settled("101")


def test_hand_back_sends_only_the_welcome_back(story: Story) -> None:
    """No stale owner.changed: the backup is not welcomed as owner, nor Alice once more."""
    start(story, priority="urgent")
    story.away(ALICE, backup=BOB)
    mark = len(story.fake.writes)
    story.back(ALICE)
    story.comment("101", T0 + minutes(20), ALICE, "checking the tunnel", public=False)
    assert [n.text for n in story.fake.notes("101", since=mark)] == [
        f"Welcome back {ALICE}: 101 is yours again."
    ]


# --- 11. aging safety net ---------------------------------------------------------------------


def test_aging_safety_net_nudges_weekly_four_times(story: Story) -> None:
    start(story, priority="low")
    story.status("101", T0 + hours(1), "hold")
    story.status("101", T0 + hours(2), "open")
    story.comment("101", T0 + hours(3), ALICE, "Still working on it, next update Friday.")
    mark = len(story.fake.writes)
    story.advance(T0 + days(7) - minutes(1))
    assert containing(story.fake.notes("101", since=mark), "has been open for") == []
    story.advance(T0 + days(7))
    [first] = containing(story.fake.notes("101", since=mark), "has been open for")
    assert first.mentions == (ALICE, LEAD_SD)
    assert first.text.startswith("101 has been open for 7d (status open, owner Alice Agent")
    assert ("+", ["aging"]) in story.fake.tag_changes("101", since=mark)
    assert story.view("101")["timers"]["aging_check"] == "2026-01-19T08:00:00+00:00"
    story.advance(T0 + days(42))
    aging = containing(story.fake.notes("101", since=mark), "has been open for")
    assert [n.text.split(" (")[0] for n in aging] == [
        "101 has been open for 7d",
        "101 has been open for 14d",
        "101 has been open for 21d",
        "101 has been open for 28d",
    ]
    story.assert_settled("101")
