"""``tco-bridge failed list|show|retry|purge``: write-backs the bridge gave up on
(the registry is :mod:`tco_bridge.failed`)::

    tco-bridge failed list [--json]
    tco-bridge failed show ID [--json]
    tco-bridge failed retry ID | --all
    tco-bridge failed purge ID | --all
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import click

from ..failed import Parked, all_parked, get_parked, purge, purge_all, retry, retry_all
from ..runtime import Runtime
from .common import command_runtime


def _when(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def _kinds(record: Parked) -> str:
    return ",".join(str(a.get("kind")) for a in record.actions)


def _table(records: list[Parked]) -> str:
    head = ("ID", "CONNECTOR", "TICKET", "ACTIONS", "TRIES", "STATUS", "LAST FAILURE", "ERROR")
    rows = [
        (
            r.id,
            r.connector,
            r.ticket,
            _kinds(r),
            str(r.attempts),
            str(r.status or "-"),
            _when(r.last_failed),
            f"{r.error_type}: {r.message}"[:60],
        )
        for r in records
    ]
    widths = [max(len(row[i]) for row in [head, *rows]) for i in range(len(head))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    header = "  ".join(cell.ljust(w) for cell, w in zip(head, widths, strict=True))
    return "\n".join(line.rstrip() for line in [header, *lines])


@click.group("failed")
def failed_group() -> None:
    """Write-backs the bridge gave up on: list, inspect, replay or purge them."""


@failed_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def list_command(as_json: bool) -> None:
    """List parked write-back groups, most recent failure first."""
    records = all_parked(command_runtime())
    if as_json:
        click.echo(json.dumps([r.to_json() for r in records], indent=2))
    elif not records:
        click.echo("No parked write-backs.")
    else:
        click.echo(_table(records))


@failed_group.command("show")
@click.argument("group")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def show_command(group: str, as_json: bool) -> None:
    """Show one parked group: its error and every action in it."""
    record = get_parked(command_runtime(), group)
    if record is None:
        raise click.ClickException(f"no parked write-back {group!r} (see `failed list`)")
    if as_json:
        click.echo(json.dumps(record.to_json(), indent=2))
        return
    click.echo(f"id:            {record.id}")
    click.echo(f"ticket:        {record.connector}:{record.ticket}")
    click.echo(f"attempts:      {record.attempts}")
    click.echo(f"first failure: {_when(record.first_failed)}")
    click.echo(f"last failure:  {_when(record.last_failed)}")
    click.echo(f"error:         {record.error_type} (status {record.status or '-'})")
    click.echo(f"               {record.message}")
    click.echo("actions:")
    for action in record.actions:
        click.echo(f"  - {action.get('id')} {action.get('kind')} (rule {action.get('rule')})")


def _one_or_all(
    group: str | None,
    every: bool,
    one: Callable[[Runtime, str], bool],
    each: Callable[[Runtime], int],
) -> int | None:
    """Apply ``one`` to GROUP or ``each`` to all of them (``--all``): the count with
    ``--all``, else ``None``; a GROUP that is not parked is an error."""
    if bool(group) == every:
        raise click.UsageError("give one group ID or --all")
    rt = command_runtime()
    if every:
        return each(rt)
    if group and one(rt, group):
        return None
    raise click.ClickException(f"no parked write-back {group!r} (see `failed list`)")


# retry and purge share their shape (GROUP | --all) on purpose: click declares each command.
@failed_group.command("retry")
@click.argument("group", required=False)
@click.option("--all", "every", is_flag=True, help="Retry every parked group.")
def retry_command(group: str | None, every: bool) -> None:
    """Queue a parked group again (actions already done are not written twice)."""
    count = _one_or_all(group, every, retry, retry_all)
    many = f"Queued {count} parked write-back(s) again."
    click.echo(f"Queued {group} again." if count is None else many)


@failed_group.command("purge")
@click.argument("group", required=False)
@click.option("--all", "every", is_flag=True, help="Forget every parked group.")
def purge_command(group: str | None, every: bool) -> None:
    """Forget a parked group without performing it."""
    count = _one_or_all(group, every, purge, purge_all)
    click.echo(f"Purged {group}." if count is None else f"Purged {count} parked write-back(s).")
