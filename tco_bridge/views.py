"""JSON views of ownership state for the read API and the CLI (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import Any

from .escalation import Segment, escalation_path, is_escalated
from .ownership import OwnershipPolicy
from .plan import Rulebook
from .rules.engine import RuleSet
from .rules.model import Definitions
from .rules.scope import group_name
from .rules.targets import Outcome, stays
from .state import TicketState


def _t(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt else None


def defs_of(rules: Rulebook) -> Definitions | None:
    """The rules' definitions (groups, calendars, targets), when the rule book has them."""
    return rules.defs if isinstance(rules, RuleSet) else None


def team_zone(defs: Definitions | None) -> tzinfo:
    """The zone of the rules' default calendar (the team's working day), else UTC: the
    console shows every moment there, as the timeline's deadline arithmetic does."""
    calendar = defs.calendar(None) if defs is not None else None
    return calendar.tz if calendar is not None else UTC


def group_display(defs: Definitions | None, connector: str | None, raw: str | None) -> str:
    """A tool's group id as the rules name it (``L2 Network`` for ``l2_network``); the id
    itself when the rules do not know it. Without a connector, any connector's id (or the
    group's alias) counts."""
    if raw is None:
        return ""
    if defs is None:
        return raw
    if connector is not None:
        alias = defs.group_alias(connector, raw)
    else:
        alias = next((a for (_, i), a in defs.group_by_id.items() if i == raw), None)
    alias = alias or (raw if raw in defs.groups else None)  # a table keyed by alias
    return (group_name(defs, alias) if alias else None) or raw


def ticket_view(
    state: TicketState,
    policy: OwnershipPolicy,
    defs: Definitions | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The ticket as the bridge sees it. With the rules' ``defs`` and the time, each stay in
    the escalation path carries its group's targets and their verdicts (met, breached,
    running, or none: no such target)."""
    owner = state.owner
    return {
        "connector": state.connector,
        "ticket": state.ticket,
        "owner": (
            {
                "id": owner.id,
                "name": owner.name,
                "kind": owner.kind,
                "since": _t(owner.since),
                "via": owner.via,
            }
            if owner
            else None
        ),
        # Whether the owner shown above is also written into the ticket (None: no owner yet).
        "owner_mirrored": (state.owner_mirrored == owner.id) if owner else None,
        "assignee": (
            {"id": state.assignee, "name": state.assignee_name} if state.assignee else None
        ),
        "group": state.group,
        "status": state.status.value if state.status else None,
        "priority": state.priority,
        "summary": state.register("summary"),
        "requester": state.requester,
        "open": state.is_open,
        "escalated": is_escalated(state, policy),
        "escalation_path": _path(state, policy, defs, now),
        "timers": {name: _t(due) for name, due in sorted(state.timers.items())},
        "touches": state.touches,
        "created_at": _t(state.created_at),
        "first_response_at": _t(state.first_response_at),
        "last_customer_update_at": _t(state.last_customer_update_at),
        "resolved_at": _t(state.resolved_at),
        "closed_at": _t(state.closed_at),
        "updated_at": _t(state.updated_at),
    }


def _path(
    state: TicketState, policy: OwnershipPolicy, defs: Definitions | None, now: datetime | None
) -> list[dict[str, Any]]:
    if defs is None or now is None:
        return [_segment(s) for s in escalation_path(state, policy)]
    return [
        {
            **_segment(stay.segment),
            "alias": stay.alias,
            "response": _outcome(stay.response),
            "resolution": _outcome(stay.resolution),
        }
        for stay in stays(state, policy, defs, now)
    ]


def _segment(s: Segment) -> dict[str, Any]:
    return {
        "group": s.group,
        "entered_at": _t(s.entered_at),
        "left_at": _t(s.left_at),
        "assignee": s.assignee,
        "picked_up_at": _t(s.picked_up_at),
    }


def _outcome(o: Outcome) -> dict[str, Any]:
    return {"status": o.status, "due": _t(o.due), "done_at": _t(o.done_at)}


def owned_view(state: TicketState, policy: OwnershipPolicy) -> dict[str, Any]:
    """One line of "tickets I own": who has it now."""
    return {
        "ticket": state.ticket,
        "summary": state.register("summary"),
        "status": state.status.value if state.status else None,
        "priority": state.priority,
        "assignee": state.assignee,
        "assignee_name": state.assignee_name,
        "group": state.group,
        "with_someone_else": state.assignee not in (None, state.owner.id if state.owner else None),
        "escalated": is_escalated(state, policy),
        "timers": {name: _t(due) for name, due in sorted(state.timers.items())},
    }
