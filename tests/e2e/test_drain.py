"""Drain jobs: one per shard at a time, hand-off after the time budget, crash recovery."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis
from rq import SimpleWorker

from tco_bridge import keys, worker
from tco_bridge.clock import Clock
from tco_bridge.event_codec import dump_event
from tco_bridge.events import Actor, ActorKind, Comment, EventType, TicketEvent
from tco_bridge.lease import Lease
from tco_bridge.ownership import OwnershipPolicy
from tco_bridge.plan import OwnershipOnly
from tco_bridge.rules_source import RulesSource

T0 = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)
ANNA = Actor("anna", ActorKind.AGENT, "Anna")


def fill(rt: Any, n: int) -> int:
    """``n`` agent replies on one ticket; returns its shard."""
    shard = 0
    for i in range(n):
        key = f"c{i}"
        event = TicketEvent(
            "zendesk",
            "900",
            EventType.COMMENT_ADDED,
            T0 + timedelta(minutes=i),
            key,
            actor=ANNA,
            comment=Comment(key, "hi", True, ANNA),
        )
        shard = rt.events.push("zendesk", key, event.ticket_key, [dump_event(event)], "t").shard
    return shard


@pytest.fixture
def rt(make_runtime: Any) -> Any:
    runtime = make_runtime(TCO_BATCH_SIZE="2")
    policy = OwnershipPolicy(mirror_owner=False)
    runtime.rules_source = RulesSource.fixed(OwnershipOnly(policy))
    return runtime


def work(rt: Any) -> None:
    SimpleWorker([rt.queue], connection=rt.redis, serializer=rt.queue.serializer).work(burst=True)


def touches(rt: Any) -> int:
    from tco_bridge.state_codec import decode

    raw = rt.redis.get(keys.ticket("zendesk", "900"))
    return decode(raw).touches if raw else 0


def test_time_budget_hands_the_shard_to_a_fresh_job(
    rt: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(worker, "TIME_BUDGET_S", 0.0)  # hand off after every batch
    shard = fill(rt, 7)
    work(rt)
    assert rt.redis.xlen(keys.stream(shard)) == 0 and touches(rt) == 7
    assert not rt.redis.exists(keys.pending(shard), keys.lock(shard))


def test_the_leases_own_renewal_between_watch_and_exec_does_not_abandon_the_batch(
    rt: Any, redis_client: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The renewal thread's PEXPIRE on the shard lock aborts a transaction watching it; the
    commit is tried again, since the lock is still the job's."""
    watch = Lease.watch
    renewals = []

    def watch_then_renew(lease: Lease, pipe: Any, name: str) -> bool:
        held = watch(lease, pipe, name)
        if len(renewals) < 2:  # the first two commits are cut by a renewal, as in production
            renewals.append(redis_client.pexpire(name, 60_000))
        return held

    monkeypatch.setattr(Lease, "watch", watch_then_renew)
    shard = fill(rt, 3)
    work(rt)
    assert renewals == [True, True]
    assert rt.redis.xlen(keys.stream(shard)) == 0 and touches(rt) == 3
    assert not rt.redis.exists(keys.lock(shard))


def test_a_commit_whose_lock_changed_hands_is_abandoned(
    rt: Any, redis_client: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    watch = Lease.watch

    def watch_then_lose(lease: Lease, pipe: Any, name: str) -> bool:
        held = watch(lease, pipe, name)
        redis_client.set(name, "another-job", px=60_000)  # the lease lapsed; a new job took it
        return held

    monkeypatch.setattr(Lease, "watch", watch_then_lose)
    shard = fill(rt, 3)
    work(rt)
    assert rt.redis.xlen(keys.stream(shard)) == 3 and touches(rt) == 0  # nothing committed
    assert redis_client.get(keys.lock(shard)) == b"another-job"  # and not released by this job


def test_a_held_shard_turns_a_second_job_away_and_nothing_is_lost(
    rt: Any, redis_client: redis.Redis
) -> None:
    shard = fill(rt, 3)
    redis_client.set(keys.lock(shard), "someone-else", px=60_000)
    work(rt)  # the queued drain job finds the shard taken
    assert rt.redis.xlen(keys.stream(shard)) == 3
    redis_client.delete(keys.lock(shard), keys.pending(shard))  # that holder died long ago
    Clock(rt).tick()  # the clock sees events with no drain job and queues one
    work(rt)
    assert rt.redis.xlen(keys.stream(shard)) == 0 and touches(rt) == 3


def test_an_unreadable_state_is_set_aside_and_the_ticket_starts_afresh(
    rt: Any, redis_client: redis.Redis
) -> None:
    redis_client.set(keys.ticket("zendesk", "900"), b'{"from": "an incompatible version"}')
    shard = fill(rt, 2)
    work(rt)
    assert rt.redis.xlen(keys.stream(shard)) == 0 and touches(rt) == 2
    assert redis_client.get("tco:unreadable:zendesk:900") == b'{"from": "an incompatible version"}'
