"""Generated ticket lives for the ordering tests, and how to run them through the pure core.

A life is one sandbox ticket's events in the tool's order: the customer opens it, then agents
reply, write notes, escalate, assign, change status and priority, and the customer answers.
:func:`lives` draws them with hypothesis; :func:`run` feeds deliveries to
:func:`tco_bridge.history.advance` in the batches given (one batch: all inside the settle
window; one event per batch: each arrives after the previous ones were evaluated).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from tco_bridge.actions import Action, ActionKind
from tco_bridge.events import Actor, ActorKind, Comment, EventType, Snapshot, Status, TicketEvent
from tco_bridge.history import History, advance
from tco_bridge.pipeline import Step, process
from tco_bridge.plan import Context, Rulebook
from tco_bridge.state import TicketState, new_state

# Monday 2 March 2026, 09:00 in Berlin: business hours, so business-time timers are exact.
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
CONNECTOR, TICKET = "sandbox", "T-1"
ALICE = Actor("alice", ActorKind.AGENT, "Alice Agent")
ERIN = Actor("erin", ActorKind.AGENT, "Erin Engineer")
CAROL = Actor("carol", ActorKind.REQUESTER, "Carol Customer")
GOOD_NOTE = "Cause: a faulty VPN gateway. Fix: replaced it and restarted the tunnel; verified."


def event(kind: EventType, at: datetime, key: str, **kw: Any) -> TicketEvent:
    return TicketEvent(CONNECTOR, TICKET, kind, at, key, **kw)


def created(at: datetime = T0, priority: str = "normal", type: str = "incident") -> TicketEvent:
    snap = Snapshot(
        status=Status.NEW,
        priority=priority,
        group="service_desk",
        requester=CAROL.id,
        requester_name=CAROL.name,
        type=type,
        summary="VPN drops every hour",
        created_at=at,
    )
    return event(EventType.CREATED, at, "e00", actor=CAROL, snapshot=snap)


def comment(at: datetime, key: str, author: Actor, body: str, public: bool = True) -> TicketEvent:
    note = Comment(id=key, body=body, public=public, author=author)
    return event(EventType.COMMENT_ADDED, at, key, actor=author, comment=note)


def status(at: datetime, key: str, value: Status, actor: Actor = ALICE) -> TicketEvent:
    return event(EventType.STATUS_CHANGED, at, key, actor=actor, after=value.value)


def _step(draw: Any, at: datetime, key: str) -> TicketEvent:
    kind = draw(st.sampled_from(["reply", "note", "customer", "group", "assign", "status", "prio"]))
    agent = draw(st.sampled_from([ALICE, ERIN]))
    if kind == "reply":
        return comment(at, key, agent, "Hello Carol, we are on it.")
    if kind == "note":
        body = draw(st.sampled_from(["checked", GOOD_NOTE]))
        return comment(at, key, agent, body, public=False)
    if kind == "customer":
        body = draw(st.sampled_from(["It is still broken.", "Yes, it works now, thanks!"]))
        return comment(at, key, CAROL, body)
    if kind == "group":
        group = draw(st.sampled_from(["l2_network", "service_desk"]))
        return event(EventType.GROUP_CHANGED, at, key, actor=agent, after=group)
    if kind == "assign":
        return event(
            EventType.ASSIGNEE_CHANGED, at, key, actor=ALICE, after=agent.id, after_name=agent.name
        )
    if kind == "prio":
        prio = draw(st.sampled_from(["high", "normal"]))
        return event(EventType.PRIORITY_CHANGED, at, key, actor=agent, after=prio)
    value = draw(st.sampled_from([Status.OPEN, Status.PENDING, Status.RESOLVED, Status.CLOSED]))
    return status(at, key, value, agent)


MINUTES = tuple(timedelta(minutes=n) for n in (0, 1, 7, 45, 180))
#: One burst: what a single update in the tool sends, all within a settle window of 3 s.
BURST = tuple(timedelta(milliseconds=n) for n in (0, 200, 500))


@st.composite
def lives(
    draw: Any, min_steps: int = 2, max_steps: int = 8, gaps: Sequence[timedelta] = MINUTES
) -> list[TicketEvent]:
    """One ticket's events in the tool's order (some share a timestamp: the key decides)."""
    priority = draw(st.sampled_from(["normal", "high", "urgent"]))
    ticket_type = draw(st.sampled_from(["incident", "change"]))
    events = [created(T0, priority, ticket_type)]
    at = T0
    for i in range(draw(st.integers(min_steps, max_steps))):
        at += draw(st.sampled_from(gaps))
        events.append(_step(draw, at, f"e{i + 1:02d}"))
    return events


@dataclass
class Run:
    state: TicketState
    history: History
    writes: list[Action]


def run(rules: Rulebook, batches: Iterable[Sequence[TicketEvent]]) -> Run:
    """Deliver ``batches`` one after the other through the history, as the worker does."""

    def decide(state: TicketState, event: TicketEvent) -> Step:
        return process(state, event, rules, event.at, Context())

    out = Run(new_state(CONNECTOR, TICKET), History(), [])
    for batch in batches:
        step = advance(out.state, out.history, batch, decide, rules.ownership)
        history = step.history or out.history
        out.state = step.state
        out.history = History((*history.entries, *step.appended), history.base)
        out.writes.extend(step.plan.actions)
    return out


def in_order(rules: Rulebook, events: Sequence[TicketEvent]) -> Run:
    ordered = sorted(events, key=lambda e: (e.at, e.key))
    return run(rules, [[e] for e in ordered])


def label_writes(writes: Iterable[Action]) -> dict[str, list[str]]:
    """Per label, the bridge's adds and removes in the order it sent them (owner mirror
    aside: it follows the owner and is checked on its own)."""
    out: dict[str, list[str]] = {}
    for a in writes:
        if a.kind in (ActionKind.ADD_LABEL, ActionKind.REMOVE_LABEL) and a.label:
            out.setdefault(a.label, []).append("+" if a.kind is ActionKind.ADD_LABEL else "-")
    return out


def contradictions(writes: Sequence[Action], reference: Sequence[Action]) -> list[str]:
    """Labels the bridge both added and removed where an in-order run did not, and tasks of a
    kind created more often than in order."""
    found = []
    ours, theirs = label_writes(writes), label_writes(reference)
    for label, ops in ours.items():
        if len(set(ops)) > 1 and len(set(theirs.get(label, []))) < 2:
            found.append(f"label {label}: {''.join(ops)}")
    for kind in {a.task.kind for a in writes if a.task is not None}:
        mine = sum(1 for a in writes if a.task is not None and a.task.kind == kind)
        ref = sum(1 for a in reference if a.task is not None and a.task.kind == kind)
        if mine > max(ref, 1):
            found.append(f"{mine} {kind} tasks, in order {ref}")
    return found
