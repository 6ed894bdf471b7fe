"""Write calls per ticket, coalesced and not: 10,000 events for 1,000 tickets against a fake
Zendesk and a fake Jira, under each tool's rate limits.

The fake (benchmarks/fake_tool.py, a subprocess on loopback) enforces the smallest Zendesk
plan's limits, 200 requests and 100 Update Ticket calls per minute and account, and a Jira
site budget of 400 requests a minute, over sliding windows, and answers 429 with Retry-After
beyond them. To finish in minutes the minute is compressed: ``--window-s 1`` (default) makes
one minute last 1 s, i.e. 60x; the connectors' ``write_limits`` (Zendesk 180/minute account
and 90/minute Update Ticket; Jira 300/minute account and 20/minute per issue) are compressed
by the same factor for the run. Retry back-off (10 s base) is not compressed.

Each ticket's story is 10 events, queued as the receiver queues them (``EventQueue.push`` with
``dump_event``), interleaved across tickets (every ticket's first event, then every second...):
created by the requester in the Service Desk group, a front-line agent's public reply (the agent
becomes the contact owner), requester reply, internal note, escalation to L2, assignment to an
engineer, the engineer's note, another public reply, requester reply, internal note. The rules
are rules/default.yaml: its owner-assigned nudge (a note) and the owner mirror (Zendesk tag
``tco_owner_<id>``, Jira label ``tco-owner-<id>``) are the write-backs; its timers are set but
no clock runs, so the settle window is off (``TCO_SETTLE_SECONDS=0``: a ticket it held back
would wait for the clock's wake-up timer, and the run would never end). The clock's other duty
that a run needs, re-queuing the drain of a shard left with events and no job, is done by the
wait loop (after 2 s with nothing queued or running), and counted in the report: a stalled
drain is a finding, not part of the figures. Two worker processes (``SimpleWorker`` with
RQ's scheduler, as ``tco-bridge worker``) drain and write back; a run ends when every event is
applied and no write-back job is queued, scheduled or running (``wb_wait.py``).

Per tool, two runs on the same fake: ``coalescing off`` (``TCO_<TOOL>_COALESCE=0``: one call
per action, as the connectors wrote before) and ``coalesced`` (a ticket's writes of one moment
in the fewest calls). Targets (Zendesk, coalesced): at most 1.2 write calls per ticket, 0 429s,
0 parked write-backs, every owner mirrored.

    python benchmarks/writeback.py [--tickets 1000] [--events-per-ticket 10] [--window-s 1]
                                   [--tools zendesk,jira]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import fake_tool
import redis
from common import ROOT, private_redis
from limits import parse_many
from rq import Queue
from rq.registry import FailedJobRegistry
from rq.serializers import JSONSerializer
from wb_wait import SHARDS, STALL_S, quiet, requeue_stalled

from connectors.jira import JiraConnector
from connectors.zendesk import WRITE_LIMITS
from tco_bridge import failed
from tco_bridge.event_codec import dump_event
from tco_bridge.events import Actor, ActorKind, Comment, EventType, Snapshot, Status, TicketEvent
from tco_bridge.queueing import EventQueue

QUEUE = "bench-wb"
#: rules/default.yaml's service_desk and l2_network groups, as each tool names them.
GROUPS = {"zendesk": ("8447320466430", "8447320466431"), "jira": ("Service Desk", "L2 Network")}
PRIORITY = {"zendesk": "normal", "jira": "Medium"}
LIMITS = {"zendesk": dict(WRITE_LIMITS), "jira": dict(JiraConnector.write_limits)}


def ticket_id(tool: str, n: int) -> str:
    return f"SUP-{n + 1}" if tool == "jira" else str(10_000 + n)


def scaled_limits(tool: str, window_s: int) -> dict[str, str]:
    """The connector's own write limits with one minute lasting ``window_s`` seconds."""
    out = {}
    for scope, text in LIMITS[tool].items():
        parts = []
        for item in parse_many(text):
            seconds = item.get_expiry() * window_s / 60
            if seconds != int(seconds) or seconds < 1:
                raise SystemExit(f"--window-s {window_s} does not scale {text!r} to whole seconds")
            parts.append(f"{item.amount} per {int(seconds)} second")
        out[scope] = ";".join(parts)
    return out


