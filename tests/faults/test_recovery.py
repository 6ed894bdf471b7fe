"""Leases, the sweep for abandoned write-back jobs and the mover of scheduled retries, on a real
Redis, one step at a time (the end-to-end versions with killed processes are in
test_crashes.py)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from faults_kit import ZENDESK_ENV, group_actions, wait_for
from redis.exceptions import WatchError

from tco_bridge import keys, recovery
from tco_bridge.clock import Clock
from tco_bridge.errors import ConfigError
from tco_bridge.lease import GRACE_S, LEASE_S, REJOIN_S, RENEW_S, Lease, LeaseTiming, lease_key
from tco_bridge.recovery import move_due, requeue_abandoned, requeue_stranded
from tco_bridge.runtime import Runtime
from tco_bridge.writeback import enqueue_group


@pytest.fixture
def rt(make_runtime: Any) -> Runtime:
    runtime: Runtime = make_runtime(**ZENDESK_ENV, TCO_ZENDESK_URL="http://127.0.0.1:9")
    return runtime


def started_by_a_worker(rt: Runtime, seconds_ago: float, drain: int | None = None) -> str:
    """A write-back job (or the drain of shard ``drain``) as a worker leaves it when it dies:
    in the started registry."""
    if drain is None:
        enqueue_group(rt, "zendesk", "4242", [a.to_json() for a in group_actions()])
    else:
        rt.events.enqueue_drain(drain)
    job = rt.queue.jobs[0]
    rt.queue.remove(job.id)
    job.started_at = datetime.now(UTC) - timedelta(seconds=seconds_ago)
    job.save()
    registry = recovery.StartedJobRegistry(queue=rt.queue)
    rt.redis.zadd(registry.key, {f"{job.id}:exec-1": time.time() + 300})
    return str(job.id)


LOCK = "tco:wb:lock:zendesk:4242"


@contextmanager
def renewed_lease(rt: Runtime) -> Iterator[Lease]:
    """A job's lease of half a second and its ticket lock, renewed every 100 ms."""
    with Lease(rt.redis, "job-1", "token", LeaseTiming(0.5)) as lease:
        assert lease.hold(LOCK)
        yield lease


def test_a_lease_is_renewed_while_held_and_released_at_the_end(rt: Runtime) -> None:
    with renewed_lease(rt):
        assert not Lease(rt.redis, None, "other").hold(LOCK)
        rt.redis.pexpire(lease_key("job-1"), 200)
        time.sleep(0.3)  # would have lapsed without renewal
        assert rt.redis.pttl(lease_key("job-1")) > 300  # renewed to 500 ms, not taken back
    assert not rt.redis.exists(lease_key("job-1"), LOCK)


def test_a_commit_watching_a_held_key_fails_once_it_changed_hands(rt: Runtime) -> None:
    """``Lease.watch``: the drain's commit goes through only while its shard lock is its own."""
    with renewed_lease(rt) as lease, rt.redis.pipeline(transaction=True) as pipe:
        assert lease.watch(pipe, LOCK)
        rt.redis.set(LOCK, "other")  # lapsed, and another job took it
        pipe.multi()
        pipe.set("tco:committed", "1")
        with pytest.raises(WatchError):
            pipe.execute()
        assert not rt.redis.exists("tco:committed")
        assert not lease.watch(pipe, LOCK)  # and a later look sees it is not ours
        pipe.reset()
        assert not lease.watch(pipe, "tco:wb:lock:zendesk:none")  # nor is a free key


def test_lease_timing_follows_tco_lease_seconds(make_runtime: Any) -> None:
    """Renewal at a fifth of the lease, the clock's rejoin wait two renewals, the sweep's
    grace two thirds; the default is 15 s."""
    rt = make_runtime(**ZENDESK_ENV, TCO_LEASE_SECONDS="4")
    short = LeaseTiming.of(rt)
    assert (short.seconds, short.renew, short.rejoin) == (4.0, 0.8, 1.6)
    assert short.grace == pytest.approx(8 / 3)
    assert (LEASE_S, RENEW_S, REJOIN_S, GRACE_S) == (15.0, 3.0, 6.0, 10.0)
    with Lease(rt.redis, "job-2", "token", LeaseTiming.of(rt)):
        assert 3000 < rt.redis.pttl(lease_key("job-2")) <= 4000
    with pytest.raises(ConfigError, match="TCO_LEASE_SECONDS"):
        make_runtime(**ZENDESK_ENV, TCO_LEASE_SECONDS="1")


