"""``tco-bridge reconcile``: heal state and timers from what the ticket tool lists."""

from __future__ import annotations

import click

from .common import command_runtime


@click.command()
@click.option("--connector", "names", multiple=True, help="only this connector (repeatable)")
@click.option("--json", "as_json", is_flag=True, help="print the report as JSON")
def reconcile(names: tuple[str, ...], as_json: bool) -> None:
    """Re-read open tickets from the tool and heal state and timers lost with webhooks.

    Safe to repeat: nothing is written back twice. Run it on a schedule with
    TCO_RECONCILE_INTERVAL (seconds) and the clock process.
    """
    import json as jsonlib

    from ..reconcile import reconcile as run_reconcile

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
        if report.refreshed:
            click.echo(f"  {report.refreshed} owned here but not open there, read again")
        if report.refresh_error:
            click.echo(f"  reading those again failed: {report.refresh_error}")
        if report.missing_in_tool:
            click.echo(f"  open here but not in the tool: {', '.join(report.missing_in_tool)}")
