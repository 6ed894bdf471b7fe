"""The drain of one worker process against pure ``process()`` on the same events.

The worker_throughput.py story (50,000 events over 1,000 tickets, ownership on, no rules) is
queued exactly as the receiver queues it; one worker process (benchmarks/worker_proc.py, a
SimpleWorker as ``tco-bridge worker`` runs) drains it. Its rate counts the worker's own time
from its first job to an empty queue (start-up excluded). The baseline, in the same run, is
``pipeline.process`` alone over the same events, in the same order, in this process: what the
drain would do with free Redis reads, decoding and commits. Target: >= 12,000 events/s.

    python benchmarks/drain.py [--events 50000] [--tickets 1000] [--profile]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import redis
from common import ROOT, private_redis
from rq import Queue
from rq.serializers import JSONSerializer
from worker_proc import POLICY
from worker_throughput import SHARDS, story

from tco_bridge import keys
from tco_bridge.event_codec import dump_event
from tco_bridge.events import TicketEvent
from tco_bridge.pipeline import process
from tco_bridge.plan import Context, OwnershipOnly
from tco_bridge.queueing import EventQueue
from tco_bridge.state import TicketState, new_state

TARGET = 12_000


def events_of(events: int, tickets: int) -> list[TicketEvent]:
    per_ticket = events // tickets
    return [e for t in range(tickets) for e in story(t, per_ticket)]


def queue_events(url: str, name: str, events: list[TicketEvent], shards: int = SHARDS) -> None:
    """Push every event as the receiver does: one delivery per event, ticket by ticket."""
    client = redis.Redis.from_url(url)
    client.flushdb()
    eq = EventQueue(client, Queue(name, connection=client, serializer=JSONSerializer), shards, 3600)
    for n, event in enumerate(events):
        eq.push("sandbox", f"d{n}", event.ticket_key, [dump_event(event)], "x")


def check_drained(url: str, tickets: int, shards: int = SHARDS) -> None:
    client = redis.Redis.from_url(url)
    left = sum(client.xlen(keys.stream(s)) for s in range(shards))
    saved = len(client.keys("tco:ticket:*"))
    assert left == 0 and saved == tickets, f"{left} events left, {saved} tickets saved"


def run_workers(
    url: str, queue: str, processes: int, profile: bool = False, shards: int = SHARDS
) -> dict[str, float]:
    """Start ``processes`` workers at once; the slowest one's work time and the total CPU."""
    extra = ["--profile"] if profile else []
    env = {**os.environ, "TCO_SHARDS": str(shards)}
    script = str(ROOT / "benchmarks/worker_proc.py")
    procs = [
        subprocess.Popen(
            [sys.executable, script, url, queue, *extra],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(processes)
    ]
    reports = [json.loads(proc.communicate()[0].strip().splitlines()[-1]) for proc in procs]
    if any(proc.returncode for proc in procs):
        raise SystemExit("a worker process failed")
    return {
        "seconds": max(r["seconds"] for r in reports),
        "cpu": sum(r["cpu"] for r in reports),
    }


def pure_rate(events: list[TicketEvent], rounds: int = 3) -> tuple[float, float]:
    """``process()`` alone over the events, best of ``rounds``: the ceiling of a drain.
    Events/s and CPU µs per event."""
    rules = OwnershipOnly(POLICY)
    best, best_cpu = 0.0, float("inf")
    for _ in range(rounds):
        states: dict[str, TicketState] = {}
        context = Context(workload={})
        started, cpu = time.perf_counter(), time.process_time()
        for event in events:
            key = event.ticket_key
            state = states.get(key) or new_state(event.connector, event.ticket)
            states[key] = process(state, event, rules, event.at, context).state
        best = max(best, len(events) / (time.perf_counter() - started))
        best_cpu = min(best_cpu, (time.process_time() - cpu) / len(events) * 1e6)
    return best, best_cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--tickets", type=int, default=1_000)
    parser.add_argument(
        "--profile", action="store_true", help="cProfile the worker (top costs on stderr)"
    )
    args = parser.parse_args()
    events = events_of(args.events, args.tickets)
    pure, pure_cpu = pure_rate(events)
    with private_redis() as server:
        queue_events(server.url, "bench-drain", events)
        took = run_workers(server.url, "bench-drain", 1, profile=args.profile)
        check_drained(server.url, args.tickets)
    drain = len(events) / took["seconds"]
    print(f"{len(events)} events over {args.tickets} tickets, ownership on, one worker process")
    print(
        f"pure process(), same events, this process: {pure:10,.0f} events/s "
        f"({pure_cpu:.0f} CPU µs/event)"
    )
    print(
        f"drain, one worker process:                 {drain:10,.0f} events/s "
        f"({took['seconds']:.1f} s, {took['cpu'] / len(events) * 1e6:.0f} CPU µs/event)"
    )
    verdict = "meets" if drain >= TARGET else "MISSES"
    cpu_rate = len(events) / took["cpu"]
    print(
        f"ratio drain/pure: {drain / pure:.2f} (CPU: {cpu_rate / (1e6 / pure_cpu):.2f}); "
        f"drain per CPU second {cpu_rate:,.0f} events; target >= {TARGET:,} events/s: {verdict}"
    )


if __name__ == "__main__":
    main()
