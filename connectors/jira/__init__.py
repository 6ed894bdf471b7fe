"""Jira connector: Jira Cloud and Data Center webhooks in, REST write-back out.

Modules: ``settings`` (environment), ``signature`` and ``inbound`` (pure verify and parse, with
``changelog``, ``snapshot``, ``statuses`` and ``payload`` helpers, and ``names``: a changelog
item's field and users read the same way on Cloud and Data Center), ``directory`` (what the
site names its own way: field ids, DC usernames, service-desk projects; looked up and cached),
``transport`` (the one HTTP seam), ``outbound``, ``notes``, ``tasks``, ``search`` and
``reconcile`` (write-back and listing).

Rule conventions honoured on write-back: a NOTE with ``extra["public"]`` is a public reply to
the requester (JSM ``public: true`` comment, or an unrestricted comment on Jira Software); an
ASSIGN with ``extra["unassign"]`` clears the assignee (``null`` account id or name); a
``group:<id>`` mention is written as the group's name, never as a user mention.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import ClassVar

from tco_bridge.actions import Action
from tco_bridge.connector import ConnectorBase, Delivery, Headers, Outcome, TicketRecord

from . import inbound, reconcile, signature
from .directory import Directory
from .outbound import Writer
from .settings import JiraSettings
from .transport import Transport

__all__ = ["JiraConnector", "JiraSettings"]


class JiraConnector(ConnectorBase):
    """The :class:`tco_bridge.connector.Connector` for Jira."""

    name: ClassVar[str] = "jira"
    #: Client-side budgets the write-back layer enforces: an account-wide pace well under
    #: Cloud's cost-based limits, and a per-issue pace so a note + assign + transition burst
    #: stays clear of the "jira-per-issue-on-write" limit.
    write_limits: ClassVar[Mapping[str, str]] = {"account": "300/minute", "ticket": "20/minute"}
    #: An issue's actions of one moment go to perform() together, so its field and label
    #: edits become one edit call (see ``outbound``).
    batch_writes: ClassVar[bool] = True

    def __init__(self, settings: JiraSettings) -> None:
        self.settings = settings
        self.webhook_secret: str | None = settings.webhook_secret
        self.bot_account: str | None = settings.bot_account
        self._transport = Transport(settings)
        #: Field names, DC usernames and service-desk projects of the site, cached.
        self.directory = Directory(settings, self._transport)
        self._writer = Writer(settings, self._transport, self.directory)

    def __repr__(self) -> str:
        return f"JiraConnector({self.settings!r})"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> JiraConnector:
        return cls(JiraSettings.from_env(env))

    def verify(self, headers: Headers, body: bytes, now: datetime) -> None:
        """Jira signatures carry no timestamp, so ``now`` plays no part."""
        signature.verify(headers, body, self.webhook_secret or "")

    def parse(self, headers: Headers, body: bytes) -> Delivery:
        return inbound.parse(headers, body, self.settings, self.directory)

    def perform(self, actions: Sequence[Action], *, check_existing: bool = False) -> list[Outcome]:
        return self._writer.perform(actions, check_existing)

    def open_tickets(self) -> Iterator[TicketRecord]:
        return reconcile.open_tickets(self._transport, self.settings)

    def refresh_tickets(self, tickets: Sequence[str]) -> Iterator[TicketRecord]:
        return reconcile.refresh_tickets(self._transport, self.settings, tickets)