def story(tool: str, n: int, count: int, t0: datetime) -> list[TicketEvent]:
    """``count`` events of ticket ``n``: an owner is set by the second one."""
    tid = ticket_id(tool, n)
    service_desk, l2 = GROUPS[tool]
    customer = Actor(str(2_000_000 + n), ActorKind.REQUESTER, f"Customer {n}")
    agent = Actor(str(3_000 + n % 40), ActorKind.AGENT, f"Agent {n % 40}")
    engineer = Actor(str(4_000 + n % 10), ActorKind.AGENT, f"Engineer {n % 10}")
    snap = Snapshot(
        status=Status.NEW,
        priority=PRIORITY[tool],
        group=service_desk,
        requester=customer.id,
        summary=f"Printer {n} on fire",
        created_at=t0,
    )

    def event(i: int, kind: EventType, actor: Actor, **kw: Any) -> TicketEvent:
        at = t0 + timedelta(minutes=i)
        return TicketEvent(tool, tid, kind, at, f"z{tid}-{i}", actor=actor, **kw)

    def comment(i: int, actor: Actor, body: str, public: bool) -> TicketEvent:
        c = Comment(f"c{tid}-{i}", body, public, actor)
        return event(i, EventType.COMMENT_ADDED, actor, comment=c)

    events = [
        event(0, EventType.CREATED, customer, snapshot=snap),
        comment(1, agent, "Hello, we are looking into it.", True),
        comment(2, customer, "It is still smoking.", True),
        comment(3, agent, "checked the spooler", False),
        event(4, EventType.GROUP_CHANGED, agent, before=service_desk, after=l2),
        event(5, EventType.ASSIGNEE_CHANGED, engineer, after=engineer.id, after_name="Engineer"),
        comment(6, engineer, "Cause: a stale driver profile; replaced it.", False),
        comment(7, agent, "Update: a fix is being deployed.", True),
        comment(8, customer, "Thanks, waiting.", True),
        comment(9, agent, "told the customer", False),
    ]
    while len(events) < count:  # more per ticket: alternate notes and replies
        i = len(events)
        events.append(comment(i, agent if i % 2 else customer, f"message {i}", i % 2 == 0))
    return events[:count]


def queue_events(client: redis.Redis, tool: str, tickets: int, per_ticket: int) -> int:
    queue = Queue(QUEUE, connection=client, serializer=JSONSerializer)
    eq = EventQueue(client, queue, SHARDS, 3600)
    t0 = datetime.now(UTC) - timedelta(hours=1)
    stories = [story(tool, n, per_ticket, t0) for n in range(tickets)]
    pushed = 0
    for i in range(per_ticket):  # interleaved, as live traffic arrives
        for n, events in enumerate(stories):
            e = events[i]
            eq.push(tool, f"d{n}-{i}", e.ticket_key, [dump_event(e)], "x")
            pushed += 1
    return pushed


@dataclass
class Run:
    events: int
    applied_s: float
    done_s: float
    stats: dict[str, Any]
    parked: int
    failed_jobs: int
    owners: int
    stalled: int


def run(url: str, fake: str, tool: str, coalesce: bool, args: argparse.Namespace) -> Run:
    client = redis.Redis.from_url(url)
    client.flushall()
    fake_tool.reset(fake)
    limits = scaled_limits(tool, args.window_s)
    pushed = queue_events(client, tool, args.tickets, args.events_per_ticket)
    queue = Queue(QUEUE, connection=client, serializer=JSONSerializer)
    worker = [sys.executable, str(ROOT / "benchmarks/writeback_worker.py")]
    started = time.perf_counter()
    procs = [
        subprocess.Popen(
            [*worker, url, QUEUE, fake, json.dumps(limits), tool, "1" if coalesce else "0"],
            cwd=ROOT,
        )
        for _ in range(args.workers)
    ]
    applied_s = done_s = stuck_at = None
    settled = stalled = 0
    try:
        while settled < 2:  # idle on two polls in a row
            elapsed = time.perf_counter() - started
            if elapsed > args.timeout:
                raise SystemExit(f"not done after {args.timeout} s: {fake_tool.stats(fake)}")
            if any(p.poll() is not None for p in procs):
                raise SystemExit("a worker process exited")
            applied, idle = quiet(client, queue)
            if applied and applied_s is None:
                applied_s = elapsed
            stuck_at = None if applied or queue.count else (stuck_at or elapsed)
            if stuck_at is not None and elapsed - stuck_at > STALL_S:
                stalled += requeue_stalled(client, queue)
                stuck_at = None
            settled = settled + 1 if idle else 0
            if idle and settled == 1:
                done_s = elapsed
            time.sleep(0.2)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
    assert applied_s is not None and done_s is not None
    stats = fake_tool.stats(fake)
    saved = len(list(client.scan_iter(match="tco:ticket:*", count=1000)))
    assert saved == args.tickets, f"{saved} ticket states saved for {args.tickets} tickets"
    return Run(
        events=pushed,
        applied_s=applied_s,
        done_s=done_s,
        stats=stats,
        parked=int(client.hlen(failed.FAILED)),
        failed_jobs=FailedJobRegistry(queue=queue).count,
        owners=len(stats["owner_tagged"]),
        stalled=stalled,
    )


