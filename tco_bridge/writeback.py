"""Write-back: from the outbox to the ticket tool, each action once.

    drain job ──RPUSH──▶ tco:outbox ──dispatch_outbox──▶ RQ job perform_group (one per group)
        ▶ done markers drop finished actions ▶ shadow? record only ▶ per-ticket lock
        ▶ rate limiter (ratelimit.py) ▶ connector.perform ▶ done │ retry later │ park (failed.py)

The outbox hand-off (``dispatch_outbox``, ``enqueue_group``) lives in ``outbox.py``.
Redis keys added here (the outbox's, the rate limiter's and the failed registry's are in their
modules):

    tco:done:<action id>               the action reached the tool (kept DONE_TTL)
    tco:tried:<action id>              an attempt at the action started: every later attempt,
                                       whatever job runs it, asks the connector to look for
                                       its trace first (check_existing)
    tco:wb:lock:<connector>:<ticket>   the job writing to that ticket now: one writer per
                                       ticket, so two jobs never race on the same action
    tco:wb:lease:<job id>              the job is alive (renewed every few seconds, see
                                       recovery.py: the clock re-queues jobs whose lease lapsed)
    tco:shadow                         what shadow mode would have done (list, newest first,
                                       SHADOW_KEEP entries)

**Retries use ``enqueue_in``, not ``rq.Retry``.** ``Retry(max, interval)`` fixes its intervals
when the job is first queued and only applies them when the job raises; the delay we need is
known only at failure time (``Retry-After`` of this 429, the rate limiter's window), and rate
limit or lock waits must not use up an attempt. So the job never raises for a tool failure: it
schedules its successor with ``queue.enqueue_in(delay, ...)`` and returns. Scheduled jobs are
moved to the queue by the clock (``recovery.move_due``), which outlives worker deaths and Redis
restarts; ``tco-bridge worker`` runs without RQ's own scheduler.

**Retry or give up, decided once** (from ``retry.py``'s table, raised by the connector):
success → done marker; ``RetryableApiError`` → again after Retry-After (or, without one, a
backoff with jitter), at most ``settings.write_retries`` times, then parked; any other
``TicketApiError`` → parked at once; an outcome with ``ok=False`` → parked; any other
exception (a connector bug) → parked with its type and message. Actions that succeeded before
the failure are marked done, including those a connector reports in the error's ``landed``
(several requests in one ``perform`` call, the last one failing): each action has its own done
marker, checked before it is sent, so a retried group sends only what has not landed.
"""

from __future__ import annotations

import json
import logging
import random
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from rq import get_current_job

from . import failed, held, keys, telemetry, timeline
from .actions import Action
from .connector import Connector, Outcome
from .errors import ConfigError, RetryableApiError, TicketApiError, UnknownConnector
from .outbox import CLAIM_STALE_S, CLAIMED, JOB, dispatch_outbox, enqueue_group, group_id
from .ratelimit import WriteLimiter
from .recovery import Lease
from .redaction import redact, secrets_of
from .runtime import Runtime, current

log = logging.getLogger(__name__)

# The hand-off is part of what callers know as write-back (the worker and the clock dispatch
# the outbox through this module); its code is in outbox.py.
__all__ = [
    "CLAIMED",
    "CLAIM_STALE_S",
    "JOB",
    "describe",
    "dispatch_outbox",
    "done_key",
    "enqueue_group",
    "group_id",
    "lock_key",
    "perform_group",
    "retry_delay",
    "tried_key",
]

SHADOW = f"{keys.PREFIX}:shadow"
SHADOW_KEEP = 1000
DONE_TTL = 30 * 24 * 3600
BACKOFF_BASE_S = 10.0
BACKOFF_CAP_S = 15 * 60.0
LOCK_BUSY_DELAY_S = 2.0


def done_key(action_id: str) -> str:
    return f"{keys.PREFIX}:done:{action_id}"


def tried_key(action_id: str) -> str:
    return f"{keys.PREFIX}:tried:{action_id}"


def lock_key(connector: str, ticket: str) -> str:
    return f"{keys.PREFIX}:wb:lock:{connector}:{ticket}"


