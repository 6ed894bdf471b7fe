"""A drain killed mid-batch recovers (issue 9, point 2): every event applied once, every
write-back once, with real processes.

Forty tickets' lives (the creation, the agent's first reply, then a run of internal notes) wait
in one shard's stream, one batch long, when the worker starts. It is killed with SIGKILL while
the drain job evaluates that batch: nothing was committed, and the shard lock it held (a lease)
lapses. The clock's sweep finds the abandoned drain job and queues a fresh one; another worker
redoes the batch.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from faults_kit import ZENDESK_ENV, StandIn, private_redis, processes, wait_for
from order_kit import ALICE, T0, comment, created

from tco_bridge import keys, telemetry
from tco_bridge.config import Settings
from tco_bridge.event_codec import dump_event
from tco_bridge.events import TicketEvent
from tco_bridge.runtime import Runtime
from tco_bridge.state_codec import decode

pytestmark = pytest.mark.slow

TICKETS = [str(7000 + n) for n in range(40)]
NOTES = 120  # per ticket: enough for the batch to take seconds to evaluate
MARKER = re.compile(r"tco:tco-[0-9a-f]+")  # an action's id, in the note that carries it


def life(ticket: str) -> list[TicketEvent]:
    """Older than the settle window: evaluated as soon as a drain reads them."""
    reply = comment(T0 + timedelta(minutes=1), "e01", ALICE, "Hello Carol, we are on it.")
    notes = [
        comment(T0 + timedelta(minutes=2, seconds=i), f"n{i:03d}", ALICE, "checked", public=False)
        for i in range(NOTES)
    ]
    return [replace(e, connector="zendesk", ticket=ticket) for e in [created(T0), reply, *notes]]


def owner_notes(stand_in: StandIn, ticket: str) -> int:
    return sum("you are now the contact owner" in c for c in stand_in.comments(ticket))


@pytest.fixture
def stand_in() -> Any:
    with StandIn() as tool:
        yield tool


def test_a_drain_killed_mid_batch_applies_every_event_and_writes_every_action_once(
    stand_in: StandIn, tmp_path: Path
) -> None:
    env = {
        **ZENDESK_ENV,
        "TCO_ZENDESK_URL": stand_in.url,
        "TCO_DATA_DIR": str(tmp_path),
        "TCO_SHARDS": "1",  # one stream, read in one batch
        "TCO_BATCH_SIZE": "1000",
        "TCO_LEASE_SECONDS": "4",  # the shard lock lapses 4 s after the kill, not 15
    }
    total = len(TICKETS) * (NOTES + 2)
    with private_redis(tmp_path / "redis") as server:
        env["REDIS_URL"] = server.url
        client = redis.Redis.from_url(server.url)
        events = Runtime.build(Settings.from_env(env), server.url).events
        for ticket in TICKETS:  # one delivery per ticket, all its events
            dumped = [dump_event(e) for e in life(ticket)]
            events.push("zendesk", f"d-{ticket}", f"zendesk:{ticket}", dumped, "t")
        with processes(env, tmp_path) as procs:
            procs.start("clock", "clock")
            procs.start("doomed", "worker")
            wait_for(lambda: client.exists(keys.lock(0)), 30, "the drain to take the shard", 0.01)
            procs.kill("doomed")
            assert client.xlen(keys.stream(0)) == len(TICKETS)  # killed before its commit
            assert client.get(keys.ticket("zendesk", TICKETS[0])) is None
            procs.start("survivor", "worker")
            wait_for(lambda: all(owner_notes(stand_in, t) for t in TICKETS), 90, "write-backs")
            wait_for(lambda: not client.xlen(keys.stream(0)), 10, "the stream to be drained")
            fired = 0  # timers due long ago fire as soon as the tickets are saved
            for ticket in TICKETS:
                state = decode(client.get(keys.ticket("zendesk", ticket)))
                assert {e.key for e in life(ticket)} <= set(state.seen), ticket
                fired += sum(1 for key in state.seen if key.startswith("timer:"))
                assert state.owner is not None and state.owner.id == "alice"
                assert owner_notes(stand_in, ticket) == 1, ticket
            markers = [m for t in TICKETS for c in stand_in.comments(t) for m in MARKER.findall(c)]
            assert len(markers) == len(set(markers))  # no action's note was written twice
            applied = telemetry.value(client, telemetry.EVENTS_APPLIED, connector="zendesk")
            assert applied == total + fired  # each event applied once (counted at commit)
            assert "drain of shard 0 was abandoned by a dead worker" in procs.log("clock")
            assert procs.alive() == {"clock": None, "survivor": None}
        client.close()
