"""Recorded deliveries replay into a running bridge (a real HTTP server on loopback)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import CliRunner
from webhook_kit import jira_signed
from werkzeug.serving import make_server

from tco_bridge.cli import main
from tco_bridge.web import create_app

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures/webhooks/jira"


@pytest.fixture
def served(make_runtime: Any, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    recording = tmp_path / "rec.jsonl"
    app = create_app(runtime=make_runtime(TCO_RECORD_FILE=str(recording)))
    server = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", recording
    finally:
        server.shutdown()


def test_replayed_recording_is_verified_and_deduplicated(served: tuple[str, Path]) -> None:
    url, recording = served
    body = (FIXTURE / "jira_cloud_issue_created__dangersvn.json").read_bytes()
    first = requests.post(f"{url}/webhooks/jira", data=body, headers=jira_signed(body), timeout=10)
    assert first.status_code == 202 and first.json()["status"] == "accepted"
    [entry] = [json.loads(line) for line in recording.read_text().splitlines()]
    replay_file = recording.with_name("replay.jsonl")
    back = {"received_at": "2026-01-05T08:00:00+00:00", "presence": "back", "connector": "jira"}
    back["agent"] = "anna"  # a recording's away/back line: told and skipped, not a failure
    replay_file.write_text(json.dumps(entry) + "\n" + json.dumps(back) + "\n")
    result = CliRunner().invoke(main, ["replay", str(replay_file), "--url", url])
    assert result.exit_code == 0, result.output
    assert result.output.startswith('1: jira 202 {"status":"duplicate"')
    assert result.output.splitlines()[1] == (
        "2: skipped: anna back (an agents API change, not a webhook delivery)"
    )

    entry["headers"]["x-hub-signature"] = "sha256=" + "0" * 64  # tampered on the way
    replay_file.write_text(json.dumps(entry) + "\n")
    result = CliRunner().invoke(main, ["replay", str(replay_file), "--url", url])
    assert result.exit_code == 1 and "1: jira 401" in result.output
