"""When a write-back benchmark run is over, and the one duty of the clock a run needs.

No clock runs in ``writeback.py``; the clock's sweep would re-queue the drain of a shard left
holding events with no job to drain them (``EventQueue.kick_stalled``, once the shard's
pending flag lapsed). The wait loop does it sooner, and counts it.
"""

from __future__ import annotations

import redis
from rq import Queue
from rq.registry import ScheduledJobRegistry, StartedJobRegistry

from tco_bridge import keys
from tco_bridge.queueing import PENDING_TTL, EventQueue
from tco_bridge.writeback import CLAIMED

SHARDS = 8


#: Seconds with events in a stream and no job queued or running before the wait loop re-queues
#: the shard's drain (the clock's sweep does it in production).
STALL_S = 2.0


def requeue_stalled(client: redis.Redis, queue: Queue) -> int:
    """Queue a drain for each shard holding events while no job is queued or running."""
    if queue.count or StartedJobRegistry(queue=queue).count:
        return 0
    events = EventQueue(client, queue, SHARDS, 3600)
    stalled = [s for s in range(SHARDS) if client.xlen(keys.stream(s))]
    for shard in stalled:
        client.set(keys.pending(shard), "1", ex=PENDING_TTL)
        events.enqueue_drain(shard)
    return len(stalled)


def quiet(client: redis.Redis, queue: Queue) -> tuple[bool, bool]:
    """(every event applied, and no write-back left anywhere)."""
    applied = all(client.xlen(keys.stream(s)) == 0 for s in range(SHARDS)) and not any(
        client.exists(keys.pending(s)) for s in range(SHARDS)
    )
    idle = (
        applied
        and client.llen(keys.OUTBOX) == 0
        and client.zcard(CLAIMED) == 0
        and queue.count == 0
        and ScheduledJobRegistry(queue=queue).count == 0
        and StartedJobRegistry(queue=queue).count == 0
    )
    return applied, idle
