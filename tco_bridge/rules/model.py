"""What a loaded rules file defines besides its rules, and the facts a rule reads.

:class:`Definitions` holds the name tables (groups and their per-connector ids and leads,
field aliases, priority names and each tool's mapping onto them, calendars, named
durations). :class:`Facts` is one evaluation's view of a ticket: state, trigger, clock and
context, with the lookups rules need computed at most once.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from ..events import Actor, ActorKind, EventType, TicketEvent
from ..ownership import OwnershipPolicy
from ..plan import Away, Context
from ..state import TicketState, value_at
from .calendar import BusinessCalendar
from .durations import Duration
from .targets import EscalationTargets

_T = TypeVar("_T")

ANY = "*"  # a per-connector table entry that applies to every connector


def per_connector(table: Mapping[str, str], connector: str) -> str | None:
    return table.get(connector) or table.get(ANY)


@dataclass(frozen=True, slots=True)
class Group:
    alias: str
    ids: dict[str, str]  # connector (or "*") → the tool's group id / name
    leads: dict[str, str] = field(default_factory=dict)
    name: str | None = None
    #: connector (or "*") → member ids: who may do a quality check for the group.
    members: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """How notes and pages name the group: its ``name``, else its alias."""
        return self.name or self.alias


@dataclass(frozen=True, slots=True)
class PerPriority:
    """A duration per rule-file priority name (``P1: 1h``...)."""

    text: str
    values: dict[str, Duration]


DurationSpec = Duration | PerPriority


@dataclass(frozen=True)
class Definitions:
    groups: dict[str, Group] = field(default_factory=dict)
    fields: dict[str, dict[str, str]] = field(default_factory=dict)
    priority_names: tuple[str, ...] = ()
    priority_map: dict[str, dict[str, str]] = field(default_factory=dict)
    priority_default: str | None = None
    calendars: dict[str, BusinessCalendar] = field(default_factory=dict)
    default_calendar: str | None = None
    durations: dict[str, DurationSpec] = field(default_factory=dict)
    group_by_id: dict[tuple[str, str], str] = field(default_factory=dict)
    targets: EscalationTargets = field(default_factory=EscalationTargets)

    @classmethod
    def build(cls, **kwargs: Any) -> Definitions:
        groups: dict[str, Group] = kwargs.get("groups", {})
        by_id = {(c, i): g.alias for g in groups.values() for c, i in g.ids.items()}
        return cls(group_by_id=by_id, **kwargs)

    def group_alias(self, connector: str, raw: str | None) -> str | None:
        if raw is None:
            return None
        return self.group_by_id.get((connector, raw)) or self.group_by_id.get((ANY, raw))

    def group_id(self, alias: str, connector: str) -> str | None:
        group = self.groups.get(alias)
        return per_connector(group.ids, connector) if group else None

    def lead_of(self, alias: str | None, connector: str) -> str | None:
        group = self.groups.get(alias) if alias else None
        return per_connector(group.leads, connector) if group else None

    def field_id(self, alias: str, connector: str) -> str:
        return per_connector(self.fields.get(alias, {}), connector) or alias

    def priority(self, connector: str, raw: str | None) -> str | None:
        if raw is not None:
            table = self.priority_map.get(connector) or self.priority_map.get(ANY) or {}
            mapped = table.get(raw.lower())
            if mapped is not None:
                return mapped
            if raw in self.priority_names:
                return raw
        return self.priority_default

    def frontline_ids(self, aliases: list[str]) -> frozenset[str]:
        return frozenset(i for a in aliases for i in self.groups[a].ids.values())

    def frontline_aliases(self, ids: frozenset[str]) -> list[str]:
        """Front-line group aliases in file order (every group when none is named)."""
        return [a for a, g in self.groups.items() if not ids or set(g.ids.values()) & ids]

    def leads_complete(self, aliases: list[str]) -> bool:
        """Every one of these groups names a lead for each connector it has an id for."""
        return bool(aliases) and all(
            per_connector(self.groups[a].leads, c) for a in aliases for c in self.groups[a].ids
        )

    def calendar(self, name: str | None) -> BusinessCalendar | None:
        name = name or self.default_calendar
        return self.calendars.get(name) if name else None


class Facts:
    """One evaluation: a ticket's state, what woke it, the clock, the wider context."""

    __slots__ = (
        "state",
        "event",
        "now",
        "context",
        "written",
        "defs",
        "policy",
        "marks",
        "trigger",
        "actor",
        "actor_kind",
        "author",
        "_cache",
    )

    def __init__(
        self,
        state: TicketState,
        event: TicketEvent,
        now: datetime,
        context: Context,
        defs: Definitions,
        policy: OwnershipPolicy,
        trigger: str,
    ) -> None:
        self.state = state
        self.event = event
        self.now = now
        self.context = context
        self.defs = defs
        self.policy = policy
        self.trigger = trigger
        #: Marks as the trigger found them: every rule's conditions judge the same snapshot.
        self.marks: Mapping[str, Any] = state.marks
        #: Marks the matching rules wrote so far in this evaluation.
        self.written: dict[str, Any] = {}
        self._cache: dict[str, Any] = {}
        #: Who acted: the comment's author, else the event's actor (many conditions ask).
        comment = event.comment
        actor = comment.author if comment is not None and comment.author else event.actor
        self.actor: Actor | None = actor
        self.actor_kind: ActorKind = actor.kind if actor is not None else ActorKind.UNKNOWN
        #: ``actor_kind.value`` (the ``author`` conditions ask; an enum's value is slow to read).
        self.author: str = self.actor_kind.value

    def once(self, key: str, compute: Callable[[], _T]) -> _T:
        """A value computed once per evaluation (several rules' conditions ask the same)."""
        if key not in self._cache:
            self._cache[key] = compute()
        value: _T = self._cache[key]
        return value

    def mark(self, name: str) -> Any:
        """A mark's latest value, including what earlier actions just wrote."""
        return self.written[name] if name in self.written else self.marks.get(name)

    @property
    def connector(self) -> str:
        return self.state.connector

    @property
    def priority(self) -> str | None:
        if "priority" not in self._cache:
            self._cache["priority"] = self.defs.priority(self.connector, self.state.priority)
        value: str | None = self._cache["priority"]
        return value

    @property
    def group_alias(self) -> str | None:
        raw = self.state.group
        return self.defs.group_alias(self.connector, raw) or raw

    @property
    def owner_id(self) -> str | None:
        return self.state.owner.id if self.state.owner else None

    @property
    def agent(self) -> str | None:
        """The agent an away/back event is about; otherwise the owner."""
        if self.event.type in (EventType.AGENT_AWAY, EventType.AGENT_BACK):
            return self.event.field
        return self.owner_id

    @property
    def away(self) -> Away | None:
        agent = self.agent
        return self.context.away.get(agent) if agent else None

    @property
    def backup(self) -> str | None:
        if self.event.type is EventType.AGENT_AWAY and self.event.after:
            return self.event.after
        away = self.away
        return away.backup if away else None

    @property
    def owner_team(self) -> str | None:
        """The raw group the ticket sat in when the owner took it (their front-line team)."""
        owner = self.state.owner
        if owner is None:
            return None
        if owner.kind == "team":
            return owner.id
        group = value_at(self.state.groups, owner.since)
        return str(group) if group is not None else None

    @property
    def peer(self) -> str | None:
        """Another technician of the group the ticket sits in, never the one who resolved it:
        a listed member (picked by ticket, so the load spreads and a replay picks the same
        one), else the group's lead; nobody when the resolver is the only one."""
        defs, connector = self.defs, self.connector
        alias = defs.group_alias(connector, self.state.group)
        group = defs.groups.get(alias) if alias else None
        if group is None:
            return None
        resolver = self.state.resolved_by or (self.actor.id if self.actor else None)
        members = group.members.get(connector) or group.members.get(ANY) or ()
        others = sorted({m for m in members if m != resolver})
        if others:
            return others[zlib.crc32(self.state.ticket.encode()) % len(others)]
        lead = per_connector(group.leads, connector)
        return lead if lead != resolver else None

    @property
    def lead(self) -> str | None:
        """The lead of the owner's front-line team, else the front-line lead: the owner answers
        to them, never to the lead of the escalation group the ticket sits in."""
        defs, connector = self.defs, self.connector
        lead = defs.lead_of(defs.group_alias(connector, self.owner_team), connector)
        return lead or self.frontline_lead

    @property
    def frontline_lead(self) -> str | None:
        """The lead of the front-line group the ticket sits in, else of the first front-line
        group (the default fallback while a ticket has no owner)."""
        defs, connector = self.defs, self.connector
        group = self.state.group
        if group is not None and self.policy.is_frontline(group):
            lead = defs.lead_of(defs.group_alias(connector, group), connector)
            if lead:
                return lead
        for alias in defs.frontline_aliases(self.policy.frontline_groups):
            lead = defs.lead_of(alias, connector)
            if lead:
                return lead
        return None

    def anchor(self, name: str) -> datetime | None:
        """The instant a ``from:`` / ``older_than:`` anchor names (None: not happened yet)."""
        s = self.state
        if name == "event":
            return self.event.at
        if name == "now":
            return self.now
        if name == "owner_since":
            return s.owner.since if s.owner else None
        if name == "group_since":
            return s.groups[-1].at if s.groups else None
        if name == "assignee_since":
            return s.assignees[-1].at if s.assignees else None
        value: datetime | None = getattr(s, ANCHOR_FIELDS[name])
        return value


ANCHOR_FIELDS = {
    "created": "created_at",
    "first_response": "first_response_at",
    "last_customer_update": "last_customer_update_at",
    "last_requester_reply": "last_requester_reply_at",
    "last_internal_note": "last_internal_note_at",
    "last_touch": "last_touch_at",
    "resolved": "resolved_at",
    "closed": "closed_at",
    "updated": "updated_at",
}
ANCHORS = ("event", "now", "owner_since", "group_since", "assignee_since", *ANCHOR_FIELDS)
