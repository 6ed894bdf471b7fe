"""Every Redis key tco-bridge uses, named in one place: the module that writes a key builds
its name here. RQ's own keys (``rq:*``) are RQ's.

===================================  ==========  =====================================  ============
key                                  type        lifetime                               written by
===================================  ==========  =====================================  ============
tco:dedupe:<connector>:<delivery>    string      ``TCO_DEDUPE_TTL`` (3 days)            queueing
tco:stream:<shard>                   stream      until a drain job applies the entries  queueing,
                                                                                        timers
tco:pending:<shard>                  string      a drain job is queued or running;      queueing,
                                                 ``PENDING_TTL`` (lapses after a        worker
                                                 crash)
tco:lock:<shard>                     string      the drain job owning the shard (its    worker
                                                 token); a lease, renewed
tco:ticket:<connector>:<ticket>      JSON        kept while open;                       ticket_store
                                                 ``TCO_RETENTION_DAYS`` once closed
tco:history:<connector>:<ticket>     JSON        as the ticket's state                  worker
tco:timeline:<connector>:<ticket>    JSON list   as the state; the newest ``KEEP``      timeline,
                                                                                        writeback
tco:owned:<connector>:<agent>        set         kept (tickets move as owners change)   worker
tco:workload:<connector>             hash        kept (agent → open tickets owned)      worker
tco:unreadable:<connector>:<ticket>  string      kept: a state set aside for an admin   worker
tco:rule-failures                    JSON list   the newest ``RULE_FAILURES_KEPT``      worker
tco:timers                           sorted set  a member until due or cancelled        worker,
                                                 (score: due time, epoch s)             timers
tco:outbox                           JSON list   until the hand-off takes the group     worker,
                                                                                        outbox
tco:outbox:claimed                   sorted set  until the group is on RQ (score:       outbox
                                                 claim time; stale after
                                                 ``CLAIM_STALE_S``)
tco:done:<action id>                 string      ``DONE_TTL`` (30 days)                 writeback
tco:tried:<action id>                string      ``DONE_TTL``; deleted once done        writeback
tco:wb:lock:<connector>:<ticket>     string      the job writing to the ticket (its     writeback,
                                                 token); ``LEASE_S``, renewed           recovery
tco:wb:lease:<job id>                string      the job is alive; ``LEASE_S``,         recovery
                                                 renewed
tco:held:<connector>:<ticket>        JSON        the planned delay + ``SLACK_S``        held
tco:shadow                           JSON list   the newest ``SHADOW_KEEP``             writeback
tco:failed                           JSON hash   until retried or purged                failed
tco:limits:LIMITER/<connector>/...   (limits)    the limit's moving window              ratelimit
tco:away                             JSON hash   agent → away record, until back        handover
tco:away:told:<connector>:<agent>    set         the tickets told, until the agent is   handover
                                                 back
tco:heartbeat:<role>                 string      kept: when the clock was last alive    clock
tco:reconcile:due                    string      ``TCO_RECONCILE_INTERVAL``             clock
tco:metrics                          hash        kept: worker and clock counters        telemetry
tco:users                            JSON hash   kept: console users                    users
tco:console:secret                   string      kept: the console's cookie key         web.signin
===================================  ==========  =====================================  ============
"""

from __future__ import annotations

import zlib

PREFIX = "tco"
TIMERS = f"{PREFIX}:timers"
OUTBOX = f"{PREFIX}:outbox"
OUTBOX_CLAIMED = f"{PREFIX}:outbox:claimed"
AWAY = f"{PREFIX}:away"
RULE_FAILURES = f"{PREFIX}:rule-failures"
SHADOW = f"{PREFIX}:shadow"
FAILED = f"{PREFIX}:failed"
METRICS = f"{PREFIX}:metrics"
USERS = f"{PREFIX}:users"
CONSOLE_SECRET = f"{PREFIX}:console:secret"
RECONCILE_DUE = f"{PREFIX}:reconcile:due"
#: The ``limits`` library builds its keys under this prefix.
LIMITS_PREFIX = f"{PREFIX}:limits"


# The builders below share one shape on purpose: one small function per key of the table.


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


def unreadable(ticket_key: str) -> str:
    """``ticket_key``: ``<connector>:<ticket>``."""
    return f"{PREFIX}:unreadable:{ticket_key}"


def timeline(connector: str, ticket_id: str) -> str:
    return f"{PREFIX}:timeline:{connector}:{ticket_id}"


def done(action_id: str) -> str:
    return f"{PREFIX}:done:{action_id}"


def tried(action_id: str) -> str:
    return f"{PREFIX}:tried:{action_id}"


def write_lock(connector: str, ticket_id: str) -> str:
    return f"{PREFIX}:wb:lock:{connector}:{ticket_id}"


def lease(job_id: str) -> str:
    return f"{PREFIX}:wb:lease:{job_id}"


def held(connector: str, ticket_id: str) -> str:
    return f"{PREFIX}:held:{connector}:{ticket_id}"


def away_told(connector: str, agent: str) -> str:
    return f"{PREFIX}:away:told:{connector}:{agent}"


def heartbeat(role: str) -> str:
    return f"{PREFIX}:heartbeat:{role}"


def timer_member(shard: int, connector: str, ticket_id: str, name: str) -> str:
    """``<shard>|<connector>|<ticket>|<name>``: the shard rides along so the clock's Lua script
    can route a due timer without hashing."""
    return f"{shard}|{connector}|{ticket_id}|{name}"


def text(value: bytes | str) -> str:
    """A Redis reply as text (clients may be set to decode or not)."""
    return value.decode() if isinstance(value, bytes) else value
