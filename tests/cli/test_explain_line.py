"""`rules explain --event FILE:LINE` reads one delivery of a recording."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from tco_bridge.cli.rules import rules_group, split_line
from tco_bridge.config import DEFAULT_RULES


def recording(tmp_path: Path, fixtures_dir: Path) -> Path:
    zendesk = (fixtures_dir / "zendesk" / "zendesk_event_ticket_created__skyhook.json").read_text()
    jira = (fixtures_dir / "jira" / "jira_cloud_issue_created__dangersvn.json").read_text()
    path = tmp_path / "rec.jsonl"
    lines = [
        {"connector": "zendesk", "headers": {}, "body": zendesk},
        {"connector": "jira", "headers": {}, "body": jira},
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def explain(spec: str) -> tuple[int, str]:
    result = CliRunner().invoke(rules_group, ["explain", str(DEFAULT_RULES), "--event", spec])
    return result.exit_code, result.output


def test_one_line_of_a_recording(tmp_path: Path, fixtures_dir: Path) -> None:
    path = recording(tmp_path, fixtures_dir)
    code, output = explain(f"{path}:2")
    assert code == 0, output
    assert output.startswith("# jira:TS-7 ticket.created")
    code, output = explain(f"{path}:1")
    assert code == 0 and output.startswith("# zendesk:5158 ticket.created")


def test_a_recording_without_a_line_says_how_to_pick_one(
    tmp_path: Path, fixtures_dir: Path
) -> None:
    path = recording(tmp_path, fixtures_dir)
    code, output = explain(str(path))
    assert code == 1
    assert output == (
        f"Error: {path}: not one JSON document but 2 lines (a recording?): pick one with "
        f"--event {path}:LINE\n"
    )
    code, output = explain(f"{path}:3")
    assert code == 1 and output == f"Error: {path}:3: no JSON on line 3 (the file has 2 lines)\n"
    code, output = explain(str(tmp_path / "missing.jsonl"))
    assert code == 1 and "missing.jsonl: cannot read: No such file or directory" in output


def test_a_json_object_that_is_no_event_is_told_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "event.json"
    path.write_text('{"connector": "jira", "ticket": "TS-7"}\n')
    code, output = explain(str(path))
    assert code == 1 and "Traceback" not in output
    assert output == (
        f"Error: {path}: neither a recorded delivery (no body) nor a canonical event "
        "(wrong or missing: at, key, type, v)\n"
    )


def test_split_line() -> None:
    assert split_line("rec.jsonl:12") == (Path("rec.jsonl"), 12)
    assert split_line("rec.jsonl") == (Path("rec.jsonl"), None)
    assert split_line("C:notes") == (Path("C:notes"), None)
