"""Replay recorded deliveries through the pure core on a virtual clock.

Each recorded delivery (the receiver's JSONL format: ``received_at``, ``connector``,
``headers``, ``body`` or ``body_b64``) is parsed with its connector's pure ``parse`` (no
signature check). The events are ordered by the tool's own timestamps and run through
:func:`tco_bridge.pipeline.process`, exactly what the worker runs; timers fall due in time
order between deliveries and up to ``--until``. A virtual workload (open tickets per owner)
is kept. Nothing touches Redis or the network. Unreadable lines are reported and skipped.
"""

from __future__ import annotations

import heapq
import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from .actions import Action, ActionKind
from .events import EventType, TicketEvent, utc
from .pipeline import process
from .plan import Away, Context, Rulebook
from .recording import Parsers, Presence, delivery_events, read_recording
from .state import TicketState, new_state

DEFAULT_HORIZON = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class Entry:
    """One action on the timeline."""

    at: datetime
    ticket: str
    rule: str
    action: str
    target: str
    text: str
    id: str
    trigger: str

    def to_json(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "ticket": self.ticket,
            "rule": self.rule,
            "action": self.action,
            "target": self.target,
            "text": self.text,
            "id": self.id,
            "trigger": self.trigger,
        }


# --- the replay ---------------------------------------------------------------------------


@dataclass
class Simulator:
    rules: Rulebook
    states: dict[str, TicketState] = field(default_factory=dict)
    away: dict[str, Away] = field(default_factory=dict)
    timeline: list[Entry] = field(default_factory=list)
    _timers: list[tuple[datetime, str, str]] = field(default_factory=list)
    _owners: dict[str, str] = field(default_factory=dict)
    _workload: Counter[str] = field(default_factory=Counter)
    _told: dict[tuple[str, str], set[str]] = field(default_factory=dict)

    def run(
        self, events: Iterable[TicketEvent | Presence], until: datetime | None = None
    ) -> list[Entry]:
        ordered = sorted(events, key=lambda e: (utc(e.at), e.key))
        for event in ordered:
            self.fire_due(event.at)
            if isinstance(event, Presence):
                self.presence(event)
            else:
                self.step(event)
        if until is None and ordered:
            until = ordered[-1].at + DEFAULT_HORIZON
        if until is not None:
            self.fire_due(until)
        return self.timeline

    def fire_due(self, until: datetime) -> None:
        while self._timers and self._timers[0][0] <= until:
            due, key, name = heapq.heappop(self._timers)
            state = self.states.get(key)
            if state is None or state.timers.get(name) != due:
                continue  # reset or cleared since it was set
            self.step(
                TicketEvent(
                    connector=state.connector,
                    ticket=state.ticket,
                    type=EventType.TIMER_FIRED,
                    at=due,
                    key=f"timer:{name}:{due.isoformat()}",
                    field=name,
                )
            )

    def step(self, event: TicketEvent) -> None:
        self._presence(event)
        key = event.ticket_key
        state = self.states.get(key) or new_state(event.connector, event.ticket)
        result = process(state, event, self.rules, event.at, self.context())
        self.states[key] = result.state
        self._count(key, result.state)
        for name, due in result.plan.timers_set.items():
            heapq.heappush(self._timers, (due, key, name))
        trigger = f"timer:{event.field}" if event.type is EventType.TIMER_FIRED else event.type
        for action in result.plan.actions:
            self.timeline.append(_entry(event.at, key, str(trigger), action))

    def context(self) -> Context:
        """Workload and away list as the worker would read them now."""
        return Context(workload=dict(self._workload), away=dict(self.away))

    def presence(self, change: Presence) -> None:
        """An agent marked away or back, as ``handover`` does it: an ``agent.away`` event for
        each open ticket they own; ``agent.back`` for those and any they own now."""
        kind = EventType.AGENT_AWAY if change.away else EventType.AGENT_BACK
        owned = {k for k, owner in self._owners.items() if owner == change.agent}
        told = self._told.setdefault((change.connector, change.agent), set())
        tickets = owned if change.away else owned | told
        if change.away:
            told |= owned
        else:
            self._told.pop((change.connector, change.agent), None)
            self.away.pop(change.agent, None)  # also when the agent owns nothing now
        for key in sorted(tickets):
            state = self.states[key]
            if state.connector != change.connector:
                continue
            self.step(
                TicketEvent(
                    connector=state.connector,
                    ticket=state.ticket,
                    type=kind,
                    at=change.at,
                    key=change.key,
                    delivery=change.key,
                    field=change.agent,
                    after=change.backup,
                )
            )
        if change.away:
            self.away[change.agent] = Away(change.agent, change.backup)

    def _presence(self, event: TicketEvent) -> None:
        """Agent away/back events carry the agent (``field``) and backup (``after``): the
        virtual ``Context.away`` follows them, as ``tco:away`` does in production."""
        if event.type is EventType.AGENT_AWAY and event.field:
            self.away[event.field] = Away(event.field, event.after)
        elif event.type is EventType.AGENT_BACK and event.field:
            self.away.pop(event.field, None)

    def _count(self, key: str, state: TicketState) -> None:
        previous = self._owners.pop(key, None)
        if previous is not None:
            self._workload[previous] -= 1
        if state.owner is not None and state.is_open:
            self._owners[key] = state.owner.id
            self._workload[state.owner.id] += 1


