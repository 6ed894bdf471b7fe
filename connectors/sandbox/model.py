"""Vocabulary the sandbox's store, webhooks and HTTP API share.

The sandbox speaks canonical values natively (statuses are tco-bridge's own), so a newcomer
sees in the sandbox exactly the words the rules use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tco_bridge.events import Status

CONNECTOR = "sandbox"
STATUSES: tuple[str, ...] = tuple(s.value for s in Status)
OPEN_STATUSES: tuple[str, ...] = ("new", "open", "pending", "on_hold")
PRIORITIES: tuple[str, ...] = ("low", "normal", "high", "urgent")
#: Request types, Zendesk's four plus ``change``: rules read them (verify after resolve of a
#: change or problem, quality checks of some types).
TYPES: tuple[str, ...] = ("question", "incident", "problem", "task", "change")
ROLES: tuple[str, ...] = ("agent", "requester", "system")
TICKET_PREFIX = "SBX-"
OWNER_LABEL_PREFIX = "tco-owner-"
_TICKET_ID = re.compile(r"^SBX-([1-9][0-9]{0,17})$")
_LABEL_UNSAFE = re.compile(r"[^a-z0-9_.-]+")


@dataclass(frozen=True, slots=True)
class Person:
    """Who did something in the sandbox: the ``actor`` of a webhook, a comment's author."""

    id: str
    role: str = "agent"
    name: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name or self.id, "role": self.role}


def ticket_id(number: int) -> str:
    return f"{TICKET_PREFIX}{number}"


def ticket_number(ticket: str) -> int | None:
    """The row number behind ``SBX-<n>``; ``None`` when ``ticket`` is not a sandbox id."""
    match = _TICKET_ID.match(ticket)
    return int(match.group(1)) if match else None


def owner_label(owner: str) -> str:
    """The label that mirrors an owner; ids like e-mail addresses are made label-safe."""
    return OWNER_LABEL_PREFIX + (_LABEL_UNSAFE.sub("-", owner.lower()).strip("-") or "unknown")
