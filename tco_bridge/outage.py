"""Riding through a Redis outage (a restart, a fail-over) without exiting.

The clock and the worker keep running while Redis is away: one log line when it goes, one when
it is back, and a capped backoff in between. The web answers 503 with ``Retry-After`` meanwhile
(``web/__init__.py``). Nothing is lost: webhooks are delivered again by the tools, and work in
Redis waits there.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import redis

from .runtime import Runtime

log = logging.getLogger(__name__)

CAP_S = 2.0  # longest wait between two tries: Redis back means work resumes within this


@dataclass
class Outage:
    """A process's view of Redis being away, and how long to wait before trying again
    (doubling from 0.2 s up to ``CAP_S``)."""

    who: str
    since: float | None = None
    delay: float = 0.0

    def failed(self, why: object) -> float:
        if self.since is None:
            self.since = time.monotonic()
            log.warning("%s: Redis unavailable (%s); waiting for it", self.who, why)
        self.delay = min(CAP_S, max(0.2, self.delay * 2))
        return self.delay

    def over(self) -> None:
        if self.since is not None:
            log.warning("%s: Redis is back after %.1fs", self.who, time.monotonic() - self.since)
        self.since, self.delay = None, 0.0


class _QuietReconnects(logging.Filter):
    """An outage gets its one line from :class:`Outage`, not RQ's: RQ logs every reconnect
    attempt, and a connection lost in the middle of a job ends its loop with a traceback
    ("found an unhandled exception, quitting...") that says nothing the line does not."""

    def __init__(self, outage: Outage) -> None:
        super().__init__()
        self.outage = outage

    def filter(self, record: logging.LogRecord) -> bool:
        message = str(record.msg)
        if "could not connect to Redis" in message:
            self.outage.failed(record.args[-2] if isinstance(record.args, tuple) else "")
            return False
        lost = record.exc_info[1] if record.exc_info else None
        if isinstance(lost, redis.ConnectionError | redis.TimeoutError):
            self.outage.failed(f"{type(lost).__name__}: {lost}")
            return False
        if "Redis connection timeout" in message:
            self.outage.failed("a Redis connection timed out")
            return False
        return True


def run_worker(rt: Runtime) -> None:
    """An RQ worker (no fork per job) that outlives Redis outages; returns on SIGTERM/SIGINT.

    RQ's loop already retries a lost connection while waiting for a job, but quits on one lost
    in a heartbeat or while recording a job's end; then a fresh worker starts once Redis
    answers. A job cut off that way keeps its lease no longer, and the clock queues it again
    (``recovery.py``). RQ's own scheduler stays off: the clock moves scheduled retries.
    """
    from rq import SimpleWorker
    from rq.exceptions import StopRequested

    outage = Outage("worker")

    class Worker(SimpleWorker):
        max_connection_wait_time = CAP_S

        def heartbeat(self, *args: Any, **kwargs: Any) -> None:
            super().heartbeat(*args, **kwargs)
            outage.over()

    logging.getLogger("rq.worker").addFilter(_QuietReconnects(outage))
    try:
        while True:
            try:
                rt.redis.ping()
                worker = Worker([rt.queue], connection=rt.redis, serializer=rt.queue.serializer)
                worker.work(with_scheduler=False, logging_level=rt.settings.log_level)
                if worker._shutdown_requested_date is not None:  # SIGTERM/SIGINT: RQ stopped
                    return
                outage.failed("the worker loop ended on an error")
            except redis.RedisError as exc:
                time.sleep(outage.failed(f"{type(exc).__name__}: {exc}"))
    except (StopRequested, KeyboardInterrupt):
        return
