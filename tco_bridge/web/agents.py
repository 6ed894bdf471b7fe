"""Agent presence API: mark an agent away (with a backup and an end) or back.

``POST /agents/<connector>/<agent>/away`` ``{"backup": "<agent id>" | null, "until": ISO 8601 |
null}``, ``DELETE`` the same path to mark them back, ``GET /agents/away`` to list. Same access
rule as the read API (bearer token, or loopback when none is configured).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, jsonify, request

from ..handover import away_agents, mark_away, mark_back
from .auth import require_reader
from .context import runtime

bp = Blueprint("agents", __name__)


@bp.post("/agents/<connector>/<agent>/away")
@require_reader
def away(connector: str, agent: str) -> Any:
    rt = runtime()
    if connector not in rt.connectors:
        return jsonify(error=404, reason=f"no connector {connector!r} is enabled here"), 404
    body = request.get_json(silent=True)
    body = body if isinstance(body, dict) else {}
    backup = body.get("backup")
    if backup is not None and not isinstance(backup, str):
        return jsonify(error=400, reason="'backup' must be an agent id (a string) or null"), 400
    try:
        until = _until(body.get("until"))
    except ValueError as exc:
        return jsonify(error=400, reason=str(exc)), 400
    tickets = mark_away(rt, connector, agent, backup or None, until, rt.now())
    return jsonify(agent=agent, away=True, backup=backup, tickets_told=tickets), 202


@bp.delete("/agents/<connector>/<agent>/away")
@require_reader
def back(connector: str, agent: str) -> Any:
    rt = runtime()
    if connector not in rt.connectors:
        return jsonify(error=404, reason=f"no connector {connector!r} is enabled here"), 404
    tickets = mark_back(rt, connector, agent, rt.now())
    return jsonify(agent=agent, away=False, tickets_told=tickets), 202


@bp.get("/agents/away")
@require_reader
def listing() -> Any:
    return jsonify(
        away=[
            {
                "connector": r.connector,
                "agent": r.agent,
                "backup": r.backup,
                "since": r.since.isoformat(),
                "until": r.until.isoformat() if r.until else None,
            }
            for r in away_agents(runtime())
        ]
    )


def _until(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ValueError("'until' must be an ISO 8601 time or null")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"'until' is not an ISO 8601 time: {value!r}") from None
    if parsed.tzinfo is None:
        raise ValueError(f"'until' needs a time zone (e.g. 2026-12-01T09:00:00+01:00): {value!r}")
    return parsed
