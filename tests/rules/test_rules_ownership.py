"""Practice 1 over whole ticket lives, pure: who owns the contact, that an announced owner is
never dropped silently, and that no action is addressed to nobody (``ownership.fallback``)."""

from __future__ import annotations

from pathlib import Path

from rules_kit import ALICE, BOB, CAROL, DEFAULT_RULES, ERIN, T0, Sim, hours, minutes

from tco_bridge.actions import ActionKind
from tco_bridge.events import Status
from tco_bridge.rules import RuleSet, load_rules


def notes(actions: list, rule: str) -> list:  # type: ignore[type-arg]
    return [a for a in actions if a.rule == rule and a.kind is ActionKind.NOTE]


def mirrors(actions: list) -> list:  # type: ignore[type-arg]
    return [(a.owner, a.previous_owner) for a in actions if a.kind is ActionKind.SET_OWNER]


def model(tmp_path: Path, name: str) -> RuleSet:
    path = tmp_path / "rules.yaml"
    text = DEFAULT_RULES.read_text().replace("model: individual", f"model: {name}", 1)
    path.write_text(text)
    return load_rules(path)


def test_escalating_before_replying_makes_the_agent_owner_for_good(
    default_rules: RuleSet,
) -> None:
    sim = Sim(default_rules)
    sim.created()
    plan = sim.group(T0 + minutes(5), "l2_network", actor=ALICE)  # triage and escalate
    assert sim.state.owner is not None
    assert (sim.state.owner.id, sim.state.owner.via) == ("alice", "escalated_by_frontline")
    [welcome] = notes(plan.actions, "owner-assigned")
    assert welcome.mention == ("alice",)
    assert mirrors(plan.actions) == [("alice", None)]
    later = [
        sim.assign(T0 + minutes(40), ERIN, actor=ERIN),
        sim.comment(T0 + hours(1), ERIN, "Found it: the tunnel MTU."),
        sim.group(T0 + hours(2), "l3_engineering", actor=ERIN),
        sim.status(T0 + hours(30), Status.RESOLVED, actor=ERIN),
    ]
    assert sim.state.owner.id == "alice"
    actions = [a for p in later for a in p.actions]
    assert notes(actions, "owner-assigned") == [] and mirrors(actions) == []


def test_move_and_assignee_at_one_instant_in_either_order(default_rules: RuleSet) -> None:
    """The assignee change can arrive first: for a moment Erin looks like the first assignee
    in the front line and is announced. The move then shows Alice acted first: the change is
    written back (mirror) and explained (the note names who was announced before)."""
    sim = Sim(default_rules)
    sim.created()
    first = sim.assign(T0 + minutes(5), ERIN, actor=ALICE)
    assert sim.state.owner is not None and sim.state.owner.id == "erin"
    assert mirrors(first.actions) == [("erin", None)]
    plan = sim.group(T0 + minutes(5), "l2_network", actor=ALICE)
    assert sim.state.owner.id == "alice"
    assert mirrors(plan.actions) == [("alice", "erin")]
    [welcome] = notes(plan.actions, "owner-assigned")
    assert welcome.mention == ("alice",)
    assert "Erin Engineer was announced as owner before" in (welcome.text or "")


def test_ownerless_ticket_addresses_the_front_line_lead_not_nobody(
    default_rules: RuleSet,
) -> None:
    """Nobody from the front line acted: the cadence nudge and the aging nudge go to the
    front-line lead (the default fallback), never to "nobody"."""
    sim = Sim(default_rules)
    sim.created(priority="high")
    fired = [a for p in sim.advance(T0 + hours(5)) for a in p.actions]
    [warn] = notes(fired, "update-cadence-warn")
    [due] = notes(fired, "update-cadence-due")
    assert warn.mention == due.mention == ("lead-sd",)
    assert "nobody" not in (warn.text or "") + (due.text or "")
    # each names whom it is for: the fallback, by the group it leads
    assert (warn.text or "").startswith("Reminder for Service Desk lead (no contact owner yet):")
    assert (due.text or "").startswith("Service Desk lead (no contact owner yet), a customer")
    [lead] = notes(
        [a for p in sim.advance(T0 + hours(6)) for a in p.actions], "update-cadence-overdue"
    )
    assert "owner Service Desk lead" not in (lead.text or "")
    assert "still overdue: it has no contact owner yet, and the requester" in (lead.text or "")


