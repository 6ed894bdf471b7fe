"""The demo clock: the bridge's time runs faster, so a newcomer sees the timed practices.

With ``TCO_DEMO_SPEED=60`` one real minute is one hour on the bridge's clock, so the shipped
rules' one-business-hour pickup target passes in a minute. ``TCO_DEMO_START`` pins where the
demo's time began, ``<real epoch seconds>@<ISO time>``, so every process (web, worker, clock,
the sandbox) reads the same clock; ``tco-bridge run --demo`` sets both, starting the demo's
time at the next opening of the rules' business calendar (time only runs for business hours
while the office is open).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .errors import ConfigError


@dataclass(frozen=True)
class DemoClock:
    speed: float
    real_start: float
    start: datetime

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=(time.time() - self.real_start) * self.speed)

    @property
    def pinned(self) -> str:
        """The ``TCO_DEMO_START`` value that gives another process this very clock."""
        return f"{self.real_start}@{self.start.isoformat()}"


def parse(speed: str | None, start: str | None) -> DemoClock | None:
    """The clock the two settings describe; None when no speed is set."""
    if not speed:
        return None
    try:
        factor = float(speed)
    except ValueError:
        raise ConfigError(f"TCO_DEMO_SPEED={speed!r} is not a number (e.g. 60)") from None
    if factor <= 0:
        raise ConfigError(f"TCO_DEMO_SPEED={speed!r} must be above 0")
    if not start:
        return DemoClock(factor, time.time(), datetime.now(UTC))
    real, _, at = start.partition("@")
    try:
        began = datetime.fromisoformat(at)
        return DemoClock(factor, float(real), began)
    except ValueError:
        raise ConfigError(f"TCO_DEMO_START={start!r} is not '<epoch seconds>@<ISO time>'") from None
