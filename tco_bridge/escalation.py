"""The escalation path: a ticket's stays with escalation (non-front-line) groups.

A pure function of the ordered group and assignee histories, so it survives deliveries that
arrive out of order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .ownership import OwnershipPolicy
from .state import Change, TicketState


@dataclass(frozen=True, slots=True)
class Segment:
    """One stay of the ticket with an escalation group."""

    group: str
    entered_at: datetime
    left_at: datetime | None
    assignee: str | None
    picked_up_at: datetime | None


def escalation_path(state: TicketState, policy: OwnershipPolicy) -> list[Segment]:
    """Stays with non-front-line groups: entered/left times and who picked the ticket up."""
    segments: list[Segment] = []
    groups = _collapsed(state.groups)
    for i, change in enumerate(groups):
        if change.value is None or policy.is_frontline(change.value):
            continue
        left = groups[i + 1].at if i + 1 < len(groups) else None
        pick = next(
            (
                a
                for a in state.assignees
                if a.value and a.at >= change.at and (left is None or a.at < left)
            ),
            None,
        )
        segments.append(
            Segment(
                str(change.value),
                change.at,
                left,
                pick.value if pick else None,
                pick.at if pick else None,
            )
        )
    return segments


def _collapsed(history: tuple[Change, ...]) -> list[Change]:
    out: list[Change] = []
    for change in history:
        if not out or out[-1].value != change.value:
            out.append(change)
    return out


def is_escalated(state: TicketState, policy: OwnershipPolicy) -> bool:
    return state.group is not None and not policy.is_frontline(state.group)
