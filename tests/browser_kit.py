"""Browser test helpers (a module of its own: importing ``conftest`` by name picks whichever
conftest pytest loaded last)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class Bridge:
    """A running ``tco-bridge run --demo``: its URL, the first admin's token, its log, and
    the environment a second terminal's ``tco-bridge`` command would have."""

    url: str
    admin_token: str
    log: Path
    env: dict[str, str]


def shoot(page: Any, name: str) -> None:
    """Save a screenshot when TCO_SCREENSHOTS names a folder (how docs/ images are made)."""
    folder = os.environ.get("TCO_SCREENSHOTS")
    if folder:
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)
