"""What every ``tco-bridge`` subcommand shares: its runtime and logging, set up once, and
failures told in one line.

A setting that stops a command (a port in use, an unreachable Redis, a missing or invalid rules
file) is reported as ``tco-bridge: <what is wrong>: <the setting to change>`` with exit status
1; the traceback is shown only with ``TCO_LOG_LEVEL=DEBUG``.
"""

from __future__ import annotations

import errno
import logging
import socket
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
import redis

from ..config import DEMO_SPEED, DEMO_START, Settings, debug_requested
from ..errors import RulesError, TcoError
from ..rules.engine import RuleSet
from ..rules.loader import load_rules
from ..runtime import Runtime


def rules_or_exit(file: Path) -> RuleSet:
    """The rules of ``file``, or every problem printed as file:line: key: message and exit 1."""
    try:
        return load_rules(file)
    except RulesError as exc:
        for message in exc.messages:
            click.echo(message, err=True)
        raise SystemExit(1) from None


def setup_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def command_runtime(*, wait_for_redis: bool = False) -> Runtime:
    """The runtime of the running command: the one passed as click's ``obj`` (tests do),
    else built from the environment once per invocation, on a Redis that answers.

    ``wait_for_redis``: the long-running processes (web, worker, clock) wait for Redis instead
    of stopping, with one log line, so they start whatever the order of their peers (a
    Procfile runner starts Redis and the bridge at the same moment)."""
    from ..datadir import locate_redis

    ctx = click.get_current_context()
    if not isinstance(ctx.obj, Runtime):
        settings = Settings.from_env()
        setup_logging(settings.log_level)
        if not wait_for_redis:  # a one-shot command: which rules file it read is noise
            logging.getLogger("tco_bridge.rules_source").setLevel(logging.WARNING)
        url = locate_redis(settings)
        settings = _with_running_demo_clock(settings, url)
        probe = redis.Redis.from_url(url)
        try:
            if wait_for_redis:
                _wait_for(probe, url)
            check_redis(probe, url)  # before the rules load: one line, not a log and a line
        finally:
            probe.close()
        ctx.obj = Runtime.build(settings, url)
    return ctx.obj


def _with_running_demo_clock(settings: Settings, url: str) -> Settings:
    """A command on the Redis of a running ``run --demo`` reads the demo's clock, so its
    figures (time in group, overdue updates) agree with the console's."""
    from .. import democlock

    if settings.demo_speed:
        return settings
    found = democlock.published(settings.data_dir, url)
    if found is None:
        return settings
    speed, start = found
    return Settings.from_env({**settings.env, DEMO_SPEED: speed, DEMO_START: start})


def _wait_for(client: redis.Redis, url: str) -> None:
    from ..outage import Outage

    outage = Outage("start-up")
    while True:
        try:
            client.ping()
            outage.over()
            return
        except redis.RedisError as exc:
            time.sleep(outage.failed(RedisUnreachable(url, exc)))


def check_redis(client: redis.Redis, url: str) -> None:
    try:
        client.ping()
    except redis.RedisError as exc:
        raise RedisUnreachable(url, exc) from exc


class RedisUnreachable(TcoError):
    def __init__(self, url: str, exc: Exception) -> None:
        parts = urlsplit(url)  # the address only: a password in the URL is never shown
        where = f"{parts.hostname}:{parts.port or 6379}" if parts.hostname else parts.path
        super().__init__(
            f"cannot reach Redis at {where} ({exc}): start it, or set REDIS_URL to a Redis "
            "that runs (unset it to use the one `make run` starts)"
        )


def check_port_free(host: str, port: int) -> None:
    """Find out before forking servers that the port is taken, and say which setting moves it."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn binds
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
            raise PortInUse(host, port) from None


class PortInUse(TcoError):
    def __init__(self, host: str, port: int) -> None:
        super().__init__(
            f"port {port} on {host} is already in use (another bridge?): set PORT to a free "
            f"one, e.g. PORT={port + 1} make run"
        )


def one_line(exc: BaseException) -> str:
    """What a person needs from a failure that stops a command: what, and what to change."""
    if isinstance(exc, RulesError):
        first = exc.messages[0] if exc.messages else str(exc)
        more = len(exc.messages) - 1
        tail = f" (and {more} more: `tco-bridge rules check` lists them)" if more > 0 else ""
        return f"the rules file cannot be used: {first}{tail}: fix it, or set TCO_RULES"
    return str(exc)


class FriendlyGroup(click.Group):
    """A click group that turns the bridge's own errors into one line and exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (TcoError, redis.ConnectionError) as exc:
            if debug_requested():
                raise
            click.echo(f"tco-bridge: {one_line(exc)}", err=True)
            raise SystemExit(1) from None
