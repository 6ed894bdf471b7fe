"""What the sandbox refuses, as the bridge's write-back path and the HTTP API both read it.

Errors are :class:`PermanentApiError` subclasses, because to the bridge's write-back path an
unknown ticket or a bad value is exactly that; the HTTP API maps them to 404 and 400.
"""

from __future__ import annotations

from tco_bridge.errors import PermanentApiError

from .model import CONNECTOR


class InvalidRequest(PermanentApiError):
    """A value the sandbox does not accept (400 on the HTTP API)."""

    def __init__(self, message: str) -> None:
        self.reason = message
        super().__init__(CONNECTOR, message, status=400)


class TicketNotFound(PermanentApiError):
    """No such ticket, or it was deleted (404 on the HTTP API)."""

    def __init__(self, ticket: str) -> None:
        self.ticket = ticket
        super().__init__(CONNECTOR, f"no sandbox ticket {ticket!r}", status=404)


def check_choice(name: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise InvalidRequest(f"{name} {value!r} is not one of {list(allowed)}")
    return value
