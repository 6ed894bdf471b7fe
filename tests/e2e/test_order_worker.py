"""Order-independent outcomes through the real drain jobs on Redis (issue 9.1): the settle
window, late events placed in the history, and deadlines from the tool's own times."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from order_kit import ALICE, BURST, CAROL, GOOD_NOTE, T0, comment, created, in_order, lives
from rq import SimpleWorker

from tco_bridge import keys
from tco_bridge.actions import Action
from tco_bridge.clock import Clock
from tco_bridge.event_codec import dump_event
from tco_bridge.events import TicketEvent
from tco_bridge.rules import load_rules
from tco_bridge.state import TicketState
from tco_bridge.state_codec import decode
from tco_bridge.timers import WAKE, epoch

RULES = load_rules(Path(__file__).resolve().parents[2] / "rules" / "default.yaml")
WINDOW = timedelta(seconds=3)
BUDGET = settings(
    max_examples=12,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


class Bridge:
    """A runtime on a virtual clock whose write-backs stay in the outbox, to be read."""

    def __init__(self, rt: Any) -> None:
        self.rt = rt
        self.now = T0
        rt.now = lambda: self.now
        self.sent = 0

    def push(self, event: TicketEvent) -> None:
        self.sent += 1
        delivery = f"{event.key}-{self.sent}"
        self.rt.events.push(event.connector, delivery, event.ticket_key, [dump_event(event)], "t")

    def deliver(self, event: TicketEvent) -> None:
        self.push(event)
        self.work()

    def work(self) -> None:
        rt = self.rt
        SimpleWorker([rt.queue], connection=rt.redis, serializer=rt.queue.serializer).work(
            burst=True, with_scheduler=False
        )

    def tick(self) -> None:
        Clock(self.rt).tick()
        self.work()

    def state(self) -> TicketState | None:
        raw = self.rt.redis.get(keys.ticket("sandbox", "T-1"))
        return decode(raw) if raw else None

    def writes(self) -> list[Action]:
        groups = [json.loads(g) for g in self.rt.redis.lrange(keys.OUTBOX, 0, -1)]
        return [Action.from_json(a) for g in groups for a in g["actions"]]

    def timers(self) -> dict[str, float]:
        found = self.rt.redis.zrange(keys.TIMERS, 0, -1, withscores=True)
        prefix = "|sandbox|T-1|"
        return {m.decode().split(prefix)[1]: s for m, s in found if prefix in m.decode()}

    def waiting(self) -> int:
        shard = keys.shard_of("sandbox:T-1", self.rt.settings.shards)
        return int(self.rt.redis.xlen(keys.stream(shard)))


@pytest.fixture
def bridge(make_runtime: Any, monkeypatch: pytest.MonkeyPatch) -> Bridge:
    monkeypatch.setattr("tco_bridge.writeback.dispatch_outbox", lambda rt: 0)
    return Bridge(make_runtime(TCO_SETTLE_SECONDS="3"))


def latest(events: list[TicketEvent]) -> datetime:
    return max(e.at for e in events)


@BUDGET
@given(st.data())
def test_a_burst_reaching_the_drain_together_in_any_order_gives_the_in_order_outcome(
    bridge: Bridge, redis_client: redis.Redis, data: st.DataObject
) -> None:
    redis_client.flushdb()
    events = data.draw(lives(max_steps=5, gaps=BURST))  # one update's deliveries
    bridge.now = latest(events)  # each delivery lands at once: fresh
    for event in data.draw(st.permutations(events)):
        bridge.push(event)  # all in the stream before a drain runs
    bridge.work()
    assert bridge.state() is None and bridge.waiting() == len(events)  # held together
    bridge.now = latest(events) + WINDOW
    bridge.tick()  # the wake timer brings the drain back
    reference = in_order(RULES, events)
    assert bridge.state() == reference.state
    assert bridge.writes() == reference.writes
    assert bridge.timers() == {n: epoch(d) for n, d in reference.state.timers.items()}
    assert bridge.waiting() == 0


@BUDGET
@given(st.data())
def test_a_burst_drained_delivery_by_delivery_settles_after_its_first(
    bridge: Bridge, redis_client: redis.Redis, data: st.DataObject
) -> None:
    """The first delivery on a quiet ticket is evaluated at once; each one after it within
    the window makes the ticket wait, and the rest are evaluated together. In the tool's
    order, that is the in-order outcome; a straggler belonging before the first is placed
    late: the same final state, nothing written twice."""
    redis_client.flushdb()
    events = data.draw(lives(max_steps=5, gaps=BURST))
    bridge.now = latest(events)
    first, *rest = data.draw(st.permutations(events))
    bridge.deliver(first)
    state = bridge.state()
    assert state is not None and first.key in state.seen and bridge.waiting() == 0
    for event in rest:
        bridge.deliver(event)
    assert bridge.state() == state and bridge.waiting() == len(rest)
    bridge.now = latest(events) + WINDOW
    bridge.tick()
    reference = in_order(RULES, events)
    assert bridge.state() == reference.state and bridge.waiting() == 0
    ids = [a.id for a in bridge.writes()]
    assert len(ids) == len(set(ids))
    if first == min(events, key=lambda e: (e.at, e.key)):
        assert bridge.writes() == reference.writes


@BUDGET
@given(st.data())
def test_deliveries_past_the_window_give_the_same_state_and_no_doubled_write(
    bridge: Bridge, redis_client: redis.Redis, data: st.DataObject
) -> None:
    redis_client.flushdb()
    events = data.draw(lives(max_steps=5))
    bridge.now = latest(events) + WINDOW  # each one is evaluated as soon as it lands
    for event in data.draw(st.permutations(events)):
        bridge.deliver(event)
        assert bridge.waiting() == 0
    reference = in_order(RULES, events)
    assert bridge.state() == reference.state
    ids = [a.id for a in bridge.writes()]
    assert len(ids) == len(set(ids))
    assert bridge.timers() == {n: epoch(d) for n, d in reference.state.timers.items()}


def test_an_old_delivery_on_a_quiet_stream_waits_for_nothing(bridge: Bridge) -> None:
    bridge.now = T0 + WINDOW
    bridge.deliver(created(T0))
    state = bridge.state()
    assert state is not None and state.seen == ("e00",)
    assert bridge.waiting() == 0


def wake(bridge: Bridge) -> float | None:
    shard = keys.shard_of("sandbox:T-1", bridge.rt.settings.shards)
    assert not bridge.rt.redis.exists(keys.pending(shard))  # the drain is done, not spinning
    return bridge.rt.redis.zscore(keys.TIMERS, f"{shard}|{WAKE}")


def test_a_lone_in_order_delivery_is_evaluated_at_once_with_the_default_window(
    make_runtime: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No latency on a quiet, in-order stream: the virtual clock never moves past the
    window, yet each delivery is applied and its write-backs are queued by the drain it
    started, with no wake-up set."""
    monkeypatch.setattr("tco_bridge.writeback.dispatch_outbox", lambda rt: 0)
    bridge = Bridge(make_runtime(TCO_SETTLE_SECONDS=None))
    assert bridge.rt.settings.settle_seconds == 3  # the default
    bridge.now = T0
    bridge.deliver(created(T0))
    state = bridge.state()
    assert state is not None and state.seen == ("e00",)
    assert bridge.waiting() == 0 and wake(bridge) is None
    reply = comment(T0 + timedelta(minutes=5), "e01", ALICE, "Hello Carol, we are on it.")
    bridge.now = reply.at  # the reply is as fresh as can be
    bridge.deliver(reply)
    state = bridge.state()
    assert state is not None and state.owner is not None and state.owner.id == "alice"
    assert [a.rule for a in bridge.writes()] == ["owner-assigned", "owner-mirror"]
    assert bridge.waiting() == 0 and wake(bridge) is None