def test_fallback_is_configurable(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    text = DEFAULT_RULES.read_text().replace(
        "fallback: [frontline_lead]", "fallback: [group, frontline_lead]"
    )
    path.write_text(text)
    sim = Sim(load_rules(path))
    sim.created(priority="high")
    fired = [a for p in sim.advance(T0 + hours(5)) for a in p.actions]
    [due] = notes(fired, "update-cadence-due")
    assert due.mention == ("group:service_desk", "lead-sd")
    assert (due.text or "").startswith("Service Desk and Service Desk lead (no contact owner yet)")


def test_workload_counts_the_ticket_being_taken(default_rules: RuleSet) -> None:
    """Alice owns 25; this ticket makes 26 and is the one flagged, with 26."""
    sim = Sim(default_rules, workload={"alice": 25, "sandbox:alice": 25})
    sim.created()
    plan = sim.comment(T0 + minutes(10), ALICE, "Hello Carol")
    [flag] = notes(plan.actions, "workload-cap")
    assert "Alice Agent now owns 26 open tickets" in (flag.text or "")
    # later events on the same ticket do not count it twice, and raise nothing new
    later = sim.comment(T0 + hours(1), ALICE, "Still on it")
    assert notes(later.actions, "workload-cap") == []


def test_team_model_owner_and_targets(tmp_path: Path) -> None:
    sim = Sim(model(tmp_path, "team"))
    sim.created(priority="high")
    plan = sim.comment(T0 + minutes(10), ALICE, "Hello Carol")
    assert sim.state.owner is not None
    assert (sim.state.owner.id, sim.state.owner.kind) == ("service_desk", "team")
    [welcome] = notes(plan.actions, "owner-assigned")
    assert welcome.mention == ("group:service_desk",)
    assert mirrors(plan.actions) == [("service_desk", None)]
    sim.comment(T0 + minutes(20), BOB, "Bob here, I'll take the next step")  # same team
    sim.group(T0 + minutes(30), "l2_network", actor=BOB)
    assert sim.state.owner.id == "service_desk"
    fired = [a for p in sim.advance(T0 + hours(7)) for a in p.actions]
    [due] = notes(fired, "update-cadence-due")
    assert due.mention == ("group:service_desk",)
    [overdue] = notes(fired, "update-cadence-overdue")
    assert overdue.mention == ("lead-sd",)


def test_none_model_release_on_reopen_is_told_and_mirrored(tmp_path: Path) -> None:
    sim = Sim(model(tmp_path, "none"))
    sim.created()
    sim.comment(T0 + minutes(10), ALICE, "Fixed: restart the VPN client.")
    sim.status(T0 + minutes(20), Status.RESOLVED, actor=ALICE)
    plan = sim.comment(T0 + hours(3), CAROL, "It broke again.")
    assert sim.state.owner is None
    [told] = notes(plan.actions, "owner-released")
    assert told.mention == ("lead-sd",)
    assert "Alice Agent no longer owns the contact" in (told.text or "")
    assert mirrors(plan.actions) == [(None, "alice")]
    plan = sim.comment(T0 + hours(4), BOB, "Bob here, looking at it again.")
    assert sim.state.owner is not None and sim.state.owner.id == "bob"
    assert mirrors(plan.actions) == [("bob", None)]
    [welcome] = notes(plan.actions, "owner-assigned")
    assert welcome.mention == ("bob",)
