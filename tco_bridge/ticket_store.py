"""Reading ticket states back out of Redis, for admin views (metrics, reconcile)."""

from __future__ import annotations

from collections.abc import Iterator

import redis

from . import keys
from .state import TicketState
from .state_codec import decode


def iter_states(client: redis.Redis, connector: str | None = None) -> Iterator[TicketState]:
    """Every stored ticket state (of one connector, or all), in batches of 500."""
    pattern = keys.ticket(connector, "*") if connector else keys.ticket("*", "*")
    batch: list[bytes] = []
    for key in client.scan_iter(match=pattern, count=500):
        batch.append(key)
        if len(batch) == 500:
            yield from _load(client, batch)
            batch = []
    if batch:
        yield from _load(client, batch)


def _load(client: redis.Redis, batch: list[bytes]) -> Iterator[TicketState]:
    for raw in client.mget(batch):
        if raw is not None:
            yield decode(raw)
