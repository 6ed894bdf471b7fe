"""Durations written with units: ``30s``, ``15m``, ``4h``, ``2d``, ``1w`` (elapsed time) and
``30bm``, ``4bh``, ``1bd`` (business minutes, hours, days on a calendar).

Elapsed durations are exact seconds of real time (``1d`` is 24 hours even across a DST
change). Business durations only mean something together with a
:class:`~tco_bridge.rules.calendar.BusinessCalendar`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

UNITS: dict[str, int] = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
BUSINESS_UNITS: dict[str, int] = {"bm": 60, "bh": 3600}
ALL_UNITS = ("s", "m", "h", "d", "w", "bm", "bh", "bd")
_PATTERN = re.compile(r"^\s*(\d+)\s*(bm|bh|bd|s|m|h|d|w)\s*$")


class DurationError(ValueError):
    """Not a duration; the message quotes the text and lists the units."""


@dataclass(frozen=True, slots=True)
class Duration:
    """``seconds`` of elapsed or business time, or ``days`` business days."""

    text: str
    seconds: int = 0
    business: bool = False
    days: int = 0  # business days (``bd``); seconds is then 0

    @property
    def timedelta(self) -> timedelta:
        if self.business:
            raise ValueError(f"{self.text!r} is business time: it needs a calendar")
        return timedelta(seconds=self.seconds)

    def __str__(self) -> str:
        return self.text


def parse_duration(text: object) -> Duration:
    """Parse ``"15m"``-style text; raise :class:`DurationError` naming the bad value."""
    if isinstance(text, bool) or not isinstance(text, str | int):
        raise DurationError(f"bad duration {text!r} (expected text like 15m, 4h, 2d, 1bd, 4bh)")
    match = _PATTERN.match(str(text))
    if match is None:
        raise DurationError(
            f"bad duration {str(text)!r} (a whole number and a unit: {', '.join(ALL_UNITS)})"
        )
    amount, unit = int(match.group(1)), match.group(2)
    norm = f"{amount}{unit}"
    if unit == "bd":
        return Duration(norm, business=True, days=amount)
    if unit in BUSINESS_UNITS:
        return Duration(norm, seconds=amount * BUSINESS_UNITS[unit], business=True)
    return Duration(norm, seconds=amount * UNITS[unit])


def humanize(seconds: float) -> str:
    """``5400`` → ``"1h 30m"``; at most two units, never empty (``"0m"``)."""
    total = int(abs(seconds))
    parts: list[str] = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        value, total = divmod(total, size)
        if value:
            parts.append(f"{value}{unit}")
    return " ".join(parts[:2]) if parts else "0m"
