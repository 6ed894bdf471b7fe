"""Parked write-backs: groups of actions the bridge gave up on, kept for an admin.

A group is parked when the tool refused it for good (a 4xx that ``retry.py``'s table does not
retry: not 408, 425 or 429), when retries ran out, or when the connector failed in a way nobody
planned for (a bug). The record keeps what is needed to judge and replay it, never a
credential: every message passes :func:`redact` first.

Redis key:

    tco:failed    hash, group id → JSON record (id, connector, ticket, actions, attempts,
                  error {type, status, message}, first_failed, last_failed; epoch seconds)

``retry`` re-enqueues a parked group with its attempt count reset; the write-back job's done
markers drop every action that already reached the tool, so a replay never writes twice.
Admins see them with ``tco-bridge failed`` (:mod:`tco_bridge.cli.failed`) and on the console.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from typing import Any

from . import keys
from .errors import TicketApiError
from .outbox import enqueue_group
from .redaction import redact, secrets_of
from .runtime import Runtime

FAILED = keys.FAILED


@dataclass(frozen=True, slots=True)
class Parked:
    id: str
    connector: str
    ticket: str
    actions: list[dict[str, Any]]
    attempts: int
    error_type: str
    status: int | None
    message: str
    first_failed: float
    last_failed: float

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Parked:
        return cls(**data)


def park(
    rt: Runtime,
    *,
    group: str,
    connector: str,
    ticket: str,
    actions: list[dict[str, Any]],
    attempts: int,
    error: BaseException | str,
    status: int | None = None,
    first_failed: float | None = None,
) -> Parked:
    """Store (or update) a parked group; a group parked again keeps its first failure time."""
    now = time.time()
    if isinstance(error, BaseException):
        error_type, message = type(error).__name__, str(error)
        if status is None and isinstance(error, TicketApiError):
            status = error.status
    else:
        error_type, message = "Rejected", error
    earlier = get_parked(rt, group)
    record = Parked(
        id=group,
        connector=connector,
        ticket=ticket,
        actions=actions,
        attempts=attempts,
        error_type=error_type,
        status=status,
        message=redact(message, secrets_of(rt))[:1000],
        first_failed=earlier.first_failed if earlier else (first_failed or now),
        last_failed=now,
    )
    rt.redis.hset(FAILED, group, json.dumps(record.to_json()))
    return record


def all_parked(rt: Runtime) -> list[Parked]:
    """Every parked group, most recent failure first."""
    raw = rt.redis.hgetall(FAILED)
    records = [Parked.from_json(json.loads(v)) for v in raw.values()]
    return sorted(records, key=lambda r: r.last_failed, reverse=True)


def get_parked(rt: Runtime, group: str) -> Parked | None:
    raw = rt.redis.hget(FAILED, group)
    return Parked.from_json(json.loads(raw)) if raw else None


def retry(rt: Runtime, group: str) -> bool:
    """Queue a parked group again, attempt count reset; False when no such group is parked."""
    record = get_parked(rt, group)
    if record is None:
        return False
    enqueue_group(
        rt,
        record.connector,
        record.ticket,
        record.actions,
        group=record.id,
        first_failed=record.first_failed,
    )
    rt.redis.hdel(FAILED, group)  # after the enqueue: a crash in between leaves it listed
    return True


def retry_all(rt: Runtime) -> int:
    return sum(retry(rt, r.id) for r in all_parked(rt))


def purge(rt: Runtime, group: str) -> bool:
    return bool(rt.redis.hdel(FAILED, group))


def purge_all(rt: Runtime) -> int:
    count = int(rt.redis.hlen(FAILED))
    rt.redis.delete(FAILED)
    return count
