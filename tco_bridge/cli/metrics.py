"""``tco-bridge metrics``: ownership figures per owner or team, as a table, JSON or CSV."""

from __future__ import annotations

import click

from .common import command_runtime


@click.command()
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

    from ..metrics import ownership_metrics
    from ..team_metrics import in_period, parse_day, to_csv
    from ..ticket_store import iter_states

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
