"""Whole generated ticket lives for the practice invariants, and a simulator that keeps, for
each step, the event, the state after it and the plan, so invariants can be checked against
what the rules saw.

A life is one sandbox ticket over weeks: opened at any hour (weekends, Easter, the Berlin DST
changes), answered or not by the front line, escalated to L2/L3 and sent back, picked up, put
on hold or pending, reprioritised, resolved, answered by the requester (confirmation,
rejection, a question; the tool's reopen before or after her reply, at the same instant),
closed by an agent, the tool or the requester, reopened, and the owner away and back.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from tco_bridge.events import Actor, ActorKind, Comment, EventType, Snapshot, Status, TicketEvent
from tco_bridge.pipeline import process
from tco_bridge.plan import Plan
from tco_bridge.recording import Presence
from tco_bridge.simulate import Simulator
from tco_bridge.state import TicketState, new_state

CONNECTOR, TICKET = "sandbox", "T-1"
KEY = f"{CONNECTOR}:{TICKET}"
FRONTLINE = {a: Actor(a, ActorKind.AGENT, f"{a.title()} Agent") for a in ("alice", "bob", "dave")}
ENGINEERS = {
    group: [Actor(a, ActorKind.AGENT, f"{a.title()} Engineer") for a in names]
    for group, names in (("l2_network", ("erin", "frank")), ("l3_engineering", ("gina", "hank")))
}
ENGINEER_IDS = {a.id for group in ENGINEERS.values() for a in group}
CAROL = Actor("carol", ActorKind.REQUESTER, "Carol Customer")
TOOL = Actor("zendesk", ActorKind.SYSTEM)
GOOD_NOTE = "Cause: a faulty VPN gateway. Fix: replaced it and restarted the tunnel; verified."
CONFIRMS = ("Yes, it works now, thanks!", "Thanks, it works.")
REJECTS = ("Not fixed, the app still crashes.", "It dropped again this morning.")
QUESTIONS = ("Is it fixed? I have not tried yet.", "Thanks for the update.")

#: Days around the Berlin DST changes (29 Mar and 25 Oct 2026), Easter (3 and 6 Apr 2026),
#: German Unity Day (Sat 3 Oct 2026) and Christmas.
START_DAYS = tuple(
    datetime(2026, m, d, tzinfo=UTC)
    for m, d in ((3, 26), (3, 27), (3, 28), (3, 29), (4, 2), (4, 4), (10, 2), (10, 23), (12, 23))
)
#: Between steps. Never 0: steps by different agents at one instant are left to the state
#: tests (a touch at the very instant the ticket leaves the front line is no front-line touch,
#: ``contact_owner.derive_owner``); what one update sends at one instant is drawn in a step.
GAPS = tuple(timedelta(minutes=n) for n in (1, 20, 90, 5 * 60, 17 * 60, 26 * 60, 3 * 24 * 60))
AFTER_LAST = timedelta(weeks=3)


@dataclass
class Life:
    events: list[TicketEvent | Presence]
    until: datetime

    @property
    def ticket_events(self) -> list[TicketEvent]:
        return [e for e in self.events if isinstance(e, TicketEvent)]


@dataclass
class _Draft:
    """The ticket as the generator sees it, so the next step is a plausible one."""

    at: datetime
    status: Status = Status.NEW
    group: str = "service_desk"
    events: list[TicketEvent | Presence] = field(default_factory=list)
    away: bool = False

    def add(self, kind: EventType, actor: Actor, **kw: Any) -> None:
        key = f"e{len(self.events):02d}"
        self.events.append(TicketEvent(CONNECTOR, TICKET, kind, self.at, key, actor=actor, **kw))

    def comment(self, author: Actor, body: str, public: bool = True) -> None:
        key = f"e{len(self.events):02d}"
        note = Comment(id=key, body=body, public=public, author=author)
        self.add(EventType.COMMENT_ADDED, author, comment=note)

    def set_status(self, value: Status, actor: Actor) -> None:
        if value is not self.status:
            self.status = value
            self.add(EventType.STATUS_CHANGED, actor, after=value.value)


def _agent(draw: Any, d: _Draft) -> Actor:
    pool = list(FRONTLINE.values()) + ENGINEERS.get(d.group, [])
    actor: Actor = draw(st.sampled_from(pool))
    return actor


def _requester_reply(draw: Any, d: _Draft) -> None:
    body = draw(st.sampled_from(CONFIRMS + REJECTS + QUESTIONS))
    reopen = d.status in (Status.RESOLVED, Status.CLOSED, Status.PENDING)
    order = draw(st.sampled_from(["before", "after", "none"])) if reopen else "none"
    who = draw(st.sampled_from([CAROL, TOOL]))
    if order == "before":
        d.set_status(Status.OPEN, who)
    d.comment(CAROL, body)
    if order == "after":
        d.set_status(Status.OPEN, who)


#: Step kinds, weighted by repetition; after a resolve the requester answers more often.
KINDS = (
    "reply", "reply", "note", "escalate", "back", "pickup", "status", "prio",
    "resolve", "resolve", "requester", "close", "away", "away",
)  # fmt: skip
AFTER_RESOLVE = ("requester", "requester", "requester", "close", "reply", "reopen", "away")


def _step(draw: Any, d: _Draft) -> None:
    resolved = d.status in (Status.RESOLVED, Status.CLOSED)
    kind = draw(st.sampled_from(AFTER_RESOLVE if resolved else KINDS))
    agent = _agent(draw, d)
    if kind == "reply":
        d.comment(agent, "Hello Carol, we are on it.")
    elif kind == "note":
        d.comment(agent, draw(st.sampled_from(["checked", GOOD_NOTE])), public=False)
    elif kind == "escalate":  # with the engineer assigned in the same update, or not
        d.group = draw(st.sampled_from(sorted(ENGINEERS)))
        d.add(EventType.GROUP_CHANGED, agent, after=d.group)
        if draw(st.booleans()):
            who = draw(st.sampled_from(ENGINEERS[d.group]))
            d.add(EventType.ASSIGNEE_CHANGED, agent, after=who.id, after_name=who.name)
    elif kind == "back" and d.group != "service_desk":
        d.group = "service_desk"
        d.add(EventType.GROUP_CHANGED, agent, after=d.group)
    elif kind == "pickup":
        who = draw(st.sampled_from(ENGINEERS.get(d.group, list(FRONTLINE.values()))))
        d.add(EventType.ASSIGNEE_CHANGED, who, after=who.id, after_name=who.name)
    elif kind == "status":
        value = draw(st.sampled_from([Status.OPEN, Status.PENDING, Status.ON_HOLD]))
        d.set_status(value, agent)
    elif kind == "prio":
        d.add(EventType.PRIORITY_CHANGED, agent, after=draw(st.sampled_from(PRIORITIES)))
    elif kind == "resolve":  # often with the answer in the same update
        if draw(st.booleans()):
            d.comment(agent, "We replaced the VPN gateway; it should hold now.")
        d.set_status(Status.RESOLVED, agent)
    elif kind == "requester":
        _requester_reply(draw, d)
    elif kind == "reopen":  # an agent reopens a resolved or closed ticket
        d.set_status(Status.OPEN, agent)
    elif kind == "close":
        d.set_status(Status.CLOSED, draw(st.sampled_from([agent, TOOL, CAROL])))
    elif kind == "away":
        backup = draw(st.sampled_from(["bob", None]))
        d.events.append(Presence(d.at, CONNECTOR, "alice", not d.away, backup))
        d.away = not d.away


PRIORITIES = ("urgent", "high", "normal", "low")


@st.composite
def lives(draw: Any, max_steps: int = 14) -> Life:
    """One ticket's life in the tool's order, from its creation to its last event."""
    day = draw(st.sampled_from(START_DAYS))
    start = day + timedelta(minutes=draw(st.integers(0, 24 * 60 - 1)))
    snap = Snapshot(
        status=Status.NEW,
        priority=draw(st.sampled_from(PRIORITIES)),
        group="service_desk",
        requester=CAROL.id,
        requester_name=CAROL.name,
        type=draw(st.sampled_from(["incident", "change"])),
        summary="VPN drops every hour",
        created_at=start,
    )
    d = _Draft(start)
    d.add(EventType.CREATED, CAROL, snapshot=snap)
    if draw(st.booleans()):  # the front line answers first, or the life goes on without that
        d.at += draw(st.sampled_from(GAPS))
        d.comment(FRONTLINE["alice"], "Hello Carol, we are looking into it.")
    for _ in range(draw(st.integers(1, max_steps))):
        d.at += draw(st.sampled_from(GAPS))
        _step(draw, d)
    return Life(d.events, d.at + AFTER_LAST)


@dataclass(frozen=True)
class Seen:
    """One step the rules took: the event, the state before and after it, and the plan."""

    event: TicketEvent
    before: TicketState
    after: TicketState
    plan: Plan


@dataclass
class Watched(Simulator):
    """The replay of :class:`tco_bridge.simulate.Simulator`, keeping every step."""

    seen: list[Seen] = field(default_factory=list)

    def step(self, event: TicketEvent) -> None:
        """``Simulator.step``, keeping the state before and after and the plan (the
        invariants read those; the timeline of entries is not kept)."""
        self._presence(event)
        before = self.states.get(event.ticket_key) or new_state(event.connector, event.ticket)
        result = process(before, event, self.rules, event.at, self.context())
        self.states[event.ticket_key] = result.state
        self._count(event.ticket_key, result.state)
        for name, due in result.plan.timers_set.items():
            heapq.heappush(self._timers, (due, event.ticket_key, name))
        self.seen.append(Seen(event, before, result.state, result.plan))
