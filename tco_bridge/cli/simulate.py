"""``tco-bridge simulate``: replay a recording through the pure core on a virtual clock and
print what the bridge would do (see :mod:`tco_bridge.simulate`)."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click

from ..config import Settings
from ..events import utc
from ..simulate import Parsers, Simulator, read_recording, rules_zone, write
from .common import rules_or_exit


@click.command("simulate")
@click.option(
    "--rules", "rules_file", required=True, type=click.Path(dir_okay=False, path_type=Path)
)
@click.option(
    "--events",
    "events_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
@click.option("--until", default=None, help="Run timers up to this ISO time (default: +30 days).")
@click.option("--format", "fmt", type=click.Choice(["table", "jsonl"]), default="table")
@click.option(
    "--env-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="KEY=VALUE lines over the environment: the bridge's settings (bot accounts, fields).",
)
def simulate_command(
    rules_file: Path, events_file: Path, until: str | None, fmt: str, env_file: Path | None
) -> None:
    """Replay a recording on a virtual clock and print what the bridge would do.

    Connectors are built from the bridge's own settings (the environment, with --env-file
    on top), so the bridge's notes in the recording count as its own. Table times are in the
    rules' default calendar zone, with their offset; JSONL times are UTC."""
    rules = rules_or_exit(rules_file)
    try:
        end = utc(datetime.fromisoformat(until)) if until else None
    except ValueError:
        raise click.BadParameter(
            f"{until!r} is not an ISO 8601 time", param_hint="--until"
        ) from None
    with events_file.open(encoding="utf-8") as fh:
        events, problems = read_recording(fh, parsers_from(env_file))
    for problem in problems:
        click.echo(f"{events_file}: {problem} (skipped)", err=True)
    entries = Simulator(rules).run(events, end)
    write(entries, fmt, sys.stdout, rules_zone(rules))


def parsers_from(env_file: Path | None) -> Parsers:
    """Connectors built like the bridge's: its settings, with an env file's lines on top."""
    from honcho.environ import parse

    env = dict(Settings.from_env().env)
    if env_file is not None:
        env.update(parse(env_file.read_text(encoding="utf-8")))
    return Parsers(env)
