"""Drain jobs: apply a shard's queued events in batches, in order per ticket.

One RQ job per shard at a time (a lock with a token guards it; a lapsed lock aborts the commit)
takes up to ``batch_size`` stream entries, loads the states of their tickets in one MGET, runs
the pure :func:`pipeline.process` for each event in the tool's time order, and commits states,
timers, owner indexes, the outbox and the removal of the entries in one MULTI/EXEC. A crash
before EXEC leaves the entries in the stream, so the next drain redoes the batch; a crash after
leaves nothing to redo. Write-backs are then handed to RQ as jobs of their own.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import redis

from . import keys, telemetry
from .command import text
from .errors import RulesError
from .events import EventType, TicketEvent, load_event
from .handover import AwayRecord
from .pipeline import Step, process
from .plan import Context, OwnershipOnly, Plan, Rulebook
from .runtime import Runtime, current
from .state import TicketState, new_state
from .state_codec import decode, encode
from .timers import TimerStore, from_epoch

log = logging.getLogger(__name__)

LOCK_MS = 60_000
RULE_FAILURES_KEPT = 1000
TIME_BUDGET_S = 5.0  # then hand the shard to a fresh job so other shards get a turn

# KEYS: lock. ARGV: token. Delete the lock only if we still hold it.
_UNLOCK_LUA = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
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


@dataclass
class _Ticket:
    state: TicketState
    before: TicketState
    plan: Plan = field(default_factory=Plan)
    applied: int = 0


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

    def drain(self, shard: int) -> dict[str, Any]:
        token = uuid.uuid4().hex
        lock_key = keys.lock(shard)
        if not self.client.set(lock_key, token, nx=True, px=LOCK_MS):
            return {"shard": shard, "skipped": "another drain job holds the shard"}
        total = BatchResult()
        started = time.monotonic()
        handoff = False
        try:
            while True:
                entries = self.client.xrange(keys.stream(shard), count=self.rt.settings.batch_size)
                if not entries:
                    if self.rt.events.finish(shard):
                        break
                    continue
                result = self.apply_batch(shard, entries, token)
                total.entries += result.entries
                total.events += result.events
                total.actions += result.actions
                total.unreadable += result.unreadable
                total.rule_failures += result.rule_failures
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

    # --- one batch ------------------------------------------------------------------------
    def apply_batch(self, shard: int, entries: list[Any], token: str) -> BatchResult:
        result = BatchResult(entries=len(entries))
        per_ticket = self._decode(entries, result)
        rules = self.rt.rules
        now = self.clock()
        context = self._context(per_ticket)
        tickets = self._load(per_ticket)
        for tkey, events in per_ticket.items():
            item = tickets[tkey]
            for event in sorted(events, key=lambda e: (e.at, e.key)):
                step = self._process(item.state, event, rules, now, context, result)
                _recount(context.workload, item.state, step.state)
                item.state = step.state
                item.plan.extend(step.plan)
                item.applied += 1
                result.events += 1
            result.actions += len(item.plan.actions)
        self._commit(shard, token, entries, tickets)
        return result

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
                "at": now.isoformat(),
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

    def _decode(self, entries: list[Any], result: BatchResult) -> dict[str, list[TicketEvent]]:
        per_ticket: dict[str, list[TicketEvent]] = defaultdict(list)
        for _id, fields in entries:
            try:
                for event in _entry_events(fields):
                    per_ticket[event.ticket_key].append(event)
            except Exception:
                # A poison entry must not block the shard: log it and drop it with the batch.
                log.exception("unreadable stream entry %r dropped", _id)
                result.unreadable += 1
        return per_ticket

    def _load(self, per_ticket: dict[str, list[TicketEvent]]) -> dict[str, _Ticket]:
        tkeys = list(per_ticket)
        names = [keys.ticket(*k.split(":", 1)) for k in tkeys]
        raws = self.client.mget(names) if names else []
        out: dict[str, _Ticket] = {}
        for tkey, raw in zip(tkeys, raws, strict=True):
            connector, _, ticket = tkey.partition(":")
            state = self._decode_state(tkey, raw) if raw is not None else None
            state = state or new_state(connector, ticket)
            out[tkey] = _Ticket(state=state, before=state)
        return out

    def _decode_state(self, tkey: str, raw: bytes | str) -> TicketState | None:
        """A state that cannot be read (e.g. written by an incompatible version) must not stall
        the shard: it is set aside under ``tco:unreadable:<ticket>`` for an admin, and the
        ticket starts afresh (``tco-bridge reconcile`` refills it from the tool)."""
        try:
            return decode(raw)
        except Exception:
            log.exception("unreadable state for %s set aside; the ticket starts afresh", tkey)
            self.client.set(f"{keys.PREFIX}:unreadable:{tkey}", raw)
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

    def _commit(
        self, shard: int, token: str, entries: list[Any], tickets: dict[str, _Ticket]
    ) -> None:
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
                pipe.xdel(keys.stream(shard), *[eid for eid, _ in entries])
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


def _entry_events(fields: dict[bytes, bytes]) -> list[TicketEvent]:
    """A stream entry holds either a delivery's events or a released timer."""
    if b"timer" in fields:
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
