"""Read API: a ticket's ownership, and the open tickets an agent owns."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from .. import held, keys, ticket_store
from ..keys import text
from ..team_metrics import METRICS_BY, in_period, metrics_rows, parse_day, to_csv
from ..ticket_store import iter_states
from ..views import defs_of, owned_view, ticket_view
from .auth import require_reader
from .context import runtime

bp = Blueprint("api", __name__)


@bp.get("/tickets/<connector>/<ticket>")
@require_reader
def ticket(connector: str, ticket: str) -> Any:
    rt = runtime()
    state = ticket_store.load(rt.redis, connector, ticket)
    if state is None:
        return jsonify(error=404, reason=f"no ticket {connector}:{ticket} is known"), 404
    view = ticket_view(state, rt.rules.ownership, defs_of(rt.rules), rt.now())
    # write-backs waiting for a write limit (None when nothing is held)
    view["write_back_held"] = held.read(rt.redis, connector, ticket)
    return jsonify(view)


@bp.get("/owners/<connector>/<agent>/tickets")
@require_reader
def owned(connector: str, agent: str) -> Any:
    rt = runtime()
    ids = sorted(text(m) for m in rt.redis.smembers(keys.owned(connector, agent)))
    policy = rt.rules.ownership
    states = ticket_store.load_many(rt.redis, connector, ids)
    tickets = [owned_view(s, policy) for s in states if s.is_owned_now]
    return jsonify(connector=connector, owner=agent, count=len(tickets), tickets=tickets)


@bp.get("/metrics/ownership")
@require_reader
def metrics() -> Any:
    """Ownership metrics per owner (``?by=owner``, default) or team (``?by=team``), or each
    escalation group's target compliance (``?by=group``), for tickets created
    ``?from=``..``?to=`` (dates), as JSON or CSV (``?format=csv``)."""
    rt = runtime()
    by = request.args.get("by", "owner")
    if by not in METRICS_BY:
        return jsonify(error=400, reason="'by' must be 'owner', 'team' or 'group'"), 400
    connector = request.args.get("connector") or None
    if connector is not None and connector not in rt.connectors:
        return jsonify(error=404, reason=f"no connector {connector!r} is enabled here"), 404
    try:
        start = parse_day(request.args.get("from"), "from")
        end = parse_day(request.args.get("to"), "to")
    except ValueError as exc:
        return jsonify(error=400, reason=str(exc)), 400
    states = in_period(iter_states(rt.redis, connector), start, end)
    rows = metrics_rows(states, rt.rules, rt.now(), by)
    if request.args.get("format") == "csv":
        return Response(to_csv(rows), mimetype="text/csv")
    return jsonify(by=by, connector=connector, rows=rows)
