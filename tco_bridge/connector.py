"""The connector contract, and how connectors are found.

A connector adapts one ticket tool. On the way in it is sans-I/O: ``verify`` and ``parse``
are pure functions of (headers, body bytes), so webhook handling is tested without a server.
On the way out ``perform`` does the HTTP for a batch of actions on one ticket, and
``open_tickets`` lists what the tool holds, for ``reconcile``.

Beside those, a connector may offer optional capabilities, each named in the protocol with
its default in :class:`ConnectorBase` (subclass it and override what the tool offers):

======================  ===================================================================
capability              default (in ``ConnectorBase``)
======================  ===================================================================
``write_limits``        ``None``: the bridge's ``ratelimit.DEFAULT_WRITE_LIMITS`` apply
``write_cost(actions)`` ``None``: each action spends one unit of every budget
``batch_writes``        ``False``: ``perform`` gets one action per call
``web_blueprint()``     ``None``: no pages of its own (the sandbox serves its ticket API)
``refresh_tickets()``   yields nothing: reconcile only reports owned tickets the tool no
                        longer lists as open, instead of reading their status now
======================  ===================================================================

Built-in connectors (jira, zendesk, sandbox) and third-party ones are all discovered through
the ``tco_bridge.connectors`` entry-point group (``pyproject.toml``), so a new connector is just
a pip package; its class is loaded with ``EntryPoint.load()``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from importlib.metadata import EntryPoint, PackageNotFoundError, distribution, entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, Self, runtime_checkable

from .actions import Action
from .errors import ConnectorLoadError, SignatureError, UnknownConnector
from .events import Snapshot, TicketEvent

if TYPE_CHECKING:
    from flask import Blueprint

ENTRY_POINT_GROUP = "tco_bridge.connectors"

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
    """A ticket as the tool lists it (open) or shows it (``refresh_tickets``), for reconcile."""

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

    @property
    def write_limits(self) -> Mapping[str, str] | None:
        """Optional: the pace the tool accepts, scope → limit (see ``ratelimit``); ``None``:
        the bridge's defaults. A class attribute in practice."""
        ...

    @property
    def batch_writes(self) -> bool:
        """Optional: ``True`` when ``perform`` takes all of a ticket's pending actions in one
        call (one request for several actions); else it gets them one by one."""
        ...

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Self:
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

    def refresh_tickets(self, tickets: Sequence[str]) -> Iterator[TicketRecord]:
        """Optional: the tool's record of these tickets now, whatever their status, for the
        ones the bridge still holds as owned that ``open_tickets`` left out (resolved and
        awaiting the customer, or closed while webhooks were lost); a ticket the tool no
        longer has is left out. Default: none (reconcile then only reports open ones)."""
        ...

    def write_cost(self, actions: Sequence[Action]) -> Mapping[str, int] | None:
        """Optional: units of each ``write_limits`` budget performing ``actions`` spends
        (scopes left out cost one per action); ``None``: one per action everywhere."""
        ...

    def web_blueprint(self) -> Blueprint | None:
        """Optional: pages of the connector's own, registered by the app factory."""
        ...


class ConnectorBase:
    """The defaults of every optional capability of :class:`Connector`; a connector subclasses
    it and overrides what its tool offers (the required members it writes itself)."""

    write_limits: ClassVar[Mapping[str, str] | None] = None
    batch_writes: ClassVar[bool] = False

    def refresh_tickets(self, tickets: Sequence[str]) -> Iterator[TicketRecord]:
        return iter(())

    def write_cost(self, actions: Sequence[Action]) -> Mapping[str, int] | None:
        return None

    def web_blueprint(self) -> Blueprint | None:
        return None


#: What a connector class must have, optional capabilities included (``ConnectorBase``
#: brings those); instance attributes (the secret, the bot account) are set by ``from_env``.
CLASS_MEMBERS = (
    "name",
    "from_env",
    "verify",
    "parse",
    "perform",
    "open_tickets",
    "refresh_tickets",
    "write_limits",
    "batch_writes",
    "write_cost",
    "web_blueprint",
)


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


def discovered() -> dict[str, EntryPoint]:
    """Connector names → their entry points (``tco_bridge.connectors``).

    Installed packages declare them in their metadata. A plain checkout run without
    installing it (``PYTHONPATH=. python benchmarks/...``) has no metadata for the built-in
    connectors, so their entry points are read from the checkout's own pyproject.toml.
    """
    found = {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}
    return {**_checkout_entry_points(), **found}


def _checkout_entry_points() -> dict[str, EntryPoint]:
    try:
        distribution("tco-bridge")
        return {}  # installed: its metadata already holds them
    except PackageNotFoundError:
        pass
    pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
    if not pyproject.is_file():
        return {}
    declared = tomllib.loads(pyproject.read_text()).get("project", {}).get("entry-points", {})
    group = declared.get(ENTRY_POINT_GROUP, {})
    return {name: EntryPoint(name, value, ENTRY_POINT_GROUP) for name, value in group.items()}


def available() -> dict[str, str]:
    """Connector names → ``module:Class``, as their entry points declare them."""
    return {name: ep.value for name, ep in discovered().items()}


def load_class(name: str) -> type[Connector]:
    """Load a connector class by its entry point, with an error that names it when that
    fails or when the class misses members of the protocol."""
    ep = discovered().get(name)
    if ep is None:
        raise UnknownConnector(name)
    try:
        cls = ep.load()
    except Exception as exc:  # any import-time failure of a plugin
        raise ConnectorLoadError(name, f"cannot load {ep.value}: {exc}") from exc
    missing = [m for m in CLASS_MEMBERS if m not in dir(cls)]
    if missing:
        hint = (
            "; subclass tco_bridge.connector.ConnectorBase for the optional ones' defaults"
            if set(missing) & set(vars(ConnectorBase))
            else ""
        )
        raise ConnectorLoadError(
            name,
            f"{ep.value} does not implement the Connector protocol (missing: {missing}){hint}",
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
