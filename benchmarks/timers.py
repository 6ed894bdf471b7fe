"""Timers: Redis memory per pending timer, insert rate, and firing lateness of the clock.

(a) Memory and insert rate. In a private Redis, INFO used_memory is read before and after
inserting N timers (default 1,000,000) through ``TimerStore.member`` (the real
``<shard>|<connector>|<ticket>|<name>`` format), one ZADD per ticket in pipelines of 1,000
commands, as the drain job's commit stages them. The baseline, in the same run and inserted
the same way, is a plain sorted-set member named ``jira:PROJ-123:customer_update_due``.
Targets: <= 200 bytes per timer.

(b) Firing lateness. With the N timers above still pending (due in 30 days), 20,000 more are
set due at 1,000 per second over 20 s, starting 3 s ahead. The real ``Clock`` runs in its own
process and releases them into the shard streams; lateness = the XADD entry id's millisecond
time (Redis's clock) minus the timer's due time. The baseline, in the same run on the same
data, is a naive poller process: ZRANGEBYSCORE + ZREM + XADD once a second, which is what a
periodic scheduler amounts to. Target: clock p99 <= 1 s.

    python benchmarks/timers.py [--timers 1000000] [--rate 1000] [--seconds 20]
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import redis
from common import ROOT, private_redis

from tco_bridge import keys
from tco_bridge.timers import TimerStore

SHARDS = 8
CHUNK = 1000
NAME = "customer_update_due"


@dataclass
class Inserted:
    bytes_per_timer: float
    per_s: float


def used_memory(client: redis.Redis) -> int:
    return int(client.info("memory")["used_memory"])


def insert(
    client: redis.Redis, count: int, member_of: Callable[[int], str], key: str = keys.TIMERS
) -> Inserted:
    """Insert ``count`` timers one ZADD per ticket, pipelined ``CHUNK`` commands at a time."""
    rng = random.Random(1)
    horizon = time.time() + 30 * 86400  # far future: none of them fires during the run
    before = used_memory(client)
    started = time.perf_counter()
    pipe = client.pipeline(transaction=False)
    for i in range(count):
        pipe.zadd(key, {member_of(i): horizon + rng.uniform(0, 86400)})
        if (i + 1) % CHUNK == 0:
            pipe.execute()
    pipe.execute()
    elapsed = time.perf_counter() - started
    assert client.zcard(key) == count
    return Inserted((used_memory(client) - before) / count, count / elapsed)


def bench_memory(url: str, count: int) -> tuple[Inserted, Inserted]:
    client = redis.Redis.from_url(url)
    client.flushall()
    base = insert(client, count, lambda i: f"jira:PROJ-{i}:{NAME}", key="bench:plain")
    client.flushall()
    store = TimerStore(client, SHARDS)
    real = insert(client, count, lambda i: store.member("jira", f"PROJ-{i}", NAME))
    return base, real  # the real timers stay: the lateness phase runs with them pending


def clean_between_phases(client: redis.Redis) -> None:
    """Drop streams, pending flags and RQ's keys; the far-future timers stay."""
    for pattern in ("tco:stream:*", "tco:pending:*", "rq:*", "tco:heartbeat:*"):
        names = list(client.scan_iter(match=pattern, count=1000))
        if names:
            client.delete(*names)


def fire(url: str, mode: str, rate: int, seconds: int, lead: float = 3.0) -> list[float]:
    """Set ``rate * seconds`` timers due evenly from ``lead`` s ahead; return lateness in s."""
    client = redis.Redis.from_url(url)
    clean_between_phases(client)
    store = TimerStore(client, SHARDS)
    start = time.time() + lead
    total = rate * seconds
    pipe = client.pipeline(transaction=False)
    for i in range(total):
        pipe.zadd(keys.TIMERS, {store.member("zendesk", str(100000 + i), NAME): start + i / rate})
    pipe.execute()
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "benchmarks/timers_clock.py"), url, mode],
        cwd=ROOT,
    )
    try:
        end = start + seconds + 3.0
        deadline = end + 30.0
        while time.time() < end or _released(client) < total:
            if time.time() > deadline or proc.poll() is not None:
                raise SystemExit(f"{mode}: only {_released(client)} of {total} timers fired")
            time.sleep(0.5)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    late: list[float] = []
    for shard in range(SHARDS):
        for entry_id, fields in client.xrange(keys.stream(shard)):
            if b"due" not in fields:
                continue
            fired_ms = int(entry_id.split(b"-")[0])  # entry ids have 1 ms resolution
            late.append((fired_ms - math.floor(float(fields[b"due"]) * 1000)) / 1000.0)
    assert len(late) == total, f"{mode}: {len(late)} stream entries for {total} timers"
    return late


def _released(client: redis.Redis) -> int:
    return sum(int(client.xlen(keys.stream(s))) for s in range(SHARDS))


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--timers", type=int, default=1_000_000, help="pending timers (memory)")
    parser.add_argument("--rate", type=int, default=1_000, help="timers due per second")
    parser.add_argument("--seconds", type=int, default=20, help="how long timers keep falling due")
    args = parser.parse_args()
    with private_redis() as server:
        base, real = bench_memory(server.url, args.timers)
        clock = fire(server.url, "clock", args.rate, args.seconds)
        poller = fire(server.url, "poller", args.rate, args.seconds)

    print(f"{args.timers:,} pending timers, one ZADD per ticket, pipelined {CHUNK} at a time")
    print(f"{'':38}{'bytes/timer':>12}{'timers/s':>12}")
    rows = (
        ("baseline, plain jira:PROJ-n:<name>", base),
        ("TimerStore <shard>|jira|PROJ-n|<name>", real),
    )
    for name, row in rows:
        print(f"{name:38}{row.bytes_per_timer:12.0f}{row.per_s:12.0f}")
    verdict = "meets" if real.bytes_per_timer <= 200 else "MISSES"
    print(
        f"ratio TimerStore/baseline: memory {real.bytes_per_timer / base.bytes_per_timer:.2f}x, "
        f"insert rate {real.per_s / base.per_s:.2f}x (target <= 200 B/timer: {verdict})"
    )
    print()
    print(
        f"firing: {args.rate * args.seconds:,} timers due at {args.rate}/s over {args.seconds} s, "
        f"{args.timers:,} others pending; lateness = stream entry id ms - due ms"
    )
    print(f"{'':34}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}{'mean ms':>10}")
    for name, late in (("baseline, poller every 1 s", poller), ("tco-bridge Clock", clock)):
        print(
            f"{name:34}{pct(late, 0.5) * 1000:10.1f}{pct(late, 0.99) * 1000:10.1f}"
            f"{max(late) * 1000:10.1f}{statistics.fmean(late) * 1000:10.1f}"
        )
    p99, base99 = pct(clock, 0.99), pct(poller, 0.99)
    verdict = "meets" if p99 <= 1.0 else "MISSES"
    print(f"ratio Clock/baseline p99: {p99 / base99:.4f} (target Clock p99 <= 1000 ms: {verdict})")


if __name__ == "__main__":
    main()
