"""``tco-bridge run|web|worker|clock``: the bridge's long-running processes.

``run`` starts the three others under honcho (as ``python -m tco_bridge.cli <role>``), with a
private Redis when ``REDIS_URL`` is unset and, with ``--demo``, the fast demo clock.
"""

from __future__ import annotations

import logging
import os
import shlex
import sys
from pathlib import Path
from typing import Any

import click
import redis

from .. import democlock
from ..config import DEMO_SPEED, DEMO_START, Settings
from ..runtime import ANNOUNCED, RULES_CHECKED, Runtime, install
from .common import check_port_free, check_redis, command_runtime, setup_logging

log = logging.getLogger("tco_bridge")


@click.command()
def worker() -> None:
    """Run an RQ worker: drain jobs (events) and write-back jobs; rides through Redis outages."""
    from ..outage import run_worker

    rt = command_runtime(wait_for_redis=True)
    install(rt)
    # No fork per job (SimpleWorker): drain jobs already batch work; a fork per job would cost
    # more than the job (see README, "Scale").
    run_worker(rt)


@click.command()
def clock() -> None:
    """Run the clock: release due timers, re-queue stalled shards."""
    from ..clock import Clock

    rt = command_runtime(wait_for_redis=True)
    install(rt)
    Clock(rt).run()


@click.command()
@click.option("--workers", default=2, show_default=True, help="gunicorn worker processes")
@click.option("--host", default=None, help="address to listen on  [default: HOST or 127.0.0.1]")
def web(workers: int, host: str | None) -> None:
    """Run the web receiver under gunicorn on HOST:PORT, with /metrics summed over workers."""
    from ..prometheus import prepare_multiprocess_dir

    rt = command_runtime(wait_for_redis=True)
    host = host or rt.settings.host
    check_port_free(host, rt.settings.port)
    # gunicorn's workers: warned above, once; and the rules loaded above, so a worker restarted
    # while the file is broken boots and reports it rather than stopping the web tier
    env = {**os.environ, ANNOUNCED: "1", RULES_CHECKED: "1"}
    prepare_multiprocess_dir(env, rt.settings.data_dir)
    bind = f"{host}:{rt.settings.port}"
    args = ["gunicorn", "-c", "python:tco_bridge.gunicorn_conf", "-w", str(workers), "-b", bind]
    args += ["--access-logfile", "-", "wsgi:app"]
    os.execvpe(sys.executable, [sys.executable, "-m", *args], env)


@click.command()
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="where the private Redis, the sandbox and the console keep their data  "
    "[default: TCO_DATA_DIR or ./data]",
)
@click.option(
    "--demo",
    "demo_speed",
    type=float,
    default=None,
    help="run the bridge's clock this many times faster (60: a minute is an hour)",
)
def run(data_dir: Path | None, demo_speed: float | None) -> None:
    """Run web, worker and clock together, with a private Redis when REDIS_URL is unset."""
    from honcho.manager import Manager

    from ..datadir import publish_url, withdraw_url
    from ..embedded_redis import EmbeddedRedis

    settings = Settings.from_env()
    setup_logging(settings.log_level)
    check_port_free(settings.host, settings.port)
    data = data_dir or settings.data_dir
    server: EmbeddedRedis | None = None
    env = dict(os.environ)
    if not settings.redis_url:
        server = EmbeddedRedis(data / "redis").start()
        env["REDIS_URL"] = server.url
        log.info("private Redis on %s (data in %s)", server.url, data / "redis")
    env.setdefault("TCO_DATA_DIR", str(data))
    env.setdefault("TCO_SANDBOX_DB", str(data / "sandbox.sqlite"))
    if demo_speed:
        env.update(demo_env(Settings.from_env(env), demo_speed))
    try:
        # fail fast on bad settings, before forking three: Redis first, then the rules
        probe = redis.Redis.from_url(env["REDIS_URL"])
        try:
            check_redis(probe, env["REDIS_URL"])
        finally:
            probe.close()
        rt = Runtime.build(Settings.from_env(env))
    except BaseException:
        if server is not None:
            server.stop()
        raise
    env[ANNOUNCED] = "1"  # web, worker and clock: this process gave the start-up warnings
    first_admin(rt, data)
    if server is not None:
        # where `tco-bridge metrics`, `failed list`... find this bridge with REDIS_URL unset
        publish_url(data, server.url)
    # ...and, in a demo, its clock: their figures then agree with the console's
    demo = democlock.parse(env.get(DEMO_SPEED), env.get(DEMO_START))
    if demo is not None:
        democlock.publish(data, demo, env["REDIS_URL"])
    else:
        democlock.withdraw(data)  # left by a demo that crashed: this bridge runs on real time
    me = shlex.quote(sys.executable)
    manager = Manager()
    manager.add_process("web", f"{me} -m tco_bridge.cli web", env=env)
    manager.add_process("worker", f"{me} -m tco_bridge.cli worker", env=env)
    manager.add_process("clock", f"{me} -m tco_bridge.cli clock", env=env)
    try:
        manager.loop()
    finally:
        if demo is not None:
            democlock.withdraw(data)
        if server is not None:
            withdraw_url(data, server.url)
            server.stop()
    sys.exit(manager.returncode)


def demo_env(settings: Settings, speed: float) -> dict[str, str]:
    """The demo clock's settings: ``speed``× real time, from the next opening of the rules'
    default business calendar (so business-hour targets pass at the same pace)."""
    from datetime import UTC, datetime, time, timedelta

    from ..democlock import DemoClock

    now = datetime.now(UTC)
    start = now
    calendar = _default_calendar(settings)
    if calendar is not None:
        midnight = datetime.combine(now.astimezone(calendar.tz).date(), time(), calendar.tz)
        start = calendar.next_open(midnight + timedelta(days=1)).astimezone(UTC)
    clock = DemoClock(speed, now.timestamp(), start)
    log.info("demo clock: %gx real time, the bridge's time starts at %s", speed, start)
    return {"TCO_DEMO_SPEED": f"{speed:g}", "TCO_DEMO_START": clock.pinned}


def _default_calendar(settings: Settings) -> Any:
    from ..rules_source import RulesSource

    defs = getattr(RulesSource(settings.rules_path).current(), "defs", None)
    return defs.calendar(None) if defs is not None else None


def first_admin(rt: Runtime, data: Path) -> None:
    """With no console user yet, create ``admin`` and leave its token in ``data/admin.token``
    (readable by this account only), so the first sign-in needs no extra step."""
    from ..users import add_user, all_users

    if all_users(rt.redis):
        return
    token = add_user(rt.redis, "admin", "admin")
    data.mkdir(parents=True, exist_ok=True)
    path = data / "admin.token"
    path.write_text(token + "\n")
    path.chmod(0o600)
    url = f"http://{rt.settings.host}:{rt.settings.port}/login"
    log.info("console: sign in at %s as admin with the token in %s", url, path)
