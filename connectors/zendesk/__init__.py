"""The Zendesk connector: event-subscription or trigger webhooks in, REST write-back out.

Modules: :mod:`.settings` (environment variables, documented there), :mod:`.inbound`
(signature + parse), :mod:`.subscription` (``zen:event-type:ticket.*`` mapping),
:mod:`.template` (the trigger body template), :mod:`.plan` (actions → one batched update and
tag changes), :mod:`.tasks` (follow-up tickets, Help Center drafts), :mod:`.outbound`
(``perform``, ``open_tickets``), :mod:`.http` (the one HTTP seam), :mod:`.formats` (the three
ways Zendesk spells ids, enums and times, turned into canonical values).

Rule conventions honoured on write-back (see :mod:`.plan`): a NOTE with ``extra["public"]`` is
a public reply (``comment.public: true``, never merged with an internal note), an ASSIGN with
``extra["unassign"]`` sends ``assignee_id: null``, and a ``group:<id>`` mention is written as
``group <id>`` in the text, never as a user mention.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import ClassVar

import requests

from tco_bridge.actions import Action
from tco_bridge.connector import ConnectorBase, Delivery, Headers, Outcome, TicketRecord
from tco_bridge.errors import ConnectorError

from . import inbound, outbound
from .http import ApiRequest, ApiResponse, Transport
from .settings import ZendeskSettings
from .template import TRIGGER_BODY_TEMPLATE

__all__ = [
    "TRIGGER_BODY_TEMPLATE",
    "WRITE_LIMITS",
    "ApiRequest",
    "ApiResponse",
    "ZendeskConnector",
    "ZendeskSettings",
]

#: Per-account budgets (``limits`` notation) the shared write-back layer should enforce.
#: ``api`` is the smallest plan's account-wide limit (Team: 200/min; raise it for bigger
#: plans); ``ticket_update`` is Zendesk's own cap on Update Ticket (100/min per account);
WRITE_LIMITS: Mapping[str, str] = {
    "api": "180/minute",  # 10 % under the smallest plan's 200/min, for the admin's own scripts
    "ticket_update": "90/minute",  # under Zendesk's fixed 100/min Update Ticket cap
}


class ZendeskConnector(ConnectorBase):
    """Zendesk, as the :class:`tco_bridge.connector.Connector` protocol asks."""

    name: ClassVar[str] = "zendesk"
    write_limits: ClassVar[Mapping[str, str]] = WRITE_LIMITS
    #: Actions on one ticket go to perform() together: they become one Update Ticket call.
    batch_writes: ClassVar[bool] = True

    def __init__(self, settings: ZendeskSettings, session: requests.Session | None = None) -> None:
        self.settings = settings
        self.webhook_secret: str | None = settings.webhook_secret
        self.bot_account: str | None = settings.bot_user_id
        self._transport = _transport(settings, session)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ZendeskConnector:
        return cls(ZendeskSettings.from_env(env))

    def __repr__(self) -> str:
        return f"ZendeskConnector(base_url={self.settings.base_url!r}, bot={self.bot_account!r})"

    @staticmethod
    def limit_keys(request: ApiRequest) -> tuple[str, ...]:
        """Which :data:`WRITE_LIMITS` budgets one request spends (for a limiter around send)."""
        path = request.path.split("?", 1)[0]
        if request.method == "PUT" and path.startswith("/api/v2/tickets/") and path.count("/") == 4:
            return ("api", "ticket_update")
        return ("api",)

    def write_cost(self, actions: Sequence[Action]) -> dict[str, int]:
        """Units of each ``write_limits`` budget that performing ``actions`` spends."""
        return outbound.write_cost(self.settings, actions)

    def send(self, request: ApiRequest) -> ApiResponse:
        """The single HTTP seam: every outbound request goes through here."""
        return self._api()(request)

    def _api(self) -> Transport:
        if self._transport is None:
            missing = " and ".join(self.settings.missing_for_api())
            raise ConnectorError(self.name, f"Zendesk write-back is not configured: set {missing}")
        return self._transport

    def verify(self, headers: Headers, body: bytes, now: datetime) -> None:
        inbound.verify(
            headers,
            body,
            now,
            secret=self.webhook_secret,
            max_age=self.settings.signature_max_age,
        )

    def parse(self, headers: Headers, body: bytes) -> Delivery:
        return inbound.parse(headers, body, bot=self.bot_account)

    def perform(self, actions: Sequence[Action], *, check_existing: bool = False) -> list[Outcome]:
        if actions:
            self._api()  # fail before planning when write-back is not configured
        return outbound.perform(self.send, self.settings, actions, check_existing=check_existing)

    def open_tickets(self) -> Iterator[TicketRecord]:
        return outbound.open_tickets(self.send)

    def refresh_tickets(self, tickets: Sequence[str]) -> Iterator[TicketRecord]:
        return outbound.refresh_tickets(self.send, tickets)


def _transport(settings: ZendeskSettings, session: requests.Session | None) -> Transport | None:
    if settings.missing_for_api():
        return None
    assert settings.base_url and settings.email and settings.api_token
    return Transport(
        settings.base_url, settings.email, settings.api_token, settings.timeout, session
    )
