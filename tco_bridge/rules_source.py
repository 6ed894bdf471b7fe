"""Where the running bridge gets its rule book: the rules file, re-read when it changes.

Wraps :class:`tco_bridge.rules.reload.RulesHolder`: the first load fails fast (a bridge with
invalid rules does not start); later, a changed file is re-read at most every
``CHECK_EVERY_S`` seconds, and one that fails to load is reported (logged and shown by
``/readyz``) while the last good rules stay in force.

A process started under a supervisor that has already checked the rules (gunicorn's workers
under ``tco-bridge web``) is built with ``required=False``: gunicorn restarts a worker at any
time, and a worker that refused to boot because the file is broken *now* would stop the whole
web tier. Such a source answers :class:`RulesNotLoaded` until the file loads; the webhook path
needs no rules and keeps accepting deliveries.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from .errors import RulesError
from .plan import Rulebook

log = logging.getLogger(__name__)

CHECK_EVERY_S = 2.0


class RulesNotLoaded(RulesError):
    """No rules were ever loaded in this process (``required=False``): the file was invalid
    when it started and has not been fixed since."""


class RulesSource:
    def __init__(
        self, path: Path, check_every: float = CHECK_EVERY_S, required: bool = True
    ) -> None:
        self.path = path
        self.check_every = check_every
        self.required = required
        self._holder: object | None = None
        self._fixed: Rulebook | None = None
        self._checked = 0.0
        self._reported: list[str] | None = None
        #: why the first load failed, while nothing is loaded (``required=False`` only)
        self._unloaded: list[str] | None = None

    @classmethod
    def fixed(cls, rules: Rulebook) -> RulesSource:
        """A source that always answers the same rule book (tests, benchmarks)."""
        source = cls(Path("<fixed>"))
        source._fixed = rules
        return source

    def _load(self) -> object:
        from .rules.reload import RulesHolder

        if self._holder is None:
            if self._unloaded is not None and time.monotonic() - self._checked < self.check_every:
                raise RulesNotLoaded(self._unloaded)
            self._checked = time.monotonic()
            try:
                self._holder = RulesHolder(self.path)
            except RulesError as exc:
                if self.required:
                    raise
                if exc.messages != self._unloaded:
                    log.error(
                        "rules file %s is invalid and no rules are loaded in this process:\n%s",
                        self.path,
                        "\n".join(exc.messages),
                    )
                self._unloaded = exc.messages
                raise RulesNotLoaded(exc.messages) from None
            self._unloaded = None
            log.info("rules loaded from %s", self.path)
        return self._holder

    def current(self) -> Rulebook:
        if self._fixed is not None:
            return self._fixed
        from .rules.reload import RulesHolder

        holder = self._load()
        assert isinstance(holder, RulesHolder)
        if time.monotonic() - self._checked >= self.check_every:
            self._checked = time.monotonic()
            result = holder.refresh()
            if result.changed:
                log.info("rules reloaded from %s", self.path)
            if result.error and result.error != self._reported:
                log.error(
                    "rules file %s is invalid; keeping the last good rules:\n%s",
                    self.path,
                    "\n".join(result.error),
                )
            self._reported = result.error
        return holder.current()

    @property
    def loaded(self) -> bool:
        return self._fixed is not None or self._holder is not None

    @property
    def error(self) -> str | None:
        if self._unloaded is not None:
            return "; ".join(self._unloaded)
        if self._fixed is not None or self._holder is None:
            return None
        from .rules.reload import RulesHolder

        assert isinstance(self._holder, RulesHolder)
        return "; ".join(self._holder.error) if self._holder.error else None