def _entry(at: datetime, ticket: str, trigger: str, a: Action) -> Entry:
    target, text = describe(a)
    return Entry(at, ticket, a.rule, a.kind.value, target, text, a.id, trigger)


def describe(a: Action) -> tuple[str, str]:
    """The action's target and a one-line text, as the timeline prints them."""
    kind = a.kind
    if kind is ActionKind.NOTE:
        prefix = "public reply" if a.extra.get("public") else "note"
        return ", ".join(a.mention) or prefix, a.text or ""
    if kind is ActionKind.ASSIGN:
        target = a.assignee or (f"group:{a.group}" if a.group else "")
        return target, f"assign to {target}" + (" (unassigned)" if a.extra.get("unassign") else "")
    if kind is ActionKind.SET_FIELD:
        return a.field or "", f"{a.field} = {a.value}"
    if kind in (ActionKind.ADD_LABEL, ActionKind.REMOVE_LABEL):
        return a.label or "", a.label or ""
    if kind is ActionKind.TRANSITION:
        return a.status or "", f"status → {a.status}"
    if kind is ActionKind.CREATE_TASK and a.task is not None:
        return a.task.assignee or "", f"[{a.task.kind}] {a.task.summary}"
    if kind is ActionKind.SET_OWNER:
        return a.owner or "", f"owner {a.owner_name or a.owner} → {a.field or 'default mirror'}"
    return "", ""


# --- output -------------------------------------------------------------------------------


def format_table(
    entries: list[Entry], width: int = 90, zone: ZoneInfo | None = None
) -> Iterator[str]:
    """One row per action; times with their UTC offset, in ``zone`` (default UTC)."""
    zone = zone or ZoneInfo("UTC")
    headers = ("at", "ticket", "rule", "action", "target", "text")
    rows = [
        (local_time(e.at, zone), e.ticket, e.rule, e.action, e.target, _cut(e.text, width))
        for e in entries
    ]
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers[:-1])]
    for row in (headers, *rows):
        cells = [str(c).ljust(w) for c, w in zip(row[:-1], widths, strict=True)]
        yield "  ".join([*cells, row[-1]]).rstrip()


def local_time(at: datetime, zone: ZoneInfo) -> str:
    return at.astimezone(zone).isoformat(sep=" ", timespec="minutes")


def _cut(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def write(entries: list[Entry], fmt: str, out: TextIO, zone: ZoneInfo | None = None) -> None:
    if fmt == "jsonl":
        for e in entries:
            out.write(json.dumps(e.to_json(), ensure_ascii=False) + "\n")
        return
    for line in format_table(entries, zone=zone):
        out.write(line + "\n")


def rules_zone(rules: Rulebook) -> ZoneInfo:
    defs = getattr(rules, "defs", None)
    calendar = defs.calendars.get(defs.default_calendar) if defs and defs.default_calendar else None
    return calendar.tz if calendar is not None else ZoneInfo("UTC")


__all__ = ["Entry", "Parsers", "Presence", "Simulator", "delivery_events", "read_recording"]
