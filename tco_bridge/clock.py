"""The clock: releases due timers into their shard streams and wakes drain jobs.

Small on purpose: the sorted set knows what is due, the Lua script in ``timers.py`` moves it
atomically (several clocks may run; each timer fires once), and drain jobs do the rest. It
also re-queues drains for shards whose flag lapsed after a crash, moves due write-back retries
onto the queue, and re-queues write-back jobs a dead worker abandoned (``recovery.py``).

It never exits because Redis went away: one line when Redis is lost, one when it is back, and
a capped backoff in between (``Outage``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import redis

from . import keys, telemetry
from .lease import LeaseTiming
from .outage import Outage
from .recovery import MOVE_S, move_due, requeue_abandoned, requeue_stranded
from .runtime import Runtime
from .timers import TimerStore

log = logging.getLogger(__name__)

TICK_S = 0.1  # longest sleep between checks: bounds firing lateness
STALL_CHECK_S = 5.0


@dataclass
class Clock:
    runtime: Runtime

    def __post_init__(self) -> None:
        self.now: Callable[[], datetime] = self.runtime.now
        self.timers = TimerStore(self.runtime.redis, self.runtime.settings.shards)
        self._last_stall_check = 0.0
        self._last_move = 0.0
        self._rejoin = LeaseTiming.of(self.runtime).rejoin
        # Since when Redis has answered (None: it is away): leases are judged only ``rejoin``
        # after, so live jobs take back the leases an outage let lapse first.
        self.reachable_since: float | None = time.monotonic()

    def tick(self) -> int:
        """Release everything due now; returns how many timers fired."""
        if self.reachable_since is None:
            self.reachable_since = time.monotonic()
        fired = 0
        while True:
            released = self.timers.release_due(self.now())
            for shard in released.shards:
                self.runtime.events.enqueue_drain(shard)
            fired += released.count
            telemetry.observe(self.runtime.redis, telemetry.TIMER_LATENESS, released.lateness)
            if released.count < 1000:
                break
        if time.monotonic() - self._last_move >= MOVE_S:
            self._last_move = time.monotonic()
            move_due(self.runtime)  # write-back retries whose time has come
        if time.monotonic() - self._last_stall_check > STALL_CHECK_S:
            self._last_stall_check = time.monotonic()
            for shard in self.runtime.events.kick_stalled():
                log.warning("shard %s had queued events and no drain job: re-queued", shard)
            from .handover import expire
            from .writeback import dispatch_outbox

            for agent in expire(self.runtime, self.now()):
                log.info("%s is back (the away period ended): their tickets were told", agent)
            self._schedule_reconcile()

            # Write-backs a crashed drain job committed but never queued, write-back jobs whose
            # worker died while running them, and jobs a worker took as Redis went away.
            dispatch_outbox(self.runtime)
            if time.monotonic() - self.reachable_since >= self._rejoin:
                requeue_abandoned(self.runtime)
            requeue_stranded(self.runtime)
            self.runtime.redis.set(keys.heartbeat("clock"), time.time())
        return fired

    def _schedule_reconcile(self) -> None:
        """Queue a reconcile of every connector once per interval, whichever clock gets there
        first (a Redis key with the interval as its lifetime is the token)."""
        interval = self.runtime.settings.reconcile_interval
        if not interval:
            return
        if self.runtime.redis.set(keys.RECONCILE_DUE, "1", nx=True, ex=interval):
            for name in self.runtime.connectors:
                self.runtime.queue.enqueue(
                    "tco_bridge.reconcile.reconcile_job",
                    name,
                    job_id=f"tco-reconcile-{name}",
                    job_timeout=max(interval, 600),
                    result_ttl=interval,
                )

    def run(self, stop: Callable[[], bool] = lambda: False) -> None:
        outage, started = Outage("clock"), False
        while not stop():
            try:
                if not started:
                    log.info("clock running: %d timers pending", self.timers.pending())
                    started = True
                self.tick()
                nxt = self.timers.next_due()
                outage.over()
            except redis.RedisError as exc:
                time.sleep(outage.failed(f"{type(exc).__name__}: {exc}"))
                self.reachable_since = None
                continue
            wait = TICK_S if nxt is None else (nxt - self.now()).total_seconds()
            time.sleep(min(max(wait, 0.0), TICK_S))
