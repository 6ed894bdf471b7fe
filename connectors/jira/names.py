"""Reading a changelog item's field and users the same way on Cloud and Data Center.

Cloud items carry ``fieldId`` and accountIds. Data Center items name custom fields by display
name with no ``fieldId`` and carry user *keys*; a :class:`Resolver` turns those into the ids
the rest of the bridge uses (``customfield_N``, usernames): first from the delivery itself
(its user objects: the actor, issue assignee, reporter and creator, comment authors), then
from a :class:`Names` source (``directory.Directory`` in the connector; tests pass a dict-backed
one or none). Without a source, a name or key the delivery does not explain is kept as it came.
"""

from __future__ import annotations

from typing import Protocol

from .payload import Json, obj, text

_USER_FIELDS = ("assignee", "reporter", "creator")


class Names(Protocol):
    """Where names and keys the delivery does not explain are looked up."""

    def field_id(self, name: str) -> str | None: ...

    def username(self, key: str) -> str | None: ...


def payload_users(data: Json) -> dict[str, str]:
    """User key → username for every Server/DC user object in the delivery."""
    fields = obj(obj(data.get("issue")).get("fields"))
    comment = obj(data.get("comment"))
    candidates = [data.get("user"), comment.get("author"), comment.get("updateAuthor")]
    candidates += [fields.get(name) for name in _USER_FIELDS]
    users: dict[str, str] = {}
    for user in candidates:
        key, name = text(obj(user).get("key")), text(obj(user).get("name"))
        if key and name:
            users[key] = name
    return users


class Resolver:
    """Field ids and user ids of one delivery's changelog items."""

    def __init__(self, data: Json, *, cloud: bool, names: Names | None = None) -> None:
        self._cloud = cloud
        self._names = names
        self._users = {} if cloud else payload_users(data)

    def field_id(self, item: Json) -> str:
        """``fieldId`` (Cloud); a custom field's id found by its display name (DC); else the
        lower-cased field name (system fields, or a custom name nobody could resolve)."""
        field_id = text(item.get("fieldId"))
        if field_id is not None:
            return field_id
        name = text(item.get("field")) or ""
        if item.get("fieldtype") == "custom" and name and self._names is not None:
            found = self._names.field_id(name)
            if found:
                return found
        return name.lower()

    def user(self, value: str | None) -> str | None:
        """An accountId as it is (Cloud); a DC user key as its username when known."""
        if value is None or self._cloud:
            return value
        if value in self._users:
            return self._users[value]
        if value in self._users.values():
            return value  # already a username
        found = self._names.username(value) if self._names is not None else None
        return found or value
