"""Open tickets as Jira lists them, for ``reconcile`` (``TCO_JIRA_RECONCILE_JQL``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from tco_bridge.connector import TicketRecord

from .payload import obj, parse_time, text
from .search import search
from .settings import JiraSettings
from .snapshot import snapshot
from .transport import Transport

BASE_FIELDS = [
    "summary",
    "status",
    "priority",
    "assignee",
    "reporter",
    "issuetype",
    "labels",
    "created",
    "updated",
    "project",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def fields_for(settings: JiraSettings) -> list[str]:
    """The fields a snapshot needs, plus the group and owner fields when they are custom."""
    extra = [f for f in (settings.group_field, settings.owner_field) if f not in BASE_FIELDS]
    return BASE_FIELDS + [f for f in extra if f != "label"]


def open_tickets(transport: Transport, settings: JiraSettings) -> Iterator[TicketRecord]:
    """Every issue matching the reconcile JQL, page by page."""
    hits = search(transport, settings.reconcile_jql, fields_for(settings), cloud=settings.is_cloud)
    for issue in hits:
        key = text(issue.get("key"))
        if key is None:
            continue
        fields = obj(issue.get("fields"))
        snap = snapshot(key, fields, settings.group_field, settings.status_map)
        updated = parse_time(fields.get("updated")) or _EPOCH
        yield TicketRecord(ticket=key, snapshot=snap, updated_at=updated)
