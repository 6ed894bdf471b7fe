"""A write-back job that cannot finish now: it queues its successor for later, or parks the
group for an admin. Never by raising: the job returns what it did.

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

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from . import failed, held, retry, telemetry, timeline
from .actions import Action
from .errors import RetryableApiError
from .outbox import enqueue_group
from .runtime import Runtime

log = logging.getLogger("tco_bridge.writeback")


@dataclass
class Group:
    """One write-back job's group of actions on one ticket."""

    connector: str
    ticket: str
    actions: list[Action]  # once the job runs: only those not done yet
    attempt: int
    id: str
    first_failed: float | None
    done: list[str] = field(default_factory=list)

    def left(self) -> list[Action]:
        return [a for a in self.actions if a.id not in self.done]

    @property
    def where(self) -> str:
        """``<group id> on <connector>:<ticket>``, for log lines."""
        return f"{self.id} on {self.connector}:{self.ticket}"


@dataclass
class Reschedule:
    """The endings of a job other than success; ``clean`` redacts secrets from messages."""

    rt: Runtime
    clean: Callable[[str], str]

    def retry(self, g: Group, exc: RetryableApiError) -> dict[str, Any]:
        left = g.left()
        if g.attempt > self.rt.settings.write_retries:
            return self.park(g, left, exc)
        delay = retry.delay(g.attempt, exc.retry_after)
        first = g.first_failed or time.time()
        if exc.status == 429:
            telemetry.count(self.rt.redis, telemetry.THROTTLED, connector=g.connector)
        self.count(left, "retried")
        log.warning(
            "write-back %s failed (attempt %d, status %s), retrying in %.0fs: %s",
            g.where,
            g.attempt,
            exc.status,
            delay,
            self.clean(str(exc)),
        )
        self._again(g, left, g.attempt + 1, first, delay)
        return {"group": g.id, "result": "retry", "delay": delay, "attempt": g.attempt + 1}

    def defer(self, g: Group, pending: list[Action], delay: float, reason: str) -> dict[str, Any]:
        """Try later without calling the tool; this does not use up an attempt."""
        pipe = self.rt.redis.pipeline(transaction=False)
        telemetry.count(pipe, telemetry.WRITEBACK_DEFERRED, connector=g.connector, reason=reason)
        telemetry.count(pipe, telemetry.WRITEBACK_WAIT, delay, connector=g.connector, reason=reason)
        pipe.execute()
        if reason == "rate_limit":
            # Shown on the ticket, and at INFO: else it looks as if the rule never fired.
            held.record(self.rt.redis, g.connector, g.ticket, reason, delay, pending)
            rules = ",".join(sorted({a.rule for a in pending}))
            log.info(
                "write-back %s (rules %s) held %.0fs by the write limit", g.where, rules, delay
            )
        else:
            log.debug("write-back %s deferred %.2fs (%s)", g.id, delay, reason)
        self._again(g, pending, g.attempt, g.first_failed, delay)
        return {"group": g.id, "result": reason, "delay": delay}

    def park(self, g: Group, left: list[Action], error: BaseException | str) -> dict[str, Any]:
        held.clear(self.rt.redis, g.connector, g.ticket)
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
        timeline.stage(self.rt.redis, g.connector, g.ticket, parked)
        self.count(left, "parked")
        log.error(
            "write-back %s parked after %d attempt(s): %s: %s",
            g.where,
            g.attempt,
            record.error_type,
            record.message,
        )
        return {"group": g.id, "result": "parked", "error": record.error_type}

    def _again(
        self,
        g: Group,
        actions: list[Action],
        attempt: int,
        first_failed: float | None,
        delay: float,
    ) -> None:
        """Queue the group's successor job, ``delay`` seconds from now."""
        todo = [a.to_json() for a in actions]
        enqueue_group(
            self.rt,
            g.connector,
            g.ticket,
            todo,
            attempt=attempt,
            group=g.id,
            first_failed=first_failed,
            delay=delay,
        )

    def count(self, actions: Iterable[Action], result: str) -> None:
        """One ``result`` (performed, skipped, retried, parked, shadow) per action, by kind."""
        for action in actions:
            telemetry.count(
                self.rt.redis,
                telemetry.WRITEBACK_ACTIONS,
                connector=action.connector,
                kind=action.kind.value,
                result=result,
            )
