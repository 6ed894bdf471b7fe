"""Scaling across processes: the drain with 1, 2, 4, … worker processes, ingest with 1, 2, 4, …
gunicorn workers, up to the machine's cores (``os.cpu_count()``, or ``--max``).

Drain: ``--events-per-process`` events (the worker_throughput.py story, ``--tickets-per-process``
tickets each) per worker process, over ``--shards`` shard streams, all queued before the workers
start; the rate counts from the workers' first job to the last one's empty queue. Ingest: the
ingest.py load (signed 9 KB Jira deliveries with fresh ids) for ``--seconds`` against
``gunicorn -w N``, with 8 connections per worker (at least 16). Each line prints the rate, the
speed-up over one process and the efficiency (speed-up / processes). benchmarks/README.md
explains where the curve bends.

    python benchmarks/scaling.py [--max N] [--shards 32] [--seconds 10]
"""

from __future__ import annotations

import argparse
import os

from common import private_redis
from drain import check_drained, events_of, queue_events, run_workers
from ingest import env_for, measure


def steps(limit: int) -> list[int]:
    """1, 2, 4, … up to ``limit``, and ``limit`` itself when it is not a power of two."""
    out, n = [], 1
    while n < limit:
        out.append(n)
        n *= 2
    return [*out, limit]


def drain_rate(url: str, processes: int, args: argparse.Namespace) -> tuple[float, float]:
    """Events/s of ``processes`` workers, and their CPU µs per event."""
    tickets = args.tickets_per_process * processes
    events = events_of(args.events_per_process * processes, tickets)
    queue_events(url, "bench-scale", events, args.shards)
    took = run_workers(url, "bench-scale", processes, shards=args.shards)
    check_drained(url, tickets, args.shards)
    return len(events) / took["seconds"], took["cpu"] / len(events) * 1e6


def table(title: str, unit: str, rows: list[tuple[int, float, float]]) -> None:
    print(title)
    print(f"{'processes':>10}{unit:>12}{'speed-up':>10}{'efficiency':>12}{'CPU µs':>10}")
    base = rows[0][1]
    for n, rate, cpu in rows:
        print(f"{n:>10}{rate:>12,.0f}{rate / base:>9.2f}x{rate / base / n:>12.2f}{cpu:>10.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--max", type=int, default=os.cpu_count() or 1, help="most processes")
    parser.add_argument("--shards", type=int, default=32)
    parser.add_argument("--events-per-process", type=int, default=25_000)
    parser.add_argument("--tickets-per-process", type=int, default=500)
    parser.add_argument("--seconds", type=int, default=10, help="per ingest run")
    args = parser.parse_args()
    counts = steps(max(args.max, 1))
    print(f"{os.cpu_count()} cores; processes {', '.join(map(str, counts))}; one Redis")
    with private_redis() as server:
        drains = [(n, *drain_rate(server.url, n, args)) for n in counts]
        ingests = []
        for n in counts:
            run = measure("wsgi:app", env_for(server.url), args.seconds, n, max(16, 8 * n))
            ingests.append((n, run.load.requests_per_s, run.cpu_us))
    table(
        f"drain, ownership on, {args.events_per_process:,} events per process, "
        f"{args.shards} shards",
        "events/s",
        drains,
    )
    table("ingest, gunicorn -w N, 8 connections per worker (>= 16)", "req/s", ingests)


if __name__ == "__main__":
    main()
