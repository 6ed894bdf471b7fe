"""Every error tco-bridge raises on purpose, under one root.

TcoError
 ├── ConfigError                 settings or environment unusable at start-up
 ├── RulesError                  a rules file is invalid (carries file:line messages)
 ├── DeliveryError               a webhook delivery is refused (maps to an HTTP status)
 │    ├── SignatureError         401: missing, wrong or stale signature
 │    ├── PayloadTooLarge        413
 │    ├── UnsupportedMediaType   415
 │    └── UnreadableDelivery     400: not JSON, or not an event we can read
 ├── ConnectorError              a connector failed (names the connector)
 │    ├── ConnectorLoadError     a connector could not be loaded or built
 │    └── TicketApiError         the ticket tool answered badly
 │         ├── RetryableApiError 429, 5xx, timeouts: try again later
 │         └── PermanentApiError other 4xx: park for an admin
 └── UnknownConnector            no connector of that name (404 on webhooks)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .connector import Outcome


class TcoError(Exception):
    """Root of every deliberate tco-bridge error."""


class ConfigError(TcoError):
    """Settings are missing or contradictory; raised once, at start-up."""


class RulesError(TcoError):
    """A rules file is invalid. ``messages`` are ``file:line: key: what is wrong``."""

    def __init__(self, messages: list[str]) -> None:
        self.messages = messages
        super().__init__("\n".join(messages))


class UnknownConnector(TcoError):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"no connector named {name!r}")


class DeliveryError(TcoError):
    """A webhook delivery is refused; ``status`` is the HTTP answer."""

    status = 400

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class SignatureError(DeliveryError):
    status = 401


class PayloadTooLarge(DeliveryError):
    status = 413


class UnsupportedMediaType(DeliveryError):
    status = 415


class UnreadableDelivery(DeliveryError):
    status = 400


class ConnectorError(TcoError):
    def __init__(self, connector: str, message: str) -> None:
        self.connector = connector
        super().__init__(f"[{connector}] {message}")


class ConnectorLoadError(ConnectorError):
    """A connector named in settings or an entry point could not be loaded or built."""


class TicketApiError(ConnectorError):
    """The ticket tool's API failed; ``retry_after`` is seconds when the tool said so.

    ``landed``: outcomes of the actions that reached the tool in the same ``perform`` call
    before this failure (a connector that sends several requests per call sets it). The
    write-back job marks them done, so a retry never sends them again.
    """

    landed: list[Outcome]

    def __init__(
        self,
        connector: str,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.status = status
        self.retry_after = retry_after
        self.landed = []
        super().__init__(connector, message)


class RetryableApiError(TicketApiError):
    """429, 5xx, connection errors and timeouts: worth another try after a backoff."""


class PermanentApiError(TicketApiError):
    """Any other 4xx: retrying will not help; parked for an admin to look at."""
