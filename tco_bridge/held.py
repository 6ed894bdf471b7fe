"""Write-backs held back by a write limit, kept where the ticket's view can show them.

Without this, a note that waits for the per-ticket or per-account budget looks as if the rule
never fired. The write-back job records the hold when it defers for a rate limit and clears it
when it next reaches the tool (or parks the group); ``GET /tickets/...`` shows it.

Redis key: ``tco:held:<connector>:<ticket>`` (JSON, expires soon after the planned retry, so a
lost job cannot leave a stale hold behind).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from . import keys

SLACK_S = 120


def key(connector: str, ticket: str) -> str:
    return keys.held(connector, ticket)


def record(
    client: Any, connector: str, ticket: str, reason: str, delay: float, actions: Sequence[Any]
) -> dict[str, Any]:
    """Note that ``actions`` wait ``delay`` seconds for ``reason``; returns the record."""
    now = datetime.now(UTC)
    entry = {
        "reason": reason,
        "since": now.isoformat(),
        "until": (now + timedelta(seconds=delay)).isoformat(),
        "actions": [{"id": a.id, "kind": a.kind.value, "rule": a.rule} for a in actions],
    }
    client.set(key(connector, ticket), json.dumps(entry), ex=int(delay) + SLACK_S)
    return entry


def clear(client: Any, connector: str, ticket: str) -> None:
    client.delete(key(connector, ticket))


def read(client: Any, connector: str, ticket: str) -> dict[str, Any] | None:
    raw = client.get(key(connector, ticket))
    if raw is None:
        return None
    entry: dict[str, Any] = json.loads(raw)
    return entry
