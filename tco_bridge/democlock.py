"""The demo clock: the bridge's time runs faster, so a newcomer sees the timed practices.

With ``TCO_DEMO_SPEED=60`` one real minute is one hour on the bridge's clock, so the shipped
rules' one-business-hour pickup target passes in a minute. ``TCO_DEMO_START`` pins where the
demo's time began, ``<real epoch seconds>@<ISO time>``, so every process (web, worker, clock,
the sandbox) reads the same clock; ``tco-bridge run --demo`` sets both, starting the demo's
time at the next opening of the rules' business calendar (time only runs for business hours
while the office is open).

A one-shot command (``tco-bridge metrics`` in a second terminal) must read the same clock, or
its figures disagree with the console's: ``run --demo`` leaves the clock in
``<TCO_DATA_DIR>/demo.clock`` with the URL of the Redis it runs on (:func:`publish`), and a
command on that Redis with no demo setting of its own adopts it (:func:`published`).
"""

from __future__ import annotations

import contextlib
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .datadir import write_private
from .errors import ConfigError

FILE = "demo.clock"


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


def publish(data_dir: Path, clock: DemoClock, redis_url: str) -> Path:
    """Leave the running demo's clock where one-shot commands on ``redis_url`` find it."""
    body = {"redis_url": redis_url, "speed": f"{clock.speed:g}", "start": clock.pinned}
    return write_private(data_dir / FILE, json.dumps(body) + "\n")


def published(data_dir: Path, redis_url: str) -> tuple[str, str] | None:
    """``(TCO_DEMO_SPEED, TCO_DEMO_START)`` of the demo running on ``redis_url``, if any."""
    try:
        body = json.loads((data_dir / FILE).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(body, dict) or body.get("redis_url") != redis_url:
        return None  # another bridge's clock (or a crashed demo's): not this Redis's time
    return str(body.get("speed", "")), str(body.get("start", ""))


def withdraw(data_dir: Path) -> None:
    """Remove the clock file: the bridge that runs on this folder runs on real time."""
    with contextlib.suppress(OSError):
        (data_dir / FILE).unlink()
