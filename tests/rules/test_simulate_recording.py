"""simulate as production: connectors from the bridge's settings (``--env-file``), presence
changes replayed from the recording, zoned times, and ``rules explain --recording``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from rules_kit import DEFAULT_RULES

from tco_bridge.cli.rules import rules_group
from tco_bridge.cli.simulate import simulate_command

TICKET = {
    "id": "SBX-1",
    "subject": "Site down",
    "requester": "carol",
    "status": "open",
    "priority": "urgent",
    "assignee": None,
    "group": "service_desk",
    "type": "incident",
    "labels": [],
    "fields": {},
    "created_at": "2025-03-07T08:00:00+00:00",
}


def delivery(seq: int, at: str, event: str, actor: str, role: str, **extra: Any) -> str:
    ticket = {**TICKET, **extra.pop("ticket", {})}
    body = {
        "event": event,
        "delivery": f"d{seq}",
        "sequence": seq,
        "at": at,
        "actor": {"id": actor, "name": actor.title(), "role": role},
        "ticket": ticket,
        **extra,
    }
    line = {"received_at": at, "connector": "sandbox", "headers": {}, "body": json.dumps(body)}
    return json.dumps(line)


def presence(at: str, kind: str, agent: str, backup: str | None = None) -> str:
    line = {"received_at": at, "presence": kind, "connector": "sandbox", "agent": agent}
    return json.dumps({**line, "backup": backup})


def reply(seq: int, at: str, author: str) -> str:
    comment = {"id": f"c{seq}", "body": "On it.", "public": True}
    comment["author"] = {"id": author, "name": author.title(), "role": "agent"}  # type: ignore[assignment]
    return delivery(seq, at, "comment.added", author, "agent", comment=comment)


def recording(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "recording.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def simulate(tmp_path: Path, path: Path, *args: str) -> list[dict[str, Any]]:
    env = tmp_path / "bridge.env"
    if not env.exists():
        env.write_text(f"TCO_SANDBOX_DB={tmp_path / 's.sqlite'}\n")
    result = CliRunner().invoke(
        simulate_command,
        ["--rules", str(DEFAULT_RULES), "--events", str(path), "--env-file", str(env), *args],
    )
    assert result.exit_code == 0, result.output
    if "--format" in args:
        return [json.loads(line) for line in result.stdout.splitlines()]
    return [{"line": line} for line in result.stdout.splitlines()]


def test_the_bot_account_from_the_env_file_is_the_bridge(tmp_path: Path) -> None:
    path = recording(
        tmp_path,
        delivery(1, "2025-03-07T08:00:00+00:00", "ticket.created", "carol", "requester"),
        reply(2, "2025-03-07T08:05:00+00:00", "tco-bot"),
    )
    until = ("--until", "2025-03-07T09:00:00Z", "--format", "jsonl")
    rows = simulate(tmp_path, path, *until)
    assert [(r["rule"], r["target"]) for r in rows][:1] == [("owner-assigned", "tco-bot")]
    (tmp_path / "bridge.env").write_text(
        f"TCO_SANDBOX_DB={tmp_path / 's.sqlite'}\nTCO_SANDBOX_BOT_ACCOUNT=tco-bot\n"
    )
    rows = simulate(tmp_path, path, *until)
    assert [r for r in rows if r["rule"] == "owner-assigned"] == []  # its own note: no owner


def test_presence_changes_are_replayed_and_times_carry_their_zone(tmp_path: Path) -> None:
    path = recording(
        tmp_path,
        delivery(1, "2025-03-07T08:00:00+00:00", "ticket.created", "carol", "requester"),
        reply(2, "2025-03-07T08:05:00+00:00", "alice"),
        presence("2025-03-07T16:00:00+00:00", "away", "alice", "bob"),
        presence("2025-03-10T07:00:00+00:00", "back", "alice"),
    )
    rows = simulate(tmp_path, path, "--until", "2025-03-10T08:00:00Z", "--format", "jsonl")
    handover = [
        (r["at"], r["rule"], r["action"], r["target"]) for r in rows if "handover" in r["rule"]
    ]
    assert handover == [
        ("2025-03-07T16:00:00+00:00", "handover-to-backup", "assign", "bob"),
        ("2025-03-07T16:00:00+00:00", "handover-to-backup", "note", "bob, alice"),
        ("2025-03-10T07:00:00+00:00", "handover-return", "assign", "alice"),
        ("2025-03-10T07:00:00+00:00", "handover-return", "note", "alice"),
    ]
    table = simulate(tmp_path, path, "--until", "2025-03-10T08:00:00Z")
    [row] = [r["line"] for r in table if "handover-return" in r["line"] and " assign " in r["line"]]
    assert row.startswith("2025-03-10 08:00+01:00  sandbox:SBX-1")  # Berlin, the rules' zone


def test_a_bad_presence_line_is_reported_and_skipped(tmp_path: Path) -> None:
    path = recording(
        tmp_path,
        json.dumps({"received_at": "2025-03-07T16:00:00+00:00", "presence": "gone"}),
        json.dumps({"received_at": "2025-03-07T16:00:00+00:00", "presence": "away"}),
    )
    env = tmp_path / "bridge.env"
    env.write_text(f"TCO_SANDBOX_DB={tmp_path / 's.sqlite'}\n")
    result = CliRunner().invoke(
        simulate_command,
        ["--rules", str(DEFAULT_RULES), "--events", str(path), "--env-file", str(env)],
    )
    assert "line 1: presence 'gone' is not one of ['away', 'back'] (skipped)" in result.stderr
    assert "line 2: a presence line needs 'connector' and 'agent' (skipped)" in result.stderr


def test_explain_rebuilds_the_ticket_from_a_recording(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("TCO_SANDBOX_DB", str(tmp_path / "s.sqlite"))
    status = {"field": "status", "from": "open", "to": "resolved"}
    path = recording(
        tmp_path,
        delivery(1, "2025-03-07T08:00:00+00:00", "ticket.created", "carol", "requester"),
        reply(2, "2025-03-07T08:05:00+00:00", "alice"),
        delivery(
            3,
            "2025-03-07T09:00:00+00:00",
            "ticket.status_changed",
            "erin",
            "agent",
            change=status,
            ticket={"status": "resolved"},
        ),
    )
    args = ["explain", str(DEFAULT_RULES), "--recording", str(path), "--ticket", "SBX-1"]
    result = CliRunner().invoke(rules_group, args)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == (
        "# sandbox:SBX-1 status.changed at 2025-03-07T09:00:00+00:00"
        " (state rebuilt from 4 earlier events and timers)"
    )
    # Alice owns it from the replay, so Erin's resolution asks her to review the notes.
    assert any(line.startswith("MATCH notes-review") for line in lines)
    early = CliRunner().invoke(rules_group, [*args, "--at", "2025-03-07T08:30:00+00:00"])
    assert early.output.startswith("# sandbox:SBX-1 comment.added at 2025-03-07T08:05:00+00:00")
    assert any(line.startswith("MATCH owner-assigned") for line in early.output.splitlines())
    missing = CliRunner().invoke(rules_group, [*args[:-1], "SBX-9"])
    assert missing.exit_code == 1 and "no event of ticket 'SBX-9'" in missing.output
    both = CliRunner().invoke(rules_group, [*args, "--event", str(path)])
    assert both.exit_code == 2 and "give --event FILE[:LINE], or --recording FILE" in both.output
    bad = CliRunner().invoke(rules_group, [*args, "--at", "soon"])
    assert bad.exit_code == 2 and "'soon' is not an ISO 8601 time" in bad.output
