"""Worker throughput: batched drain jobs against one RQ job per event, same 2 processes.

50,000 events over 1,000 tickets (created, agent replies, internal notes, escalations,
assignments, status changes) are queued exactly as the receiver queues them; then two worker
processes drain them with ownership tracking on and no rules. The baseline, in the same run,
is two processes of the same worker class running 50,000 no-op RQ jobs. Target: >= 5x.

    python benchmarks/worker_throughput.py [--events 50000] [--tickets 1000]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import redis
from common import ROOT, private_redis
from rq import Queue
from rq.serializers import JSONSerializer

from tco_bridge import keys
from tco_bridge.event_codec import dump_event
from tco_bridge.events import Actor, ActorKind, Comment, EventType, Snapshot, Status, TicketEvent
from tco_bridge.queueing import EventQueue

T0 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
SHARDS = 8


def story(ticket: int, n: int) -> list[TicketEvent]:
    """``n`` events for one ticket, in a realistic mix."""
    tid = f"SBX-{ticket}"
    customer = Actor(f"cust-{ticket}", ActorKind.REQUESTER)
    agent = Actor(f"agent-{ticket % 40}", ActorKind.AGENT, "Agent")
    engineer = Actor(f"eng-{ticket % 10}", ActorKind.AGENT, "Engineer")
    snap = Snapshot(
        status=Status.NEW,
        priority="normal",
        group="service-desk",
        requester=customer.id,
        summary=f"Ticket {ticket}",
    )
    events = [
        TicketEvent(
            "sandbox", tid, EventType.CREATED, T0, f"c{ticket}", actor=customer, snapshot=snap
        )
    ]

    def comment(who: Actor, text: str, public: bool) -> dict[str, Any]:
        return {"type": EventType.COMMENT_ADDED, "actor": who, "text": text, "public": public}

    # One step of the cycle per event: agent reply, customer reply, escalation, pickup, note.
    cycle: list[dict[str, Any]] = [
        comment(agent, "reply", True),
        comment(customer, "thanks", True),
        {"type": EventType.GROUP_CHANGED, "actor": agent, "before": "service-desk"},
        {"type": EventType.ASSIGNEE_CHANGED, "actor": agent, "after": engineer.id},
        comment(engineer, "note", False),
        comment(engineer, "note", False),
    ]
    for i in range(1, n):
        step = dict(cycle[(i - 1) % len(cycle)])
        key = f"e{ticket}-{i}"
        kind: EventType = step.pop("type")
        extra: dict[str, Any] = {"actor": step["actor"]}
        if kind is EventType.COMMENT_ADDED:
            extra["comment"] = Comment(key, step["text"], step["public"], step["actor"])
        elif kind is EventType.GROUP_CHANGED:
            extra.update(before=step["before"], after=f"l2-{i % 3}")
        else:
            extra.update(after=step["after"], after_name="Engineer")
        events.append(TicketEvent("sandbox", tid, kind, T0 + timedelta(minutes=i), key, **extra))
    return events


def run_workers(url: str, queue: str, processes: int = 2) -> float:
    started = time.perf_counter()
    procs = [
        subprocess.Popen(
            [sys.executable, str(ROOT / "benchmarks/worker_proc.py"), url, queue],
            stdout=subprocess.DEVNULL,  # its own timing line; this benchmark times from outside
        )
        for _ in range(processes)
    ]
    for proc in procs:
        proc.wait()
    return time.perf_counter() - started


def bench_drain(url: str, events: int, tickets: int) -> float:
    client = redis.Redis.from_url(url)
    client.flushdb()
    queue = Queue("bench-drain", connection=client, serializer=JSONSerializer)
    eq = EventQueue(client, queue, SHARDS, 3600)
    per_ticket = events // tickets
    for t in range(tickets):
        for n, event in enumerate(story(t, per_ticket)):
            eq.push("sandbox", f"d{t}-{n}", event.ticket_key, [dump_event(event)], "x")
    elapsed = run_workers(url, "bench-drain")
    left = sum(client.xlen(keys.stream(s)) for s in range(SHARDS))
    saved = len(client.keys("tco:ticket:*"))
    assert left == 0 and saved == tickets, f"{left} events left, {saved} tickets saved"
    return elapsed


def bench_baseline(url: str, events: int) -> float:
    client = redis.Redis.from_url(url)
    client.flushdb()
    queue = Queue("bench-noop", connection=client, serializer=JSONSerializer)
    batch = [
        Queue.prepare_data("benchmarks.noop.noop", args=({"n": i},), result_ttl=0)
        for i in range(events)
    ]
    for i in range(0, events, 1000):
        queue.enqueue_many(batch[i : i + 1000])
    elapsed = run_workers(url, "bench-noop")
    assert queue.count == 0
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--tickets", type=int, default=1_000)
    parser.add_argument(
        "--baseline-events",
        type=int,
        default=10_000,
        help="no-op jobs for the baseline rate (it is slow: ~350/s)",
    )
    args = parser.parse_args()
    with private_redis() as server:
        base = bench_baseline(server.url, args.baseline_events)
        drain = bench_drain(server.url, args.events, args.tickets)
    base_rate, drain_rate = args.baseline_events / base, args.events / drain
    print(f"{args.events} events over {args.tickets} tickets, 2 worker processes (SimpleWorker)")
    print(f"baseline, one no-op RQ job per event: {base_rate:10.0f} events/s ({base:.1f} s)")
    print(f"batched drain, ownership on:          {drain_rate:10.0f} events/s ({drain:.1f} s)")
    ratio = drain_rate / base_rate
    print(
        f"ratio drain/baseline: {ratio:.1f}x (target >= 5x: {'meets' if ratio >= 5 else 'MISSES'})"
    )


if __name__ == "__main__":
    main()
