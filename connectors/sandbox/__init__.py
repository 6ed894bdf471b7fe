"""The sandbox connector: a built-in stand-in ticket tool in one SQLite file.

It is the connector tco-bridge runs when no real tool is configured, so a newcomer can create
tickets with curl, watch the bridge nudge owners in them, and see every rule work end to end.
``docs/sandbox.md`` is the user's guide; the modules are :mod:`.settings` (environment),
:mod:`.model` (the vocabulary store, webhooks and API share),
:mod:`.db` (SQLite file, schema, transactions), :mod:`.store` (write transactions and read
queries), :mod:`.changes` (each change written with its webhook), :mod:`.rows` (rows as the
JSON webhooks and the API show), :mod:`.errors` (what the sandbox refuses), :mod:`.webhook`
(format, sign, verify, parse — pure), :mod:`.reading` (each value of a delivery read, or a
clear reason why not), :mod:`.outbox` (sending, resending),
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
