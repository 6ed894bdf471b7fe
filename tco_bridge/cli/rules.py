"""``tco-bridge rules check|explain|test|failures``: check rule files, test them, and say how
they judge an event."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from marshmallow import ValidationError

from ..errors import TcoError
from ..event_codec import load_event
from ..events import TicketEvent
from ..rules.engine import RuleSet
from ..rules.explain import explain, format_verdicts
from ..simulate import delivery_events, read_recording
from .common import rules_or_exit
from .simulate import parsers_from


@click.group("rules")
def rules_group() -> None:
    """Check rule files, test them, and explain how they judge an event."""


@rules_group.command("check")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def check_command(file: Path) -> None:
    """Validate FILE; print every problem as file:line: key: message. Exit 0 or 1."""
    rules = rules_or_exit(file)
    enabled = sum(1 for r in rules.rules if r.enabled)
    click.echo(f"{file}: OK ({len(rules.rules)} rules, {enabled} enabled)")


@rules_group.command("explain")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--event",
    "event_spec",
    default=None,
    metavar="FILE[:LINE]",
    help="A canonical event (JSON), or a recorded delivery (connector, headers, body); "
    "FILE:LINE takes one line of a recording (TCO_RECORD_FILE, JSON lines).",
)
@click.option(
    "--recording",
    default=None,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A recording (TCO_RECORD_FILE) to rebuild the ticket's state from; needs --ticket.",
)
@click.option("--ticket", default=None, help="With --recording: the ticket (id or connector:id).")
@click.option(
    "--at",
    "at",
    default=None,
    help="Evaluate at this ISO time (default: the event's); with --recording, judge the "
    "ticket's last event at or before it.",
)
def explain_command(
    file: Path, event_spec: str | None, recording: Path | None, ticket: str | None, at: str | None
) -> None:
    """Show, per rule in FILE, whether it matches an event and why not.

    With --event, the event is judged against a new ticket (only what the event carries).
    With --recording and --ticket, the recording is replayed as simulate does (deliveries,
    presence changes, timers on a virtual clock) up to the ticket's last event at or before
    --at; that event is judged against the ticket's state rebuilt from everything before it,
    with the workload and away list of that moment."""
    if (event_spec is None) == (recording is None) or (recording is not None) != bool(ticket):
        raise click.UsageError("give --event FILE[:LINE], or --recording FILE with --ticket ID")
    rules = rules_or_exit(file)
    if recording is not None and ticket:
        _explain_recording(rules, recording, ticket, at)
        return
    assert event_spec is not None
    event_file, line = split_line(event_spec)
    try:
        events = read_event_file(event_file, line)
    except OSError as exc:
        raise click.ClickException(f"{event_file}: cannot read: {exc.strerror}") from None
    except (TcoError, ValueError) as exc:
        where = f"{event_file}:{line}" if line else str(event_file)
        raise click.ClickException(f"{where}: {exc}") from None
    now = datetime.fromisoformat(at) if at else None
    for event in events:
        click.echo(
            f"# {event.connector}:{event.ticket} {event.type.value} at {event.at.isoformat()}"
        )
        click.echo(format_verdicts(explain(rules, event, now=now)))


def _explain_recording(rules: RuleSet, recording: Path, ticket: str, at: str | None) -> None:
    from ..rules.explain import replay_to

    try:
        until = datetime.fromisoformat(at) if at else None
    except ValueError:
        raise click.BadParameter(f"{at!r} is not an ISO 8601 time", param_hint="--at") from None
    with recording.open(encoding="utf-8") as fh:
        items, problems = read_recording(fh, parsers_from(None))
    for problem in problems:
        click.echo(f"{recording}: {problem} (skipped)", err=True)
    found = replay_to(rules, items, ticket, until)
    if found is None:
        raise click.ClickException(f"{recording}: no event of ticket {ticket!r} in the recording")
    event, state, context = found
    click.echo(
        f"# {event.connector}:{event.ticket} {event.type.value} at {event.at.isoformat()}"
        f" (state rebuilt from {len(state.seen)} earlier events and timers)"
    )
    click.echo(format_verdicts(explain(rules, event, state=state, context=context)))


def split_line(spec: str) -> tuple[Path, int | None]:
    """``FILE:LINE`` → (FILE, LINE); a file whose own name ends in ``:N`` wins if it exists."""
    name, sep, number = spec.rpartition(":")
    if sep and number.isdigit() and not Path(spec).exists():
        return Path(name), int(number)
    return Path(spec), None


def read_event_file(path: Path, line: int | None = None) -> list[TicketEvent]:
    """The events of one JSON document: the whole file, or its line ``line`` (from 1)."""
    content = path.read_text(encoding="utf-8")
    if line is not None:
        lines = content.splitlines()
        if not 1 <= line <= len(lines) or not lines[line - 1].strip():
            raise ValueError(f"no JSON on line {line} (the file has {len(lines)} lines)")
        content = lines[line - 1]
    try:
        data: Any = json.loads(content)
    except ValueError:
        rows = sum(1 for text in content.splitlines() if text.strip())
        if line is None and rows > 1:
            raise ValueError(
                f"not one JSON document but {rows} lines (a recording?): pick one with "
                f"--event {path}:LINE"
            ) from None
        raise
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    if "body" in data or "body_b64" in data:
        return delivery_events(data)
    try:
        return [load_event(data)]
    except ValidationError as exc:
        wrong = exc.messages if isinstance(exc.messages, dict) else {}
        raise ValueError(
            "neither a recorded delivery (no body) nor a canonical event "
            f"(wrong or missing: {', '.join(sorted(map(str, wrong))) or exc})"
        ) from None


@rules_group.command("test")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
def test_command(files: tuple[Path, ...]) -> None:
    """Run rule tests (YAML, see docs/rules.md); exit 1 on any mismatch, with a diff."""
    from ..rules.ruletest import RuleTestError, run_file

    failed = passed = 0
    for file in files:
        try:
            outcomes = run_file(file)
        except RuleTestError as exc:
            click.echo(f"ERROR {exc}", err=True)
            failed += 1
            continue
        for outcome in outcomes:
            if outcome.passed:
                passed += 1
                continue
            failed += 1
            click.echo(f"FAILED {outcome.file}: {outcome.name}")
            for line in outcome.diff:
                click.echo(f"  {line}")
    click.echo(f"{passed} passed, {failed} failed")
    if failed:
        raise SystemExit(1)


@rules_group.command("failures")
@click.option("--limit", default=20, show_default=True, help="newest first")
@click.option("--json", "as_json", is_flag=True, help="print JSON lines")
def failures_command(limit: int, as_json: bool) -> None:
    """Rules that failed at run time in the workers (the event was applied without rules)."""
    from .. import keys
    from .common import command_runtime

    rt = command_runtime()
    rows = [json.loads(r) for r in rt.redis.lrange(keys.RULE_FAILURES, 0, limit - 1)]
    if not rows:
        click.echo("no rule failures recorded")
    for row in rows:
        if as_json:
            click.echo(json.dumps(row))
        else:
            click.echo(f"{row['at']}  {row['ticket']}  {row['type']} ({row['event']})")
            click.echo(f"    {row['error']}")
