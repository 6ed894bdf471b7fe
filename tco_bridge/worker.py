"""Drain jobs: apply a shard's queued events in batches, in order per ticket.

One RQ job per shard at a time (a lock with a token guards it, held as a lease that lapses soon
after its process dies; a lapsed lock aborts the commit) takes up to ``batch_size`` stream
entries, loads the states and histories of their tickets in
one MGET, places each ticket's events in its ordered history (:func:`history.advance`, which
runs the pure :func:`pipeline.process` as of each event's own time), and commits states,
histories, timers, owner indexes, the outbox and the removal of the entries in one MULTI/EXEC.
A crash before EXEC leaves the entries in the stream, so the next drain redoes the batch (the
clock queues one once the dead job's lock has lapsed, ``recovery.py``); a crash after leaves
nothing to redo. Write-backs are then handed to RQ as jobs of their own.

Settle window (``settle.py``): a ticket's events that may have stragglers stay in the stream,
and a wake timer brings a drain back when they are ready; a lone in-order delivery on a quiet
ticket, and events already older than the window, are evaluated at once. Reading the batch is
``drain_load.py``; what its commit writes per ticket is ``drain_stage.py``.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import redis

from . import keys, telemetry, timeline
from .collector import fewer_collections
from .drain_load import Entry, Ticket, Wires, load_context, load_tickets, read_entries
from .drain_stage import applied_per_connector, recount, stage_ticket
from .errors import RulesError
from .events import EventType, TicketEvent
from .history import advance
from .keys import text
from .lease import Lease, LeaseTiming
from .pipeline import Step, process
from .plan import Context, OwnershipOnly, Rulebook
from .runtime import Runtime, current
from .settle import Delivery, Hold, arrival, settle
from .state import TicketState
from .state_codec import StoredHistory
from .timers import WAKE, TimerStore, epoch

log = logging.getLogger(__name__)

RULE_FAILURES_KEPT = 1000
TIME_BUDGET_S = 5.0  # then hand the shard to a fresh job so other shards get a turn

# KEYS: stream, pending, timers. ARGV: last entry id read, wake member, wake at (epoch s, or
# ''). Unless entries arrived after the last one read, lower the shard's pending flag and,
# when events are held, set the wake timer, in one step with respect to ingest and the clock.
_PAUSE_LUA = """
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
if #last > 0 then
  local lm, ls = string.match(last[1][1], '^(%d+)-(%d+)$')
  local cm, cs = string.match(ARGV[1], '^(%d+)-(%d+)$')
  if cm == nil then return 1 end
  lm, ls, cm, cs = tonumber(lm), tonumber(ls), tonumber(cm), tonumber(cs)
  if lm > cm or (lm == cm and ls > cs) then return 1 end
end
redis.call('DEL', KEYS[2])
if ARGV[3] ~= '' then redis.call('ZADD', KEYS[3], 'LT', ARGV[3], ARGV[2]) end
return 0
"""


#: Commits tried while the lock stays this job's (a renewal between WATCH and EXEC aborts one).
COMMIT_ATTEMPTS = 5


class LockLost(Exception):
    """Another drain job took the shard; this one's batch is abandoned, not committed."""


@dataclass
class BatchResult:
    entries: int = 0
    events: int = 0
    actions: int = 0
    unreadable: int = 0
    rule_failures: int = 0
    late: int = 0
    held: int = 0


def drain_shard(shard: int) -> dict[str, Any]:
    """RQ entry point (referenced by name from ``queueing.EventQueue.enqueue_drain``)."""
    return Drainer(current()).drain(shard)


