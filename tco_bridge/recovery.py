"""Work keeps moving when a worker dies: the sweep for abandoned jobs, the rescue of jobs left
in limbo, and the mover of scheduled retries. The sweep and the mover run in the clock.

**Leases** (``lease.py``) tell a live job from a dead one: a job's lease and its locks lapse
soon after its process dies.

**The sweep** (:func:`requeue_abandoned`) reads RQ's started registry. A write-back job started
more than ``GRACE_S`` (two thirds of the lease) ago whose lease is gone was abandoned: whoever
removes its entry from the registry (ZREM answers 1 to one process only) queues it again under a
fresh id, with its attempt count; the done markers skip what landed, and the ``tried`` markers
make the connector look for the trace of what may have landed. A drain job whose shard lock (a
lease too, taken in ``worker.py``) is gone was abandoned as well: its batch is still in the
stream (nothing is committed before EXEC), and a fresh drain job for the shard redoes it. RQ's
own clean-up would only mark such jobs failed, once their timeout had passed, and nobody would
retry them.

**Limbo** (:func:`requeue_stranded`): a worker takes a job with LMOVE from the queue into RQ's
intermediate list, then records it as started. When Redis stops between the two (a restart, a
failover), the job sits in the intermediate list, in no registry, and RQ's own clean-up only
marks it failed at a worker's 10-minute maintenance. The sweep puts every job that has stayed
there longer than ``GRACE_S`` back on its queue, once (LREM answers 1 to one process only).

**Scheduled retries** (:func:`move_due`): a retry is ``enqueue_in`` (see ``writeback.py``), kept
in RQ's scheduled registry until due. RQ's scheduler runs inside one worker under a lock of
61 s, only re-tried by the others at their 10-minute maintenance, and its thread dies when
Redis restarts. So workers run without it and the clock moves due jobs itself, every
``MOVE_S``, in a WATCH/MULTI transaction: several clocks may run, each job is queued once.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import redis
from rq.intermediate_queue import IntermediateQueue
from rq.job import Job
from rq.registry import ScheduledJobRegistry, StartedJobRegistry

from . import keys
from .keys import text
from .lease import LeaseTiming, lease_key
from .runtime import Runtime

log = logging.getLogger(__name__)

MOVE_S = 1.0
WRITEBACK_JOB_PREFIX = "tco-wb-"


def requeue_abandoned(rt: Runtime, now: float | None = None) -> int:
    """Queue again every write-back job whose worker died while running it, and a drain for
    every shard whose drain job died mid-batch; returns how many."""
    client = rt.redis
    registry = StartedJobRegistry(queue=rt.queue)
    moment = time.time() if now is None else now
    grace = LeaseTiming.of(rt).grace
    requeued = 0
    entries: list[bytes] = client.zrange(registry.key, 0, -1)  # type: ignore[assignment]
    for raw in entries:
        job_id = text(raw).partition(":")[0]
        writeback = job_id.startswith(WRITEBACK_JOB_PREFIX)
        if writeback and client.exists(lease_key(job_id)):
            continue
        job = Job.fetch_many([job_id], connection=client, serializer=rt.queue.serializer)[0]
        shard = None if job is None or writeback else _drained_shard(job)
        if not writeback and (shard is None or client.exists(keys.lock(shard))):
            continue  # not ours, or its drain holds the shard
        started = job.started_at.timestamp() if job is not None and job.started_at else 0.0
        if moment - started < grace:
            continue  # just started: its lease may not be taken yet
        if not client.zrem(registry.key, raw):
            continue  # another clock took it
        if job is None:
            continue
        if shard is not None:
            rt.events.enqueue_drain(shard)  # the batch left in the stream is redone
            log.warning("drain of shard %s was abandoned by a dead worker: queued again", shard)
        else:
            _requeue_group(rt, job)
        job.delete()
        requeued += 1
    return requeued


def _drained_shard(job: Job) -> int | None:
    """The shard of a drain job (``worker.drain_shard``), None for any other job."""
    if job.func_name != "tco_bridge.worker.drain_shard" or not job.args:
        return None
    return int(job.args[0])


def _requeue_group(rt: Runtime, job: Job) -> None:
    from .outbox import enqueue_group

    kw: dict[str, Any] = job.kwargs
    enqueue_group(
        rt,
        kw["connector"],
        kw["ticket"],
        kw["actions"],
        attempt=kw.get("attempt", 1),
        group=kw.get("group"),
        first_failed=kw.get("first_failed"),
    )
    log.warning(
        "write-back %s on %s:%s was abandoned by a dead worker: queued again",
        job.id,
        kw["connector"],
        kw["ticket"],
    )


def requeue_stranded(rt: Runtime, now: float | None = None) -> int:
    """Queue again every job left in RQ's intermediate list, taken by a worker that never
    recorded it as started; returns how many were queued."""
    client = rt.redis
    limbo = IntermediateQueue(rt.queue.key, connection=client)
    taken = limbo.get_job_ids()
    if not taken:
        return 0
    started = set(StartedJobRegistry(queue=rt.queue).get_job_ids(cleanup=False))
    moment = time.time() if now is None else now
    grace = LeaseTiming.of(rt).grace
    requeued = 0
    for job_id in taken:
        if job_id in started:
            continue  # the normal path: the worker runs it
        limbo.set_first_seen(job_id)
        first_seen = limbo.get_first_seen(job_id)
        if first_seen is None or moment - first_seen.timestamp() < grace:
            continue  # a worker may be between LMOVE and recording the start
        if not client.lrem(limbo.key, 1, job_id):
            continue  # another clock took it
        client.delete(limbo.get_first_seen_key(job_id))
        job = rt.queue.fetch_job(job_id)
        if job is None:
            continue
        rt.queue._enqueue_job(job)
        requeued += 1
        log.warning(
            "job %s (%s) was taken by a worker that lost Redis: queued again",
            job_id,
            job.description,
        )
    return requeued


def move_due(rt: Runtime, now: float | None = None, limit: int = 500) -> int:
    """Move scheduled jobs that are due onto their queue; returns how many were moved."""
    client = rt.redis
    registry = ScheduledJobRegistry(queue=rt.queue)  # type: ignore[no-untyped-call]
    moment = time.time() if now is None else now
    with client.pipeline(transaction=True) as pipe:
        while True:
            try:
                pipe.watch(registry.key)  # type: ignore[no-untyped-call]
                due: list[bytes] = pipe.zrangebyscore(registry.key, 0, moment, 0, limit)  # type: ignore[assignment]
                ids = [text(i) for i in due]
                if not ids:
                    return 0
                jobs = Job.fetch_many(ids, connection=client, serializer=rt.queue.serializer)
                pipe.multi()
                for job_id, job in zip(ids, jobs, strict=True):
                    if job is not None:
                        rt.queue._enqueue_job(job, pipeline=pipe)
                    registry.remove(job_id, pipeline=pipe)
                pipe.execute()
                return len(ids)
            except redis.WatchError:
                continue  # another clock moved some; look again
