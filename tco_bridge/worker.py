"""Drain jobs: apply a shard's queued events in batches, in order per ticket.

One RQ job per shard at a time (a lock with a token guards it; a lapsed lock aborts the commit)
takes up to ``batch_size`` stream entries, loads the states and histories of their tickets in
one MGET, places each ticket's events in its ordered history (:func:`history.advance`, which
runs the pure :func:`pipeline.process` as of each event's own time), and commits states,
histories, timers, owner indexes, the outbox and the removal of the entries in one MULTI/EXEC.
A crash before EXEC leaves the entries in the stream, so the next drain redoes the batch; a
crash after leaves nothing to redo. Write-backs are then handed to RQ as jobs of their own.

Settle window: a ticket's events are evaluated once ``TCO_SETTLE_SECONDS`` have passed since
the tool's timestamp (or their arrival, if earlier), so the deliveries of one moment, which
tools send in any order, are evaluated together. Until then they stay in the stream and a wake
timer brings a drain back; events that arrive already older than the window wait for nothing.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import redis

from . import keys, telemetry, timeline
from .errors import RulesError
from .events import EventType, TicketEvent, load_event
from .handover import AwayRecord
from .history import advance
from .keys import text
from .pipeline import Step, process
from .plan import Context, OwnershipOnly, Plan, Rulebook
from .runtime import Runtime, current
from .state import TicketState, new_state
from .state_codec import StoredHistory, decode, encode
from .timers import WAKE, TimerStore, epoch, from_epoch

log = logging.getLogger(__name__)

LOCK_MS = 60_000
RULE_FAILURES_KEPT = 1000
TIME_BUDGET_S = 5.0  # then hand the shard to a fresh job so other shards get a turn

# KEYS: lock. ARGV: token. Delete the lock only if we still hold it.
_UNLOCK_LUA = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

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


@dataclass
class _Ticket:
    state: TicketState
    before: TicketState
    history: StoredHistory = field(default_factory=StoredHistory)
    plan: Plan = field(default_factory=Plan)
    applied: int = 0
    timeline: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Hold:
    """Tickets whose events wait for the settle window in this drain, and the next wake."""

    tickets: set[str] = field(default_factory=set)
    until: datetime | None = None

    def add(self, tkey: str, at: datetime) -> None:
        self.tickets.add(tkey)
        self.until = at if self.until is None else min(self.until, at)


def drain_shard(shard: int) -> dict[str, Any]:
    """RQ entry point (referenced by name from ``queueing.EventQueue.enqueue_drain``)."""
    return Drainer(current()).drain(shard)


class Drainer:
    def __init__(self, runtime: Runtime, clock: Any = None) -> None:
        self.rt = runtime
        self.client: redis.Redis = runtime.redis
        self.timers = TimerStore(self.client, runtime.settings.shards)
        self.clock = clock or runtime.now
        self._unlock = self.client.register_script(_UNLOCK_LUA)
        self._pause = self.client.register_script(_PAUSE_LUA)

    def drain(self, shard: int) -> dict[str, Any]:
        token = uuid.uuid4().hex
        lock_key = keys.lock(shard)
        if not self.client.set(lock_key, token, nx=True, px=LOCK_MS):
            return {"shard": shard, "skipped": "another drain job holds the shard"}
        total = BatchResult()
        started = time.monotonic()
        handoff = False
        hold = _Hold()
        cursor = "-"  # entries up to here were read (held ones stay in the stream behind it)
        try:
            while True:
                entries = self.client.xrange(
                    keys.stream(shard), min=cursor, count=self.rt.settings.batch_size
                )
                if not entries:
                    if self._paused(shard, cursor, hold):
                        break
                    continue
                cursor = "(" + text(entries[-1][0] or "")
                result = self.apply_batch(shard, entries, token, hold)
                for name, value in result.__dict__.items():
                    setattr(total, name, getattr(total, name) + value)
                self.client.pexpire(lock_key, LOCK_MS)
                if time.monotonic() - started > TIME_BUDGET_S:
                    handoff = True  # let other shards' jobs run; a fresh job continues
                    break
        except LockLost:
            log.warning("drain of shard %s lost its lock; another job carries on", shard)
        finally:
            self._unlock(keys=[lock_key], args=[token])
        if handoff:  # queued only once the lock is free, so the successor is not turned away
            self.rt.events.enqueue_drain(shard)  # the pending flag stays up meanwhile
        if total.actions:
            from .writeback import dispatch_outbox

            dispatch_outbox(self.rt)
        return {"shard": shard, **total.__dict__}

    def _paused(self, shard: int, cursor: str, hold: _Hold) -> bool:
        """Stop when nothing arrived after ``cursor``: lower the flag, wake for held events."""
        wake = f"{shard}|{WAKE}"
        at = "" if hold.until is None else repr(epoch(hold.until))
        stream, pending = keys.stream(shard), keys.pending(shard)
        done = self._pause(keys=[stream, pending, keys.TIMERS], args=[cursor[1:], wake, at])
        return int(done) == 0

    # --- one batch ------------------------------------------------------------------------
    def apply_batch(
        self, shard: int, entries: list[Any], token: str, hold: _Hold | None = None
    ) -> BatchResult:
        hold = hold if hold is not None else _Hold()
        result = BatchResult(entries=len(entries))
        decoded = self._decode(entries, result)
        now = self.clock()
        per_ticket = self._settle(decoded, now, hold)
        done = [eid for eid, tkey, _ in decoded if tkey is None or tkey not in hold.tickets]
        result.held = len(entries) - len(done)
        rules = self.rt.rules
        context = self._context(per_ticket)
        tickets = self._load(per_ticket)
        for tkey, events in per_ticket.items():
            item = tickets[tkey]

            fresh = {e.key for e in events}

            def decide(
                state: TicketState, event: TicketEvent, item: _Ticket = item, fresh: Any = fresh
            ) -> Step:
                step = self._process(state, event, rules, _as_of(event, now), context, result)
                if event.key in fresh and step.state is not state:  # explained once, if new
                    entry = timeline.event_entry(event, state, step.state, step.plan, now)
                    item.timeline.append(entry)
                return step

            outcome = advance(item.state, item.history, events, decide, rules.ownership)
            if outcome.folded:
                log.warning(
                    "%s: %d event(s) older than its kept history merged without rules",
                    tkey,
                    outcome.folded,
                )
            _recount(context.workload, item.state, outcome.state)
            item.state, item.plan = outcome.state, outcome.plan
            if outcome.history is not None:
                item.history = StoredHistory.of(outcome.history)
            item.history.append(outcome.appended)
            item.applied += len(events)
            result.events += len(events)
            result.late += outcome.late
            result.actions += len(item.plan.actions)
        self._commit(shard, token, done, tickets)
        return result

    def _settle(
        self, decoded: list[tuple[Any, str | None, list[TicketEvent]]], now: datetime, hold: _Hold
    ) -> dict[str, list[TicketEvent]]:
        """The events of tickets out of their settle window; the others are held."""
        window = timedelta(seconds=self.rt.settings.settle_seconds)
        per_ticket: dict[str, list[TicketEvent]] = defaultdict(list)
        ready_at: dict[str, datetime] = {}
        for eid, tkey, events in decoded:
            if tkey is None:
                continue
            per_ticket[tkey].extend(events)
            arrived = from_epoch(int(text(eid).partition("-")[0]) / 1000)
            for event in events:
                if event.type is not EventType.TIMER_FIRED:  # due already: nothing to wait for
                    at = min(event.at, arrived) + window
                    ready_at[tkey] = max(ready_at.get(tkey, at), at)
        for tkey, at in ready_at.items():
            if tkey in hold.tickets or at > now:
                hold.add(tkey, at)
                del per_ticket[tkey]
        return {k: v for k, v in per_ticket.items() if k not in hold.tickets}

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

    def _decode(
        self, entries: list[Any], result: BatchResult
    ) -> list[tuple[Any, str | None, list[TicketEvent]]]:
        """Each entry's id, ticket (None: nothing to apply) and events."""
        out: list[tuple[Any, str | None, list[TicketEvent]]] = []
        for eid, fields in entries:
            try:
                events = _entry_events(fields)
            except Exception:
                # A poison entry must not block the shard: log it and drop it with the batch.
                log.exception("unreadable stream entry %r dropped", eid)
                result.unreadable += 1
                events = []
            out.append((eid, events[0].ticket_key if events else None, events))
        return out

    def _load(self, per_ticket: dict[str, list[TicketEvent]]) -> dict[str, _Ticket]:
        tkeys = list(per_ticket)
        names = [keys.ticket(*k.split(":", 1)) for k in tkeys]
        names += [keys.history(*k.split(":", 1)) for k in tkeys]
        raws = self.client.mget(names) if names else []
        out: dict[str, _Ticket] = {}
        for i, tkey in enumerate(tkeys):
            raw, raw_history = raws[i], raws[len(tkeys) + i]
            connector, _, ticket = tkey.partition(":")
            state = self._decode_state(tkey, raw) if raw is not None else None
            history = self._decode_history(tkey, raw_history) if state is not None else None
            history = history or StoredHistory()
            state = state or new_state(connector, ticket)
            out[tkey] = _Ticket(state=state, before=state, history=history)
        return out

    def _decode_history(self, tkey: str, raw: bytes | str | None) -> StoredHistory | None:
        """An unreadable history only costs the ability to place late events before it."""
        try:
            history = StoredHistory.parse(raw)
            history.keys(), history.last()  # what every batch reads must be readable
            return history
        except Exception:
            log.exception("unreadable history for %s dropped; the ticket's state is kept", tkey)
            return None

    def _decode_state(self, tkey: str, raw: bytes | str) -> TicketState | None:
        """A state that cannot be read (e.g. written by an incompatible version) must not stall
        the shard: it is set aside under ``tco:unreadable:<ticket>`` for an admin, and the
        ticket starts afresh (``tco-bridge reconcile`` refills it from the tool)."""
        try:
            return decode(raw)
        except Exception:
            log.exception("unreadable state for %s set aside; the ticket starts afresh", tkey)
            self.client.set(keys.unreadable(tkey), raw)
            return None

    def _context(self, per_ticket: dict[str, list[TicketEvent]]) -> Context:
        connectors = sorted({k.partition(":")[0] for k in per_ticket})
        pipe = self.client.pipeline(transaction=False)
        for name in connectors:
            pipe.hgetall(keys.workload(name))
        pipe.hgetall(keys.AWAY)
        *loads, away_raw = pipe.execute()
        workload: dict[str, int] = {}
        for name, load in zip(connectors, loads, strict=True):
            for agent, count in load.items():
                workload[f"{name}:{text(agent)}"] = int(count)
                workload.setdefault(text(agent), int(count))
        away = {text(a): AwayRecord.from_json(v).as_away() for a, v in away_raw.items()}
        return Context(workload=workload, away=away)

    def _commit(self, shard: int, token: str, done: list[Any], tickets: dict[str, _Ticket]) -> None:
        lock_key = keys.lock(shard)
        with self.client.pipeline(transaction=True) as pipe:
            try:
                pipe.watch(lock_key)  # type: ignore[no-untyped-call]
                held = pipe.get(lock_key)
                if held is None or text(held) != token:
                    raise LockLost()
                pipe.multi()
                for item in tickets.values():
                    self._stage_ticket(pipe, item)
                for connector, applied in applied_per_connector(tickets).items():
                    telemetry.count(pipe, telemetry.EVENTS_APPLIED, applied, connector=connector)
                if done:
                    pipe.xdel(keys.stream(shard), *done)
                pipe.execute()
            except redis.WatchError:
                raise LockLost() from None

    def _stage_ticket(self, pipe: Any, item: _Ticket) -> None:
        state, before, plan = item.state, item.before, item.plan
        connector, ticket = state.connector, state.ticket
        # Open tickets are kept; a closed or deleted one expires after the retention period
        # (a reopen saves it again without an expiry).
        retain = None if state.is_open else self.rt.settings.retention_days * 86400
        pipe.set(keys.ticket(connector, ticket), encode(state), ex=retain)
        pipe.set(keys.history(connector, ticket), item.history.dumps(), ex=retain)
        timeline.stage(pipe, connector, ticket, item.timeline, retain, like_state=True)
        # The owner's list keeps resolved tickets awaiting confirmation; the workload counts
        # open ones only.
        old, new = _owner_if(before, before.is_owned_now), _owner_if(state, state.is_owned_now)
        if old != new:
            if old is not None:
                pipe.srem(keys.owned(connector, old), ticket)
            if new is not None:
                pipe.sadd(keys.owned(connector, new), ticket)
        old, new = _open_owner(before), _open_owner(state)
        if old != new:
            if old is not None:
                pipe.hincrby(keys.workload(connector), old, -1)
            if new is not None:
                pipe.hincrby(keys.workload(connector), new, 1)
        set_ = {n: due for n, due in state.timers.items() if before.timers.get(n) != due}
        cleared = [n for n in before.timers if n not in state.timers]
        self.timers.stage(pipe, connector, ticket, set_, cleared)
        if plan.actions:
            group = {
                "connector": connector,
                "ticket": ticket,
                "actions": [a.to_json() for a in plan.actions],
            }
            pipe.rpush(keys.OUTBOX, json.dumps(group))


