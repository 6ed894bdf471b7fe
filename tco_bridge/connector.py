"""The connector contract, and how connectors are found.

A connector adapts one ticket tool. On the way in it is sans-I/O: ``verify`` and ``parse``
are pure functions of (headers, body bytes), so webhook handling is tested without a server.
On the way out ``perform`` does the HTTP for a batch of actions on one ticket, and
``open_tickets`` lists what the tool holds, for ``reconcile``.

Built-in connectors (jira, zendesk, sandbox) and third-party ones are all discovered through
the ``tco_bridge.connectors`` entry-point group, so a new connector is just a pip package.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from importlib.metadata import entry_points
from typing import Any, ClassVar, Protocol, runtime_checkable

from .actions import Action
from .errors import ConnectorLoadError, SignatureError, UnknownConnector
from .events import Snapshot, TicketEvent

ENTRY_POINT_GROUP = "tco_bridge.connectors"

# Used when the package metadata is not installed (e.g. running from a source tree).
BUILTINS: dict[str, str] = {
    "jira": "connectors.jira:JiraConnector",
    "zendesk": "connectors.zendesk:ZendeskConnector",
    "sandbox": "connectors.sandbox:SandboxConnector",
}

Headers = Mapping[str, str]


def lower_headers(headers: Mapping[str, str] | Any) -> dict[str, str]:
    """Header names lower-cased, so connectors look them up one way."""
    return {str(k).lower(): str(v) for k, v in dict(headers).items()}


@dataclass(frozen=True, slots=True)
class Delivery:
    """One parsed webhook delivery.

    ``id`` is the tool's delivery id when it sends one (``None`` → the receiver dedupes on a
    hash of the body). ``ignored`` says why a readable delivery carries no event we use; it is
    still acknowledged with 202.
    """

    id: str | None
    events: list[TicketEvent]
    ignored: str | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    action_id: str
    ok: bool
    detail: str = ""
    remote_id: str | None = None  # e.g. the comment id or task key the tool created
    skipped: bool = False  # already done before (idempotent re-run)


@dataclass(frozen=True, slots=True)
class TicketRecord:
    """An open ticket as the tool lists it, for reconcile."""

    ticket: str
    snapshot: Snapshot
    updated_at: datetime
    extra: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class Connector(Protocol):
    name: ClassVar[str]
    #: HMAC secret for inbound webhooks; ``None`` means not configured.
    webhook_secret: str | None
    #: The bridge's own account in the tool (loop guard); events it authors trigger nothing.
    bot_account: str | None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Connector:
        """Build from environment variables, read once at start-up."""
        ...

    def verify(self, headers: Headers, body: bytes, now: datetime) -> None:
        """Raise :class:`SignatureError` unless the delivery is signed with ``webhook_secret``.

        Only called when a secret is configured. ``headers`` have lower-case names.
        """
        ...

    def parse(self, headers: Headers, body: bytes) -> Delivery:
        """Turn a delivery into canonical events; raise ``UnreadableDelivery`` with a reason."""
        ...

    def perform(self, actions: Sequence[Action], *, check_existing: bool = False) -> list[Outcome]:
        """Carry out actions that all concern one ticket; raise ``TicketApiError`` on failure.

        Creates (tasks, follow-ups) always look for an existing result tagged with the action id
        first. With ``check_existing`` (set on retries, when an earlier attempt may have reached
        the tool before failing) every action must first look for its own trace (e.g. the id
        marker in recent comments) and report ``Outcome(skipped=True)`` instead of writing twice.
        """
        ...

    def open_tickets(self) -> Iterator[TicketRecord]:
        """Every open ticket in the tool (paged), for reconcile."""
        ...


def check_signature(
    connector: Connector, headers: Headers, body: bytes, now: datetime, *, allow_unsigned: bool
) -> None:
    """The signature policy shared by every connector.

    A configured secret makes a valid signature mandatory. Without one, deliveries are refused
    unless the admin explicitly allowed unsigned webhooks.
    """
    if connector.webhook_secret:
        connector.verify(headers, body, now)
        return
    if not allow_unsigned:
        raise SignatureError(
            f"no webhook secret is configured for {connector.name!r}; configure one "
            "(e.g. TCO_" + connector.name.upper() + "_WEBHOOK_SECRET) or set TCO_ALLOW_UNSIGNED=1"
        )


def available() -> dict[str, str]:
    """Connector names → ``module:Class`` from entry points, built-ins first."""
    found = dict(BUILTINS)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        found[ep.name] = ep.value
    return found


def load_class(name: str) -> type[Connector]:
    """Import a connector class by name, with an error that names it when that fails."""
    target = available().get(name)
    if target is None:
        raise UnknownConnector(name)
    module_name, _, attr = target.partition(":")
    try:
        module = __import__(module_name, fromlist=[attr])
        cls = getattr(module, attr)
    except Exception as exc:  # any import-time failure of a plugin
        raise ConnectorLoadError(name, f"cannot load {target}: {exc}") from exc
    required = ("name", "from_env", "verify", "parse", "perform", "open_tickets")
    missing = [m for m in required if not getattr(cls, m, None)]
    if missing:
        raise ConnectorLoadError(
            name, f"{target} does not implement the Connector protocol (missing: {missing})"
        )
    loaded: type[Connector] = cls
    return loaded


def build(name: str, env: Mapping[str, str]) -> Connector:
    cls = load_class(name)
    try:
        return cls.from_env(env)
    except ConnectorLoadError:
        raise
    except Exception as exc:
        raise ConnectorLoadError(name, f"cannot configure: {exc}") from exc
