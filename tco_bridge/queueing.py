"""Getting accepted events into Redis in one round trip, and drain jobs onto RQ.

Why not one RQ job per event: an RQ job costs ~57 Redis commands, which caps a worker at a few
hundred events per second. Instead the receiver runs one Lua script that dedupes the delivery,
appends its events to the ticket's shard stream and raises the shard's "pending" flag; only
when that flag was down does it enqueue an RQ drain job for the shard. Drain jobs then apply
events in batches, one job per shard at a time (see ``worker.py``).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import Any

import redis
from rq import Queue

from . import jsonbody, keys

# KEYS: dedupe, stream, pending. ARGV: dedupe ttl, ticket key, events json, received at,
# pending ttl. Returns 0 = duplicate, 1 = queued, 2 = queued and the shard needs a drain job.
_INGEST_LUA = """
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) == false then
  return 0
end
redis.call('XADD', KEYS[2], '*', 't', ARGV[2], 'e', ARGV[3], 'r', ARGV[4])
if redis.call('SET', KEYS[3], '1', 'NX', 'EX', ARGV[5]) then
  return 2
end
return 1
"""

PENDING_TTL = 120  # seconds; a crashed drain job's flag lapses and the clock re-queues


@dataclass(frozen=True, slots=True)
class IngestResult:
    duplicate: bool
    shard: int
    drain_needed: bool


class EventQueue:
    def __init__(self, client: redis.Redis, queue: Queue, shards: int, dedupe_ttl: int) -> None:
        self.client = client
        self.queue = queue
        self.shards = shards
        self.dedupe_ttl = dedupe_ttl
        self._local = threading.local()

    def _ingest(self, keys_: list[str], args: list[Any]) -> Any:
        """Run the ingest script on this thread's own connection.

        On the webhook path redis-py's conveniences cost more CPU than the command: checking a
        connection out of the pool (~40 µs) and its retry/script wrappers (~20 µs) around a
        ~20 µs EVALSHA. A connection held per thread (and per process, after a fork) and a
        direct EVALSHA avoid both; anything unusual (script not loaded after a Redis restart,
        a dropped connection) takes the ordinary, self-healing path.
        """
        local = self._local
        if getattr(local, "pid", None) != os.getpid():
            hot = redis.Redis(
                connection_pool=self.client.connection_pool, single_connection_client=True
            )
            local.script, local.pid = hot.register_script(_INGEST_LUA), os.getpid()
            local.conn = hot.connection
        script = local.script
        conn = local.conn
        try:
            conn.send_command("EVALSHA", script.sha, len(keys_), *keys_, *args)
            return conn.read_response()
        except (redis.exceptions.NoScriptError, redis.exceptions.ConnectionError):
            conn.disconnect()
            return script(keys=keys_, args=args)

    def push(
        self,
        connector: str,
        delivery: str,
        ticket_key: str,
        events: list[dict[str, Any]],
        received_at: str,
    ) -> IngestResult:
        shard = keys.shard_of(ticket_key, self.shards)
        outcome = self._ingest(
            [keys.dedupe(connector, delivery), keys.stream(shard), keys.pending(shard)],
            [self.dedupe_ttl, ticket_key, jsonbody.dumps(events), received_at, PENDING_TTL],
        )
        result = IngestResult(duplicate=outcome == 0, shard=shard, drain_needed=outcome == 2)
        if result.drain_needed:
            self.enqueue_drain(shard)
        return result

    def enqueue_drain(self, shard: int) -> None:
        """Queue a drain job for the shard. Each gets a fresh job id: a job that hands the shard
        on queues its successor while itself still running, and RQ would take a reused id for
        the running job and drop the successor. An extra job is harmless: the shard lock turns
        it away, and the job holding the lock drains until the stream is empty."""
        self.queue.enqueue(
            "tco_bridge.worker.drain_shard",
            shard,
            description=f"drain shard {shard}",
            result_ttl=0,
            failure_ttl=7 * 24 * 3600,
        )

    def kick_stalled(self) -> list[int]:
        """Queue a drain job for every shard holding events with no flag up (crash recovery)."""
        kicked = []
        for shard in range(self.shards):
            if self.client.xlen(keys.stream(shard)) and self.client.set(
                keys.pending(shard), "1", nx=True, ex=PENDING_TTL
            ):
                self.enqueue_drain(shard)
                kicked.append(shard)
        return kicked
