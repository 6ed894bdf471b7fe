"""The ``tco-bridge`` command: run the processes, check rules, simulate, replay, administer.

Subcommands reuse the server's own code (the same connectors, pipeline and rule book), so what
the CLI says is what the bridge does.
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

from .command import FriendlyGroup, check_port_free, check_redis, command_runtime, setup_logging
from .config import Settings
from .runtime import Runtime, install

log = logging.getLogger("tco_bridge")


@click.group(cls=FriendlyGroup)
@click.version_option(package_name="tco-bridge")
def main() -> None:
    """Total Contact Ownership for Jira and Zendesk help desks."""


@main.command()
def worker() -> None:
    """Run an RQ worker: drain jobs (events) and write-back jobs; rides through Redis outages."""
    from .outage import run_worker

    rt = command_runtime(wait_for_redis=True)
    install(rt)
    # No fork per job (SimpleWorker): drain jobs already batch work; a fork per job would cost
    # more than the job (see README, "Scale").
    run_worker(rt)


@main.command()
def clock() -> None:
    """Run the clock: release due timers, re-queue stalled shards."""
    from .clock import Clock

    rt = command_runtime(wait_for_redis=True)
    install(rt)
    Clock(rt).run()


@main.command()
@click.option("--workers", default=2, show_default=True, help="gunicorn worker processes")
@click.option("--host", default=None, help="address to listen on  [default: HOST or 127.0.0.1]")
def web(workers: int, host: str | None) -> None:
    """Run the web receiver under gunicorn on HOST:PORT, with /metrics summed over workers."""
    from .prometheus import prepare_multiprocess_dir

    rt = command_runtime(wait_for_redis=True)
    host = host or rt.settings.host
    check_port_free(host, rt.settings.port)
    env = dict(os.environ)
    prepare_multiprocess_dir(env, rt.settings.data_dir)
    bind = f"{host}:{rt.settings.port}"
    args = ["gunicorn", "-c", "python:tco_bridge.gunicorn_conf", "-w", str(workers), "-b", bind]
    args += ["--access-logfile", "-", "wsgi:app"]
    os.execvpe(sys.executable, [sys.executable, "-m", *args], env)


@main.command()
@click.option("--data-dir", type=click.Path(path_type=Path), default=None)
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

    from .datadir import publish_url, withdraw_url
    from .embedded_redis import EmbeddedRedis

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
    first_admin(rt, data)
    if server is not None:
        # where `tco-bridge metrics`, `failed list`... find this bridge with REDIS_URL unset
        publish_url(data, server.url)
    me = shlex.quote(sys.executable)
    manager = Manager()
    manager.add_process("web", f"{me} -m tco_bridge.cli web", env=env)
    manager.add_process("worker", f"{me} -m tco_bridge.cli worker", env=env)
    manager.add_process("clock", f"{me} -m tco_bridge.cli clock", env=env)
    try:
        manager.loop()
    finally:
        if server is not None:
            withdraw_url(data, server.url)
            server.stop()
    sys.exit(manager.returncode)


def demo_env(settings: Settings, speed: float) -> dict[str, str]:
    """The demo clock's settings: ``speed``× real time, from the next opening of the rules'
    default business calendar (so business-hour targets pass at the same pace)."""
    from datetime import UTC, datetime, time, timedelta

    from .democlock import DemoClock

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
    from .rules_source import RulesSource

    defs = getattr(RulesSource(settings.rules_path).current(), "defs", None)
    return defs.calendar(None) if defs is not None else None


def first_admin(rt: Runtime, data: Path) -> None:
    """With no console user yet, create ``admin`` and leave its token in ``data/admin.token``
    (readable by this account only), so the first sign-in needs no extra step."""
    from .users import add_user, all_users

    if all_users(rt.redis):
        return
    token = add_user(rt.redis, "admin", "admin")
    data.mkdir(parents=True, exist_ok=True)
    path = data / "admin.token"
    path.write_text(token + "\n")
    path.chmod(0o600)
    url = f"http://{rt.settings.host}:{rt.settings.port}/login"
    log.info("console: sign in at %s as admin with the token in %s", url, path)


@main.command()
@click.option("--connector", "names", multiple=True, help="only this connector (repeatable)")
@click.option("--json", "as_json", is_flag=True, help="print the report as JSON")
def reconcile(names: tuple[str, ...], as_json: bool) -> None:
    """Re-read open tickets from the tool and heal state and timers lost with webhooks.

    Safe to repeat: nothing is written back twice. Run it on a schedule with
    TCO_RECONCILE_INTERVAL (seconds) and the clock process.
    """
    import json as jsonlib

    from .reconcile import reconcile as run_reconcile

    rt = command_runtime()
    for name in names or tuple(rt.connectors):
        report = run_reconcile(rt, name, rt.now())
        if as_json:
            click.echo(jsonlib.dumps(report.to_json()))
            continue
        click.echo(
            f"{name}: {report.listed} open in the tool, {report.new} new here, "
            f"{report.queued} snapshots queued, {report.timers_restored} timers restored"
        )
        if report.missing_in_tool:
            click.echo(
                f"  open here but not listed by the tool: {', '.join(report.missing_in_tool)}"
            )


@main.command()
@click.option("--by", type=click.Choice(["owner", "team"]), default="owner", show_default=True)
@click.option("--connector", default=None, help="only this connector")
@click.option("--json", "as_json", is_flag=True, help="print JSON rows")
@click.option("--csv", "as_csv", is_flag=True, help="print CSV")
@click.option("--from", "start", default=None, help="tickets created on or after (YYYY-MM-DD)")
@click.option("--to", "end", default=None, help="tickets created on or before (YYYY-MM-DD)")
def metrics(
    by: str, connector: str | None, as_json: bool, as_csv: bool, start: str | None, end: str | None
) -> None:
    """Ownership metrics: first-contact resolution, escalation time, touches, cadence."""
    import json as jsonlib

    from .metrics import ownership_metrics
    from .team_metrics import in_period, parse_day, to_csv
    from .ticket_store import iter_states

    try:
        period = parse_day(start, "--from"), parse_day(end, "--to")
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    rt = command_runtime()
    states = in_period(iter_states(rt.redis, connector), *period)
    rows = ownership_metrics(states, rt.rules.ownership, rt.now(), by)
    if as_json or as_csv:
        click.echo(jsonlib.dumps(rows, indent=2) if as_json else to_csv(rows), nl=as_json)
        return
    head = f"{by:<28}{'open':>6}{'done':>6}{'FCR':>7}{'esc min':>9}{'touch':>7}{'cadence':>9}"
    click.echo(head)
    for r in rows:
        click.echo(
            f"{r['key']:<28}{r['open']:>6}{r['done']:>6}{_pct(r['first_contact_resolution']):>7}"
            f"{_num(r['escalation_minutes']):>9}{_num(r['touches']):>7}"
            f"{_pct(r['cadence_compliance']):>9}"
        )


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


@main.command()
@click.argument("recording", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--url", default="http://127.0.0.1:8000", show_default=True, help="the bridge")
@click.option("--timeout", default=10.0, show_default=True, help="seconds per delivery")
def replay(recording: Path, url: str, timeout: float) -> None:
    """Send recorded deliveries (TCO_RECORD_FILE lines) to a bridge again, as they came.

    Headers and body are sent unchanged, so signatures still verify where the tool signs no
    timestamp; deliveries the bridge already has are answered "duplicate". Prints one line per
    delivery and exits 1 if any was refused.
    """
    import base64
    import json as jsonlib

    import requests

    refused = 0
    for number, line in enumerate(recording.read_text().splitlines(), 1):
        if not line.strip():
            continue
        entry = jsonlib.loads(line)
        raw = entry.get("body")
        body = raw.encode() if raw is not None else base64.b64decode(entry["body_b64"])
        skip = {"host", "content-length", "connection", "accept-encoding"}
        headers = {k: v for k, v in entry["headers"].items() if k not in skip}
        try:
            answer = requests.post(
                f"{url.rstrip('/')}/webhooks/{entry['connector']}",
                data=body,
                headers=headers,
                timeout=timeout,
            )
        except requests.RequestException as exc:
            raise click.ClickException(
                f"cannot reach the bridge at {url} ({type(exc).__name__}): start it "
                "(`make run`), or pass its address with --url"
            ) from None
        refused += answer.status_code >= 400
        click.echo(f"{number}: {entry['connector']} {answer.status_code} {answer.text.strip()}")
    raise SystemExit(1 if refused else 0)


def _mount(group: click.Group, module: str, attr: str, name: str | None = None) -> None:
    """Attach a command that lives with its feature, so each stays in its own module."""
    mod: Any = __import__(module, fromlist=[attr])
    group.add_command(getattr(mod, attr), name)


_mount(main, "tco_bridge.rules.cli", "rules_group", "rules")
_mount(main, "tco_bridge.rules.cli", "simulate_command", "simulate")
_mount(main, "tco_bridge.failed", "failed_group", "failed")
_mount(main, "tco_bridge.datadir", "sandbox_group", "sandbox")
_mount(main, "tco_bridge.users", "users_group", "users")

if __name__ == "__main__":
    main()
