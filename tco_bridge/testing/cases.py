"""What a harness hands the kit (samples, fixtures, replies) and what the kit records
(writes, runs), with the constants every check shares."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..errors import TicketApiError
from ..events import EventType

NOW = datetime(2025, 3, 4, 9, 30, tzinfo=UTC)
#: Env keys whose values the kit treats as secrets by default.
SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|API_?KEY|CREDENTIAL", re.IGNORECASE)
#: Characters a public reply may carry besides its text and its ``tco:<id>`` marker: a ``ref``
#: prefix, a colour, a ``<small>`` tag, line breaks. The customer reads the rest.
SMALL_MARKER = 48
#: User-mention markup in a text: wiki ``[~accountid:…]``/``[~name]``, ``@name``, ``<@id>``.
USER_MENTION = re.compile(r"\[~|(?<![\w.])@\w|<@")


@dataclass(frozen=True, slots=True)
class Sample:
    """One webhook delivery and what it must parse to.

    ``headers`` as the tool sends them (any case: the kit lower-cases them, like the receiver).
    ``events`` are the expected ``(type, key)`` pairs in order; an empty list with
    ``ignored=True`` means "acknowledged, carries nothing the bridge uses". ``by_bot`` marks a
    delivery authored by the configured bot account (the loop-guard check uses those).
    ``env`` adds settings this delivery is parsed with (e.g. a Data Center deployment);
    ``values`` are attributes each event must carry, in order (e.g. ``{"after": "anna"}``: the
    user a Data Center key names); ``twin_of`` names another sample reporting the same
    happening (a tool that sends a comment twice): both must yield the same event keys.
    """

    name: str
    body: bytes
    events: Sequence[tuple[EventType, str]] = ()
    headers: Mapping[str, str] = field(default_factory=dict)
    ignored: bool = False
    by_bot: bool = False
    env: Mapping[str, str] = field(default_factory=dict)
    values: Sequence[Mapping[str, Any]] = ()
    twin_of: str | None = None


@dataclass(frozen=True, slots=True)
class FixtureFile:
    """A recorded payload; ``refused`` is a regex the ``UnreadableDelivery`` reason matches
    when the connector documents that it refuses this shape (``None``: it must parse)."""

    path: Path
    refused: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


def fixture_files(directory: Path, refused: Mapping[str, str] | None = None) -> list[FixtureFile]:
    """Every ``*.json`` under ``directory``; ``refused`` maps a relative path prefix (e.g.
    ``"partial/"``) to the reason regex for files there. New fixtures are picked up unasked."""
    found = []
    for path in sorted(directory.rglob("*.json")):
        relative = path.relative_to(directory).as_posix()
        reason = next((r for p, r in (refused or {}).items() if relative.startswith(p)), None)
        found.append(FixtureFile(path, reason))
    if not found:
        raise FileNotFoundError(f"no *.json fixtures under {directory}")
    return found


@dataclass(frozen=True, slots=True)
class Reply:
    """How the faked tool answers the request that writes.

    ``status`` ``None`` means the tool's normal success; ``error`` is raised by the transport
    instead of answering (a timeout, a refused connection). Harnesses turn it into ``responses``
    arguments with :meth:`respond`.
    """

    status: int | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    error: Exception | None = None

    @property
    def ok(self) -> bool:
        return self.status is None and self.error is None

    def respond(
        self, *, ok_status: int = 200, ok_json: Any = None, error_json: Any = None
    ) -> dict[str, Any]:
        """Keyword arguments for ``api.add``/``api.put``/...: the success answer of your tool
        (``ok_status``, ``ok_json``) or this reply's failure (``error_json`` as its body)."""
        if self.error is not None:
            return {"body": self.error}
        if self.status is None:
            return (
                {"status": ok_status, "json": ok_json}
                if ok_json is not None
                else {
                    "status": ok_status,
                    "body": "",
                }
            )
        body = error_json if error_json is not None else {"error": f"simulated {self.status}"}
        return {"status": self.status, "headers": dict(self.headers), "json": body}


@dataclass(frozen=True, slots=True)
class Write:
    """One write as the tool received it, for the convention checks.

    For an HTTP API the kit reads it off the request: ``method``, the URL's path, and the JSON
    body (the text when it is not JSON). A tool without one (``remote_api = False``) returns
    them from :meth:`ConnectorConformance.written`, read back from its store: ``method`` names
    the operation, ``target`` the record, ``body`` the stored fields (a mapping).
    """

    method: str
    target: str
    body: Any


@dataclass(frozen=True, slots=True)
class RetryCase:
    """One row of the shared retry table."""

    id: str
    reply: Reply
    raises: type[TicketApiError] | None
    retry_after: float | None = None


@dataclass(frozen=True, slots=True)
class Run:
    """One scripted conversation: what the call returned, what the stub hook returned, and
    the HTTP calls the connector made."""

    result: Any
    stubbed: Any
    calls: list[Any]
