"""Timers as data: one Redis sorted set, scored by due time (epoch seconds).

A timer is the member ``<shard>|<connector>|<ticket>|<name>``; setting it again overwrites its
score, cancelling is one ZREM, and a million of them stay small (no hash per timer). The clock
releases due timers with one Lua script that removes each from the set and appends it to its
ticket's shard stream in the same step, so a timer fires once even with several clocks running.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import redis

from . import keys
from .queueing import PENDING_TTL

# KEYS: timers. ARGV: now (epoch s), limit, pending ttl, stream prefix, pending prefix.
# Returns how many fired, the shards whose pending flag this call raised (they need a drain
# job) and each timer's lateness in whole milliseconds (Lua numbers reach Redis as integers).
_RELEASE_LUA = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, ARGV[2])
local raised = {}
local late = {}
for i = 1, #due, 2 do
  local member, score = due[i], due[i + 1]
  late[#late + 1] = math.floor((tonumber(ARGV[1]) - tonumber(score)) * 1000)
  redis.call('ZREM', KEYS[1], member)
  local shard, rest = string.match(member, '^(%d+)|(.*)$')
  redis.call('XADD', ARGV[4] .. shard, '*', 'timer', rest, 'due', score)
  if redis.call('SET', ARGV[5] .. shard, '1', 'NX', 'EX', ARGV[3]) then
    raised[#raised + 1] = tonumber(shard)
  end
end
return {#due / 2, raised, late}
"""


#: The member (after ``<shard>|``) that only wakes a shard's drain job; it fires no timer.
WAKE = "settle"


@dataclass(frozen=True, slots=True)
class Released:
    count: int
    shards: list[int]
    #: seconds each released timer was past its due time
    lateness: list[float] = field(default_factory=list)


def epoch(dt: datetime) -> float:
    return dt.timestamp()


def from_epoch(value: float | str | bytes) -> datetime:
    return datetime.fromtimestamp(float(value), UTC)


class TimerStore:
    def __init__(self, client: redis.Redis, shards: int) -> None:
        self.client = client
        self.shards = shards
        self._release = client.register_script(_RELEASE_LUA)

    def member(self, connector: str, ticket: str, name: str) -> str:
        shard = keys.shard_of(f"{connector}:{ticket}", self.shards)
        return keys.timer_member(shard, connector, ticket, name)

    def stage(
        self,
        pipe: Any,
        connector: str,
        ticket: str,
        set_: dict[str, datetime],
        cleared: Iterable[str],
    ) -> None:
        """Add timer changes to a pipeline/transaction that also saves the ticket state."""
        if set_:
            pipe.zadd(
                keys.TIMERS,
                {self.member(connector, ticket, n): epoch(due) for n, due in set_.items()},
            )
        gone = [self.member(connector, ticket, n) for n in cleared if n not in set_]
        if gone:
            pipe.zrem(keys.TIMERS, *gone)

    def stage_wake(self, pipe: Any, shard: int, at: datetime) -> None:
        """Wake the shard's drain at ``at`` (held events settle then); an earlier wake stays."""
        pipe.zadd(keys.TIMERS, {f"{shard}|{WAKE}": epoch(at)}, lt=True)

    def release_due(self, now: datetime, limit: int = 1000) -> Released:
        count, shards, late = self._release(
            keys=[keys.TIMERS],
            args=[epoch(now), limit, PENDING_TTL, keys.stream(0)[:-1], keys.pending(0)[:-1]],
        )
        return Released(int(count), [int(s) for s in shards], [int(ms) / 1000 for ms in late])

    def next_due(self) -> datetime | None:
        first = self.client.zrange(keys.TIMERS, 0, 0, withscores=True)
        return from_epoch(first[0][1]) if first else None

    def pending(self) -> int:
        return int(self.client.zcard(keys.TIMERS))
