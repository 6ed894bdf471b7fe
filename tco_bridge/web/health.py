"""Health checks, open to load balancers: /healthz (process up), /readyz (able to work)."""

from __future__ import annotations

import time
from typing import Any

import redis
from flask import Blueprint, jsonify

from .. import keys
from ..rules_source import RulesNotLoaded
from .context import runtime

bp = Blueprint("health", __name__)

CLOCK_STALE_AFTER = 30.0  # the clock beats every 5 s
WORKER_STALE_AFTER = 60.0  # seconds without a worker heartbeat before /readyz fails


@bp.get("/healthz")
def healthz() -> Any:
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> Any:
    rt = runtime()
    checks = bridge_checks(rt)
    ready = checks["redis"] == "ok" and checks["worker"] == "ok" and rt.rules_source.loaded
    return jsonify(ready=ready, checks=checks), 200 if ready else 503


def bridge_checks(rt: Any) -> dict[str, str]:
    """Redis, worker, clock and rules, each ``ok`` or what is wrong: /readyz and the admin's
    console page show the same words."""
    checks: dict[str, str] = {}
    try:
        rt.redis.ping()
        checks["redis"] = "ok"
        checks["worker"] = _worker_check(rt)
        checks["clock"] = _clock_check(rt)
    except redis.RedisError as exc:
        checks["redis"] = f"unreachable ({type(exc).__name__})"
        checks["worker"] = checks["clock"] = "unknown"
    try:
        rt.rules_source.current()  # re-reads a changed file, so a failed reload shows here too
    except RulesNotLoaded as exc:
        checks["rules"] = f"not loaded, the rules file is invalid: {'; '.join(exc.messages)}"
    else:
        error = rt.rules_source.error
        checks["rules"] = "ok" if error is None else f"last reload failed: {error}"
    return checks


def _clock_check(rt: Any) -> str:
    """Shown, not required: the web and workers work without a clock, but no timer fires and
    no scheduled write-back retry moves (the clock is the scheduler, see recovery.py)."""
    beat = rt.redis.get(keys.heartbeat("clock"))
    if beat is None:
        return "never seen: timers and write-back retries wait until a clock runs"
    age = time.time() - float(beat)
    if age < CLOCK_STALE_AFTER:
        return "ok"
    return f"last seen {age:.0f}s ago: timers and write-back retries are waiting"


def _worker_check(rt: Any) -> str:
    """RQ workers keep their own heartbeats; one seen recently on our queue is enough."""
    from rq import Worker

    beats = [
        w.last_heartbeat
        for w in Worker.all(connection=rt.redis, queue=rt.queue)
        if w.last_heartbeat is not None
    ]
    if not beats:
        return f"no worker registered on queue {rt.queue.name}"
    age = time.time() - max(b.timestamp() for b in beats)
    return "ok" if age < WORKER_STALE_AFTER else f"last worker heartbeat {age:.0f}s ago"
