"""Jira status → canonical status.

Jira workflows are site-specific, so the mapping is layered, first match wins:

1. ``TCO_JIRA_STATUS_MAP`` overrides, by status name (case-insensitive).
2. Well-known names whose meaning for ownership differs from their category:

   - ``pending`` (waiting on the customer): *Waiting for customer*, *Pending*,
     *Awaiting customer*, *Waiting for reporter*, *Awaiting information*, ...
   - ``on_hold``: *On hold*, *Hold*, *Paused*.
   - ``open``: *Waiting for support* (the customer answered: the agent must act),
     *In progress*, *Reopened*, *Escalated*.
   - ``closed``: *Closed*, *Cancelled*/*Canceled*, *Declined*, *Rejected*, *Won't do*: final
     states the customer cannot confirm.
   - ``resolved``: *Resolved*, *Done*: a solution was given and awaits the requester's
     confirmation (the "approval before close" practice relies on that distinction).
   - ``new``: *To Do*, *Backlog*, *New*, *Open* (Jira's classic initial status).
3. The status category: ``new`` → new, ``indeterminate`` → open, ``done`` → resolved.

A name matched by none of these and without a category (e.g. the ``from`` side of a changelog
item, which carries only a name) maps to ``None``: add it to ``TCO_JIRA_STATUS_MAP``.
"""

from __future__ import annotations

from collections.abc import Mapping

from tco_bridge.events import Status

WELL_KNOWN: Mapping[str, Status] = {
    "waiting for customer": Status.PENDING,
    "waiting on customer": Status.PENDING,
    "awaiting customer": Status.PENDING,
    "waiting for reporter": Status.PENDING,
    "awaiting information": Status.PENDING,
    "waiting for information": Status.PENDING,
    "pending": Status.PENDING,
    "on hold": Status.ON_HOLD,
    "hold": Status.ON_HOLD,
    "paused": Status.ON_HOLD,
    "waiting for support": Status.OPEN,
    "in progress": Status.OPEN,
    "reopened": Status.OPEN,
    "escalated": Status.OPEN,
    "closed": Status.CLOSED,
    "cancelled": Status.CLOSED,
    "canceled": Status.CLOSED,
    "declined": Status.CLOSED,
    "rejected": Status.CLOSED,
    "won't do": Status.CLOSED,
    "resolved": Status.RESOLVED,
    "done": Status.RESOLVED,
    "to do": Status.NEW,
    "backlog": Status.NEW,
    "new": Status.NEW,
    "open": Status.NEW,
}

BY_CATEGORY: Mapping[str, Status] = {
    "new": Status.NEW,
    "indeterminate": Status.OPEN,
    "done": Status.RESOLVED,
}


def canonical_status(
    name: str | None, category: str | None, overrides: Mapping[str, Status]
) -> Status | None:
    """The canonical status for a Jira status name and (when known) its category key."""
    key = (name or "").strip().casefold()
    if key in overrides:
        return overrides[key]
    if key in WELL_KNOWN:
        return WELL_KNOWN[key]
    return BY_CATEGORY.get((category or "").lower())
