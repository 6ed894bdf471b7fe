"""Every practice of rules/default.yaml through ``pipeline.process`` on a virtual clock.

Pure: hand-built canonical events, no Redis. Timers fall due when the Sim advances its clock.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rules_kit import (
    ALICE,
    BRIDGE,
    CAROL,
    DEFAULT_RULES,
    ERIN,
    SYSTEM,
    T0,
    Sim,
    hours,
    minutes,
)

from tco_bridge.actions import ActionKind, action_id
from tco_bridge.events import Comment, EventType, Status, TicketEvent
from tco_bridge.plan import Away, Plan
from tco_bridge.rules import RuleSet, load_rules_text


def notes(plan_actions: list, rule: str) -> list:  # type: ignore[type-arg]
    return [a for a in plan_actions if a.rule == rule and a.kind is ActionKind.NOTE]


def started(rules: RuleSet, **kw: object) -> Sim:
    """A P3 ticket, created by Carol at T0 and answered publicly by Alice 10 minutes later."""
    sim = Sim(rules)
    sim.created(**kw)  # type: ignore[arg-type]
    sim.comment(T0 + minutes(10), ALICE, "Hello Carol, we are on it.")
    return sim


# --- 1. owner at first contact -------------------------------------------------------------


def test_owner_at_first_contact_is_noted_and_mirrored(default_rules: RuleSet) -> None:
    sim = Sim(default_rules)
    assert sim.created().actions == []
    plan = sim.comment(T0 + minutes(10), ALICE, "Hello Carol, we are on it.")
    assert sim.state.owner is not None and sim.state.owner.id == "alice"
    [welcome] = notes(plan.actions, "owner-assigned")
    assert welcome.mention == ("alice",)
    assert welcome.text is not None and welcome.text.startswith(
        "Alice Agent, you are now the contact owner of T-1 (P3)"
    )
    assert welcome.id == action_id("sandbox", "T-1", "owner-assigned", "T-1-e3")
    [mirror] = [a for a in plan.actions if a.kind is ActionKind.SET_OWNER]
    assert (mirror.owner, mirror.field) == ("alice", "label")
    # Escalation does not change the owner; an L2 engineer's reply does not either.
    sim.group(T0 + minutes(20), "l2_network")
    plan = sim.comment(T0 + minutes(30), ERIN, "Looking at the tunnel logs now.")
    assert sim.state.owner.id == "alice"
    assert notes(plan.actions, "owner-assigned") == []


# --- 2. warm transfer ---------------------------------------------------------------------


def test_warm_transfer_not_picked_up_nudges_owner_and_group(default_rules: RuleSet) -> None:
    sim = started(default_rules)
    plan = sim.group(T0 + minutes(20), "l2_network")
    # P3 pickup: 4 business hours from 09:20 Berlin → 13:20 Berlin (12:20 UTC).
    assert plan.timers_set["pickup_due"] == datetime(2025, 3, 3, 12, 20, tzinfo=UTC)
    fired = [a for p in sim.advance(T0 + hours(5)) for a in p.actions]
    [nudge] = [a for a in fired if a.rule.startswith("pickup-")]
    assert nudge.rule == "pickup-overdue" and nudge.kind is ActionKind.NOTE
    assert nudge.mention == ("alice", "group:l2_network")
    assert "T-1 has waited 4h in L2 Network without anyone picking it up" in (nudge.text or "")
    assert "Escalation path: l2_network 4h (not picked up)" in (nudge.text or "")
    key = "timer:pickup_due:2025-03-03T12:20:00+00:00"
    assert nudge.id == action_id("sandbox", "T-1", "pickup-overdue", key)


def test_warm_transfer_picked_up_in_time_clears_the_clock(default_rules: RuleSet) -> None:
    sim = started(default_rules)
    sim.group(T0 + minutes(20), "l2_network")
    plan = sim.assign(T0 + hours(1), ERIN, actor=ERIN)
    assert "pickup_due" in plan.timers_cleared and "pickup_due" not in sim.state.timers
    assert all(a.rule != "pickup-overdue" for p in sim.advance(T0 + hours(6)) for a in p.actions)


# --- 3. customer-update cadence -----------------------------------------------------------


def test_update_cadence_warn_nudge_then_lead(default_rules: RuleSet) -> None:
    sim = started(default_rules, priority="high")  # P2: every 4 business hours
    timers = sim.state.timers
    assert timers["customer_update_due"] == datetime(2025, 3, 3, 12, 10, tzinfo=UTC)
    assert timers["customer_update_warn"] == datetime(2025, 3, 3, 11, 40, tzinfo=UTC)
    plans = [p for p in sim.advance(T0 + hours(8)) if p.actions]
    warn, due, overdue = (p.actions[0] for p in plans[:3])
    assert (warn.rule, warn.mention) == ("update-cadence-warn", ("alice",))
    assert "is due 2025-03-03 13:10 CET" in (warn.text or "")
    assert (due.rule, due.mention) == ("update-cadence-due", ("alice",))
    assert "a customer update on T-1 (P2) is due now" in (due.text or "")
    assert (overdue.rule, overdue.mention) == ("update-cadence-overdue", ("lead-sd",))
    assert "still overdue: owner Alice Agent has not replied" in (overdue.text or "")
    assert "(1 update cycle missed)" in (overdue.text or "")


def test_public_reply_resets_cadence_internal_note_does_not(default_rules: RuleSet) -> None:
    sim = started(default_rules, priority="high")
    due = sim.state.timers["customer_update_due"]
    plan = sim.comment(T0 + hours(1), ALICE, "internal: checking with L2", public=False)
    assert plan.timers_set == {} and sim.state.timers["customer_update_due"] == due
    plan = sim.comment(T0 + hours(2), ALICE, "Update: we found the cause.")
    assert plan.timers_set["customer_update_due"] == datetime(2025, 3, 3, 14, 0, tzinfo=UTC)
    assert "customer_update_overdue" in plan.timers_cleared


def test_cadence_stops_on_resolve(default_rules: RuleSet) -> None:
    sim = started(default_rules)
    plan = sim.status(T0 + hours(1), Status.RESOLVED)
    assert {"customer_update_warn", "customer_update_due"} <= plan.timers_cleared
    assert "customer_update_due" not in sim.state.timers


# --- 4. workload control ------------------------------------------------------------------


def test_owner_over_the_cap_is_flagged_to_the_lead(default_rules: RuleSet) -> None:
    # Alice owns 25 open tickets; taking this one makes 26: the note fires on this ticket and
    # counts it.
    sim = Sim(default_rules, workload={"alice": 25})
    sim.created()
    plan = sim.comment(T0 + minutes(10), ALICE, "Hello Carol")
    [flag] = notes(plan.actions, "workload-cap")
    assert flag.mention == ("lead-sd",)
    assert "Alice Agent now owns 26 open tickets, over the cap of 25" in (flag.text or "")
    calm = Sim(default_rules, workload={"alice": 24})  # this one makes 25: at the cap, not over
    calm.created()
    assert notes(calm.comment(T0 + minutes(10), ALICE, "Hi").actions, "workload-cap") == []


# --- 5. support-notes review --------------------------------------------------------------


def test_resolve_by_someone_else_asks_the_owner_to_review(default_rules: RuleSet) -> None:
    sim = started(default_rules)
    sim.group(T0 + minutes(20), "l2_network")
    sim.comment(T0 + hours(1), ERIN, "ok", public=False)
    plan = sim.status(T0 + hours(2), Status.RESOLVED, actor=ERIN)
    [task] = [a for a in plan.actions if a.kind is ActionKind.CREATE_TASK]
    assert task.rule == "notes-review" and task.task is not None
    assert (task.task.kind, task.task.assignee) == ("review", "alice")
    assert task.task.summary == "Review the support notes of T-1"
    [review] = notes(plan.actions, "notes-review")
    assert review.mention == ("alice",) and "resolved by Erin Engineer" in (review.text or "")
    [quality] = notes(plan.actions, "notes-quality")
    assert quality.mention == ("erin", "alice")
    assert any(
        a.kind is ActionKind.ADD_LABEL and a.label == "notes-below-bar" for a in plan.actions
    )


def test_owner_resolving_with_good_notes_triggers_no_review(default_rules: RuleSet) -> None:
    sim = started(default_rules)
    body = "Cause: the VPN client kept a stale route. Fix: replaced the profile and restarted it."
    sim.comment(T0 + hours(1), ALICE, body, public=False)
    plan = sim.status(T0 + hours(2), Status.RESOLVED, actor=ALICE)
    assert not {"notes-review", "notes-quality"} & {a.rule for a in plan.actions}


# --- 6. customer approval before close ----------------------------------------------------


def test_resolve_awaits_confirmation_and_confirmation_allows_close(default_rules: RuleSet) -> None:
    sim = started(default_rules)
    plan = sim.status(T0 + hours(2), Status.RESOLVED, actor=ALICE)
    assert [a.label for a in plan.actions if a.rule == "approval-await"] == [
        "awaiting-confirmation"
    ]
    assert sim.state.marks["awaiting_confirmation"] is True
    # 1bd from Monday 11:00 Berlin → Tuesday 11:00 Berlin.
    assert sim.state.timers["confirm_reminder"] == datetime(2025, 3, 4, 10, 0, tzinfo=UTC)
    plan = sim.comment(T0 + hours(5), CAROL, "Yes, it works now, thanks!")
    labels = [(a.kind, a.label) for a in plan.actions if a.rule == "approval-confirmed" and a.label]
    assert labels == [
        (ActionKind.REMOVE_LABEL, "awaiting-confirmation"),
        (ActionKind.ADD_LABEL, "customer-confirmed"),
    ]
    [note] = notes(plan.actions, "approval-confirmed")
    assert "requester confirmed the resolution of T-1" in (note.text or "")
    assert "confirm_reminder" not in sim.state.timers
    plan = sim.status(T0 + hours(6), Status.CLOSED, actor=SYSTEM)
    assert {a.rule for a in plan.actions} == {"kb-task"}


def test_close_without_confirmation_is_flagged(default_rules: RuleSet) -> None:
    sim = started(default_rules)
    sim.status(T0 + hours(2), Status.RESOLVED)
    plan = sim.status(T0 + hours(3), Status.CLOSED, actor=SYSTEM)
    [note] = notes(plan.actions, "approval-close-flag")
    assert note.mention == ("alice", "lead-sd")
    assert "closed without the requester's confirmation" in (note.text or "")


def test_close_without_confirmation_reopens_when_configured() -> None:
    text = DEFAULT_RULES.read_text()
    text = text.replace(
        "  - name: approval-close-reopen\n    enabled: false",
        "  - name: approval-close-reopen\n    enabled: true",
    ).replace(
        "  - name: approval-close-flag\n", "  - name: approval-close-flag\n    enabled: false\n"
    )
    sim = started(load_rules_text(text, "custom.yaml"))
    sim.status(T0 + hours(2), Status.RESOLVED)
    plan = sim.status(T0 + hours(3), Status.CLOSED, actor=SYSTEM)
    [reopen] = [a for a in plan.actions if a.kind is ActionKind.TRANSITION]
    assert (reopen.rule, reopen.status) == ("approval-close-reopen", "open")


def test_rejection_reopens_and_restarts_the_update_clock(default_rules: RuleSet) -> None:
    sim = started(default_rules)
    sim.status(T0 + hours(2), Status.RESOLVED)
    assert "customer_update_due" not in sim.state.timers
    plan = sim.comment(T0 + hours(3), CAROL, "Not fixed, the app still crashes.")
    [note] = notes(plan.actions, "approval-rejected")
    assert note.mention == ("alice",) and "not fixed" in (note.text or "")
    [reopen] = [a for a in plan.actions if a.kind is ActionKind.TRANSITION]
    assert (reopen.rule, reopen.status) == ("approval-rejected-reopen", "open")
    assert "confirmed" not in sim.state.marks and "confirm_reminder" not in sim.state.timers
    # P3: one business day from the rejection (Monday 12:00 Berlin → Tuesday 12:00).
    assert sim.state.timers["customer_update_due"] == T0 + hours(3) + timedelta(days=1)
    assert sim.state.register("status") == "open"


def test_requester_reply_without_confirming_goes_back_to_owner(default_rules: RuleSet) -> None:
    sim = started(default_rules)
    sim.status(T0 + hours(2), Status.RESOLVED)
    plan = sim.comment(T0 + hours(3), CAROL, "Is it fixed? I have not tried yet.")
    [note] = notes(plan.actions, "approval-not-confirmed")
    assert "without confirming" in (note.text or "")
    assert [a for a in plan.actions if a.kind is ActionKind.TRANSITION] == []
    assert sim.state.marks["awaiting_confirmation"] is True
    assert sim.state.timers["confirm_reminder"] == T0 + hours(3) + timedelta(days=1)
    plan = sim.comment(T0 + hours(4), CAROL, "Tried it now: yes, it works.")
    assert notes(plan.actions, "approval-confirmed")
    assert sim.state.marks["confirmed"] is True


def test_requester_resolving_herself_has_confirmed(default_rules: RuleSet) -> None:
    sim = started(default_rules)
    plan = sim.status(T0 + hours(2), Status.RESOLVED, actor=CAROL)
    assert {a.rule for a in plan.actions} == {"approval-by-requester"}
    assert sim.state.marks["confirmed"] is True and "confirm_reminder" not in sim.state.timers
    plan = sim.status(T0 + hours(3), Status.CLOSED, actor=SYSTEM)
    assert "approval-close-flag" not in {a.rule for a in plan.actions}
    assert "kb-task" in {a.rule for a in plan.actions}


def test_requester_closing_herself_is_not_flagged(default_rules: RuleSet) -> None:
    sim = started(default_rules)
    plan = sim.status(T0 + hours(2), Status.CLOSED, actor=CAROL)
    rules = {a.rule for a in plan.actions}
    assert "approval-close-flag" not in rules
    assert {"approval-by-requester", "kb-task"} <= rules


def field(sim: Sim, at: datetime, name: str, value: str) -> Plan:
    return sim.send(sim._event(EventType.FIELD_CHANGED, at, actor=ALICE, field=name, after=value))


def test_confirmation_by_tag_or_rating(default_rules: RuleSet) -> None:
    sim = started(default_rules)
    sim.status(T0 + hours(2), Status.RESOLVED)
    plan = field(sim, T0 + hours(3), "tags", "awaiting-confirmation customer-confirmed")
    assert "approval-confirmed-otherwise" in {a.rule for a in plan.actions}
    assert sim.state.marks["confirmed"] is True
    other = started(default_rules)
    other.status(T0 + hours(2), Status.RESOLVED)
    assert field(other, T0 + hours(3), "satisfaction", "bad").actions == []
    plan = field(other, T0 + hours(4), "satisfaction", "good")
    assert notes(plan.actions, "approval-confirmed-otherwise")


def test_confirmation_reminder_ladder_then_optional_auto_close() -> None:
    text = DEFAULT_RULES.read_text().replace(
        "(KB task and all), without the closed-unconfirmed flag.\n    enabled: false",
        "(KB task and all), without the closed-unconfirmed flag.\n    enabled: true",
    )
    sim = started(load_rules_text(text, "custom.yaml"))
    sim.status(T0 + hours(2), Status.RESOLVED)
    plans = [p for p in sim.advance(T0 + timedelta(days=14)) if p.actions]
    replies = [a for p in plans for a in p.actions if a.rule == "approval-reminder"]
    assert len(replies) == 3
    assert all(a.extra == {"public": True} and a.mention == ("carol",) for a in replies)
    assert len({a.id for a in replies}) == 3
    closing = [a for p in plans for a in p.actions if a.rule == "approval-auto-close"]
    assert [a.kind for a in closing] == [ActionKind.NOTE, ActionKind.TRANSITION]
    assert closing[1].status == "closed"
    # Tue 4th, then every 2 business days: Thu 6th, Mon 10th; the fourth firing closes (Wed 12th).
    assert [p.actions[0].id == a.id for p in plans for a in p.actions[:1]] == [True] * 4
    # The bridge's own close counts like any other: the KB task, and no unconfirmed flag.
    last = plans[-1]
    assert [a.rule for a in last.actions if a.kind is ActionKind.CREATE_TASK] == ["kb-task"]
    assert "approval-close-flag" not in {a.rule for a in last.actions}
    assert sim.state.register("status") == "closed"
    assert "confirm_reminder" not in sim.state.timers


# --- 7. knowledge-base task ---------------------------------------------------------------


def test_kb_task_after_close_once(default_rules: RuleSet) -> None:
    sim = started(default_rules)
    sim.status(T0 + hours(2), Status.RESOLVED)
    sim.comment(T0 + hours(3), CAROL, "yes, solved")
    plan = sim.status(T0 + hours(4), Status.CLOSED, actor=SYSTEM)
    [task] = [a for a in plan.actions if a.kind is ActionKind.CREATE_TASK]
    assert task.task is not None
    assert (task.rule, task.task.kind, task.task.assignee) == ("kb-task", "kb", "alice")
    assert task.task.summary == "KB article for T-1: VPN drops every hour"
    assert task.id == action_id("sandbox", "T-1", "kb-task", "once")
    # Reopened and closed again: never a second KB task.
    sim.status(T0 + hours(5), Status.OPEN)
    plan = sim.status(T0 + hours(6), Status.CLOSED, actor=SYSTEM)
    assert [a for a in plan.actions if a.kind is ActionKind.CREATE_TASK] == []


def test_no_kb_task_when_an_article_is_linked(default_rules: RuleSet) -> None:
    sim = started(default_rules, tags=("kb-linked",))
    plan = sim.status(T0 + hours(4), Status.CLOSED, actor=SYSTEM)
    assert [a for a in plan.actions if a.rule == "kb-task"] == []


# --- 8. on hold / awaiting information ----------------------------------------------------


def test_hold_expiry_reopens_and_nudges(default_rules: RuleSet) -> None:
    sim = started(default_rules)
    sim.status(T0 + hours(1), Status.ON_HOLD)
    # 5 business days from Monday 10:00 Berlin → next Monday 10:00 Berlin.
    assert sim.state.timers["hold_expires"] == datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
    fired = [
        p
        for p in sim.advance(T0 + timedelta(days=8))
        if any(a.rule == "hold-expired" for a in p.actions)
    ]
    [transition, nudge] = fired[0].actions
    assert (transition.kind, transition.status) == (ActionKind.TRANSITION, "open")
    assert nudge.mention == ("alice",)
    assert "The hold on T-1 expired (2025-03-10 10:00 CET)" in (nudge.text or "")  # due_local


def test_hold_cleared_when_ticket_leaves_hold(default_rules: RuleSet) -> None:
    sim = started(default_rules)
    sim.status(T0 + hours(1), Status.ON_HOLD)
    plan = sim.status(T0 + hours(2), Status.OPEN)
    assert "hold_expires" in plan.timers_cleared and "hold_expires" not in sim.state.timers


def test_awaiting_information_reminders_go_to_the_requester(default_rules: RuleSet) -> None:
    sim = started(default_rules)
    sim.status(T0 + hours(1), Status.PENDING)
    plans = [p for p in sim.advance(T0 + timedelta(days=10)) if p.actions]
    plans = [p for p in plans if p.actions[0].rule.startswith("info")]
    rules = [a.rule for p in plans for a in p.actions]
    assert rules == ["info-reminder", "info-reminder", "info-request-expired"]
    first = plans[0].actions[0]
    assert first.mention == ("carol",) and first.extra == {"public": True}
    assert "still waiting for the information" in (first.text or "")
    assert plans[2].actions[0].mention == ("alice",)


# --- 9. verify after resolve --------------------------------------------------------------


def test_verify_after_resolve_for_risky_types(default_rules: RuleSet) -> None:
    sim = started(default_rules, type="change")
    sim.status(T0 + hours(2), Status.RESOLVED, actor=ALICE)
    # 3 business days from Monday 11:00 Berlin → Thursday 11:00 Berlin.
    assert sim.state.timers["verify_followup"] == datetime(2025, 3, 6, 10, 0, tzinfo=UTC)
    plans = [
        p
        for p in sim.advance(datetime(2025, 3, 6, 11, 0, tzinfo=UTC))
        if any(a.rule == "verify-followup" for a in p.actions)
    ]
    task, nudge = plans[0].actions
    assert task.task is not None and (task.task.kind, task.task.assignee) == ("followup", "alice")
    assert nudge.mention == ("alice",) and "(a change) was resolved" in (nudge.text or "")


def test_no_verify_for_other_types(default_rules: RuleSet) -> None:
    sim = started(default_rules, type="question")
    sim.status(T0 + hours(2), Status.RESOLVED, actor=ALICE)
    assert "verify_followup" not in sim.state.timers


# --- 10. shift and absence handover -------------------------------------------------------


def test_handover_to_backup_and_back(default_rules: RuleSet) -> None:
    sim = started(default_rules, priority="urgent")
    sim.away["alice"] = Away("alice", backup="bob")
    plan = sim.agent(EventType.AGENT_AWAY, "alice", "bob", T0 + minutes(30))
    assign = [a for a in plan.actions if a.kind is ActionKind.ASSIGN]
    assert [(a.rule, a.assignee) for a in assign] == [("handover-to-backup", "bob")]
    [note] = notes(plan.actions, "handover-to-backup")
    assert note.mention == ("bob", "alice")
    assert "alice is away: bob covers T-1 (P1) as contact owner" in (note.text or "")
    assert sim.state.owner is not None and sim.state.owner.id == "bob"
    [mirror] = [a for a in plan.actions if a.kind is ActionKind.SET_OWNER]
    assert (mirror.owner, mirror.previous_owner) == ("bob", "alice")
    # the rule announced the new owner: the next event raises no owner.changed for it
    assert (plan.marks["_owner"], plan.marks["_owner_name"]) == ("bob", "bob")
    del sim.away["alice"]
    plan = sim.agent(EventType.AGENT_BACK, "alice", None, T0 + hours(3))
    assert sim.state.owner.id == "alice"
    assert (plan.marks["_owner"], plan.marks["_owner_name"]) == ("alice", "Alice Agent")
    assert [(a.kind, a.assignee) for a in plan.actions if a.rule == "handover-return"][0] == (
        ActionKind.ASSIGN,
        "alice",
    )
    assert "handover" not in {k for k, v in sim.state.marks.items() if v}


def test_handover_to_team_without_backup(default_rules: RuleSet) -> None:
    sim = started(default_rules, priority="high")
    sim.away["alice"] = Away("alice")
    plan = sim.agent(EventType.AGENT_AWAY, "alice", None, T0 + minutes(30))
    [assign] = [a for a in plan.actions if a.kind is ActionKind.ASSIGN]
    assert (assign.group, assign.assignee, assign.extra) == (
        "service_desk",
        None,
        {"unassign": True},
    )
    [note] = notes(plan.actions, "handover-to-team")
    assert note.mention == ("group:service_desk", "lead-sd")
    assert sim.state.owner is not None and sim.state.owner.id == "alice"


def test_no_handover_for_low_priority_or_other_agents(default_rules: RuleSet) -> None:
    sim = started(default_rules, priority="low")
    assert sim.agent(EventType.AGENT_AWAY, "alice", "bob", T0 + minutes(30)).actions == []
    sim = started(default_rules, priority="urgent")
    assert sim.agent(EventType.AGENT_AWAY, "zed", "bob", T0 + minutes(30)).actions == []


# --- 11. aging safety net -----------------------------------------------------------------


def test_aging_safety_net(default_rules: RuleSet) -> None:
    sim = started(default_rules, priority="low")
    sim.status(T0 + hours(1), Status.ON_HOLD)
    sim.status(T0 + hours(2), Status.OPEN)
    sim.comment(T0 + hours(3), ALICE, "Still working on it, next update Friday.")
    plans = [
        p
        for p in sim.advance(T0 + timedelta(days=7, hours=1))
        if any(a.rule == "aging-check" for a in p.actions)
    ]
    label, nudge = plans[0].actions
    assert (label.kind, label.label) == (ActionKind.ADD_LABEL, "aging")
    assert nudge.mention == ("alice", "lead-sd")
    assert "T-1 has been open for 7d" in (nudge.text or "")
    assert sim.state.timers["aging_check"] == T0 + timedelta(days=14)


# --- cross-cutting ------------------------------------------------------------------------


def test_loop_guard_bridge_authored_events_trigger_nothing(default_rules: RuleSet) -> None:
    sim = started(default_rules)
    before = dict(sim.state.timers)
    event = TicketEvent(
        connector="sandbox",
        ticket="T-1",
        type=EventType.COMMENT_ADDED,
        at=T0 + hours(1),
        key="bridge-note-1",
        actor=BRIDGE,
        comment=Comment("c-bridge", "Reminder: update due", True, BRIDGE),
    )
    plan = sim.send(event)
    assert plan.actions == [] and plan.timers_set == {} and sim.state.timers == before
    plan = sim.status(T0 + hours(2), Status.CLOSED, actor=BRIDGE)
    assert plan.actions == []


def test_replays_give_the_same_action_ids(default_rules: RuleSet) -> None:
    def run() -> list[tuple[str, str]]:
        sim = started(default_rules, type="change")
        sim.group(T0 + minutes(20), "l2_network")
        sim.status(T0 + hours(30), Status.RESOLVED, actor=ERIN)
        sim.advance(T0 + timedelta(days=10))
        return [(a.rule, a.id) for a in sim.actions]

    first, second = run(), run()
    assert first == second and len(first) > 10
    assert len({i for _, i in first}) == len(first)


def test_duplicate_delivery_does_nothing(default_rules: RuleSet) -> None:
    sim = started(default_rules)
    event = TicketEvent(
        "sandbox",
        "T-1",
        EventType.STATUS_CHANGED,
        T0 + hours(1),
        "dup-1",
        actor=ALICE,
        after="resolved",
    )
    assert sim.send(event).actions
    assert sim.send(event).actions == []


# --- quality check by another technician ---------------------------------------------------


def quality(plan: Plan) -> list:  # type: ignore[type-arg]
    return [a for a in plan.actions if a.rule == "quality-check"]


def test_quality_check_goes_to_another_member_of_the_resolving_group(
    default_rules: RuleSet,
) -> None:
    sim = started(default_rules, type="change")
    sim.group(T0 + hours(1), "l2_network")
    sim.assign(T0 + hours(1), ERIN, actor=ERIN)
    plan = sim.status(T0 + hours(2), Status.RESOLVED, actor=ERIN)
    task, note = quality(plan)
    assert task.task is not None and note.kind is ActionKind.NOTE
    # Erin resolved; Frank is the only other member of L2 Network.
    assert (task.task.kind, task.task.assignee, note.mention) == ("quality", "frank", ("frank",))
    assert "resolved by Erin Engineer" in (note.text or "")
    assert "T-1 (change, P3) was resolved" in (note.text or "")


def test_quality_check_of_a_ticket_with_no_type_does_not_print_none(
    default_rules: RuleSet,
) -> None:
    sim = started(default_rules, type=None, priority="urgent")
    sim.group(T0 + hours(1), "l2_network")
    sim.assign(T0 + hours(1), ERIN, actor=ERIN)
    [_, note] = quality(sim.status(T0 + hours(2), Status.RESOLVED, actor=ERIN))
    assert "T-1 (P1) was resolved" in (note.text or ""), note.text


def test_quality_check_never_the_resolver_and_once_per_resolution(
    default_rules: RuleSet,
) -> None:
    sim = started(default_rules, priority="urgent")  # P1 incident, service desk
    event = sim._event(EventType.STATUS_CHANGED, T0 + hours(2), actor=ALICE, after="resolved")
    task, _ = quality(sim.send(event))
    assert task.task is not None and task.task.assignee in {"bob", "dave"}
    assert quality(sim.send(event)) == []  # the same delivery again: nothing new
    sim.status(T0 + hours(3), Status.OPEN)
    again, _ = quality(sim.status(T0 + hours(4), Status.RESOLVED, actor=ALICE))
    assert again.id != task.id  # a new resolution, a new check


def test_quality_check_falls_back_to_the_lead_and_skips_ordinary_tickets(
    default_rules: RuleSet,
) -> None:
    sim = started(default_rules, type="problem")
    sim.group(T0 + hours(1), "l3_engineering")  # members gina and hank
    plan = sim.status(T0 + hours(2), Status.RESOLVED, actor=ERIN)
    assert {a.task.assignee for a in quality(plan) if a.task} <= {"gina", "hank"}
    plain = started(default_rules)  # a P3 incident
    assert quality(plain.status(T0 + hours(2), Status.RESOLVED)) == []


def test_peer_is_the_lead_when_the_resolver_is_the_only_member() -> None:
    text = DEFAULT_RULES.read_text().replace(
        "    members: {sandbox: [erin, frank]}\n", "    members: {sandbox: [erin]}\n"
    )
    sim = started(load_rules_text(text, "custom.yaml"), type="change")
    sim.group(T0 + hours(1), "l2_network")
    task, note = quality(sim.status(T0 + hours(2), Status.RESOLVED, actor=ERIN))
    assert task.task is not None and task.task.assignee == "lead-l2"
    text = text.replace("sandbox: lead-l2}", "sandbox: erin}")
    sim = started(load_rules_text(text, "custom.yaml"), type="change")
    sim.group(T0 + hours(1), "l2_network")
    task, note = quality(sim.status(T0 + hours(2), Status.RESOLVED, actor=ERIN))
    # the resolver is the group's only member and its lead: nobody else is in the group, so
    # the task falls back to ownership.fallback (the front-line lead), never to nobody
    assert task.task is not None and task.task.assignee == "lead-sd"
    assert "erin" not in note.mention
