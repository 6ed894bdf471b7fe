"""The sandbox connector: a built-in stand-in ticket tool in one SQLite file.

It is the connector tco-bridge runs when no real tool is configured, so a newcomer can create
tickets with curl, watch the bridge nudge owners in them, and see every rule work end to end.
``docs/sandbox.md`` is the user's guide; the modules are :mod:`.settings` (environment),
:mod:`.db` (SQLite file, schema, transactions), :mod:`.store` (changes and their webhooks),
:mod:`.webhook` (format, sign, verify, parse — pure), :mod:`.outbox` (sending, resending),
:mod:`.writeback` (the bridge's actions), :mod:`.api` (the ``/sandbox`` blueprint) and
:mod:`.connector` (the class the bridge loads). :mod:`.writeback` documents how the rules'
conventions land: public replies (``extra["public"]``), unassigning (``extra["unassign"]``) and
``group:<id>`` mentions.
"""

from __future__ import annotations

from .connector import SandboxConnector
from .outbox import Emitter, HttpEmitter
from .settings import SandboxSettings

__all__ = ["Emitter", "HttpEmitter", "SandboxConnector", "SandboxSettings"]