def report(name: str, r: Run, tool: str, tickets: int) -> float:
    writes = [r.stats["writes_by_ticket"].get(ticket_id(tool, n), 0) for n in range(tickets)]
    mean = statistics.fmean(writes)
    print(
        f"{name:28}{r.events / r.done_s:10.0f}{r.done_s:9.1f}{r.applied_s:9.1f}"
        f"{mean:8.2f}{max(writes):6d}{sum(r.stats['requests'].values()):8d}"
        f"{r.stats['refused_429']:7d}{r.parked:8d}{r.failed_jobs:8d}{r.owners:8d}"
    )
    return mean


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tickets", type=int, default=1_000)
    parser.add_argument("--events-per-ticket", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--window-s", type=int, default=1, help="real seconds one tool minute lasts (60x: 1)"
    )
    parser.add_argument("--tools", default="zendesk,jira", help="comma separated")
    parser.add_argument("--timeout", type=float, default=150, help="seconds per run, at most")
    args = parser.parse_args()
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    results: dict[tuple[str, bool], Run] = {}
    with private_redis() as server, fake_tool.running(args.window_s) as fake:
        for tool in tools:
            for coalesce in (False, True):
                results[tool, coalesce] = run(server.url, fake, tool, coalesce, args)

    scale = 60 / args.window_s
    print(
        f"{args.tickets * args.events_per_ticket:,} events over {args.tickets:,} tickets per "
        f"tool, rules/default.yaml, {args.workers} worker processes (SimpleWorker + RQ scheduler)"
    )
    print(
        f"fake Zendesk: {fake_tool.ACCOUNT_PER_MINUTE} requests and {fake_tool.UPDATE_PER_MINUTE} "
        f"Update Ticket, fake Jira: {fake_tool.JIRA_PER_MINUTE} requests, per {args.window_s} s "
        f"(one minute compressed {scale:.0f}x); bridge write_limits: "
        + "; ".join(f"{t} {scaled_limits(t, args.window_s)}" for t in tools)
    )
    print(
        f"{'':28}{'events/s':>10}{'done s':>9}{'apply s':>9}{'writes/ticket':>14}"
        f"{'reqs':>8}{'429s':>7}{'parked':>8}{'failed':>8}{'owners':>8}"
    )
    print(f"{'':28}{'':>10}{'':>9}{'':>9}{'mean':>8}{'max':>6}")
    means = {}
    for (tool, coalesce), r in results.items():
        label = f"{tool}, {'coalesced' if coalesce else 'coalescing off'}"
        means[tool, coalesce] = report(label, r, tool, args.tickets)
    stalled = [f"{t}, {'coalesced' if c else 'off'}: {r.stalled}" for (t, c), r in results.items()]
    print(f"stalled drains re-queued by the wait loop: {'; '.join(stalled)}")
    for tool in tools:
        on, off = results[tool, True], results[tool, False]
        ok = on.stats["refused_429"] == 0 and on.parked == 0 and on.owners == args.tickets
        target = " <= 1.2" if tool == "zendesk" else ""
        ok = ok and (tool != "zendesk" or means[tool, True] <= 1.2)
        print(
            f"{tool}: write calls per ticket {means[tool, True]:.2f} coalesced vs "
            f"{means[tool, False]:.2f} off; 429s {on.stats['refused_429']} vs "
            f"{off.stats['refused_429']} (target{target}, 0 429s, 0 parked, every owner "
            f"mirrored: {'meets' if ok else 'MISSES'})"
        )
    print(
        "events/s and 'done s' run from worker start until every write-back landed; 'apply s' "
        "until every event was applied (both include worker start-up); writes/ticket = PUT/POST/"
        "DELETE that landed (reads, such as the ticket read before a Zendesk tag change, are in "
        "reqs only); reqs = every request, 429s included; failed = RQ failed jobs; owners = "
        "tickets whose owner tag or label landed"
    )


if __name__ == "__main__":
    main()
