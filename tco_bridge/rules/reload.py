"""Hot reload for a running bridge: :class:`RulesHolder`.

``current()`` answers the rules in force. ``refresh()`` (call it every few seconds, or before
each batch) re-reads the file when its mtime or size changed *and* its content hash differs;
a file that fails to load leaves the last good rules in force and is reported through
``error`` (the ``RulesError`` messages) and the return value. Pure apart from reading the file.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import RulesError
from .engine import RuleSet
from .loader import load_rules_text


@dataclass(frozen=True, slots=True)
class Reload:
    """What a refresh did: ``changed`` (new rules in force) and/or ``error`` messages."""

    changed: bool
    error: list[str] | None = None


class RulesHolder:
    def __init__(self, path: str | Path) -> None:
        """Load ``path`` now; raise ``RulesError`` if the first load fails (fail fast)."""
        self.path = Path(path)
        self._stat: tuple[int, int] | None = None
        self._digest = ""
        self.error: list[str] | None = None
        self._rules: RuleSet | None = None
        result = self.refresh()
        if self._rules is None:
            raise RulesError(result.error or [f"{self.path}:1: no rules loaded"])

    def current(self) -> RuleSet:
        assert self._rules is not None
        return self._rules

    @property
    def digest(self) -> str:
        """sha256 of the file content now in force."""
        return self._digest

    def refresh(self) -> Reload:
        try:
            st = os.stat(self.path)
        except OSError as exc:
            return self._failed([f"{self.path}:1: cannot read the rules file: {exc}"])
        stat = (st.st_mtime_ns, st.st_size)
        if stat == self._stat:
            return Reload(False, self.error)
        try:
            data = self.path.read_bytes()
        except OSError as exc:
            return self._failed([f"{self.path}:1: cannot read the rules file: {exc}"])
        self._stat = stat
        digest = hashlib.sha256(data).hexdigest()
        if digest == self._digest:
            # the rules in force are what the file says again (a bad edit was undone)
            self.error = None
            return Reload(False)
        try:
            rules = load_rules_text(data.decode("utf-8"), str(self.path))
        except UnicodeDecodeError as exc:
            return self._failed([f"{self.path}:1: the rules file is not UTF-8: {exc}"])
        except RulesError as exc:
            return self._failed(exc.messages)
        self._rules, self._digest, self.error = rules, digest, None
        return Reload(True)

    def _failed(self, messages: list[str]) -> Reload:
        self.error = messages
        return Reload(False, messages)
