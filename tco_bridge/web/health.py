"""Health checks, open to load balancers: /healthz (process up), /readyz (able to work)."""

from __future__ import annotations

import time
from typing import Any

import redis
from flask import Blueprint, jsonify

from .. import keys
from .context import runtime

bp = Blueprint("health", __name__)

WORKER_STALE_AFTER = 60.0  # seconds without a worker heartbeat before /readyz fails


@bp.get("/healthz")
def healthz() -> Any:
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> Any:
    rt = runtime()
    checks: dict[str, Any] = {}
    try:
        rt.redis.ping()
        checks["redis"] = "ok"
        beat = rt.redis.get(keys.heartbeat("worker"))
        age = time.time() - float(beat) if beat else None
        checks["worker"] = (
            "ok"
            if age is not None and age < WORKER_STALE_AFTER
            else ("never seen" if age is None else f"last seen {age:.0f}s ago")
        )
    except redis.RedisError as exc:
        checks["redis"] = f"unreachable ({type(exc).__name__})"
        checks["worker"] = "unknown"
    error = rt.rules_source.error
    checks["rules"] = "ok" if error is None else f"last reload failed: {error}"
    ready = checks["redis"] == "ok" and checks["worker"] == "ok" and rt.rules_source.loaded
    return jsonify(ready=ready, checks=checks), 200 if ready else 503
