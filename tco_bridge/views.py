"""JSON views of ownership state for the read API and the CLI (pure)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .ownership import OwnershipPolicy
from .state import TicketState, escalation_path, is_escalated


def _t(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt else None


def ticket_view(state: TicketState, policy: OwnershipPolicy) -> dict[str, Any]:
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
        "escalation_path": [
            {
                "group": s.group,
                "entered_at": _t(s.entered_at),
                "left_at": _t(s.left_at),
                "assignee": s.assignee,
                "picked_up_at": _t(s.picked_up_at),
            }
            for s in escalation_path(state, policy)
        ],
        "timers": {name: _t(due) for name, due in sorted(state.timers.items())},
        "touches": state.touches,
        "created_at": _t(state.created_at),
        "first_response_at": _t(state.first_response_at),
        "last_customer_update_at": _t(state.last_customer_update_at),
        "resolved_at": _t(state.resolved_at),
        "closed_at": _t(state.closed_at),
        "updated_at": _t(state.updated_at),
    }


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
