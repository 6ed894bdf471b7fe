"""``rules check``, ``rules explain`` and the hot-reload holder."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from rules_kit import ALICE, CAROL, DEFAULT_RULES, T0

from tco_bridge.cli.rules import rules_group
from tco_bridge.errors import RulesError
from tco_bridge.event_codec import dump_event
from tco_bridge.events import Comment, EventType, Status, TicketEvent
from tco_bridge.rules.explain import explain
from tco_bridge.rules.reload import RulesHolder
from tco_bridge.state import new_state
from tco_bridge.ticket_apply import apply_all

GOOD = "rules:\n  - {name: a, on: ticket.created, do: [{add_label: x}]}\n"
BAD = "rules:\n  - {name: a, on: ticket.created, do: [{add_labl: x}]}\n"


def test_check_ok_and_failing(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(rules_group, ["check", str(DEFAULT_RULES)])
    assert result.exit_code == 0, result.output
    assert "OK (" in result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD)
    result = runner.invoke(rules_group, ["check", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:2: rules[0].do[0]: key 'add_labl' is not allowed here (allowed: nudge," in (
        result.output
    )


def test_explain_says_why_rules_do_not_match(default_rules: object) -> None:
    from tco_bridge.rules import load_rules

    rules = load_rules(DEFAULT_RULES)
    created = TicketEvent("sandbox", "T-1", EventType.CREATED, T0, "k1", actor=CAROL)
    status = TicketEvent(
        "sandbox", "T-1", EventType.STATUS_CHANGED, T0, "k2", actor=ALICE, after="resolved"
    )
    state = apply_all(new_state("sandbox", "T-1"), [created], rules.ownership)
    verdicts = {v.rule: v for v in explain(rules, status, state=state)}
    assert verdicts["approval-await"].matched
    assert verdicts["notes-review"].reason == "has_owner: has owner: no, wanted true"
    assert verdicts["hold-start"].reason == "status: status is 'resolved', wanted one of: on_hold"
    assert verdicts["pickup-start"].reason == (
        "trigger is status.changed, rule listens to group.changed"
    )
    assert verdicts["approval-auto-close"].reason == "disabled (enabled: false)"


def test_explain_command_with_a_canonical_event(tmp_path: Path) -> None:
    event = TicketEvent(
        "sandbox",
        "T-9",
        EventType.COMMENT_ADDED,
        T0,
        "c1",
        actor=ALICE,
        comment=Comment("c1", "Hello", True, ALICE),
    )
    path = tmp_path / "event.json"
    path.write_text(json.dumps(dump_event(event)))
    result = CliRunner().invoke(rules_group, ["explain", str(DEFAULT_RULES), "--event", str(path)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "# sandbox:T-9 comment.added at 2025-03-03T08:00:00+00:00"
    assert any(line.startswith("MATCH owner-assigned") for line in lines)
    assert any(line.startswith("MATCH notes-remember") for line in lines)
    assert any(
        line.startswith("no    approval-confirmed") and "author is 'agent'" in line
        for line in lines
    )


def test_explain_command_with_a_recorded_delivery(tmp_path: Path, fixtures_dir: Path) -> None:
    body = (fixtures_dir / "zendesk" / "zendesk_event_ticket_created__skyhook.json").read_text()
    path = tmp_path / "delivery.json"
    path.write_text(json.dumps({"connector": "zendesk", "headers": {}, "body": body}))
    result = CliRunner().invoke(rules_group, ["explain", str(DEFAULT_RULES), "--event", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("# zendesk:5158 ticket.created")
    assert "MATCH update-cadence-start" in result.output


def test_holder_reloads_and_keeps_last_good(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(GOOD)
    holder = RulesHolder(path)
    first = holder.current()
    assert holder.refresh().changed is False
    path.write_text(BAD)
    os.utime(path, ns=(1, 10**18))
    result = holder.refresh()
    assert result.changed is False and result.error is not None
    assert result.error[0].startswith(f"{path}:2: rules[0].do[0]: key 'add_labl'")
    assert holder.current() is first and holder.error == result.error
    path.write_text(GOOD.replace("add_label: x", "add_label: y"))
    os.utime(path, ns=(2, 2 * 10**18))
    assert holder.refresh().changed is True
    assert holder.current() is not first and holder.error is None


def test_holder_fails_fast_on_a_bad_first_load(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(BAD)
    with pytest.raises(RulesError):
        RulesHolder(path)


def test_a_broken_rule_raises_instead_of_not_matching() -> None:
    from tco_bridge.plan import Context
    from tco_bridge.rules import load_rules_text
    from tco_bridge.rules.engine import RuleFailed

    rules = load_rules_text(
        "rules:\n  - {name: count, on: status.changed, when: {mark_below: {n: 3}}, "
        "do: [{add_label: x}]}\n",
        "r.yaml",
    )
    state = replace(new_state("sandbox", "T-1"), marks={"n": "three"})
    event = TicketEvent("sandbox", "T-1", EventType.STATUS_CHANGED, T0, "k", after=Status.OPEN)
    with pytest.raises(RuleFailed) as err:
        rules.evaluate(state, event, T0, Context())
    assert err.value.messages == ["r.yaml:2: rule 'count': mark 'n' holds 'three', not a number"]
    # and so does `rules explain`, which asks each rule for its verdict and reasons
    facts = rules.facts(state, event, T0, Context())
    [rule] = [r for r in rules.rules if r.name == "count"]
    for ask in (rules.matches, rules.passes):
        with pytest.raises(RuleFailed) as err:
            ask(rule, facts)
        assert err.value.messages == [
            "r.yaml:2: rule 'count': mark 'n' holds 'three', not a number"
        ]


def test_every_documented_template_variable_is_computed() -> None:
    from tco_bridge.rules.scope import _OwnerView, _ScopeView, _TicketView
    from tco_bridge.rules.templates import SCOPE

    doc = (DEFAULT_RULES.parents[1] / "docs" / "rules.md").read_text()
    for name, attrs in SCOPE.items():
        assert hasattr(_ScopeView, name), name
        assert f"`{name}`" in doc, name
        view = {"ticket": _TicketView, "owner": _OwnerView}.get(name)
        for attr in attrs or ():
            assert view is None or hasattr(view, attr), f"{name}.{attr}"
            assert f"`{attr}`" in doc, f"{name}.{attr}"
