"""``issue.fields`` → :class:`Snapshot`, shared by webhook parsing and reconcile.

The support group is read from ``TCO_JIRA_GROUP_FIELD``; its value is the *display* value
(project name, component name, option value), because that is also what changelog items carry
in ``fromString``/``toString``, so a group read from a snapshot and a group read from a change
compare equal.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tco_bridge.events import Snapshot, Status

from .payload import Json, obj, parse_time, text, user_id
from .statuses import canonical_status

#: Longer custom-field strings (e.g. DC's serialised dev-status summary) are left out.
MAX_FIELD_CHARS = 255


def group_value(fields: Json, group_field: str) -> str | None:
    """The support group per ``TCO_JIRA_GROUP_FIELD``: project, components or a custom field."""
    if group_field == "project":
        project = obj(fields.get("project"))
        return text(project.get("name")) or text(project.get("key"))
    return _display(fields.get(group_field))


def _display(value: Any) -> str | None:
    """A field's display value: option ``value``/``name``, first of a list, or the string."""
    if isinstance(value, list):
        return _display(value[0]) if value else None
    if isinstance(value, dict):
        return text(value.get("value")) or text(value.get("name")) or text(value.get("key"))
    return text(value)


def _scalar_fields(fields: Json) -> dict[str, Any]:
    """Custom fields small enough to carry: scalars, short strings and single options."""
    out: dict[str, Any] = {}
    for name, value in fields.items():
        if value is None or not name.startswith("customfield_"):  # most are null: test that first
            continue
        if isinstance(value, dict) and "value" in value:
            value = value["value"]
        if isinstance(value, str) and len(value) <= MAX_FIELD_CHARS:
            out[name] = value
        elif isinstance(value, bool | int | float):
            out[name] = value
    return out


def snapshot(
    key: str, fields: Json, group_field: str, status_map: Mapping[str, Status]
) -> Snapshot:
    """The ticket as ``issue.fields`` describes it (any part may be missing)."""
    status = obj(fields.get("status"))
    category = obj(status.get("statusCategory")).get("key")
    assignee = obj(fields.get("assignee"))
    reporter = obj(fields.get("reporter"))
    labels = fields.get("labels")
    extra: dict[str, Any] = {"key": key}
    project = text(obj(fields.get("project")).get("key"))
    if project:
        extra["project"] = project
    extra.update(_scalar_fields(fields))
    return Snapshot(
        status=canonical_status(text(status.get("name")), category, status_map),
        raw_status=text(status.get("name")),
        priority=text(obj(fields.get("priority")).get("name")),
        assignee=user_id(assignee),
        assignee_name=text(assignee.get("displayName")),
        group=group_value(fields, group_field),
        requester=user_id(reporter),
        requester_name=text(reporter.get("displayName")),
        type=text(obj(fields.get("issuetype")).get("name")),
        summary=text(fields.get("summary")),
        tags=tuple(str(x) for x in labels) if isinstance(labels, list) else (),
        created_at=parse_time(fields.get("created")),
        fields=extra,
    )
