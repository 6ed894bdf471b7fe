"""Console users from the command line, and what ``tco-bridge run`` prepares for a newcomer:
the first admin's token and the demo clock's settings."""

from __future__ import annotations

import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tco_bridge import democlock
from tco_bridge.cli import processes as cli
from tco_bridge.cli.users import users_group
from tco_bridge.users import add_user, all_users, check_token


def test_users_add_list_remove(make_runtime: Any) -> None:
    rt = make_runtime()
    runner = CliRunner()
    added = runner.invoke(users_group, ["add", "lena", "--role", "lead"], obj=rt)
    assert added.exit_code == 0, added.output
    token = added.output.strip().rsplit(" ", 1)[1]
    user = check_token(rt.redis, "lena", token)
    assert user is not None and user.role == "lead" and user.agent == "lena"
    assert check_token(rt.redis, "lena", "not-it") is None
    assert token not in rt.redis.hget("tco:users", "lena").decode()  # only a hash is kept
    runner.invoke(users_group, ["add", "anna", "--role", "agent", "--agent", "8447"], obj=rt)
    listing = runner.invoke(users_group, ["list"], obj=rt).output.splitlines()
    assert [line.split() for line in listing] == [
        ["anna", "agent", "8447"],
        ["lena", "lead", "lena"],
    ]
    bad = runner.invoke(users_group, ["add", "no spaces", "--role", "agent"], obj=rt)
    assert bad.exit_code == 2 and "bad user name 'no spaces'" in bad.output
    assert runner.invoke(users_group, ["remove", "lena"], obj=rt).exit_code == 0
    gone = runner.invoke(users_group, ["remove", "lena"], obj=rt)
    assert gone.exit_code == 1 and "no user 'lena'" in gone.output
    with pytest.raises(ValueError, match="bad role 'boss'"):
        add_user(rt.redis, "bo", "boss")


def test_first_admin_is_created_once_with_a_private_token_file(
    make_runtime: Any, tmp_path: Path
) -> None:
    rt = make_runtime()
    cli.first_admin(rt, tmp_path / "data")
    path = tmp_path / "data" / "admin.token"
    token = path.read_text().strip()
    assert check_token(rt.redis, "admin", token) is not None
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    cli.first_admin(rt, tmp_path / "data")  # users exist: nothing changes
    assert path.read_text().strip() == token and len(all_users(rt.redis)) == 1


def test_demo_settings_start_at_the_next_business_opening(make_runtime: Any) -> None:
    rt = make_runtime()
    env = cli.demo_env(rt.settings, 60)
    clock = democlock.parse(env["TCO_DEMO_SPEED"], env["TCO_DEMO_START"])
    assert clock is not None and clock.speed == 60
    local = clock.start.astimezone(rt.rules.defs.calendar(None).tz)
    assert (local.hour, local.minute) == (8, 0) and local.weekday() < 5  # the office opens
    assert clock.start > datetime.now(UTC)


def test_a_runtime_with_the_demo_clock_shares_it_with_the_sandbox(
    make_runtime: Any, tmp_path: Path
) -> None:
    rt = make_runtime(
        TCO_CONNECTORS="sandbox",
        TCO_SANDBOX_DB=str(tmp_path / "s.sqlite"),
        TCO_DEMO_SPEED="60",
        TCO_DEMO_START="1000.0@2026-12-01T08:00:00+00:00",
    )
    sandbox = rt.connectors["sandbox"]
    assert rt.now() > datetime(2026, 12, 1, 8, tzinfo=UTC)
    assert abs((sandbox.store.clock() - rt.now()).total_seconds()) < 60
