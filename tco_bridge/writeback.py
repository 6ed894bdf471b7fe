"""Write-back: from the outbox to the ticket tool, each action once.

    drain job ──RPUSH──▶ tco:outbox ──dispatch_outbox──▶ RQ job perform_group (one per group)
        ▶ done markers drop finished actions ▶ shadow? record only ▶ per-ticket lock
        ▶ rate limiter (ratelimit.py) ▶ connector.perform ▶ done │ retry later │ park (failed.py)

The outbox hand-off (``dispatch_outbox``, ``enqueue_group``) lives in ``outbox.py``, shadow
mode's record in ``shadow.py``, the retry delays in ``retry.py``; the keys in ``keys.py``:
a done marker per action that reached the tool, a ``tried`` marker per action an attempt
started (every later attempt, whatever job runs it, asks the connector to look for its trace
first: ``check_existing``), and the ticket's write lock, held under the job's lease
(``lease.py``) so one job writes to a ticket at a time. A job that cannot finish now
(a retryable failure, a write limit, a busy ticket) or gives up (parks) ends in
``reschedule.py``.
"""

from __future__ import annotations

import logging
import random
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rq import get_current_job

from . import held, keys, shadow, timeline
from .actions import Action
from .connector import Connector, Outcome
from .errors import ConfigError, RetryableApiError, TicketApiError, UnknownConnector
from .lease import Lease, LeaseTiming
from .outbox import CLAIM_STALE_S, CLAIMED, JOB, dispatch_outbox, enqueue_group, group_id
from .ratelimit import WriteLimiter
from .redaction import redact, secrets_of
from .reschedule import Group, Reschedule
from .runtime import Runtime, current

log = logging.getLogger(__name__)

# The hand-off is part of what callers know as write-back (the worker and the clock dispatch
# the outbox through this module); its code is in outbox.py.
__all__ = [
    "CLAIMED",
    "CLAIM_STALE_S",
    "JOB",
    "dispatch_outbox",
    "enqueue_group",
    "group_id",
    "perform_group",
]

DONE_TTL = 30 * 24 * 3600
LOCK_BUSY_DELAY_S = 2.0


# --- the job -----------------------------------------------------------------------------------
# Its parameters are the kwargs outbox.enqueue_group queues it with: the two lists match.
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
    job = Group(connector, ticket, parsed, attempt, gid, first_failed)
    rt, me = current(), get_current_job()
    lease = Lease(rt.redis, me.id if me is not None else None, uuid.uuid4().hex, LeaseTiming.of(rt))
    with lease:
        return _Writer(rt, lease).run(job)


class _Writer:
    def __init__(self, rt: Runtime, lease: Lease) -> None:
        self.rt = rt
        self.lease = lease
        self.client = rt.redis
        self.secrets = secrets_of(rt)
        self.end = Reschedule(rt, self._clean)

    def run(self, g: Group) -> dict[str, Any]:
        pending, tried = self._pending(g.actions)
        self.end.count([a for a in g.actions if a not in pending], "skipped")
        if not pending:
            return {"group": g.id, "result": "already done"}
        g.actions = pending
        if self.rt.settings.shadow:
            return self._shadow(g, pending)
        try:
            conn = self.rt.connector(g.connector)
        except UnknownConnector as exc:
            return self.end.park(g, pending, exc)
        with self._ticket_lock(g) as held:
            if not held:
                return self.end.defer(g, pending, LOCK_BUSY_DELAY_S, "ticket_busy")
            limiter = WriteLimiter(self.rt.redis_url, self.client.connection_pool)
            try:
                limits = self.rt.write_limits(g.connector)
                costs = conn.write_cost(pending)
                wait = limiter.acquire(g.connector, limits, g.ticket, len(pending), costs)
            except ConfigError as exc:  # the connector's write_limits do not parse
                return self.end.park(g, pending, exc)
            if wait is not None:
                # spread the waiters over the next window, not all at its first free slot
                delay = wait + random.uniform(0, max(1.0, wait))
                return self.end.defer(g, pending, delay, "rate_limit")
            return self._perform(g, conn, pending, check_existing=g.attempt > 1 or tried)

    def _pending(self, actions: list[Action]) -> tuple[list[Action], bool]:
        """Actions not done yet, and whether an earlier attempt may have reached the tool."""
        names = [keys.done(a.id) for a in actions] + [keys.tried(a.id) for a in actions]
        flags = self.client.mget(names)
        done, tried = flags[: len(actions)], flags[len(actions) :]
        pending = [a for a, d in zip(actions, done, strict=True) if d is None]
        was_tried = any(t is not None for a, t in zip(actions, tried, strict=True) if a in pending)
        return pending, was_tried

    def _perform(
        self, g: Group, conn: Connector, pending: list[Action], *, check_existing: bool
    ) -> dict[str, Any]:
        pipe = self.client.pipeline(transaction=False)
        for action in pending:
            pipe.set(keys.tried(action.id), 1, ex=DONE_TTL)
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
                return self.end.retry(g, exc)
            return self.end.park(g, g.left(), exc)
        except Exception as exc:  # a connector bug: park it with its type, never crash the job
            return self.end.park(g, g.left(), exc)
        if rejected:
            why = "; ".join(f"{o.action_id}: {o.detail or 'refused'}" for o in rejected)
            return self.end.park(g, g.left(), f"the connector refused: {why}")
        return {"group": g.id, "result": "done", "actions": len(g.done)}

    def _record(self, g: Group, chunk: list[Action], outcomes: list[Outcome]) -> list[Outcome]:
        """Mark what succeeded as done at once; return the outcomes that were refused."""
        by_id = {a.id: a for a in chunk}
        ok = [o for o in outcomes if o.ok and o.action_id in by_id]
        pipe = self.client.pipeline(transaction=False)
        now = self.rt.now()
        for outcome in ok:
            pipe.set(keys.done(outcome.action_id), 1, ex=DONE_TTL)
            pipe.delete(keys.tried(outcome.action_id))
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
            self.end.count([action], _result(outcome))
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

    def _shadow(self, g: Group, pending: list[Action]) -> dict[str, Any]:
        """Shadow mode: say what would be done, in the log and in ``tco:shadow``; do nothing."""
        shadow.record(self.client, g.connector, g.ticket, pending, self._clean)
        self.end.count(pending, "shadow")
        return {"group": g.id, "result": "shadow", "actions": len(pending)}

    # --- helpers ------------------------------------------------------------------------------
    @contextmanager
    def _ticket_lock(self, g: Group) -> Iterator[bool]:
        """One writer per ticket; held under the job's lease, so it lapses seconds after a
        worker dies instead of blocking the ticket for the job timeout."""
        name = keys.write_lock(g.connector, g.ticket)
        held = self.lease.hold(name)
        try:
            yield held
        finally:
            if held:
                self.lease.release(name)

    def _clean(self, text: str) -> str:
        return redact(text, self.secrets)


def _result(outcome: Outcome) -> str:
    return "skipped" if outcome.skipped else "performed"


def _chunks(conn: Connector, actions: list[Action]) -> list[list[Action]]:
    """One action per call, so each success is recorded before the next write; connectors that
    set ``batch_writes = True`` (one request for several actions) get them all at once."""
    if conn.batch_writes:
        return [actions]
    return [[a] for a in actions]
