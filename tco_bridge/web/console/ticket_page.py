"""A ticket's page: its ownership now, and its timeline with every decision explained."""

from __future__ import annotations

from typing import Any

from flask import abort, render_template

from ... import held, ticket_store, timeline
from ...views import defs_of, ticket_view
from ..context import runtime
from ..signin import require_role
from .blueprint import bp


@bp.get("/tickets/<connector>/<ticket>")
@require_role("agent")
def ticket(connector: str, ticket: str) -> Any:
    rt = runtime()
    state = ticket_store.load(rt.redis, connector, ticket)
    if state is None:
        abort(404, f"no ticket {connector}:{ticket} is known")
    view = ticket_view(state, rt.rules.ownership, defs_of(rt.rules), rt.now())
    view["write_back_held"] = held.read(rt.redis, connector, ticket)
    entries = list(reversed(timeline.load(rt.redis, connector, ticket)))
    return render_template("ticket.html", t=view, entries=entries, title=f"{connector}:{ticket}")
