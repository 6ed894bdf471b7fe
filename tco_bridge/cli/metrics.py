"""``tco-bridge metrics``: ownership figures per owner or team, or each escalation group's
target compliance, as a table, JSON or CSV (the rows of ``/metrics/ownership``)."""

from __future__ import annotations

from typing import Any

import click

from ..team_metrics import METRICS_BY
from .common import command_runtime


@click.command()
@click.option("--by", type=click.Choice(METRICS_BY), default="owner", show_default=True)
@click.option("--connector", default=None, help="only this connector")
@click.option("--json", "as_json", is_flag=True, help="print JSON rows")
@click.option("--csv", "as_csv", is_flag=True, help="print CSV")
@click.option("--from", "start", default=None, help="tickets created on or after (YYYY-MM-DD)")
@click.option("--to", "end", default=None, help="tickets created on or before (YYYY-MM-DD)")
def metrics(
    by: str, connector: str | None, as_json: bool, as_csv: bool, start: str | None, end: str | None
) -> None:
    """Ownership metrics (first-contact resolution, escalation time, touches, cadence) per
    owner or team; with --by group, each escalation group's response and resolution target
    compliance (stays met / breached / running)."""
    import json as jsonlib

    from ..team_metrics import in_period, metrics_rows, parse_day, to_csv
    from ..ticket_store import iter_states

    try:
        period = parse_day(start, "--from"), parse_day(end, "--to")
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    rt = command_runtime()
    states = in_period(iter_states(rt.redis, connector), *period)
    rows = metrics_rows(states, rt.rules, rt.now(), by)
    if as_json or as_csv:
        click.echo(jsonlib.dumps(rows, indent=2) if as_json else to_csv(rows), nl=as_json)
        return
    for line in group_table(rows) if by == "group" else owner_table(rows, by):
        click.echo(line)


def owner_table(rows: list[dict[str, Any]], by: str) -> list[str]:
    head = f"{by:<28}{'open':>6}{'done':>6}{'FCR':>7}{'esc min':>9}{'touch':>7}{'cadence':>9}"
    return [head] + [
        f"{r['key']:<28}{r['open']:>6}{r['done']:>6}{_pct(r['first_contact_resolution']):>7}"
        f"{_num(r['escalation_minutes']):>9}{_num(r['touches']):>7}"
        f"{_pct(r['cadence_compliance']):>9}"
        for r in rows
    ]


def group_table(rows: list[dict[str, Any]]) -> list[str]:
    """Per group: stays (running), then met/breached and compliance of each target."""
    head = f"{'group':<24}{'stays':>6}{'running':>8}{'response':>15}{'resolution':>15}"
    return [head] + [
        f"{r['group']:<24}{r['stays']:>6}{r['running']:>8}"
        f"{_verdicts(r, 'response'):>15}{_verdicts(r, 'resolution'):>15}"
        for r in rows
    ]


def _verdicts(row: dict[str, Any], kind: str) -> str:
    """``met/breached pct``, e.g. ``3/1 75%``."""
    met, breached = row[f"{kind}_met"], row[f"{kind}_breached"]
    return f"{met}/{breached} {_pct(row[f'{kind}_compliance'])}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"
