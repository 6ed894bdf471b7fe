"""Every Redis key tco-bridge uses, named in one place.

tco:dedupe:<connector>:<delivery>   delivery seen (SET NX, expires)
tco:stream:<shard>                  accepted events waiting for a drain job (stream)
tco:pending:<shard>                 a drain job is queued or running for the shard
tco:lock:<shard>                    the drain job that owns the shard right now
tco:ticket:<connector>:<ticket>     a ticket's ownership state (JSON)
tco:history:<connector>:<ticket>    its last events in the tool's order, and their decisions
tco:owned:<connector>:<agent>       open tickets an agent owns (set of ticket ids)
tco:timers                          every pending timer (sorted set, score = due epoch s)
tco:outbox                          write-backs decided but not yet queued (list)
tco:away                            agents marked away (hash agent → JSON)
tco:heartbeat:<role>                last time a worker/clock was alive (epoch s)
tco:held:<connector>:<ticket>       write-backs waiting for a write limit (held.py)
tco:metrics                         worker and clock counters for /metrics (telemetry.py)
tco:timeline:<connector>:<ticket>   a ticket's explained history (list of JSON, ``timeline``)
tco:users                           console users (hash, ``users``)
tco:console:secret                  the console's cookie-signing key (``web.signin``)
"""

from __future__ import annotations

import zlib

PREFIX = "tco"
TIMERS = f"{PREFIX}:timers"
OUTBOX = f"{PREFIX}:outbox"
AWAY = f"{PREFIX}:away"
RULE_FAILURES = f"{PREFIX}:rule-failures"


def shard_of(ticket_key: str, shards: int) -> int:
    """Stable shard of a ticket: all its events go through one stream, so one writer."""
    return zlib.crc32(ticket_key.encode()) % shards


def dedupe(connector: str, delivery: str) -> str:
    return f"{PREFIX}:dedupe:{connector}:{delivery}"


def stream(shard: int) -> str:
    return f"{PREFIX}:stream:{shard}"


def pending(shard: int) -> str:
    return f"{PREFIX}:pending:{shard}"


def lock(shard: int) -> str:
    return f"{PREFIX}:lock:{shard}"


def ticket(connector: str, ticket_id: str) -> str:
    return f"{PREFIX}:ticket:{connector}:{ticket_id}"


def history(connector: str, ticket_id: str) -> str:
    return f"{PREFIX}:history:{connector}:{ticket_id}"


def owned(connector: str, agent: str) -> str:
    return f"{PREFIX}:owned:{connector}:{agent}"


def workload(connector: str) -> str:
    return f"{PREFIX}:workload:{connector}"


def heartbeat(role: str) -> str:
    return f"{PREFIX}:heartbeat:{role}"


def timer_member(shard: int, connector: str, ticket_id: str, name: str) -> str:
    """``<shard>|<connector>|<ticket>|<name>``: the shard rides along so the clock's Lua script
    can route a due timer without hashing."""
    return f"{shard}|{connector}|{ticket_id}|{name}"


def text(value: bytes | str) -> str:
    """A Redis reply as text (clients may be set to decode or not)."""
    return value.decode() if isinstance(value, bytes) else value
