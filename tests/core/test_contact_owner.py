"""An explicit handover: who owns the contact after it, and what the state records of it."""

from __future__ import annotations

from datetime import timedelta

from test_state import ANNA, POLICY, T0, created, reply

from tco_bridge.contact_owner import set_owner_override
from tco_bridge.state import Owner, new_state
from tco_bridge.ticket_apply import apply_all


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