class Drainer:
    def __init__(self, runtime: Runtime, clock: Any = None) -> None:
        self.rt = runtime
        self.client: redis.Redis = runtime.redis
        self.timers = TimerStore(self.client, runtime.settings.shards)
        self.clock = clock or runtime.now
        self._pause = self.client.register_script(_PAUSE_LUA)

    def drain(self, shard: int) -> dict[str, Any]:
        total = BatchResult()
        handoff = False
        # The shard lock is a lease (lease.py): renewed while this process lives, lapsed
        # soon after it dies, so the clock can hand a killed drain's shard to a fresh job.
        with Lease(self.client, None, uuid.uuid4().hex, LeaseTiming.of(self.rt)) as lease:
            if not lease.hold(keys.lock(shard)):
                return {"shard": shard, "skipped": "another drain job holds the shard"}
            try:
                with fewer_collections():
                    handoff = self._drain(shard, lease, total)
            except LockLost:
                log.warning("drain of shard %s lost its lock; another job carries on", shard)
        if handoff:  # queued only once the lock is free, so the successor is not turned away
            self.rt.events.enqueue_drain(shard)  # the pending flag stays up meanwhile
        if total.actions:
            from .writeback import dispatch_outbox

            dispatch_outbox(self.rt)
        return {"shard": shard, **total.__dict__}

    def _drain(self, shard: int, lease: Lease, total: BatchResult) -> bool:
        """Apply batches until the stream is empty (False) or the time budget is spent (True:
        a fresh job carries on, so other shards' jobs get a turn)."""
        started = time.monotonic()
        hold = Hold()
        cursor = "-"  # entries up to here were read (held ones stay in the stream behind it)
        while True:
            entries = self.client.xrange(
                keys.stream(shard), min=cursor, count=self.rt.settings.batch_size
            )
            if not entries:
                if self._paused(shard, cursor, hold):
                    return False
                continue
            cursor = "(" + text(entries[-1][0] or "")
            result = self.apply_batch(shard, entries, lease, hold)
            for name, value in result.__dict__.items():
                setattr(total, name, getattr(total, name) + value)
            if time.monotonic() - started > TIME_BUDGET_S:
                return True

    def _paused(self, shard: int, cursor: str, hold: Hold) -> bool:
        """Stop when nothing arrived after ``cursor``: lower the flag, wake for held events."""
        wake = f"{shard}|{WAKE}"
        at = "" if hold.until is None else repr(epoch(hold.until))
        stream, pending = keys.stream(shard), keys.pending(shard)
        done = self._pause(keys=[stream, pending, keys.TIMERS], args=[cursor[1:], wake, at])
        return int(done) == 0

    # --- one batch ------------------------------------------------------------------------
    def apply_batch(
        self, shard: int, entries: list[Any], lease: Lease, hold: Hold | None = None
    ) -> BatchResult:
        hold = hold if hold is not None else Hold()
        wires = Wires()
        decoded, unreadable = read_entries(entries, wires)
        result = BatchResult(entries=len(entries), unreadable=unreadable)
        now = self.clock()
        per_ticket, tickets = self._settle(decoded, now, hold)
        done = [eid for eid, tkey, _ in decoded if tkey is None or tkey not in hold.tickets]
        result.held = len(entries) - len(done)
        rules = self.rt.rules
        context = load_context(self.client, list(per_ticket))
        seen = now.isoformat()  # when the batch's events were applied, for their timelines
        for tkey, events in per_ticket.items():
            item = tickets[tkey]

            fresh = {e.key for e in events}

            def decide(
                state: TicketState, event: TicketEvent, item: Ticket = item, fresh: Any = fresh
            ) -> Step:
                step = self._process(state, event, rules, _as_of(event, now), context, result)
                if event.key in fresh and step.state is not state:  # explained once, if new
                    entry = timeline.event_entry(event, state, step.state, step.plan, seen)
                    item.timeline.append(entry)
                return step

            outcome = advance(item.state, item.history, events, decide, rules.ownership)
            if outcome.folded:
                log.warning(
                    "%s: %d event(s) older than its kept history merged without rules",
                    tkey,
                    outcome.folded,
                )
            recount(context.workload, item.state, outcome.state)
            item.state, item.plan = outcome.state, outcome.plan
            if outcome.history is not None:
                item.history = StoredHistory.of(outcome.history)
            item.history.append(outcome.appended, wires.of)
            item.applied += len(events)
            result.events += len(events)
            result.late += outcome.late
            result.actions += len(item.plan.actions)
        self._commit(shard, lease, done, tickets)
        return result

    def _settle(
        self, decoded: list[Entry], now: datetime, hold: Hold
    ) -> tuple[dict[str, list[TicketEvent]], dict[str, Ticket]]:
        """The events and loaded tickets of the batch evaluated now; the others are held."""
        per_ticket: dict[str, list[TicketEvent]] = defaultdict(list)
        batch: dict[str, list[Delivery]] = defaultdict(list)
        for eid, tkey, events in decoded:
            if tkey is not None:
                per_ticket[tkey].extend(events)
                waits = (e.at for e in events if e.type is not EventType.TIMER_FIRED)
                batch[tkey].append(Delivery(arrival(text(eid)), tuple(waits)))
        tickets = load_tickets(self.client, list(per_ticket))
        last = {tkey: item.state.updated_at for tkey, item in tickets.items()}
        window = timedelta(seconds=self.rt.settings.settle_seconds)
        ready = settle(batch, last, window, now, hold)
        return {k: per_ticket[k] for k in ready}, {k: tickets[k] for k in ready}

    def _process(
        self,
        state: TicketState,
        event: TicketEvent,
        rules: Rulebook,
        now: datetime,
        context: Context,
        result: BatchResult,
    ) -> Step:
        """Run the pipeline; a rule that fails at run time must not stall the shard.

        The event is still applied to the ownership state (without rules), and the failure is
        logged and kept in ``tco:rule-failures`` for an admin (``tco-bridge rules failures``)
        with the rule's file:line, so nothing is lost silently.
        """
        try:
            return process(state, event, rules, now, context)
        except RulesError as exc:
            result.rule_failures += 1
            log.error("rules failed on %s (%s): %s", event.ticket_key, event.key, exc)
            record = {
                "at": self.clock().isoformat(),
                "ticket": event.ticket_key,
                "event": event.key,
                "type": event.type.value,
                "error": str(exc),
            }
            pipe = self.client.pipeline(transaction=False)
            pipe.lpush(keys.RULE_FAILURES, json.dumps(record))
            pipe.ltrim(keys.RULE_FAILURES, 0, RULE_FAILURES_KEPT - 1)
            telemetry.count(pipe, telemetry.RULE_FAILURES)
            pipe.execute()
            return process(state, event, OwnershipOnly(rules.ownership), now, context)

    def _commit(
        self, shard: int, lease: Lease, done: list[Any], tickets: dict[str, Ticket]
    ) -> None:
        """Commit the batch in one transaction, while the shard lock is this job's.

        Any write to a watched key aborts the transaction, the lease's own renewal of the lock
        (a PEXPIRE by its thread) included. Nothing was applied then, so the commit is tried
        again as long as the lock still carries this job's token; only a lock in other hands
        is a lost lock (else the batch would wait for the clock's sweep to be drained again)."""
        for _ in range(COMMIT_ATTEMPTS):
            with self.client.pipeline(transaction=True) as pipe:
                try:
                    if not lease.watch(pipe, keys.lock(shard)):
                        raise LockLost()
                    pipe.multi()
                    for item in tickets.values():
                        stage_ticket(pipe, item, self.timers, self.rt.settings.retention_days)
                    for connector, n in applied_per_connector(tickets).items():
                        telemetry.count(pipe, telemetry.EVENTS_APPLIED, n, connector=connector)
                    if done:
                        pipe.xdel(keys.stream(shard), *done)
                    pipe.execute()
                    return
                except redis.WatchError:
                    continue  # the lock was touched: watch() above tells whose it is now
        raise LockLost()


def _as_of(event: TicketEvent, now: datetime) -> datetime:
    """The time rules judge an event at: its own, so deadlines follow the tool's times and not
    when the worker ran. A timer the clock fired late (the bridge was down) counts from now, so
    a re-armed reminder is not fired again for every period missed."""
    return max(event.at, now) if event.type is EventType.TIMER_FIRED else event.at
