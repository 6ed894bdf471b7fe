"""Small readers for Jira JSON: users, actors, times and comment bodies.

Jira payloads are loosely typed (fields may be ``null``, objects or lists depending on the
site and version), so every reader here tolerates a missing or odd value and returns ``None``
rather than raising: a delivery is refused only for what the bridge cannot do without.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tco_bridge.events import Actor, ActorKind, utc

Json = dict[str, Any]


def obj(value: Any) -> Json:
    """``value`` when it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def text(value: Any) -> str | None:
    """A non-empty string form of a scalar, else ``None``."""
    if value is None or isinstance(value, dict | list):
        return None
    out = str(value)
    return out or None


def user_id(user: Any) -> str | None:
    """Cloud identifies users by ``accountId``; Server/DC by ``name`` (then ``key``)."""
    data = obj(user)
    return text(data.get("accountId")) or text(data.get("name")) or text(data.get("key"))


def _ids(user: Json) -> set[str]:
    return {v for v in (text(user.get(k)) for k in ("accountId", "name", "key")) if v}


def classify(user: Any, reporter: str | None, bot_account: str | None) -> ActorKind:
    """Who acted: the bridge itself, the requester, an automation, or an agent.

    Cloud marks app and automation users with ``accountType: app`` and JSM customers with
    ``accountType: customer``; those are safe signals. Anything else is an agent.
    """
    data = obj(user)
    ids = _ids(data)
    if bot_account and bot_account in ids:
        return ActorKind.BRIDGE
    if reporter and reporter in ids:
        return ActorKind.REQUESTER
    account_type = data.get("accountType")
    if account_type == "app":
        return ActorKind.SYSTEM
    if account_type == "customer":
        return ActorKind.REQUESTER
    return ActorKind.AGENT


def actor(user: Any, reporter: str | None, bot_account: str | None) -> Actor | None:
    ident = user_id(user)
    if ident is None:
        return None
    name = text(obj(user).get("displayName"))
    return Actor(ident, classify(user, reporter, bot_account), name)


def from_millis(value: Any) -> datetime | None:
    """Jira's top-level ``timestamp`` is epoch milliseconds."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return datetime.fromtimestamp(value / 1000, tz=UTC)


def parse_time(value: Any) -> datetime | None:
    """Jira REST times look like ``2019-10-10T05:43:13.803+0700``."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        return None


def body_text(body: Any) -> str:
    """A comment body as plain text: REST v2 sends a string, v3 an ADF document."""
    if isinstance(body, str):
        return body
    return _adf_text(body).strip()


_BLOCKS = frozenset({"paragraph", "heading", "listItem", "blockquote", "codeBlock", "rule"})


def _adf_text(node: Any) -> str:
    """Concatenate the text of an Atlassian Document Format tree, a newline per block."""
    if isinstance(node, list):
        return "".join(_adf_text(child) for child in node)
    data = obj(node)
    kind = data.get("type")
    if kind == "text":
        return str(data.get("text", ""))
    if kind == "hardBreak":
        return "\n"
    if kind == "mention":
        return str(obj(data.get("attrs")).get("text", ""))
    inner = _adf_text(data.get("content", []))
    return inner + "\n" if kind in _BLOCKS else inner
