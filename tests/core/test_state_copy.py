"""evolve: the state's copy with changes, generated from the dataclass's own fields."""

from __future__ import annotations

from dataclasses import fields

import pytest
from test_state import POLICY, escalation

from tco_bridge.state import TicketState, evolve, new_state
from tco_bridge.ticket_apply import apply_all


def test_evolve_copies_every_field_and_changes_only_those_named() -> None:
    state = apply_all(new_state("jira", "SUP-1"), escalation(), POLICY)
    copy = evolve(state, touches=state.touches + 5)
    assert copy is not state
    for f in fields(TicketState):
        expected = state.touches + 5 if f.name == "touches" else getattr(state, f.name)
        assert getattr(copy, f.name) == expected, f.name
    assert evolve(state) == state


def test_evolve_refuses_a_field_the_state_does_not_have() -> None:
    with pytest.raises(TypeError, match="no field 'owners'"):
        evolve(new_state("jira", "SUP-1"), owners=())
