"""Tickets as Jira lists them (``TCO_JIRA_RECONCILE_JQL``) or shows them, for ``reconcile``."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

from tco_bridge.connector import TicketRecord
from tco_bridge.errors import PermanentApiError

from .payload import Json, obj, parse_time, text
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
        record = _record(issue, settings)
        if record is not None:
            yield record


def refresh_tickets(
    transport: Transport, settings: JiraSettings, keys: Sequence[str]
) -> Iterator[TicketRecord]:
    """Each issue as Jira shows it now (``GET /rest/api/2/issue/{key}``, any status: the
    reconcile JQL leaves out the Done category, where resolved issues awaiting the customer
    sit); an issue Jira no longer has (404) is left out."""
    fields = ",".join(fields_for(settings))
    for key in keys:
        try:
            issue = transport.call("GET", f"/rest/api/2/issue/{key}", params={"fields": fields})
        except PermanentApiError as exc:
            if exc.status == 404:
                continue  # deleted, or moved out of the bridge's sight: reported as missing
            raise
        record = _record(obj(issue), settings)
        if record is not None:
            yield record


def _record(issue: Json, settings: JiraSettings) -> TicketRecord | None:
    key = text(issue.get("key"))
    if key is None:
        return None
    fields = obj(issue.get("fields"))
    snap = snapshot(key, fields, settings.group_field, settings.status_map)
    updated = parse_time(fields.get("updated")) or _EPOCH
    return TicketRecord(ticket=key, snapshot=snap, updated_at=updated)
