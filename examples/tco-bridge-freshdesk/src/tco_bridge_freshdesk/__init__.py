"""tco-bridge connector for Freshdesk: an example of a third-party connector package.

Installed with pip, it is found through the ``tco_bridge.connectors`` entry point declared in
``pyproject.toml``; ``TCO_CONNECTORS=freshdesk`` turns it on. Modules: :mod:`.settings`
(environment), :mod:`.webhook` (verify and parse, pure), :mod:`.api` (the HTTP seam, write-back
and reconcile) and :mod:`.testing` (its conformance harness, for tco-bridge's kit).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import ClassVar

import requests

from tco_bridge.actions import Action
from tco_bridge.connector import ConnectorBase, Delivery, Headers, Outcome, TicketRecord

from . import api, webhook
from .settings import FreshdeskSettings

__all__ = ["FreshdeskConnector", "FreshdeskSettings"]


class FreshdeskConnector(ConnectorBase):
    """Freshdesk, as the :class:`tco_bridge.connector.Connector` protocol asks."""

    name: ClassVar[str] = "freshdesk"
    #: Kept under the smallest paid plan's per-minute API limit (unconfirmed per plan: raise it
    #: for bigger plans); ``ticket`` paces writes to one ticket.
    write_limits: ClassVar[Mapping[str, str]] = {"account": "100/minute", "ticket": "20/minute"}

    def __init__(self, settings: FreshdeskSettings, session: requests.Session | None = None):
        self.settings = settings
        self.webhook_secret: str | None = settings.webhook_secret
        self.bot_account: str | None = settings.bot_agent_id
        self._send = api.Transport(settings, session)
        self._writer = api.Writer(settings, self._send)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> FreshdeskConnector:
        return cls(FreshdeskSettings.from_env(env))

    def __repr__(self) -> str:
        return f"FreshdeskConnector(base_url={self.settings.base_url!r})"

    def verify(self, headers: Headers, body: bytes, now: datetime) -> None:
        """The signature carries no timestamp: replays are caught by the delivery id."""
        webhook.verify(headers, body, secret=self.webhook_secret, mode=self.settings.webhook_auth)

    def parse(self, headers: Headers, body: bytes) -> Delivery:
        return webhook.parse(headers, body, bot=self.bot_account)

    def perform(self, actions: Sequence[Action], *, check_existing: bool = False) -> list[Outcome]:
        return self._writer.perform(actions, check_existing)

    def open_tickets(self) -> Iterator[TicketRecord]:
        return api.open_tickets(self._send)
