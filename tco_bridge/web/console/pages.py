"""List pages: what an agent owns (and who has it now), overdue customer updates (with
resolutions awaiting confirmation and owners over the workload cap), stalled escalations.
Each is a pure read model over ticket states (or the workload counts), rendered."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, url_for

from ... import keys, ticket_store
from ...drain_load import workloads
from ...keys import text
from ...rules.engine import RuleSet
from ...rules.memory_conditions import WORKLOAD
from ...state import TicketState
from ...ticket_store import iter_states
from ...views import owned_view
from ...watch import (
    CYCLES_MISSED,
    confirmation_watch,
    escalation_watch,
    update_watch,
    workload_watch,
)
from ..context import runtime
from ..signin import current_user, require_role
from .blueprint import bp


def owned_states(agent: str) -> list[TicketState]:
    """Tickets ``agent`` owns now (open, or resolved awaiting confirmation), in every
    enabled connector."""
    rt = runtime()
    states = []
    for connector in rt.connectors:
        ids = sorted(text(m) for m in rt.redis.smembers(keys.owned(connector, agent)))
        states += ticket_store.load_many(rt.redis, connector, ids)
    return [s for s in states if s.is_owned_now]


UPDATE_ORDER = {"overdue": 0, "due soon": 1}


@bp.get("/")
@require_role("agent")
def home() -> Any:
    user = current_user()
    assert user is not None
    agent = user.agent
    if user.may("lead"):
        agent = request.args.get("agent", "").strip() or agent
    rt = runtime()
    policy = rt.rules.ownership
    states = owned_states(agent)
    # The owner's first duty: the customer updates she owes (the lead's list, for her alone).
    owed = {(r["connector"], r["ticket"]): r["state"] for r in update_watch(states, rt.now())}
    rows = []
    for state in states:
        row = owned_view(state, policy)
        rows.append(
            {
                **row,
                "connector": state.connector,
                "owner_since": state.owner.since if state.owner else None,
                "owed": owed.get((state.connector, state.ticket)),
                "timers": dict(sorted(row["timers"].items(), key=lambda item: item[1])),
            }
        )
    rows.sort(key=lambda r: UPDATE_ORDER.get(r["owed"], len(UPDATE_ORDER)))
    # With someone else: another assignee, or an escalation group (even before pickup).
    elsewhere = [r for r in rows if r["with_someone_else"] or r["escalated"]]
    mine = [r for r in rows if r not in elsewhere]
    return render_template(
        "mine.html", agent=agent, elsewhere=elsewhere, mine=mine, title="My tickets"
    )


@bp.get("/updates")
@require_role("lead")
def updates() -> Any:
    rt = runtime()
    states, now, rules = list(iter_states(rt.redis)), rt.now(), rt.rules
    # the caps the rules apply, read from them (a fixed rule book has none to show)
    cap, workload_cap = (
        (rules.bound(CYCLES_MISSED), rules.bound(WORKLOAD))
        if isinstance(rules, RuleSet)
        else (None, None)
    )
    overloaded = (
        []
        if workload_cap is None
        else workload_watch(workloads(rt.redis, rt.connectors), workload_cap)
    )
    return render_template(
        "updates.html",
        rows=update_watch(states, now, cap),
        awaiting=confirmation_watch(states, now),
        cap=cap,
        workload_cap=workload_cap,
        overloaded=overloaded,
        title="Overdue customer updates",
    )


@bp.get("/escalations")
@require_role("lead")
def escalations() -> Any:
    rt = runtime()
    rows = escalation_watch(iter_states(rt.redis), rt.rules, rt.now())
    return render_template("escalations.html", rows=rows, title="Stalled escalations")


def home_redirect() -> Any:
    """``/``: the console (the sign-in page when nobody is signed in)."""
    return redirect(url_for("console.home"))