# --- the job -----------------------------------------------------------------------------------
def perform_group(
    connector: str,
    ticket: str,
    actions: list[dict[str, Any]],
    attempt: int = 1,
    group: str | None = None,
    first_failed: float | None = None,
) -> dict[str, Any]:
    """RQ job: perform one ticket's actions at most once each; never sleeps, never raises for
    a tool failure (it re-enqueues itself or parks the group)."""
    parsed = [Action.from_json(a) for a in actions]
    gid = group or group_id(connector, ticket, [a.id for a in parsed])
    job = _Group(connector, ticket, parsed, attempt, gid, first_failed)
    rt, me = current(), get_current_job()
    with Lease(rt.redis, me.id if me is not None else None, uuid.uuid4().hex) as lease:
        return _Writer(rt, lease).run(job)


@dataclass
class _Group:
    connector: str
    ticket: str
    actions: list[Action]  # after run() starts: only those not done yet
    attempt: int
    id: str
    first_failed: float | None
    done: list[str] = field(default_factory=list)


class _Writer:
    def __init__(self, rt: Runtime, lease: Lease) -> None:
        self.rt = rt
        self.lease = lease
        self.client = rt.redis
        self.secrets = secrets_of(rt)

    def run(self, g: _Group) -> dict[str, Any]:
        pending, tried = self._pending(g.actions)
        for action in g.actions:
            if action not in pending:
                self._count(action, "skipped")
        if not pending:
            return {"group": g.id, "result": "already done"}
        g.actions = pending
        if self.rt.settings.shadow:
            return self._shadow(g, pending)
        try:
            conn = self.rt.connector(g.connector)
        except UnknownConnector as exc:
            return self._park(g, pending, exc)
        with self._ticket_lock(g) as held:
            if not held:
                return self._defer(g, pending, LOCK_BUSY_DELAY_S, "ticket_busy")
            limiter = WriteLimiter(self.rt.redis_url, self.client.connection_pool)
            try:
                limits = self.rt.write_limits(g.connector)
                costs = conn.write_cost(pending)
                wait = limiter.acquire(g.connector, limits, g.ticket, len(pending), costs)
            except ConfigError as exc:  # the connector's write_limits do not parse
                return self._park(g, pending, exc)
            if wait is not None:
                # spread the waiters over the next window, not all at its first free slot
                delay = wait + random.uniform(0, max(1.0, wait))
                return self._defer(g, pending, delay, "rate_limit")
            return self._perform(g, conn, pending, check_existing=g.attempt > 1 or tried)

    def _pending(self, actions: list[Action]) -> tuple[list[Action], bool]:
        """Actions not done yet, and whether an earlier attempt may have reached the tool."""
        names = [done_key(a.id) for a in actions] + [tried_key(a.id) for a in actions]
        flags = self.client.mget(names)
        done, tried = flags[: len(actions)], flags[len(actions) :]
        pending = [a for a, d in zip(actions, done, strict=True) if d is None]
        was_tried = any(t is not None for a, t in zip(actions, tried, strict=True) if a in pending)
        return pending, was_tried

    def _perform(
        self, g: _Group, conn: Connector, pending: list[Action], *, check_existing: bool
    ) -> dict[str, Any]:
        pipe = self.client.pipeline(transaction=False)
        for action in pending:
            pipe.set(tried_key(action.id), 1, ex=DONE_TTL)
        pipe.delete(held.key(g.connector, g.ticket))
        pipe.execute()
        rejected: list[Outcome] = []
        try:
            for chunk in _chunks(conn, pending):
                outcomes = conn.perform(chunk, check_existing=check_existing)
                rejected += self._record(g, chunk, outcomes)
                if rejected:
                    break
        except TicketApiError as exc:
            if exc.landed:  # what reached the tool in the failed call is done: never resent
                self._record(g, pending, exc.landed)
            if isinstance(exc, RetryableApiError):
                return self._retry(g, exc)
            return self._park(g, self._left(g), exc)
        except Exception as exc:  # a connector bug: park it with its type, never crash the job
            return self._park(g, self._left(g), exc)
        if rejected:
            why = "; ".join(f"{o.action_id}: {o.detail or 'refused'}" for o in rejected)
            return self._park(g, self._left(g), f"the connector refused: {why}")
        return {"group": g.id, "result": "done", "actions": len(g.done)}

    def _record(self, g: _Group, chunk: list[Action], outcomes: list[Outcome]) -> list[Outcome]:
        """Mark what succeeded as done at once; return the outcomes that were refused."""
        by_id = {a.id: a for a in chunk}
        ok = [o for o in outcomes if o.ok and o.action_id in by_id]
        pipe = self.client.pipeline(transaction=False)
        now = self.rt.now()
        for outcome in ok:
            pipe.set(done_key(outcome.action_id), 1, ex=DONE_TTL)
            pipe.delete(tried_key(outcome.action_id))
        written = [
            timeline.write_entry(
                by_id[o.action_id],
                "skipped" if o.skipped else "performed",
                now,
                self._clean(o.detail),
            )
            for o in ok
        ]
        timeline.stage(pipe, g.connector, g.ticket, written)
        pipe.execute()
        for outcome in ok:
            g.done.append(outcome.action_id)
            action = by_id[outcome.action_id]
            self._count(action, _result(outcome))
            log.info(
                "%s %s on %s:%s (rule %s): %s",
                "skipped" if outcome.skipped else "performed",
                action.kind.value,
                g.connector,
                g.ticket,
                action.rule,
                self._clean(outcome.detail),
            )
        answered = {o.action_id for o in outcomes}
        missing = [Outcome(a.id, ok=False, detail="no outcome returned") for a in chunk]
        refused = [o for o in outcomes if not o.ok]
        return refused + [m for m in missing if m.action_id not in answered]

    def _left(self, g: _Group) -> list[Action]:
        return [a for a in g.actions if a.id not in g.done]

    # --- outcomes that end this job --------------------------------------------------------
    def _retry(self, g: _Group, exc: RetryableApiError) -> dict[str, Any]:
        left = self._left(g)
        if g.attempt > self.rt.settings.write_retries:
            return self._park(g, left, exc)
        delay = retry_delay(g.attempt, exc.retry_after)
        first = g.first_failed or time.time()
        if exc.status == 429:
            telemetry.count(self.client, telemetry.THROTTLED, connector=g.connector)
        for action in left:
            self._count(action, "retried")
        log.warning(
            "write-back %s on %s:%s failed (attempt %d, status %s), retrying in %.0fs: %s",
            g.id,
            g.connector,
            g.ticket,
            g.attempt,
            exc.status,
            delay,
            self._clean(str(exc)),
        )
        enqueue_group(
            self.rt,
            g.connector,
            g.ticket,
            [a.to_json() for a in left],
            attempt=g.attempt + 1,
            group=g.id,
            first_failed=first,
            delay=delay,
        )
        return {"group": g.id, "result": "retry", "delay": delay, "attempt": g.attempt + 1}

    def _defer(self, g: _Group, pending: list[Action], delay: float, reason: str) -> dict[str, Any]:
        """Try later without calling the tool; this does not use up an attempt."""
        pipe = self.client.pipeline(transaction=False)
        telemetry.count(pipe, telemetry.WRITEBACK_DEFERRED, connector=g.connector, reason=reason)
        telemetry.count(pipe, telemetry.WRITEBACK_WAIT, delay, connector=g.connector, reason=reason)
        pipe.execute()
        if reason == "rate_limit":
            # Shown on the ticket, and at INFO: else it looks as if the rule never fired.
            held.record(self.client, g.connector, g.ticket, reason, delay, pending)
            log.info(
                "write-back %s on %s:%s (rules %s) held %.0fs by the write limit",
                g.id,
                g.connector,
                g.ticket,
                ",".join(sorted({a.rule for a in pending})),
                delay,
            )
        else:
            log.debug("write-back %s deferred %.2fs (%s)", g.id, delay, reason)
        enqueue_group(
            self.rt,
            g.connector,
            g.ticket,
            [a.to_json() for a in pending],
            attempt=g.attempt,
            group=g.id,
            first_failed=g.first_failed,
            delay=delay,
        )
        return {"group": g.id, "result": reason, "delay": delay}

    def _park(self, g: _Group, left: list[Action], error: BaseException | str) -> dict[str, Any]:
        held.clear(self.client, g.connector, g.ticket)
        record = failed.park(
            self.rt,
            group=g.id,
            connector=g.connector,
            ticket=g.ticket,
            actions=[a.to_json() for a in left],
            attempts=g.attempt,
            error=error,
            first_failed=g.first_failed,
        )
        parked = [timeline.write_entry(a, "parked", self.rt.now(), record.message) for a in left]
        timeline.stage(self.client, g.connector, g.ticket, parked)
        for action in left:
            self._count(action, "parked")
        log.error(
            "write-back %s on %s:%s parked after %d attempt(s): %s: %s",
            g.id,
            g.connector,
            g.ticket,
            g.attempt,
            record.error_type,
            record.message,
        )
        return {"group": g.id, "result": "parked", "error": record.error_type}

    def _shadow(self, g: _Group, pending: list[Action]) -> dict[str, Any]:
        """Shadow mode: say what would be done, in the log and in ``tco:shadow``; do nothing."""
        pipe = self.client.pipeline(transaction=False)
        for action in pending:
            entry = {
                "at": time.time(),
                "connector": g.connector,
                "ticket": g.ticket,
                "action": action.id,
                "kind": action.kind.value,
                "rule": action.rule,
                "target": self._clean(describe(action)),
            }
            log.info(
                "shadow: would %s on %s:%s (rule %s): %s",
                entry["kind"],
                g.connector,
                g.ticket,
                action.rule,
                entry["target"],
            )
            pipe.lpush(SHADOW, json.dumps(entry))
            self._count(action, "shadow")
        pipe.ltrim(SHADOW, 0, SHADOW_KEEP - 1)
        pipe.execute()
        return {"group": g.id, "result": "shadow", "actions": len(pending)}

    # --- helpers ------------------------------------------------------------------------------
    @contextmanager
    def _ticket_lock(self, g: _Group) -> Iterator[bool]:
        """One writer per ticket; held under the job's lease, so it lapses seconds after a
        worker dies instead of blocking the ticket for the job timeout."""
        name = lock_key(g.connector, g.ticket)
        held = self.lease.hold(name)
        try:
            yield held
        finally:
            if held:
                self.lease.release(name)

    def _count(self, action: Action, result: str) -> None:
        telemetry.count(
            self.client,
            telemetry.WRITEBACK_ACTIONS,
            connector=action.connector,
            kind=action.kind.value,
            result=result,
        )

    def _clean(self, text: str) -> str:
        return redact(text, self.secrets)


