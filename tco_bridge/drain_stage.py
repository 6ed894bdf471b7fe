"""What a drain batch writes for each ticket, staged in the batch's one MULTI/EXEC: the state,
the history and the timeline, the owner's list and the workload counts, the timers, and the
write-back group in the outbox (so a crash leaves all of it or none)."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from . import keys, ticket_store, timeline
from .drain_load import Ticket
from .state import TicketState
from .timers import TimerStore


def stage_ticket(pipe: Any, item: Ticket, timers: TimerStore, retention_days: int) -> None:
    state, before, plan = item.state, item.before, item.plan
    connector, ticket = state.connector, state.ticket
    # Open tickets are kept; a closed or deleted one expires after the retention period
    # (a reopen saves it again without an expiry).
    retain = None if state.is_open else retention_days * 86400
    ticket_store.stage(pipe, state, retain, history=item.history.dumps())
    timeline.stage(pipe, connector, ticket, item.timeline, retain, like_state=True)
    # The owner's list keeps resolved tickets awaiting confirmation; the workload counts
    # open ones only.
    old, new = _owner_if(before, before.is_owned_now), _owner_if(state, state.is_owned_now)
    if old != new:
        if old is not None:
            pipe.srem(keys.owned(connector, old), ticket)
        if new is not None:
            pipe.sadd(keys.owned(connector, new), ticket)
    old, new = open_owner(before), open_owner(state)
    if old != new:
        if old is not None:
            pipe.hincrby(keys.workload(connector), old, -1)
        if new is not None:
            pipe.hincrby(keys.workload(connector), new, 1)
    set_ = {n: due for n, due in state.timers.items() if before.timers.get(n) != due}
    cleared = [n for n in before.timers if n not in state.timers]
    timers.stage(pipe, connector, ticket, set_, cleared)
    if plan.actions:
        group = {
            "connector": connector,
            "ticket": ticket,
            "actions": [a.to_json() for a in plan.actions],
        }
        pipe.rpush(keys.OUTBOX, json.dumps(group))


def _owner_if(state: TicketState, condition: bool) -> str | None:
    return state.owner.id if state.owner is not None and condition else None


def open_owner(state: TicketState) -> str | None:
    return _owner_if(state, state.is_open)


def applied_per_connector(tickets: dict[str, Ticket]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for item in tickets.values():
        counts[item.state.connector] += item.applied
    return {name: n for name, n in counts.items() if n}


def recount(workload: Any, before: TicketState, after: TicketState) -> None:
    """Keep the batch's workload view current, so first contacts drained in one batch see
    each other (the stored counts change only at commit)."""
    old, new = open_owner(before), open_owner(after)
    if old == new:
        return
    connector = after.connector
    for agent, delta in ((old, -1), (new, 1)):
        if agent is not None:
            for key in (f"{connector}:{agent}", agent):
                workload[key] = workload.get(key, 0) + delta
