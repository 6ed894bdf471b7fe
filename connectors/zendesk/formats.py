"""Small conversions shared by the inbound and outbound sides of the Zendesk connector.

Zendesk spells the same things three ways: event subscriptions send ids as strings and enums
in UPPER case with nanosecond timestamps; the REST API sends integer ids and lower-case enums;
trigger placeholders render everything as display text ("Open", "On-hold", "-"). These helpers
turn all three into the canonical values, so each parser stays a short list of field reads.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from tco_bridge.events import Status

#: Zendesk's built-in statuses (REST spelling) → canonical status.
ZENDESK_TO_CANONICAL: dict[str, Status] = {
    "new": Status.NEW,
    "open": Status.OPEN,
    "pending": Status.PENDING,
    "hold": Status.ON_HOLD,
    "solved": Status.RESOLVED,
    "closed": Status.CLOSED,
}

#: Canonical status (or a Zendesk name) → the value ``PUT /api/v2/tickets/{id}`` accepts.
CANONICAL_TO_ZENDESK: dict[str, str] = {
    **{canonical.value: zendesk for zendesk, canonical in ZENDESK_TO_CANONICAL.items()},
    **{zendesk: zendesk for zendesk in ZENDESK_TO_CANONICAL},
}

# Display names that trigger placeholders render ("On-hold", "On hold") → REST spelling.
_DISPLAY_ALIASES = {"onhold": "hold", "on_hold": "hold", "resolved": "solved"}

_TIMESTAMP = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?"
    r"\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$"
)


def parse_timestamp(value: str) -> datetime:
    """Parse ISO 8601 with any number of fraction digits, as an aware UTC datetime.

    Written by hand because event ``time`` carries nanoseconds (``fromisoformat`` stops at
    microseconds) and ``*_with_timestamp`` placeholders may omit the seconds. Extra digits are
    truncated; a value without an offset is taken as UTC.
    """
    match = _TIMESTAMP.match(value.strip())
    if match is None:
        raise ValueError(f"not an ISO 8601 timestamp: {value[:40]!r}")
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    micros = int((fraction or "0")[:6].ljust(6, "0"))
    zone = _zone(offset)
    try:
        parsed = datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second or 0),
            micros,
            tzinfo=zone,
        )
        return parsed.astimezone(UTC)
    except OverflowError:  # year 1 with a positive offset, year 9999 with a negative one
        raise ValueError(f"timestamp out of range: {value[:40]!r}") from None


def _zone(offset: str | None) -> timezone:
    if offset is None or offset in ("Z", "z"):
        return UTC
    digits = offset[1:].replace(":", "")
    delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0))
    return timezone(-delta if offset[0] == "-" else delta)


def text(value: Any) -> str | None:
    """A JSON scalar as a string; ``None`` for null and for the empty string.

    Ids arrive as strings in events and as integers in REST answers; both become strings here,
    and huge integers stay exact because they are never passed through ``float``.
    """
    if value is None or isinstance(value, dict | list):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    rendered = str(value).strip()
    return rendered or None


def lower(value: Any) -> str | None:
    rendered = text(value)
    return rendered.lower() if rendered else None


def zendesk_status(value: Any) -> str | None:
    """Any spelling of a status (``HOLD``, ``On-hold``, ``solved``) in REST spelling."""
    rendered = lower(value)
    if rendered is None:
        return None
    squashed = rendered.replace("-", "").replace(" ", "")
    return _DISPLAY_ALIASES.get(squashed, _DISPLAY_ALIASES.get(rendered, rendered))


def canonical_status(value: Any) -> Status | None:
    """Canonical status, or ``None`` for custom or unknown statuses (kept as ``raw_status``)."""
    name = zendesk_status(value)
    return ZENDESK_TO_CANONICAL.get(name) if name else None


def status_value(value: Any) -> str | None:
    """For before/after strings: the canonical value when known, else Zendesk's lower name."""
    status = canonical_status(value)
    return status.value if status else zendesk_status(value)


def optional_enum(value: Any) -> str | None:
    """Priority or type as lower case; trigger placeholders render a missing one as ``-``."""
    rendered = lower(value)
    return None if rendered in (None, "-") else rendered


def change_value(value: Any) -> str | None:
    """One side of an event's ``previous``/``current``: scalar, list or ``{value|id}`` object."""
    if isinstance(value, dict):
        inner = value.get("value", value.get("id"))
        return change_value(inner)
    if isinstance(value, list):
        items = [item for item in (change_value(v) for v in value) if item]
        return " ".join(items) or None
    return text(value)


def api_id(value: str) -> int | str:
    """An id for a REST body: Zendesk ids are integers, so send digits as a JSON number."""
    return int(value) if value.isdigit() else value
