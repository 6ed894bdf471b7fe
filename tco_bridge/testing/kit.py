"""The kit as one class: every check, for a connector's test class to inherit."""

from __future__ import annotations

from .conventions import ConventionChecks
from .inbound import InboundChecks
from .outbound import OutboundChecks


class ConnectorConformance(InboundChecks, OutboundChecks, ConventionChecks):
    """Inherit as ``Test<Tool>Conformance`` and fill in the harness: the required and optional
    members are listed on :class:`~.harness.Harness` (see also :mod:`tco_bridge.testing`)."""