def test_a_straggler_within_the_window_waits_it_out_and_is_placed_in_order(
    bridge: Bridge,
) -> None:
    """The reply overtook the ticket's creation: the reply, alone on a quiet ticket, is
    evaluated at once; the creation, within the window after it, waits out the window once
    and is then placed before it."""
    reply = comment(T0 + timedelta(seconds=1), "e01", ALICE, "Hello Carol, we are on it.")
    bridge.now = T0 + timedelta(seconds=1)
    bridge.deliver(reply)
    assert bridge.waiting() == 0 and wake(bridge) is None
    first = bridge.state()
    bridge.deliver(created(T0))
    assert wake(bridge) == epoch(T0 + WINDOW) and bridge.waiting() == 1
    bridge.now = T0 + WINDOW - timedelta(milliseconds=1)
    bridge.tick()
    assert bridge.state() == first and bridge.waiting() == 1  # not yet
    bridge.now = T0 + WINDOW
    bridge.tick()
    assert bridge.state() == in_order(RULES, [created(T0), reply]).state
    assert bridge.waiting() == 0
    ids = [a.id for a in bridge.writes()]
    assert len(ids) == len(set(ids))


def test_deadlines_do_not_depend_on_when_the_worker_runs(bridge: Bridge) -> None:
    events = [created(T0), comment(T0 + timedelta(minutes=5), "e01", ALICE, GOOD_NOTE)]
    bridge.now = T0 + timedelta(hours=6)  # the worker was down for hours
    for event in events:
        bridge.deliver(event)
    assert bridge.timers() == {n: epoch(d) for n, d in in_order(RULES, events).state.timers.items()}


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b'{"base": null, "entries": [{"e": {"key": "x", "at": "2026-01-01T00:00:00+00:00"}}]}',
    ],
)
def test_an_unreadable_history_costs_only_the_placing_of_late_events(
    bridge: Bridge, redis_client: redis.Redis, raw: bytes
) -> None:
    bridge.now = T0 + timedelta(hours=1)
    bridge.deliver(created(T0))
    bridge.deliver(comment(T0 + timedelta(minutes=10), "e02", ALICE, "Hello Carol."))
    redis_client.set(keys.history("sandbox", "T-1"), raw)
    bridge.deliver(comment(T0 + timedelta(minutes=5), "e01", CAROL, "More details."))
    state = bridge.state()
    assert state is not None and "e01" in state.seen
    assert state.owner is not None and state.owner.id == "alice"
    assert bridge.waiting() == 0
