"""``Action`` is built by an init written from its fields (``actions._init``): it must take
the same arguments as the dataclass's own, with the same defaults, and stay frozen."""

from __future__ import annotations

import dataclasses
import hashlib
import inspect

import pytest

from tco_bridge.actions import Action, ActionKind, TaskSpec, action_id


def test_init_takes_the_fields_in_order_with_their_defaults() -> None:
    params = list(inspect.signature(Action).parameters.values())
    assert [p.name for p in params] == [f.name for f in dataclasses.fields(Action)]
    for param, f in zip(params, dataclasses.fields(Action), strict=True):
        if f.default is not dataclasses.MISSING:
            assert param.default == f.default, f.name
        elif f.default_factory is not dataclasses.MISSING:
            assert repr(param.default) == "<factory>", f.name
        else:
            assert param.default is inspect.Parameter.empty, f.name


def test_every_field_is_set_and_the_factory_runs_per_action() -> None:
    task = TaskSpec("kb", "KB article")
    values = {f.name: f"v-{f.name}" for f in dataclasses.fields(Action)}
    values.update(kind=ActionKind.CREATE_TASK, mention=("a", "b"), task=task, extra={"x": 1})
    full = Action(**values)  # type: ignore[arg-type]
    assert {f.name: getattr(full, f.name) for f in dataclasses.fields(Action)} == values
    positional = Action(*values.values())  # type: ignore[arg-type]
    assert positional == full
    first = Action("tco-1", "jira", "T-1", ActionKind.NOTE, "r")
    second = Action("tco-1", "jira", "T-1", ActionKind.NOTE, "r")
    assert first.extra == {} and first.extra is not second.extra
    assert (first.text, first.mention, first.task, first.owner) == (None, (), None, None)
    assert Action.from_json(full.to_json()) == full


def test_it_stays_frozen_and_refuses_missing_or_unknown_arguments() -> None:
    action = Action("tco-1", "jira", "T-1", ActionKind.NOTE, "r", text="hello")
    with pytest.raises(dataclasses.FrozenInstanceError):
        action.text = "changed"  # type: ignore[misc]
    with pytest.raises(TypeError, match="missing 4 required positional arguments"):
        Action("tco-1")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        Action("tco-1", "jira", "T-1", ActionKind.NOTE, "r", colour="red")  # type: ignore[call-arg]
    assert dataclasses.replace(action, text="other").text == "other"
    assert action.id == "tco-1"


def test_action_ids_never_change_between_versions() -> None:
    """Done keys, outbox entries and the markers in written notes hold these ids: a
    redelivery after an upgrade must find the same id, so the derivation is pinned."""
    trigger = "timer:customer_update_due:2025-03-03T12:32:00+00:00"
    text = f"jira\x1fPROJ-7\x1fupdate-cadence-due\x1f{trigger}"
    expected = "tco-" + hashlib.sha256(text.encode()).hexdigest()[:20]
    assert action_id("jira", "PROJ-7", "update-cadence-due", trigger) == expected
    assert expected == "tco-8be25617c8813716513a"
    assert action_id("jira", "PROJ-7", "update-cadence-due", trigger + "#1") != expected
