"""``tco-bridge rules test``: the shipped rule tests pass, and a mismatch fails with a diff."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from rules_kit import DEFAULT_RULES

from tco_bridge.cli.rules import rules_group
from tco_bridge.rules.ruletest import RuleTestError, run_file

SHIPPED = sorted((DEFAULT_RULES.parent / "tests").glob("*.yaml"))

HEAD = f"""rule_files: [{DEFAULT_RULES}]
timezone: Europe/Berlin
actors: {{alice: agent, carol: requester}}
tests:
"""
CREATED_AND_REPLY = """    input:
      - at: 2025-03-07 15:00
        event: ticket.created
        actor: carol
        snapshot: {status: new, priority: normal, group: service_desk, requester: carol}
      - at: 2025-03-07 15:30
        event: comment.added
        actor: alice
        comment: {body: "Looking into it."}
"""


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "t.yaml"
    path.write_text(HEAD + body)
    return path


def test_every_practice_ships_with_tests() -> None:
    assert {p.stem for p in SHIPPED} >= {"cadence", "warm_transfer"}


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_rule_tests_pass(path: Path) -> None:
    outcomes = run_file(path)
    assert outcomes
    failed = {o.name: o.diff for o in outcomes if not o.passed}
    assert failed == {}


def test_cli_passes_and_counts() -> None:
    result = CliRunner().invoke(rules_group, ["test", *map(str, SHIPPED)])
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("passed, 0 failed")


def test_mismatch_exits_1_with_a_readable_diff(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """  - name: wrong time
    until: 2025-03-10 23:00
    only_rules: [update-cadence-warn, update-cadence-due]
"""
        + CREATED_AND_REPLY
        + """    expect:
      - {at: 2025-03-10 14:00, kind: note, rule: update-cadence-warn, target: alice}
      - {at: 2025-03-10 15:30, kind: note, rule: update-cadence-due}
""",
    )
    result = CliRunner().invoke(rules_group, ["test", str(path)])
    assert result.exit_code == 1
    lines = [line.strip() for line in result.output.splitlines()]
    assert f"FAILED {path}: wrong time" in lines
    assert "-2025-03-10T14:00+01:00  note          update-cadence-warn        alice" in lines
    assert "+2025-03-10T14:30+01:00  note          update-cadence-warn        alice" in lines
    # The open target matched; it is shown as '*' on both sides and is not a difference.
    assert "2025-03-10T15:30+01:00  note          update-cadence-due         *" in lines
    assert lines[-1] == "0 passed, 1 failed"


def test_unexpected_action_fails_and_ignore_rules_silences_it(tmp_path: Path) -> None:
    def body(ignore: str) -> str:
        return (
            f"  - name: t\n    until: 2025-03-07 16:00\n    ignore_rules: {ignore}\n"
            + CREATED_AND_REPLY
            + "    expect:\n"
            + "      - {at: 2025-03-07 15:30, kind: set_owner, rule: owner-mirror, target: alice}\n"
        )

    loud = run_file(write(tmp_path, body("[]")))
    assert not loud[0].passed
    assert "+2025-03-07T15:30+01:00  note          owner-assigned             alice" in loud[0].diff
    quiet = run_file(write(tmp_path, body("[owner-assigned]")))
    assert quiet[0].passed


def test_delivery_and_agent_away_inputs(tmp_path: Path) -> None:
    ticket = (
        '{"id": "9", "status": "open", "priority": "urgent", "group": "service_desk",'
        ' "assignee": "alice", "requester": "carol", "type": "incident", "tags": [],'
        ' "fields": {}, "created_at": "2025-03-03T08:00:00+00:00", "subject": "x"}'
    )
    body = f"""  - name: handover
    until: 2025-03-03 12:00
    only_rules: [handover-*, owner-mirror]
    input:
      - at: 2025-03-03 09:00
        delivery:
          connector: sandbox
          headers: {{content-type: application/json}}
          body: {{event: ticket.created, delivery: d1, sequence: 1, at: "2025-03-03T08:00:00+00:00",
                 actor: {{id: alice, name: Alice, role: agent}}, ticket: {ticket}}}
      - at: 2025-03-03 10:00
        event: agent.away
        ticket: "9"
        field: alice
        after: bob
    expect:
      - {{at: 2025-03-03 09:00, kind: set_owner, rule: owner-mirror, target: alice}}
      - {{at: 2025-03-03 10:00, kind: set_owner, rule: owner-mirror, target: bob}}
      - {{at: 2025-03-03 10:00, kind: assign, rule: handover-to-backup, target: bob}}
      - {{at: 2025-03-03 10:00, kind: note, rule: handover-to-backup, target: [bob, alice]}}
"""
    outcome = run_file(write(tmp_path, body))[0]
    assert outcome.diff == [], "\n".join(outcome.diff)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tests: 3\n", "expected a mapping with 'rule_files' and a 'tests' list"),
        ("rule_files: []\ntests: []\n", "rule_files must name exactly one rules file"),
        ("rule_files: [nope.yaml]\ntests: []\n", "cannot read the rules file"),
        (f"rule_files: [{DEFAULT_RULES}]\ntimezone: Mars/Base\ntests: []\n", "not an IANA zone"),
        (f"rule_files: [{DEFAULT_RULES}]\ntests: [3]\n", "tests[0]: expected a mapping"),
        (f"rule_files: [{DEFAULT_RULES}]\ntests: [{{name: x}}]\n", "needs at least one input"),
        (
            f"rule_files: [{DEFAULT_RULES}]\ntests: [{{input: [{{event: ticket.created}}]}}]\n",
            "input[0] has no 'at'",
        ),
        (
            f"rule_files: [{DEFAULT_RULES}]\n"
            "tests: [{name: x, input: [{at: 2025-03-03 09:00, event: ticket.created,"
            " colour: red}]}]\n",
            "x): input[0]: unknown keys colour",
        ),
        (
            f"rule_files: [{DEFAULT_RULES}]\n"
            "tests: [{input: [{at: 2025-03-03 09:00, event: ticket.created}],"
            " expect: [{at: x}]}]\n",
            "an expected action needs kind, rule",
        ),
        ("tests: [\n", "cannot read"),
    ],
)
def test_unreadable_test_files_are_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(text)
    with pytest.raises(RuleTestError, match=re.escape(message)):
        run_file(path)
    result = CliRunner().invoke(rules_group, ["test", str(path)])
    assert result.exit_code == 1
    assert "ERROR" in result.stderr
