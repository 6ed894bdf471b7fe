"""The template scope: each variable docs/rules.md documents, computed only when a template
names it (:func:`template_scope`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ..escalation import escalation_path
from ..events import EventType
from ..ownership import OwnershipPolicy
from ..state import TicketState
from .calendar import format_label
from .durations import humanize
from .emit import Emit
from .model import Definitions
from .recipients import stand_in
from .target_actions import eta_of, stay_scope

OWNER_MARK = "_owner"
OWNER_NAME_MARK = "_owner_name"


def template_scope(
    defs: Definitions,
    ownership: OwnershipPolicy,
    emit: Emit,
    due: datetime | None,
    names: frozenset[str],
) -> dict[str, Any]:
    """The template variables in ``names`` (only those are computed)."""
    view = _ScopeView(defs, ownership, emit, due)
    return {name: getattr(view, name)() for name in names}


def group_name(defs: Definitions, alias: str | None) -> str | None:
    group = defs.groups.get(alias) if alias else None
    return group.label if group else alias


def escalation_text(
    defs: Definitions, ownership: OwnershipPolicy, state: TicketState, now: datetime
) -> str:
    parts = []
    for seg in escalation_path(state, ownership):
        end = seg.left_at or now
        name = defs.group_alias(state.connector, seg.group) or seg.group
        picked = "picked up" if seg.picked_up_at else "not picked up"
        parts.append(f"{name} {humanize((end - seg.entered_at).total_seconds())} ({picked})")
    return " → ".join(parts) or "none"


class _ScopeView:
    """Computes each template variable on demand (docs/rules.md documents them)."""

    def __init__(
        self, defs: Definitions, ownership: OwnershipPolicy, emit: Emit, due: datetime | None
    ) -> None:
        self.defs = defs
        self.ownership = ownership
        self.f = emit.facts
        self.s = emit.facts.state
        self.emit = emit
        self.due_at = due
        calendar = defs.calendar(None)
        self.zone = calendar.tz if calendar else UTC

    def local(self, dt: datetime | None) -> str | None:
        return format_label(dt.astimezone(self.zone), weekday=False) if dt else None

    def _since(self, dt: datetime | None) -> str | None:
        return humanize((self.f.now - dt).total_seconds()) if dt else None

    def ticket(self) -> _TicketView:
        return _TicketView(self)

    def owner(self) -> _OwnerView:
        return _OwnerView(self)

    def timer(self) -> dict[str, Any]:
        event = self.f.event
        name = event.field if event.type is EventType.TIMER_FIRED else None
        return {"name": name, "due": self.due(), "due_local": self.due_local()}

    def event(self) -> dict[str, Any]:
        f = self.f
        actor = f.actor
        return {
            "type": f.event.type.value,
            "key": f.event.key,
            "at": f.event.at.isoformat(),
            "actor": actor.id if actor else None,
            "actor_name": actor.name if actor else None,
            "actor_kind": f.actor_kind.value,
        }

    def comment(self) -> dict[str, Any]:
        comment = self.f.event.comment
        return {
            "body": comment.body if comment else "",
            "public": comment.public if comment else False,
            "author": comment.author.id if comment and comment.author else None,
            "chars": len(comment.body) if comment else 0,
        }

    def rule(self) -> str:
        return self.emit.rule

    def now(self) -> str:
        return self.f.now.isoformat()

    def now_local(self) -> str | None:
        return self.local(self.f.now)

    def due(self) -> str | None:
        return self.due_at.isoformat() if self.due_at else None

    def due_local(self) -> str | None:
        return self.local(self.due_at)

    def overdue_by(self) -> str:
        due, now = self.due_at, self.f.now
        return humanize((now - due).total_seconds()) if due and now > due else "0m"

    def since_update(self) -> str | None:
        return self._since(self.s.last_customer_update_at or self.s.created_at)

    def age(self) -> str | None:
        return self._since(self.s.created_at)

    def in_group_for(self) -> str | None:
        return self._since(self.s.groups[-1].at) if self.s.groups else None

    def escalation(self) -> str:
        return escalation_text(self.defs, self.ownership, self.s, self.f.now)

    def workload(self) -> int:
        owner = self.s.owner
        return self.f.context.workload.get(owner.id, 0) if owner else 0

    def lead(self) -> str | None:
        return self.f.lead

    def previous_owner(self) -> str | None:
        """The owner the rules announced before this change, by name (None: there was none)."""
        value = self.f.marks.get(OWNER_NAME_MARK) or self.f.marks.get(OWNER_MARK)
        return str(value) if value is not None else None

    def backup(self) -> str | None:
        return self.f.backup

    def agent(self) -> str | None:
        return self.f.agent

    def marks(self) -> dict[str, Any]:
        return {**self.f.marks, **self.f.written}

    def timers(self) -> dict[str, str | None]:
        return {name: self.local(at) for name, at in self.s.timers.items()}

    def stay(self) -> dict[str, Any]:
        return stay_scope(self.f, self.local)

    def eta(self) -> str | None:
        return self.local(eta_of(self.f))


class _TicketView:
    """``ticket`` in templates: each attribute computed when a template reads it."""

    __slots__ = ("_v",)

    def __init__(self, view: _ScopeView) -> None:
        self._v = view

    id = property(lambda self: self._v.s.ticket)
    key = property(lambda self: self._v.s.key)
    connector = property(lambda self: self._v.s.connector)
    url = property(lambda self: self._v.s.register("field:url"))
    status = property(lambda self: self._v.s.status.value if self._v.s.status else None)
    priority = property(lambda self: self._v.f.priority)
    raw_priority = property(lambda self: self._v.s.priority)
    group = property(lambda self: self._v.f.group_alias)
    group_id = property(lambda self: self._v.s.group)
    group_name = property(lambda self: group_name(self._v.defs, self._v.f.group_alias))
    assignee = property(lambda self: self._v.s.assignee)
    assignee_name = property(lambda self: self._v.s.assignee_name)
    requester = property(lambda self: self._v.s.requester)
    summary = property(lambda self: self._v.s.register("summary"))
    type = property(lambda self: self._v.s.register("type"))
    tags = property(lambda self: list(self._v.s.tags))
    created_at = property(lambda self: self._v.local(self._v.s.created_at))
    age = property(lambda self: self._v.age())


class _OwnerView:
    """``owner`` in templates. ``display`` names whom a note to ``owner`` is for: the owner's
    name, else the id; with no owner yet, the fallback it reaches, "(no contact owner yet)"."""

    __slots__ = ("_v",)

    def __init__(self, view: _ScopeView) -> None:
        self._v = view

    id = property(lambda self: self._v.s.owner.id if self._v.s.owner else None)
    name = property(lambda self: self._v.s.owner.name if self._v.s.owner else None)
    kind = property(lambda self: self._v.s.owner.kind if self._v.s.owner else None)
    since = property(lambda self: self._v.local(self._v.s.owner.since) if self._v.s.owner else None)

    @property
    def display(self) -> str:
        owner = self._v.s.owner
        if owner is not None:
            return owner.name or owner.id
        who = stand_in(self._v.f)
        return f"{who} (no contact owner yet)" if who else "no contact owner yet"

    @property
    def team(self) -> str | None:
        f = self._v.f
        return self._v.defs.group_alias(f.connector, f.owner_team) or f.owner_team
