"""``tco-bridge simulate`` over a recording built from the real webhook fixtures.

The recording's Jira lines come from a Cloud payload of October 2019; their dates and epoch
timestamps are moved forward 1,918 days (274 weeks: same weekday, same local hours) so the whole
recording covers one January, as a real one would. Left in 2019, the open P1 ticket's hourly
update reminders ran through five years of simulated time before the 2025 lines.
"""

from __future__ import annotations

import json
from datetime import timedelta

from click.testing import CliRunner
from rules_kit import DATA, DEFAULT_RULES

from tco_bridge.cli.simulate import simulate_command
from tco_bridge.rules import load_rules
from tco_bridge.simulate import DEFAULT_HORIZON, Simulator, read_recording

RECORDING = DATA / "recording.jsonl"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        simulate_command, ["--rules", str(DEFAULT_RULES), "--events", str(RECORDING), *args]
    )
    return result.exit_code, result.stdout, result.stderr


def test_unreadable_lines_are_reported_and_skipped() -> None:
    events, problems = read_recording(RECORDING.read_text().splitlines())
    assert len(problems) == 2
    assert problems[0].startswith("line 6: Expecting value")
    assert problems[1].startswith("line 7: not a Zendesk event-subscription payload")
    assert {e.ticket for e in events} == {"5158", "TS-7", "TS-1"}


def test_jsonl_timeline() -> None:
    code, out, err = run("--format", "jsonl", "--until", "2025-01-14T00:00:00Z")
    assert code == 0
    assert "line 6:" in err and "(skipped)" in err
    rows = [json.loads(line) for line in out.splitlines()]
    assert all({"at", "ticket", "rule", "action", "target", "text"} <= set(r) for r in rows)
    z = [r for r in rows if r["ticket"] == "zendesk:5158"]
    assert [(r["rule"], r["action"]) for r in z] == [
        ("owner-assigned", "note"),
        ("owner-mirror", "set_owner"),
        ("group-target-warning", "note"),
        ("pickup-overdue", "note"),
        ("group-target-breach", "note"),
        ("pickup-repeat", "note"),
        ("update-cadence-warn", "note"),
        ("pickup-lead", "note"),
        ("update-cadence-due", "note"),
        ("notes-review", "create_task"),
        ("notes-review", "note"),
        ("notes-quality", "add_label"),
        ("notes-quality", "note"),
        ("approval-await", "add_label"),
        ("approval-reminder", "note"),
    ]
    pickup = z[3]
    # Transfer at 12:00 Berlin on Wednesday; P4 pickup is one business day.
    assert pickup["at"] == "2025-01-09T11:00:00+00:00"
    assert pickup["target"] == "8447388090494, group:8447320466431"
    assert "has waited 1d in L2 Network" in pickup["text"]
    assert all(r["at"] <= "2025-01-14" for r in rows)


def test_table_output_and_determinism() -> None:
    code, out, _ = run("--until", "2025-01-14T00:00:00Z")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["at", "ticket", "rule", "action", "target", "text"]
    assert any("zendesk:5158" in line and "pickup-overdue" in line for line in lines)
    assert run("--until", "2025-01-14T00:00:00Z")[1] == out


def test_default_horizon_and_stop_when_no_timers_remain() -> None:
    rules = load_rules(DEFAULT_RULES)
    events, _ = read_recording(RECORDING.read_text().splitlines())
    sim = Simulator(rules)
    timeline = sim.run(events)
    aging = [e for e in timeline if e.ticket == "jira:TS-7" and e.rule == "aging-check"]
    assert len(aging) == 8  # four nudges, each with its label, then the safety net stops
    # The update clock runs while a ticket is open, so the replay runs to the horizon; past
    # the cap (three cycles missed) it counts the missed cycles without a note.
    horizon = max(e.at for e in events) + DEFAULT_HORIZON
    assert max(e.at for e in timeline) <= horizon
    due = [e.at for e in timeline if e.ticket == "jira:TS-7" and e.rule == "update-cadence-due"]
    assert len(due) == 3
    ts7 = sim.states["jira:TS-7"]
    assert ts7.timers["customer_update_due"] > horizon - timedelta(hours=1)
    assert ts7.marks["update_cycles_missed"] > 700  # hourly (P1) for the month


def test_bad_rules_file_exits_1(tmp_path: object) -> None:
    from pathlib import Path

    bad = Path(str(tmp_path)) / "bad.yaml"
    bad.write_text("rules: 3\n")
    result = CliRunner().invoke(simulate_command, ["--rules", str(bad), "--events", str(RECORDING)])
    assert result.exit_code == 1
    assert "bad.yaml:1: rules: expected a list, got int 3" in result.stderr
