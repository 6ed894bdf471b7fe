"""Ticket states in Redis: the one place that reads and writes ``keys.ticket(...)``.

The drain reads a batch's states and histories in one MGET (:func:`read_batch`, left encoded:
it decodes them forgivingly itself) and stages their writes in its commit (:func:`stage`);
the web views, reconcile and the metrics read decoded states (:func:`load`,
:func:`load_many`, :func:`iter_states`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import redis

from . import keys
from .state import TicketState
from .state_codec import decode, encode

#: A stored value as redis-py answers it (None: no such key).
Raw = bytes | str | None


def load(client: redis.Redis, connector: str, ticket: str) -> TicketState | None:
    """The stored state of one ticket, None when the bridge has none."""
    raw: Raw = client.get(keys.ticket(connector, ticket))
    return None if raw is None else decode(raw)


def load_many(client: redis.Redis, connector: str, tickets: Sequence[str]) -> list[TicketState]:
    """The stored states of ``tickets`` of one connector, in one MGET, skipping unknown ones."""
    raws: list[Raw] = client.mget([keys.ticket(connector, t) for t in tickets]) if tickets else []
    return [decode(r) for r in raws if r is not None]


def read_batch(client: redis.Redis, tkeys: Sequence[str]) -> list[tuple[Raw, Raw]]:
    """The stored state and history of each ``connector:ticket``, encoded, in one MGET."""
    if not tkeys:
        return []
    pairs = [k.split(":", 1) for k in tkeys]
    names = [keys.ticket(c, t) for c, t in pairs] + [keys.history(c, t) for c, t in pairs]
    raws: list[Raw] = client.mget(names)
    return list(zip(raws[: len(tkeys)], raws[len(tkeys) :], strict=True))


def stage(pipe: Any, state: TicketState, retain: int | None, history: bytes | None = None) -> None:
    """Add the write of ``state``, and of its encoded ``history`` when given, to a pipeline
    (expiring after ``retain`` seconds, or kept)."""
    pipe.set(keys.ticket(state.connector, state.ticket), encode(state), ex=retain)
    if history is not None:
        pipe.set(keys.history(state.connector, state.ticket), history, ex=retain)


def iter_states(client: redis.Redis, connector: str | None = None) -> Iterator[TicketState]:
    """Every stored ticket state (of one connector, or all), in batches of 500."""
    pattern = keys.ticket(connector, "*") if connector else keys.ticket("*", "*")
    batch: list[bytes] = []
    for key in client.scan_iter(match=pattern, count=500):
        batch.append(key)
        if len(batch) == 500:
            yield from _decoded(client.mget(batch))
            batch = []
    if batch:
        yield from _decoded(client.mget(batch))


def _decoded(raws: Iterable[Raw]) -> Iterator[TicketState]:
    for raw in raws:
        if raw is not None:
            yield decode(raw)
