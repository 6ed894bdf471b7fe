"""The ``tco-bridge`` command, one module per command group.

Subcommands reuse the server's own code (the same connectors, pipeline and rule book), so what
the CLI says is what the bridge does. ``common`` holds what they share: the runtime of the
running command, logging, and failures told in one line.

=================  =====================================================================
module             commands
=================  =====================================================================
``processes``      ``run``, ``web``, ``worker``, ``clock``: the bridge's processes
``reconcile``      ``reconcile``: heal state and timers from what the tool lists
``metrics``        ``metrics``: ownership figures per owner, team or escalation group
``replay``         ``replay``: send recorded deliveries to a bridge again
``rules``          ``rules check|explain|test|failures``
``simulate``       ``simulate``: a recording through the core on a virtual clock
``failed``         ``failed list|show|retry|purge``: parked write-backs
``sandbox``        ``sandbox reset``
``users``          ``users add|list|remove``: console users
=================  =====================================================================

``python -m tco_bridge.cli <command>`` runs the same command (``run`` starts its processes so).
"""

from __future__ import annotations

import click

from . import failed, metrics, processes, reconcile, replay, rules, sandbox, simulate, users
from .common import FriendlyGroup


@click.group(cls=FriendlyGroup)
@click.version_option(package_name="tco-bridge")
def main() -> None:
    """Total Contact Ownership for Jira and Zendesk help desks."""


for _command in (
    processes.worker,
    processes.clock,
    processes.web,
    processes.run,
    reconcile.reconcile,
    metrics.metrics,
    replay.replay,
    rules.rules_group,
    simulate.simulate_command,
    failed.failed_group,
    sandbox.sandbox_group,
    users.users_group,
):
    main.add_command(_command)
