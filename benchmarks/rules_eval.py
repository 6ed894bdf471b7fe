"""Pure rule evaluation of rules/default.yaml, in events per second on one core.

A realistic mixed stream (creations, public replies and internal notes, requester replies,
transfers to L2, pickups, priority changes, holds, resolves and closes, timer firings) over
many tickets is prepared first, then timed twice through ``pipeline.process`` with the same
states: once with the default rules, once with ``OwnershipOnly`` (the baseline: ownership
tracking and the owner mirror, no rules). The figure printed is the rules' throughput, the
baseline's, and their ratio. Times are CPU time of this process (``time.process_time``), so a
busy machine slows the run but not the figures much. Run:
``python benchmarks/rules_eval.py [--tickets N]``.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, datetime, timedelta

from common import ROOT  # puts the checkout on sys.path: no install needed

from tco_bridge.events import Actor, ActorKind, Comment, EventType, Snapshot, Status, TicketEvent
from tco_bridge.pipeline import process
from tco_bridge.plan import Context, OwnershipOnly, Rulebook
from tco_bridge.rules import load_rules
from tco_bridge.state import TicketState, new_state

RULES = ROOT / "rules" / "default.yaml"
T0 = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
AGENTS = [Actor(f"agent{i}", ActorKind.AGENT, f"Agent {i}") for i in range(20)]
ENGINEERS = [Actor(f"eng{i}", ActorKind.AGENT, f"Engineer {i}") for i in range(5)]
PRIORITIES = ["urgent", "high", "normal", "normal", "low"]


def ticket_events(n: int, rng: random.Random) -> list[TicketEvent]:
    """One ticket's life: 8–14 events a few minutes to hours apart."""
    tid = f"T-{n}"
    at = T0 + timedelta(minutes=rng.randrange(0, 7 * 24 * 60))
    requester = Actor(f"cust{n}", ActorKind.REQUESTER, f"Customer {n}")
    agent, engineer = rng.choice(AGENTS), rng.choice(ENGINEERS)
    seq = 0
    out: list[TicketEvent] = []

    def add(kind: EventType, actor: Actor, **kw: object) -> None:
        nonlocal at, seq
        seq += 1
        at += timedelta(minutes=rng.randrange(5, 240))
        out.append(
            TicketEvent("sandbox", tid, kind, at, f"{tid}-{seq}", actor=actor, **kw)  # type: ignore[arg-type]
        )

    def comment(actor: Actor, body: str, public: bool = True) -> None:
        add(EventType.COMMENT_ADDED, actor, comment=Comment(f"{tid}-c{seq}", body, public, actor))

    snap = Snapshot(
        status=Status.NEW,
        priority=rng.choice(PRIORITIES),
        group="service_desk",
        requester=requester.id,
        type=rng.choice(["incident", "question", "change", "problem"]),
        summary=f"Problem {n}",
        created_at=at,
    )
    add(EventType.CREATED, requester, snapshot=snap)
    comment(agent, "Hello, we are looking into it.")
    comment(agent, "checking logs", public=False)
    if rng.random() < 0.5:
        add(EventType.GROUP_CHANGED, agent, after="l2_network")
        add(EventType.ASSIGNEE_CHANGED, engineer, after=engineer.id, after_name=engineer.name)
        comment(engineer, "Found the cause: stale route; fixed by replacing the profile.", False)
    if rng.random() < 0.3:
        add(EventType.PRIORITY_CHANGED, agent, after=rng.choice(PRIORITIES))
    if rng.random() < 0.3:
        add(EventType.STATUS_CHANGED, agent, after=Status.ON_HOLD.value)
        add(EventType.STATUS_CHANGED, agent, after=Status.OPEN.value)
    comment(requester, "Any news?")
    comment(agent, "Update: we have a fix, deploying now.")
    add(EventType.STATUS_CHANGED, rng.choice([agent, engineer]), after=Status.RESOLVED.value)
    comment(requester, rng.choice(["Yes, it works, thanks!", "Still broken."]))
    add(EventType.STATUS_CHANGED, agent, after=Status.CLOSED.value)
    return out


def stream(tickets: int, seed: int = 7) -> list[TicketEvent]:
    rng = random.Random(seed)
    events = [e for n in range(tickets) for e in ticket_events(n, rng)]
    events.sort(key=lambda e: (e.at, e.key))
    return events


class Timed:
    """A rule book proxy that times ``evaluate`` alone (the pure rule evaluation), in CPU."""

    def __init__(self, book: Rulebook) -> None:
        self.book = book
        self.ownership = book.ownership
        self.seconds = 0.0
        self.calls = 0

    def evaluate(self, state: TicketState, trigger: TicketEvent, now: datetime, context: Context):  # type: ignore[no-untyped-def]
        started = time.process_time()
        plan = self.book.evaluate(state, trigger, now, context)
        self.seconds += time.process_time() - started
        self.calls += 1
        return plan


def run(rules: Rulebook, events: list[TicketEvent]) -> tuple[float, int]:
    """CPU seconds spent in process() (timer firings included) and the number of steps."""
    states: dict[str, TicketState] = {}
    context = Context(workload={a.id: 10 for a in AGENTS})
    steps = 0
    elapsed = 0.0
    for event in events:
        key = event.ticket_key
        state = states.get(key) or new_state(event.connector, event.ticket)
        # Fire the ticket's timers already due: the worker's clock would have by now.
        due = sorted((at, name) for name, at in state.timers.items() if at <= event.at)
        todo = [
            TicketEvent(
                event.connector,
                event.ticket,
                EventType.TIMER_FIRED,
                at,
                f"timer:{name}:{at.isoformat()}",
                field=name,
            )
            for at, name in due
        ]
        todo.append(event)
        for item in todo:
            started = time.process_time()
            state = process(state, item, rules, item.at, context).state
            elapsed += time.process_time() - started
            steps += 1
        states[key] = state
    return elapsed, steps


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--tickets", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    baseline = OwnershipOnly(load_rules(RULES).ownership)
    events = stream(args.tickets)
    best_eval = 0.0
    best: dict[str, float] = {}
    rules_steps = 0
    for _ in range(args.rounds):
        # Loaded afresh each round: the calendars' deadline caches start empty, as in a
        # process that has just started, so later rounds do not replay known deadlines.
        timed = Timed(load_rules(RULES))
        secs, steps = run(timed, events)
        rules_steps = steps
        best_eval = max(best_eval, timed.calls / timed.seconds)
        best["process() with default rules"] = max(
            best.get("process() with default rules", 0), steps / secs
        )
        secs, steps = run(baseline, events)
        best["process() with OwnershipOnly"] = max(
            best.get("process() with OwnershipOnly", 0), steps / secs
        )
    print(
        f"stream: {len(events)} deliveries + timer firings = {rules_steps} steps over "
        f"{args.tickets} tickets; best of {args.rounds} rounds, one core, per CPU second"
    )
    label = "rule evaluation alone (default rules)"
    print(f"{label:<40} {best_eval:>10,.0f} events/s  (target >= 40,000)")
    for name, rate in best.items():
        print(f"{name:<40} {rate:>10,.0f} events/s")
    ratio = best["process() with default rules"] / best["process() with OwnershipOnly"]
    print(f"{'ratio default rules / baseline':<40} {ratio:>10.2f}")


if __name__ == "__main__":
    main()