def _result(outcome: Outcome) -> str:
    return "skipped" if outcome.skipped else "performed"


def retry_delay(attempt: int, retry_after: float | None) -> float:
    """Seconds before attempt ``attempt + 1``.

    When the tool said when (``Retry-After``), that, plus a little jitter (a tenth of it, at
    most 2 s) so jobs refused together do not come back together: the write lands as soon as
    the tool allows. Otherwise exponential backoff (10 s, 20 s, 40 s, ... capped at 15 min)
    with jitter in its upper half.
    """
    if retry_after is not None and retry_after > 0:
        return retry_after + random.uniform(0, min(2.0, retry_after / 10))
    backoff = min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2.0 ** min(attempt - 1, 32))
    return backoff * random.uniform(0.5, 1.0)


def describe(action: Action) -> str:
    """What an action targets, in a few words, for logs and the shadow list (no note text)."""
    parts = {
        "assignee": action.assignee,
        "group": action.group,
        "field": action.field,
        "label": action.label,
        "status": action.status,
        "owner": action.owner,
        "task": action.task.summary if action.task else None,
        "mention": ",".join(action.mention) or None,
    }
    shown = [f"{k}={v}" for k, v in parts.items() if v]
    if action.text:
        shown.append(f"text={len(action.text)} chars")
    return " ".join(shown) or "-"


def _chunks(conn: Connector, actions: list[Action]) -> list[list[Action]]:
    """One action per call, so each success is recorded before the next write; connectors that
    set ``batch_writes = True`` (one request for several actions) get them all at once."""
    if conn.batch_writes:
        return [actions]
    return [[a] for a in actions]
