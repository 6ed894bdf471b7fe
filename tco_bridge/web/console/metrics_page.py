"""Team metrics for leads: per owner or team, over a period, with SVG plots and CSV export.

Every figure comes from the pure functions the JSON API and the CLI use
(:mod:`tco_bridge.metrics`, :mod:`tco_bridge.team_metrics`).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Response, abort, render_template, request

from ...metrics import ownership_metrics
from ...team_metrics import (
    cadence_by_day,
    escalation_by_group,
    in_period,
    parse_day,
    resolution_by_owner,
    targets_by_group,
    to_csv,
)
from ...ticket_store import iter_states
from ..context import runtime
from ..signin import require_role
from . import charts
from .blueprint import bp, group

TABLES = ("owners", "groups", "targets", "cadence", "resolution")


def _period() -> tuple[str, date | None, date | None]:
    by = request.args.get("by", "owner")
    if by not in ("owner", "team"):
        abort(400, "'by' must be 'owner' or 'team'")
    try:
        start = parse_day(request.args.get("from"), "from")
        end = parse_day(request.args.get("to"), "to")
    except ValueError as exc:
        abort(400, str(exc))
    return by, start, end


def team_tables(by: str, start: date | None, end: date | None) -> dict[str, list[dict[str, Any]]]:
    rt = runtime()
    states = list(in_period(iter_states(rt.redis), start, end))
    policy, now = rt.rules.ownership, rt.now()
    return {
        "owners": ownership_metrics(states, policy, now, by=by),
        "groups": escalation_by_group(states, policy, now),
        "targets": targets_by_group(states, rt.rules, now),
        "cadence": cadence_by_day(states),
        "resolution": resolution_by_owner(states),
    }


@bp.get("/metrics")
@require_role("lead")
def metrics() -> Any:
    by, start, end = _period()
    tables = team_tables(by, start, end)
    plots = {
        "fcr": charts.fcr_chart(tables["owners"]),
        # The plot names each group as the rules do, like the tables (the CSV keeps the ids).
        "groups": charts.escalation_chart(
            [{**r, "group": group(r["group"])} for r in tables["groups"]]
        ),
        "cadence": charts.cadence_chart(tables["cadence"]),
        "resolution": charts.resolution_chart(tables["resolution"]),
        "resolution_time": charts.resolution_time_chart(tables["resolution"]),
    }
    return render_template(
        "metrics.html",
        by=by,
        start=start,
        end=end,
        tables=tables,
        plots=plots,
        title="Team metrics",
    )


@bp.get("/metrics/<table>.csv")
@require_role("lead")
def metrics_csv(table: str) -> Any:
    if table not in TABLES:
        abort(404, f"no table {table!r} (one of {', '.join(TABLES)})")
    by, start, end = _period()
    body = to_csv(team_tables(by, start, end)[table])
    name = f"tco-{table}-{start or 'all'}-{end or 'now'}.csv"
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
