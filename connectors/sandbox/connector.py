"""``SandboxConnector``: the built-in stand-in ticket tool, as the Connector protocol asks.

The sandbox is a small ticket tool living in one SQLite file next to the bridge, so a newcomer
can try every rule with nothing to set up. It plays both sides: its HTTP API (see :mod:`.api`)
is the agents' and customers' screen, its signed webhooks go to the bridge like Jira's or
Zendesk's would, and ``perform`` writes the bridge's actions back into it as the bot account.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import ClassVar

from flask import Blueprint

from tco_bridge import democlock
from tco_bridge.actions import Action
from tco_bridge.config import DEMO_SPEED, DEMO_START
from tco_bridge.connector import ConnectorBase, Delivery, Headers, Outcome, TicketRecord

from . import api, webhook, writeback
from .db import Database
from .errors import TicketNotFound
from .model import CONNECTOR, Person
from .outbox import Emitter, HttpEmitter, Outbox
from .settings import SandboxSettings
from .store import Json, Store


def _utc_now() -> datetime:
    return datetime.now(UTC)


class SandboxConnector(ConnectorBase):
    """The sandbox ticket tool (see the module docstring)."""

    name: ClassVar[str] = CONNECTOR

    def __init__(
        self,
        settings: SandboxSettings,
        emitter: Emitter | None = None,
        *,
        clock: Callable[[], datetime] = _utc_now,
        background: bool | None = None,
    ) -> None:
        """``emitter`` replaces the HTTP POST (tests pass a callable). ``background`` sends the
        webhooks of API requests on a thread; by default only the HTTP emitter does, because
        the bridge it posts to may be the very process serving the API request."""
        self.settings = settings
        self.db = Database(settings.db_path)
        self.webhook_secret: str | None = settings.webhook_secret or self.db.generated_secret()
        self.bot_account: str | None = settings.bot_account
        self.store = Store(self.db, clock)
        sender = emitter or HttpEmitter(settings.webhook_url, settings.timeout)
        self.outbox = Outbox(self.db, sender, self.webhook_secret, clock)
        self.background = emitter is None if background is None else background

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SandboxConnector:
        # The demo clock (tco-bridge run --demo) stamps the sandbox's tickets too, so its
        # times and the bridge's timers agree.
        demo = democlock.parse(env.get(DEMO_SPEED), env.get(DEMO_START))
        return cls(SandboxSettings.from_env(env), clock=demo or _utc_now)

    def __repr__(self) -> str:
        return f"SandboxConnector(db={str(self.settings.db_path)!r}, bot={self.bot_account!r})"

    # --- in ------------------------------------------------------------------------------

    def verify(self, headers: Headers, body: bytes, now: datetime) -> None:
        webhook.verify(headers, body, secret=self.webhook_secret)

    def parse(self, headers: Headers, body: bytes) -> Delivery:
        return webhook.parse(headers, body, bot=self.bot_account)

    # --- out -----------------------------------------------------------------------------

    def perform(self, actions: Sequence[Action], *, check_existing: bool = False) -> list[Outcome]:
        """Apply actions as the bot account, one transaction each; already-performed action
        ids are skipped whether or not ``check_existing`` is set (the check is free here).
        The webhooks go out synchronously: a worker may exit right after its job."""
        bot = Person(self.settings.bot_account, "agent", self.settings.bot_account)
        outcomes = []
        try:
            for action in actions:
                with self.store.transaction() as tx:
                    outcomes.append(writeback.perform(tx, action, bot))
        finally:
            self.outbox.flush()
        return outcomes

    def open_tickets(self) -> Iterator[TicketRecord]:
        for ticket in self.store.iter_tickets(open_only=True):
            yield _record(ticket)

    def refresh_tickets(self, tickets: Sequence[str]) -> Iterator[TicketRecord]:
        for ticket in tickets:
            try:
                yield _record(self.store.ticket(ticket))
            except TicketNotFound:
                continue  # deleted: reconcile reports it

    def resend_pending(self) -> int:
        """Send the webhooks the bridge missed while it was down; return how many arrived."""
        return self.outbox.flush()

    def web_blueprint(self) -> Blueprint:
        """The sandbox's ticket API under ``/sandbox`` (registered by the app factory)."""
        return api.build_blueprint(self.store, self.outbox, self._after_change)

    def _after_change(self) -> None:
        if self.background:
            self.outbox.flush_in_background()
        else:
            self.outbox.flush()

    def close(self) -> None:
        self.db.close()


def _record(ticket: Json) -> TicketRecord:
    """A store snapshot as reconcile wants it: the canonical snapshot the webhooks carry."""
    snapshot = webhook.snapshot_of(ticket)
    updated = datetime.fromisoformat(ticket["updated_at"])
    return TicketRecord(ticket["id"], snapshot, updated, {"subject": ticket["subject"]})