def test_a_lease_an_outage_let_lapse_is_taken_back_unless_another_holder_took_it(
    rt: Runtime,
) -> None:
    with renewed_lease(rt):
        rt.redis.delete(lease_key("job-1"))  # lapsed while Redis was away
        rt.redis.set(LOCK, "other")  # lapsed, and another job took it
        wait_for(lambda: rt.redis.get(lease_key("job-1")) == b"token", 5, "the lease back")
        assert rt.redis.get(LOCK) == b"other"
    assert rt.redis.get(LOCK) == b"other"  # not released: not ours


def test_a_job_whose_lease_lapsed_is_queued_again_once(rt: Runtime) -> None:
    job_id = started_by_a_worker(rt, seconds_ago=30)
    assert requeue_abandoned(rt) == 1
    (again,) = rt.queue.jobs
    assert again.id != job_id
    assert [a["id"] for a in again.kwargs["actions"]] == [a.id for a in group_actions()]
    assert requeue_abandoned(rt) == 0  # the registry entry is gone: not twice
    assert rt.queue.fetch_job(job_id) is None
    assert rt.queue.count == 1


def test_a_live_or_just_started_job_is_left_alone(rt: Runtime) -> None:
    alive = started_by_a_worker(rt, seconds_ago=30)
    rt.redis.set(lease_key(alive), "token", px=10_000)
    started_by_a_worker(rt, seconds_ago=1)
    assert requeue_abandoned(rt) == 0
    assert rt.queue.count == 0


def test_a_drain_whose_shard_lock_lapsed_is_queued_again_once(rt: Runtime) -> None:
    """A drain job killed mid-batch: its shard lock (a lease) lapsed, its batch is still in the
    stream; a fresh drain job for the shard redoes it. A drain whose lock is held is running."""
    dead = started_by_a_worker(rt, seconds_ago=30, drain=3)
    alive = started_by_a_worker(rt, seconds_ago=30, drain=5)
    rt.redis.set(keys.lock(5), "token", px=10_000)
    assert requeue_abandoned(rt) == 1
    (again,) = rt.queue.jobs
    assert again.func_name == "tco_bridge.worker.drain_shard" and list(again.args) == [3]
    assert rt.queue.fetch_job(dead) is None and rt.queue.fetch_job(alive) is not None
    assert requeue_abandoned(rt) == 0  # once


def test_a_job_taken_as_redis_went_away_is_queued_again_once(rt: Runtime) -> None:
    """A worker LMOVEs the job into RQ's intermediate list and loses Redis before it records
    the start: the job is in no registry. The sweep gives it a grace period, then queues it."""
    enqueue_group(rt, "zendesk", "4242", [a.to_json() for a in group_actions()])
    (job,) = rt.queue.jobs
    rt.redis.lmove(rt.queue.key, rt.queue.intermediate_queue_key)  # what a worker's dequeue does
    assert rt.queue.count == 0
    assert requeue_stranded(rt) == 0  # just taken: the worker may be about to start it
    assert requeue_stranded(rt, now=time.time() + 30) == 1
    assert [j.id for j in rt.queue.jobs] == [job.id]
    assert rt.redis.llen(rt.queue.intermediate_queue_key) == 0
    assert requeue_stranded(rt, now=time.time() + 60) == 0  # once


def test_a_job_its_worker_started_is_not_taken_from_the_intermediate_list(rt: Runtime) -> None:
    job_id = started_by_a_worker(rt, seconds_ago=30)
    rt.redis.rpush(rt.queue.intermediate_queue_key, job_id)
    requeue_stranded(rt)
    assert requeue_stranded(rt, now=time.time() + 30) == 0
    assert rt.queue.count == 0


def test_due_retries_are_moved_to_the_queue_once(rt: Runtime) -> None:
    actions = [a.to_json() for a in group_actions()]
    enqueue_group(rt, "zendesk", "4242", actions, attempt=2, delay=30)
    assert move_due(rt) == 0  # not due yet
    assert move_due(rt, now=time.time() + 31) == 1
    assert rt.queue.count == 1
    assert move_due(rt, now=time.time() + 31) == 0


def test_the_clock_judges_leases_only_once_redis_has_been_back_a_while(rt: Runtime) -> None:
    """After an outage, live jobs first take back the leases it let lapse (REJOIN_S)."""
    started_by_a_worker(rt, seconds_ago=30)  # no lease: dead, or alive and not back yet
    clock = Clock(rt)
    clock.reachable_since = None  # Redis was away
    clock.tick()
    assert clock.reachable_since is not None and rt.queue.count == 0  # not judged yet
    clock.reachable_since -= REJOIN_S
    clock._last_stall_check = 0.0
    clock.tick()
    assert rt.queue.count == 1
