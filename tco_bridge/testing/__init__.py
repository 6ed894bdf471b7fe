"""The connector conformance kit: what every connector must do, as pytest tests you inherit.

Install it with the ``conformance`` extra (``pip install tco-bridge[conformance]``: pytest and
responses); its pytest plugin (:mod:`.plugin`) is then active by itself.

A connector is done when its subclass of :class:`ConnectorConformance` passes. The kit checks
the contract of :mod:`tco_bridge.connector` the same way for every tool:

========================  ==========================================================================
check                     what it asserts
========================  ==========================================================================
protocol shape            ``isinstance(conn, Connector)``; the entry point of that name loads this
                          very class; ``name`` matches; the secret and bot account come from the
                          environment; ``repr`` shows no secret; ``write_limits`` (if any) parse;
                          ``perform([])`` sends nothing
samples                   each :class:`Sample` parses to exactly the expected (event type, key)
                          pairs, purely (no HTTP, same result twice), and every event survives
                          the Redis wire format
shared fixtures           every recorded payload parses, or is refused with ``UnreadableDelivery``
                          and the documented reason
loop guard                a delivery authored by the configured bot account has only ``bridge``
                          actors
signatures                valid passes; tampered body, wrong secret and missing header are refused
                          with ``SignatureError``; a stale one too where the tool signs a timestamp;
                          refusals quote neither the secret nor the expected digest
retry table               2xx → ``Outcome.ok``; 429 → ``RetryableApiError`` with ``retry_after``;
                          500/502/503 (with or without ``Retry-After``) → retryable; 400/401/403/404
                          /422 → ``PermanentApiError``; timeouts and refused connections → retryable
no secret                 for each failure above, neither the raised error (``str``, ``repr``,
                          ``args``, nor anything chained to it) nor any log record holds a secret
idempotent writes         ``CREATE_TASK`` twice creates once (the second run finds the task tagged
                          with the action id); a ``NOTE`` with ``check_existing`` whose marker is
                          already in the ticket is skipped, one without is written exactly once
reconcile                 ``open_tickets`` follows two pages and returns every record
public reply              a ``NOTE`` with ``extra={"public": True}`` (mentioning the requester, as
                          the ``reply`` rule does) is one write, ok; it carries the text and the
                          action id, the ``tco:<id>`` marker in a small form (at most
                          ``SMALL_MARKER`` characters of decoration), no mentioned user id and no
                          mention markup; and it is not the request an internal note is
unassign                  an ``ASSIGN`` with ``extra={"unassign": True}`` clears the assignee with
                          an explicit null, and moves the ticket to ``action.group`` when given
                          (the group is written only then)
group mention             a ``NOTE`` mentioning ``group:<id>`` is one write naming the group in its
                          text, with no user-mention markup and no mention list holding the group
========================  ==========================================================================

How to use it: in your own test module (``tests/test_conformance_<tool>.py``), subclass
:class:`ConnectorConformance` as ``Test<Tool>Conformance`` and fill in the harness, i.e. the
class attributes and the hook methods marked *required*. The kit fakes your tool's HTTP API
with ``responses`` (every stub must fire, any unstubbed request fails), so the hooks
register the REST conversation each scenario needs::

    from tco_bridge.testing import ConnectorConformance, Reply, Sample

    class TestAcmeConformance(ConnectorConformance):
        name = "acme"                       # the entry-point name
        ticket = "123"                      # a ticket id as the tool spells it

        def env(self): return {"TCO_ACME_URL": URL, "TCO_ACME_TOKEN": "t0k", ...}
        def sign(self, body, secret, at): return {"X-Acme-Signature": hmac_hex(secret, body)}
        def samples(self): return [Sample("created", body, events=[(EventType.CREATED, "c:1")])]
        def stub_write(self, api, action, reply): api.put(f"{URL}/tickets/123", **reply.respond())
        ...

The convention checks (``docs/connectors.md`` section 4) are played the same way: the hooks
:meth:`stub_public_reply`, :meth:`stub_unassign` and :meth:`stub_group_mention` register the
exact requests the tool receives (strict body matchers), and the kit asserts what holds for
every tool on the recorded writes (:class:`Write`). A tool without a remote API reads them
back from its store in :meth:`written`.

Hooks run with ``self.connector`` set to the connector under test (built from :meth:`env`
through the entry point). A check your connector knowingly fails can be listed in
``known_gaps`` (test name → reason): it is then an expected failure, strictly, so fixing the
gap turns the test red until the entry is removed.

Modules, one concept each: ``cases`` (what a harness hands the kit), ``harness`` (the hooks
and how a check plays them), ``inbound``, ``outbound`` and ``conventions`` (the checks),
``retry_table``, ``recorded`` (reading what was sent), ``discovery`` (:func:`expose_plugin`),
``plugin`` (the pytest plugin) and ``kit`` (:class:`ConnectorConformance`, all checks at once).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .cases import FixtureFile, Reply, RetryCase, Run, Sample, Write, fixture_files
    from .discovery import expose_plugin
    from .kit import ConnectorConformance
    from .retry_table import RETRY_TABLE

#: Where each public name lives. They are imported on first use, not with the package: the
#: pytest plugin (``.plugin``) is loaded before coverage starts, and so is this package.
_HOME = {
    "RETRY_TABLE": "retry_table",
    "ConnectorConformance": "kit",
    "FixtureFile": "cases",
    "Reply": "cases",
    "RetryCase": "cases",
    "Run": "cases",
    "Sample": "cases",
    "Write": "cases",
    "expose_plugin": "discovery",
    "fixture_files": "cases",
}
__all__ = [
    "RETRY_TABLE",
    "ConnectorConformance",
    "FixtureFile",
    "Reply",
    "RetryCase",
    "Run",
    "Sample",
    "Write",
    "expose_plugin",
    "fixture_files",
]


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f".{_HOME[name]}", __name__), name)
