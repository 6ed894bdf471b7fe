"""Helpers for the rules tests: hand-built canonical events on a virtual clock (no Redis)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tco_bridge.actions import Action
from tco_bridge.events import Actor, ActorKind, Comment, EventType, Snapshot, Status, TicketEvent
from tco_bridge.pipeline import process
from tco_bridge.plan import Away, Context, Plan
from tco_bridge.rules import RuleSet, load_rules
from tco_bridge.state import TicketState, new_state

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_RULES = ROOT / "rules" / "default.yaml"
DATA = Path(__file__).resolve().parent / "data"

# Monday 3 March 2025, 09:00 in Berlin (08:00 UTC): a plain business day.
T0 = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
ALICE = Actor("alice", ActorKind.AGENT, "Alice Agent")
BOB = Actor("bob", ActorKind.AGENT, "Bob Backup")
ERIN = Actor("erin", ActorKind.AGENT, "Erin Engineer")
CAROL = Actor("carol", ActorKind.REQUESTER, "Carol Customer")
BRIDGE = Actor("tco-bot", ActorKind.BRIDGE, "TCO bridge")
SYSTEM = Actor("zendesk", ActorKind.SYSTEM)


@pytest.fixture(scope="session")
def default_rules() -> RuleSet:
    return load_rules(DEFAULT_RULES)


@dataclass
class Sim:
    """One ticket replayed through ``pipeline.process`` on a virtual clock."""

    rules: Any
    ticket: str = "T-1"
    connector: str = "sandbox"
    state: TicketState = field(init=False)
    now: datetime = T0
    workload: dict[str, int] = field(default_factory=dict)
    away: dict[str, Away] = field(default_factory=dict)
    actions: list[Action] = field(default_factory=list)
    plans: list[Plan] = field(default_factory=list)
    _keys: Any = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self.state = new_state(self.connector, self.ticket)

    # --- clock and timers ------------------------------------------------------------
    def send(self, event: TicketEvent) -> Plan:
        self.advance(event.at)
        return self._process(event)

    def _process(self, event: TicketEvent) -> Plan:
        self.now = max(self.now, event.at)
        context = Context(workload=dict(self.workload), away=dict(self.away))
        step = process(self.state, event, self.rules, self.now, context)
        self.state = step.state
        self.actions.extend(step.plan.actions)
        self.plans.append(step.plan)
        return step.plan

    def fire(self, name: str) -> Plan:
        due = self.state.timers[name]
        event = TicketEvent(
            connector=self.connector,
            ticket=self.ticket,
            type=EventType.TIMER_FIRED,
            at=due,
            key=f"timer:{name}:{due.isoformat()}",
            field=name,
        )
        return self._process(event)

    def advance(self, until: datetime) -> list[Plan]:
        """Fire every timer due up to ``until`` in time order (timers may re-arm)."""
        plans = []
        while self.state.timers:
            name, due = min(self.state.timers.items(), key=lambda kv: (kv[1], kv[0]))
            if due > until:
                break
            plans.append(self.fire(name))
        self.now = max(self.now, until)
        return plans

    def agent(self, kind: EventType, agent: str, backup: str | None, at: datetime) -> Plan:
        event = TicketEvent(
            connector=self.connector,
            ticket=self.ticket,
            type=kind,
            at=at,
            key=f"{kind.value}:{agent}:{at.isoformat()}",
            field=agent,
            after=backup,
        )
        self.advance(at)
        return self._process(event)

    # --- event builders --------------------------------------------------------------
    def key(self) -> str:
        return f"{self.ticket}-e{next(self._keys)}"

    def created(
        self,
        at: datetime = T0,
        *,
        priority: str = "normal",
        group: str | None = "service_desk",
        assignee: str | None = None,
        type: str | None = "incident",
        actor: Actor = CAROL,
        tags: tuple[str, ...] = (),
    ) -> Plan:
        snap = Snapshot(
            status=Status.NEW,
            priority=priority,
            group=group,
            assignee=assignee,
            requester=CAROL.id,
            requester_name=CAROL.name,
            type=type,
            summary="VPN drops every hour",
            tags=tags,
            created_at=at,
        )
        return self.send(self._event(EventType.CREATED, at, actor=actor, snapshot=snap))

    def comment(self, at: datetime, author: Actor, body: str, public: bool = True) -> Plan:
        key = self.key()
        comment = Comment(id=key, body=body, public=public, author=author)
        return self.send(self._event(EventType.COMMENT_ADDED, at, actor=author, comment=comment))

    def status(self, at: datetime, status: Status, actor: Actor = ALICE) -> Plan:
        return self.send(self._event(EventType.STATUS_CHANGED, at, actor=actor, after=status.value))

    def group(self, at: datetime, group: str, actor: Actor = ALICE) -> Plan:
        return self.send(self._event(EventType.GROUP_CHANGED, at, actor=actor, after=group))

    def assign(self, at: datetime, assignee: Actor, actor: Actor = ALICE) -> Plan:
        event = self._event(
            EventType.ASSIGNEE_CHANGED, at, actor=actor, after=assignee.id, after_name=assignee.name
        )
        return self.send(event)

    def priority(self, at: datetime, priority: str, actor: Actor = ALICE) -> Plan:
        return self.send(self._event(EventType.PRIORITY_CHANGED, at, actor=actor, after=priority))

    def _event(self, kind: EventType, at: datetime, **kw: Any) -> TicketEvent:
        return TicketEvent(
            connector=self.connector, ticket=self.ticket, type=kind, at=at, key=self.key(), **kw
        )

    # --- reading results -------------------------------------------------------------
    def by_rule(self, rule: str, plan: Plan | None = None) -> list[Action]:
        actions = plan.actions if plan is not None else self.actions
        return [a for a in actions if a.rule == rule]

    def rules_fired(self, plan: Plan) -> list[str]:
        return sorted({a.rule for a in plan.actions})


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


def with_changes(event: TicketEvent, **kw: Any) -> TicketEvent:
    return replace(event, **kw)
