"""evolve: the state's copy with changes, generated from the dataclass's own fields."""

from __future__ import annotations

from dataclasses import fields

import pytest
from test_state import POLICY, escalation

from tco_bridge import state as state_module
from tco_bridge.events import TicketEvent
from tco_bridge.slotted import builder
from tco_bridge.state import TicketState, draft, evolve, new_state, put
from tco_bridge.ticket_apply import apply, apply_all


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


def test_apply_copies_the_state_once_per_new_event(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every change an event makes lands on one draft: a copy per change cost the drain
    more than the rest of ``apply`` (a duplicate costs none)."""
    copies = 0
    real = state_module._copy

    def counting(state: TicketState) -> TicketState:
        nonlocal copies
        copies += 1
        return real(state)

    monkeypatch.setattr(state_module, "_copy", counting)
    events = escalation()
    state = new_state("jira", "SUP-1")
    for event in events:
        state = apply(state, event, POLICY)
    assert copies == len(events)
    assert apply(state, events[-1], POLICY) is state
    assert copies == len(events)


def test_put_refuses_a_field_the_state_does_not_have() -> None:
    with pytest.raises(TypeError, match="no field 'owners'"):
        put(draft(new_state("jira", "SUP-1")), owners=())


def test_a_built_event_equals_one_made_by_its_constructor() -> None:
    event = escalation()[1]
    values = {f.name: getattr(event, f.name) for f in fields(TicketEvent)}
    built = builder(TicketEvent)(**values)
    assert built == event and hash(built) == hash(event)
    assert built is not event
    del values["key"]
    with pytest.raises(TypeError, match="key"):
        builder(TicketEvent)(**values)
