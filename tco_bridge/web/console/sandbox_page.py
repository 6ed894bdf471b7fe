"""The sandbox page: the five-minute first experience.

Play the customer and the agents of the built-in sandbox tool (its JSON API under
``/sandbox``, called by a few lines of JavaScript in ``static/sandbox.js``) and watch the
bridge's notes, labels and owner appear on the ticket, with the bridge's own view (owner,
timers) beside it. With the demo clock (``make demo``) the timed practices unfold in minutes.
"""

from __future__ import annotations

from typing import Any

from flask import abort, render_template, request

from ... import ticket_store
from ...views import ticket_view
from ..context import runtime
from ..signin import require_role
from .blueprint import bp

BRIDGE_LABEL_PREFIX = "tco-"


def _store() -> Any:
    connector = runtime().connectors.get("sandbox")
    if connector is None:
        abort(404, "the sandbox connector is not enabled (TCO_CONNECTORS)")
    return connector.store  # type: ignore[attr-defined]


def _panel_data(ticket_id: str | None) -> dict[str, Any]:
    store = _store()
    tickets = store.tickets()
    if ticket_id is None and tickets:
        ticket_id = tickets[-1]["id"]
    ticket = bridge = None
    if ticket_id is not None:
        ticket = next((t for t in tickets if t["id"] == ticket_id), None)
        if ticket is not None:
            ticket = store.ticket(ticket_id)
            rt = runtime()
            state = ticket_store.load(rt.redis, "sandbox", ticket_id)
            bridge = ticket_view(state, rt.rules.ownership) if state else None
    return {"tickets": tickets, "ticket": ticket, "bridge": bridge, "bot": _bot()}


def _bot() -> str:
    bot: str = runtime().connectors["sandbox"].bot_account or "tco-bridge"
    return bot


@bp.get("/sandbox")
@require_role("agent")
def sandbox() -> Any:
    data = _panel_data(request.args.get("ticket") or None)
    return render_template("sandbox.html", title="Sandbox", **data)


@bp.get("/sandbox/panel")
@require_role("agent")
def sandbox_panel() -> Any:
    """The ticket panel alone: the page's script reloads it every few seconds."""
    return render_template("sandbox_panel.html", **_panel_data(request.args.get("ticket") or None))
