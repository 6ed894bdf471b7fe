"""One benchmark worker process: a SimpleWorker in burst mode with a fixed ownership policy.

python worker_proc.py REDIS_URL QUEUE
"""

from __future__ import annotations

import sys

from common import ROOT  # noqa: F401  (puts the project on sys.path)
from rq import SimpleWorker

from tco_bridge.config import Settings
from tco_bridge.ownership import OwnershipPolicy
from tco_bridge.plan import OwnershipOnly
from tco_bridge.rules_source import RulesSource
from tco_bridge.runtime import Runtime, install

POLICY = OwnershipPolicy(frontline_groups=frozenset({"service-desk"}), mirror_owner=False)


def main() -> None:
    url, queue = sys.argv[1], sys.argv[2]
    settings = Settings.from_env(
        {"TCO_CONNECTORS": "sandbox", "TCO_QUEUE": queue, "TCO_LOG_LEVEL": "WARNING"}
    )
    runtime = Runtime(settings=settings, redis_url=url, connectors={})
    runtime.rules_source = RulesSource.fixed(OwnershipOnly(POLICY))
    install(runtime)
    worker = SimpleWorker(
        [runtime.queue], connection=runtime.redis, serializer=runtime.queue.serializer
    )
    worker.work(burst=True, logging_level="WARNING")


if __name__ == "__main__":
    main()
