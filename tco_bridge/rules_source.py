"""Where the running bridge gets its rule book: the rules file, re-read when it changes.

A changed file that fails to load is reported and the last good rules stay in force.
"""

from __future__ import annotations

import logging
from pathlib import Path

from .plan import OwnershipOnly, Rulebook

log = logging.getLogger(__name__)


class RulesSource:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._rules: Rulebook = OwnershipOnly()
        self.loaded = True
        self.error: str | None = None

    @classmethod
    def fixed(cls, rules: Rulebook) -> RulesSource:
        """A source that always answers the same rule book (tests, benchmarks)."""
        source = cls(Path("<fixed>"))
        source._rules = rules
        return source

    def current(self) -> Rulebook:
        return self._rules
