"""Reconcile: heal the bridge's state from the ticket tool, the system of record.

Webhooks get lost (an outage, a disabled webhook, a Redis restored from an old snapshot).
``reconcile`` lists the tool's open tickets through the connector and, for each one, queues a
``field.changed`` event with ``field="snapshot"`` carrying what the tool says now, keyed by the
ticket's own update time. It travels the normal path (shard stream → drain job), so:

* a ticket the bridge never saw gets a ``ticket.created`` from the snapshot (owner, timers and
  rules follow as for a webhook);
* a ticket whose status, priority, assignee or group drifted is corrected (last writer wins
  by the tool's timestamps, so a newer webhook is never overwritten by an older listing);
* running it again with nothing changed is a no-op: the event key repeats, so it is a
  duplicate; and every action keeps its deterministic id, so nothing is written twice.

Tickets the bridge still holds as owned that the listing left out (resolved and awaiting the
customer's confirmation, or closed in the tool while its webhooks were lost) are asked for one
by one where the connector can (``refresh_tickets``) and get the same snapshot, so a ticket
closed meanwhile leaves its owner's list. Only known tickets are asked for: a reconcile never
starts tickets the tool has closed.

It also re-adds each known ticket's timers to the sorted set (ZADD is idempotent), which heals
timers lost with a Redis restore, and reports tickets open here that the tool no longer has.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from .connector import TicketRecord
from .errors import TicketApiError
from .event_codec import dump_event
from .events import EventType, TicketEvent
from .runtime import Runtime, current
from .state import SNAPSHOT_FIELD, TicketState
from .ticket_store import iter_states, load
from .timers import TimerStore

log = logging.getLogger(__name__)


@dataclass
class Report:
    connector: str
    listed: int = 0
    new: int = 0
    queued: int = 0
    timers_restored: int = 0
    #: Owned here, not in the listing, and shown by the tool when asked (``refresh_tickets``).
    refreshed: int = 0
    refresh_error: str | None = None
    missing_in_tool: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return dict(self.__dict__)


def snapshot_event(connector: str, record: TicketRecord, *, known: bool) -> TicketEvent:
    """A ``ticket.created`` for a ticket the bridge never saw (so ownership starts as for a
    webhook), else a ``field.changed`` snapshot at the tool's last update time."""
    if not known:
        at = record.snapshot.created_at or record.updated_at
        key = f"reconcile:created:{record.ticket}"
        kind, field_name = EventType.CREATED, None
    else:
        at = record.updated_at
        key = f"reconcile:{record.ticket}:{at.isoformat()}"
        kind, field_name = EventType.FIELD_CHANGED, SNAPSHOT_FIELD
    return TicketEvent(
        connector=connector,
        ticket=record.ticket,
        type=kind,
        at=at,
        key=key,
        delivery=key,
        field=field_name,
        snapshot=record.snapshot,
    )


def reconcile(rt: Runtime, connector: str, now: datetime) -> Report:
    conn = rt.connector(connector)
    report = Report(connector)
    timers = TimerStore(rt.redis, rt.settings.shards)
    listed: set[str] = set()
    for record in conn.open_tickets():
        report.listed += 1
        listed.add(record.ticket)
        state = load(rt.redis, connector, record.ticket)
        if state is None:
            report.new += 1
        else:
            report.timers_restored += _restore_timers(rt, timers, state)
        report.queued += _queue(rt, snapshot_event(connector, record, known=state is not None), now)
    unlisted = {
        s.ticket: s
        for s in iter_states(rt.redis, connector)
        if s.is_owned_now and s.ticket not in listed
    }
    shown: set[str] = set()
    try:
        for record in conn.refresh_tickets(sorted(unlisted)):
            if record.ticket not in unlisted or record.ticket in shown:
                continue  # only what was asked for, once
            shown.add(record.ticket)
            report.refreshed += 1
            report.timers_restored += _restore_timers(rt, timers, unlisted[record.ticket])
            report.queued += _queue(rt, snapshot_event(connector, record, known=True), now)
    except TicketApiError as exc:  # what the listing queued stands; the next run asks again
        report.refresh_error = str(exc)
        log.warning("reconcile %s: refreshing unlisted tickets failed: %s", connector, exc)
    report.missing_in_tool = sorted(t for t, s in unlisted.items() if s.is_open and t not in shown)
    log.info("reconcile %s: %s", connector, report.to_json())
    return report


def _queue(rt: Runtime, event: TicketEvent, now: datetime) -> int:
    """Queue a snapshot on the normal path; 1 when queued, 0 when it was a duplicate."""
    result = rt.events.push(
        event.connector, event.key, event.ticket_key, [dump_event(event)], now.isoformat()
    )
    return 0 if result.duplicate else 1


def _restore_timers(rt: Runtime, timers: TimerStore, state: TicketState) -> int:
    """Put the ticket's timers back in the timer set; returns how many were missing there
    (ZADD counts only the members it added), so a healthy ticket reports none restored."""
    if not state.timers:
        return 0
    pipe = rt.redis.pipeline(transaction=False)
    timers.stage(pipe, state.connector, state.ticket, dict(state.timers), [])
    added = pipe.execute()[0]
    return int(added)


def reconcile_job(connector: str) -> dict[str, object]:
    """RQ entry point, queued by the clock on the reconcile schedule."""
    rt = current()
    return reconcile(rt, connector, rt.now()).to_json()
