"""One benchmark worker process: a SimpleWorker in burst mode with a fixed ownership policy.

python worker_proc.py REDIS_URL QUEUE [--profile]

Prints one JSON line on stdout: the wall and CPU seconds of ``work()`` until the queue is
empty (interpreter start-up, imports and RQ's teardown excluded), so a drain's rate per
process does not count the second Python needs to start. ``--profile`` runs it under
cProfile and prints the top costs to stderr. ``TCO_SHARDS`` and ``TCO_BATCH_SIZE`` pass
through from the environment (defaults: 8, and the bridge's own batch size).
"""

from __future__ import annotations

import json
import os
import sys
import time

from common import ROOT  # noqa: F401  (puts the project on sys.path)
from rq import SimpleWorker

from tco_bridge.config import Settings
from tco_bridge.ownership import OwnershipPolicy
from tco_bridge.plan import OwnershipOnly
from tco_bridge.rules_source import RulesSource
from tco_bridge.runtime import Runtime, install

POLICY = OwnershipPolicy(frontline_groups=frozenset({"service-desk"}), mirror_owner=False)


class TimedWorker(SimpleWorker):
    """Notes when the queue ran dry: RQ's teardown (a second joining its pub/sub thread)
    is the worker's exit, not part of draining."""

    drained: tuple[float, float] | None = None

    def teardown(self) -> None:
        self.drained = (time.perf_counter(), time.process_time())
        super().teardown()


def main() -> None:
    url, queue = sys.argv[1], sys.argv[2]
    settings = Settings.from_env(
        {
            "TCO_CONNECTORS": "sandbox",
            "TCO_QUEUE": queue,
            "TCO_LOG_LEVEL": "WARNING",
            "TCO_SHARDS": os.environ.get("TCO_SHARDS", "8"),
            # the bridge's default batch size unless the environment sets one
            **{k: v for k, v in os.environ.items() if k == "TCO_BATCH_SIZE"},
        }
    )
    runtime = Runtime(settings=settings, redis_url=url, connectors={})
    runtime.rules_source = RulesSource.fixed(OwnershipOnly(POLICY))
    install(runtime)
    worker = TimedWorker(
        [runtime.queue], connection=runtime.redis, serializer=runtime.queue.serializer
    )
    started, cpu = time.perf_counter(), time.process_time()
    if "--profile" in sys.argv:
        import cProfile
        import pstats

        profile = cProfile.Profile()
        profile.runcall(worker.work, burst=True, logging_level="WARNING")
        stats = pstats.Stats(profile, stream=sys.stderr)
        stats.sort_stats("tottime").print_stats(30)
        stats.sort_stats("cumulative").print_stats(40)
    else:
        worker.work(burst=True, logging_level="WARNING")
    ended, ended_cpu = worker.drained or (time.perf_counter(), time.process_time())
    took = {"seconds": ended - started, "cpu": ended_cpu - cpu}
    print(json.dumps(took), flush=True)


if __name__ == "__main__":
    main()
