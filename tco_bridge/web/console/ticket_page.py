"""A ticket's page: its ownership now, and its timeline with every decision explained."""

from __future__ import annotations

import json
from typing import Any

from flask import abort, render_template

from ... import held, keys, ticket_store, timeline
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
    failures = rule_failures(rt.redis, f"{connector}:{ticket}")
    return render_template(
        "ticket.html", t=view, entries=entries, failures=failures, title=f"{connector}:{ticket}"
    )


def rule_failures(client: Any, ticket_key: str) -> dict[str, str]:
    """The rules' run-time errors on this ticket's events (event key → error): the timeline
    says why no rule acted on such an event, instead of showing it bare."""
    found: dict[str, str] = {}
    for raw in client.lrange(keys.RULE_FAILURES, 0, -1):
        try:
            record = json.loads(raw)
        except ValueError:
            continue
        if isinstance(record, dict) and record.get("ticket") == ticket_key:
            found.setdefault(str(record.get("event")), str(record.get("error")))
    return found
