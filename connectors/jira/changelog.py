"""One changelog item → the canonical kind of change, with before/after values.

Items are matched on ``fieldId`` when present (Cloud), else case-insensitively on ``field``
(older Server/DC send no ``fieldId`` and may capitalise, e.g. ``Status``); a Data Center custom
field named by its display name (``Team``) is matched by the id the :class:`~.names.Resolver`
finds for that name, so a move in a custom group field is a group change on DC as on Cloud.
Values:

- status: canonical statuses (see ``statuses.py``); the *after* side also uses the category
  of ``issue.fields.status`` when its name matches ``toString``.
- assignee: ``from``/``to`` (accountId on Cloud; on DC the user key, resolved to the
  username); ``after_name`` = toString.
- priority and the support group: display names (``fromString``/``toString``).
- anything else (labels, resolution, custom fields): ``FIELD_CHANGED`` with ``field`` = the
  fieldId (or field name) and the display strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tco_bridge.events import EventType, Status

from .names import Resolver
from .payload import Json, obj, text
from .statuses import canonical_status


@dataclass(frozen=True, slots=True)
class Change:
    type: EventType
    field: str
    before: str | None
    after: str | None
    after_name: str | None = None


def _matches(field_id: str, wanted: str) -> bool:
    return field_id.casefold() == wanted.casefold()


def _is_group(field_id: str, group_field: str) -> bool:
    if group_field == "components":
        return _matches(field_id, "components") or _matches(field_id, "component")
    return _matches(field_id, group_field)


def _status_change(item: Json, fields: Json, status_map: Mapping[str, Status]) -> Change:
    current = obj(fields.get("status"))
    after_name = text(item.get("toString"))
    category = None
    if after_name and text(current.get("name")) == after_name:
        category = obj(current.get("statusCategory")).get("key")
    before = canonical_status(text(item.get("fromString")), None, status_map)
    after = canonical_status(after_name, category, status_map)
    return Change(
        EventType.STATUS_CHANGED,
        "status",
        before.value if before else None,
        after.value if after else None,
        after_name,
    )


def change_of(
    item: Json,
    fields: Json,
    group_field: str,
    status_map: Mapping[str, Status],
    names: Resolver,
) -> Change:
    """Classify one changelog item."""
    before_str, after_str = text(item.get("fromString")), text(item.get("toString"))
    field_id = names.field_id(item)
    if _matches(field_id, "status"):
        return _status_change(item, fields, status_map)
    if _matches(field_id, "assignee"):
        return Change(
            EventType.ASSIGNEE_CHANGED,
            "assignee",
            names.user(text(item.get("from"))),
            names.user(text(item.get("to"))),
            after_str,
        )
    if _matches(field_id, "priority"):
        return Change(EventType.PRIORITY_CHANGED, "priority", before_str, after_str)
    if _is_group(field_id, group_field):
        return Change(EventType.GROUP_CHANGED, group_field, before_str, after_str)
    before = before_str if before_str is not None else text(item.get("from"))
    after = after_str if after_str is not None else text(item.get("to"))
    return Change(EventType.FIELD_CHANGED, field_id, before, after)