def _owner_if(state: TicketState, condition: bool) -> str | None:
    return state.owner.id if state.owner is not None and condition else None


def applied_per_connector(tickets: dict[str, _Ticket]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for item in tickets.values():
        counts[item.state.connector] += item.applied
    return {name: n for name, n in counts.items() if n}


def _open_owner(state: TicketState) -> str | None:
    return _owner_if(state, state.is_open)


def _recount(workload: Any, before: TicketState, after: TicketState) -> None:
    """Keep the batch's workload view current, so first contacts drained in one batch see
    each other (the stored counts change only at commit)."""
    old, new = _open_owner(before), _open_owner(after)
    if old == new:
        return
    connector = after.connector
    for agent, delta in ((old, -1), (new, 1)):
        if agent is not None:
            for key in (f"{connector}:{agent}", agent):
                workload[key] = workload.get(key, 0) + delta


def _as_of(event: TicketEvent, now: datetime) -> datetime:
    """The time rules judge an event at: its own, so deadlines follow the tool's times and not
    when the worker ran. A timer the clock fired late (the bridge was down) counts from now, so
    a re-armed reminder is not fired again for every period missed."""
    return max(event.at, now) if event.type is EventType.TIMER_FIRED else event.at


def _entry_events(fields: dict[bytes, bytes]) -> list[TicketEvent]:
    """A stream entry holds either a delivery's events or a released timer."""
    if b"timer" in fields:
        if text(fields[b"timer"]) == WAKE:
            return []  # only woke the drain for held events
        connector, ticket, name = text(fields[b"timer"]).split("|", 2)
        due = from_epoch(fields[b"due"])
        return [
            TicketEvent(
                connector=connector,
                ticket=ticket,
                type=EventType.TIMER_FIRED,
                at=due,
                key=f"timer:{name}:{due.isoformat()}",
                field=name,
            )
        ]
    return [load_event(e) for e in json.loads(fields[b"e"])]
