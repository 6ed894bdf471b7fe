"""A setting that stops a command gives one line naming it, exit 1, and no traceback."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from tco_bridge.cli import main
from tco_bridge.embedded_redis import free_port
from tco_bridge.errors import ConfigError, RulesError


@pytest.fixture
def env(tmp_path: Path, redis_url: str) -> dict[str, str]:
    """A clean environment: sandbox only, a data folder of the test's own."""
    return {
        "REDIS_URL": redis_url,
        "TCO_DATA_DIR": str(tmp_path),
        "TCO_SANDBOX_DB": str(tmp_path / "sandbox.sqlite"),
        "TCO_CONNECTORS": "sandbox",
        "TCO_LOG_LEVEL": "WARNING",
        "TCO_RULES": "",
    }


def run(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    result = CliRunner().invoke(main, args, env=env)
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_unreachable_redis_names_redis_url(env: dict[str, str]) -> None:
    env["REDIS_URL"] = f"redis://:hunter22@127.0.0.1:{free_port()}/0"
    code, output = run(["metrics"], env)
    assert code == 1
    [line] = output.splitlines()
    assert line.startswith("tco-bridge: cannot reach Redis at 127.0.0.1:") and "REDIS_URL" in line
    assert "hunter22" not in line


def test_missing_rules_file_names_tco_rules(env: dict[str, str], tmp_path: Path) -> None:
    env["TCO_RULES"] = str(tmp_path / "nowhere.yaml")
    code, output = run(["failed", "list"], env)
    assert code == 1
    [line] = output.splitlines()
    assert "nowhere.yaml:1: cannot read the rules file" in line and line.endswith("set TCO_RULES")


def test_invalid_rules_file_names_tco_rules(env: dict[str, str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nownership: {model: feudal}\nbogus: 1\n")
    env["TCO_RULES"] = str(bad)
    code, output = run(["rules", "failures"], env)
    assert code == 1
    [line] = output.splitlines()
    assert line.startswith("tco-bridge: the rules file cannot be used: ")
    assert "bad.yaml:" in line and "`tco-bridge rules check` lists them" in line
    assert line.endswith("fix it, or set TCO_RULES")


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_port_in_use_names_port(env: dict[str, str], busy_port: int) -> None:
    env["PORT"] = str(busy_port)
    for command in (["web"], ["run"]):
        code, output = run(command, env)
        assert code == 1, command
        assert output.splitlines() == [
            f"tco-bridge: port {busy_port} on 127.0.0.1 is already in use (another bridge?): "
            f"set PORT to a free one, e.g. PORT={busy_port + 1} make run"
        ]


def test_replay_to_a_bridge_that_is_not_there(tmp_path: Path) -> None:
    recording = tmp_path / "rec.jsonl"
    recording.write_text('{"connector": "jira", "headers": {}, "body": "{}"}\n')
    url = f"http://127.0.0.1:{free_port()}"
    code, output = run(["replay", str(recording), "--url", url], {})
    assert code == 1
    assert output.splitlines() == [
        f"Error: cannot reach the bridge at {url} (ConnectionError): start it (`make run`), "
        "or pass its address with --url"
    ]


def test_replay_skips_what_is_not_a_delivery(tmp_path: Path) -> None:
    """A recording's away/back lines and a line that is not a recording at all are told,
    one line each, and skipped; a file with nothing to send exits 1."""
    recording = tmp_path / "rec.jsonl"
    away = '{"received_at": "2026-01-05T08:00:00+00:00", "presence": "away", '
    away += '"connector": "jira", "agent": "anna", "backup": "bob"}'
    recording.write_text(f"version: 1\n\n{away}\n[1, 2]\n")
    url = f"http://127.0.0.1:{free_port()}"
    code, output = run(["replay", str(recording), "--url", url], {})
    assert code == 1
    assert output.splitlines() == [
        "1: skipped: not a recorded delivery (not JSON)",
        "3: skipped: anna away (an agents API change, not a webhook delivery)",
        "4: skipped: not a recorded delivery (not a JSON object)",
    ]


def test_debug_shows_the_traceback(env: dict[str, str], tmp_path: Path) -> None:
    env |= {"TCO_LOG_LEVEL": "DEBUG", "TCO_RULES": str(tmp_path / "nowhere.yaml")}
    result = CliRunner().invoke(main, ["metrics"], env=env)
    assert isinstance(result.exception, RulesError)


def test_no_redis_and_no_running_bridge(env: dict[str, str], tmp_path: Path) -> None:
    del env["REDIS_URL"]
    result = CliRunner().invoke(main, ["metrics"], env={**env, "TCO_LOG_LEVEL": "DEBUG"})
    assert isinstance(result.exception, ConfigError)
    assert "REDIS_URL is not set and no running bridge was found" in str(result.exception)
    assert "start one with `make run`" in str(result.exception)


def test_the_installed_command_prints_one_line(env: dict[str, str]) -> None:
    """Through the real console entry point, as a person types it."""
    env["REDIS_URL"] = f"redis://127.0.0.1:{free_port()}/0"
    done = subprocess.run(
        [sys.executable, "-m", "tco_bridge.cli", "failed", "list"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stdout == ""
    [line] = done.stderr.splitlines()
    assert line.startswith("tco-bridge: cannot reach Redis at 127.0.0.1:")
