"""A retried group never re-sends what already landed (issue 9, point 5).

A storm of 429s and 503s from a stand-in Zendesk, failing the request at every position of a
write-back group in turn (the read of the ticket's tags, the Update Ticket carrying the note and
the tags, the follow-up's search and create, the comment read of a retry): each action must
reach the tool exactly once. The jobs run on a real RQ worker and a real Redis; scheduled
retries are moved by the clock's mover (``recovery.move_due``), its clock set past the
Retry-After.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from faults_kit import (
    ZENDESK_ENV,
    Fault,
    StandIn,
    assert_each_action_landed_once,
    group_actions,
    push_group,
)
from rq import SimpleWorker
from rq.registry import ScheduledJobRegistry

from tco_bridge import failed
from tco_bridge.recovery import move_due
from tco_bridge.runtime import Runtime
from tco_bridge.writeback import dispatch_outbox

POSITIONS = ["show_ticket", "update_ticket", "search", "create_ticket"]


@pytest.fixture
def stand_in() -> Any:
    with StandIn() as tool:
        yield tool


@pytest.fixture
def rt(make_runtime: Any, stand_in: StandIn) -> Runtime:
    runtime: Runtime = make_runtime(**ZENDESK_ENV, TCO_ZENDESK_URL=stand_in.url)
    return runtime


def run_until_quiet(rt: Runtime, rounds: int = 20) -> None:
    """Work the queue; move every scheduled retry as if its time had come; until nothing is
    left."""
    registry = ScheduledJobRegistry(queue=rt.queue)
    for _ in range(rounds):
        worker = SimpleWorker([rt.queue], connection=rt.redis, serializer=rt.queue.serializer)
        worker.work(burst=True, with_scheduler=False)
        if not registry.count and not rt.queue.count:
            return
        move_due(rt, now=time.time() + 3600)
    raise AssertionError("write-backs still pending after the storm")


@pytest.mark.parametrize("status", [429, 503])
@pytest.mark.parametrize("position", POSITIONS)
def test_a_failure_at_any_position_sends_each_action_once(
    rt: Runtime, stand_in: StandIn, position: str, status: int
) -> None:
    actions = group_actions(note=False)  # no comment: no marker a retry could look for
    stand_in.plan.faults = [Fault(position, status=status)]
    push_group(rt.redis, actions)
    dispatch_outbox(rt)
    run_until_quiet(rt)
    assert stand_in.plan.answered == [(position, status)]  # the fault really happened
    assert_each_action_landed_once(stand_in, actions)
    assert not rt.redis.hlen(failed.FAILED)  # nothing parked


def test_a_storm_failing_every_request_kind_in_turn(rt: Runtime, stand_in: StandIn) -> None:
    """Every kind fails once, some twice, 429s and 503s mixed, the retry's comment read too."""
    actions = group_actions()
    stand_in.plan.faults = [
        Fault("show_ticket", 1, 503),
        Fault("update_ticket", 1, 503),
        Fault("list_comments", 1, 429),
        Fault("update_ticket", 2, 429),
        Fault("search", 1, 429),
        Fault("search", 2, 503),
        Fault("create_ticket", 1, 503),
        Fault("create_ticket", 2, 429),
    ]
    push_group(rt.redis, actions)
    dispatch_outbox(rt)
    run_until_quiet(rt)
    assert len(stand_in.plan.answered) == 8
    assert_each_action_landed_once(stand_in, actions)
    assert not rt.redis.hlen(failed.FAILED)
