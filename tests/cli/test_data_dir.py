"""Commands find the bridge `make run` started; `sandbox reset` starts the sandbox afresh."""

from __future__ import annotations

import logging
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest import mock

import pytest
import redis
from click.testing import CliRunner

from tco_bridge.cli import main
from tco_bridge.datadir import publish_url, withdraw_url
from tco_bridge.embedded_redis import free_port


def env_for(data: Path) -> dict[str, str]:
    return {
        "REDIS_URL": "",
        "TCO_DATA_DIR": str(data),
        "TCO_SANDBOX_DB": "",
        "TCO_CONNECTORS": "sandbox",
        "TCO_LOG_LEVEL": "WARNING",
    }


def test_commands_use_the_url_make_run_left(
    tmp_path: Path, redis_url: str, redis_client: redis.Redis
) -> None:
    redis_client.lpush(
        "tco:rule-failures",
        '{"at": "t", "ticket": "sandbox:SBX-1", '
        '"type": "comment.added", "event": "e1", "error": "boom"}',
    )
    publish_url(tmp_path, redis_url)
    assert (tmp_path / "redis.url").read_text() == redis_url + "\n"
    result = CliRunner().invoke(main, ["rules", "failures"], env=env_for(tmp_path))
    assert result.exit_code == 0, result.output
    assert "sandbox:SBX-1" in result.output and "boom" in result.output

    withdraw_url(tmp_path, "redis://elsewhere:1/0")  # another run's URL: left alone
    assert (tmp_path / "redis.url").exists()
    withdraw_url(tmp_path, redis_url)
    assert not (tmp_path / "redis.url").exists()


def test_a_stale_url_file_says_the_bridge_is_not_running(tmp_path: Path) -> None:
    publish_url(tmp_path, f"redis://127.0.0.1:{free_port()}/0")
    result = CliRunner().invoke(main, ["metrics"], env=env_for(tmp_path))
    assert result.exit_code == 1
    assert "is not running" in result.output and "start it with `make run`" in result.output


def test_reset_clears_the_sandbox_and_the_private_redis(tmp_path: Path) -> None:
    (tmp_path / "redis").mkdir()
    (tmp_path / "redis" / "appendonly.aof").write_text("*1\r\n")
    (tmp_path / "sandbox.sqlite").write_bytes(b"SQLite format 3\x00")
    (tmp_path / "sandbox.sqlite-wal").write_bytes(b"")
    (tmp_path / "notes.txt").write_text("mine")
    publish_url(tmp_path, f"redis://127.0.0.1:{free_port()}/0")  # left by a crashed run
    result = CliRunner().invoke(main, ["sandbox", "reset"], env=env_for(tmp_path))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
    assert f"removed {tmp_path / 'sandbox.sqlite'}" in result.output.splitlines()

    again = CliRunner().invoke(main, ["sandbox", "reset"], env=env_for(tmp_path))
    assert again.output == f"nothing to remove in {tmp_path}\n"


def test_reset_refuses_while_the_bridge_runs(tmp_path: Path, redis_url: str) -> None:
    (tmp_path / "sandbox.sqlite").write_bytes(b"")
    publish_url(tmp_path, redis_url)
    result = CliRunner().invoke(main, ["sandbox", "reset"], env=env_for(tmp_path))
    assert result.exit_code == 1
    assert "the bridge is running on this data folder" in result.output
    assert (tmp_path / "sandbox.sqlite").exists()


def test_reset_leaves_a_configured_redis_alone(tmp_path: Path, redis_url: str) -> None:
    env = {**env_for(tmp_path), "REDIS_URL": redis_url}
    result = CliRunner().invoke(main, ["sandbox", "reset"], env=env)
    assert result.exit_code == 0
    assert "REDIS_URL is set: that Redis was left alone" in result.output


def test_a_one_shot_command_does_not_announce_the_rules_it_read(
    tmp_path: Path, redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """`failed list` and friends print what was asked; the worker's and clock's start-up
    line naming the rules file is noise there."""
    publish_url(tmp_path, redis_url)
    quiet = logging.getLogger("tco_bridge.rules_source")
    caplog.set_level(logging.INFO)
    try:
        result = CliRunner().invoke(
            main, ["failed", "list"], env={**env_for(tmp_path), "TCO_LOG_LEVEL": "INFO"}
        )
    finally:
        quiet.setLevel(logging.NOTSET)
    assert result.exit_code == 0, result.output
    assert not [r for r in caplog.records if "rules loaded" in r.getMessage()]


def test_commands_read_the_clock_of_the_demo_that_runs_on_their_redis(
    tmp_path: Path, redis_url: str
) -> None:
    """`tco-bridge metrics` beside `make demo` counts time in group, overdue updates... on the
    demo's clock, as the console does, not on the real one (hours apart)."""
    import click

    from tco_bridge import democlock
    from tco_bridge.cli.common import command_runtime

    demo = democlock.DemoClock(60.0, time.time(), datetime(2030, 6, 3, 7, tzinfo=UTC))
    publish_url(tmp_path, redis_url)
    democlock.publish(tmp_path, demo, redis_url)

    def runtime_now(env: dict[str, str]) -> datetime:
        with click.Context(main), mock.patch.dict(os.environ, env, clear=True):
            now: datetime = command_runtime().now()
        return now

    assert abs(runtime_now(env_for(tmp_path)) - demo()) < timedelta(minutes=5)
    # Another Redis (REDIS_URL elsewhere) is not the demo's: real time there.
    other = {**env_for(tmp_path), "REDIS_URL": redis_url.rsplit("/", 1)[0] + "/1"}
    assert abs(runtime_now(other) - datetime.now(UTC)) < timedelta(minutes=1)
    democlock.withdraw(tmp_path)
    assert abs(runtime_now(env_for(tmp_path)) - datetime.now(UTC)) < timedelta(minutes=1)
