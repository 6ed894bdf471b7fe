"""One timer-releasing process for the timers benchmark: the real clock, or the naive poller.

python timers_clock.py REDIS_URL clock
    ``tco_bridge.clock.Clock`` with a Runtime built as benchmarks/worker_proc.py builds one.
python timers_clock.py REDIS_URL poller [INTERVAL_S]
    The baseline: every INTERVAL_S (default 1 s), ZRANGEBYSCORE everything due, then ZREM it
    and XADD it to its shard stream in one pipeline; what a periodic scheduler amounts to.

Both run until terminated (SIGTERM).
"""

from __future__ import annotations

import signal
import sys
import time

import redis
from common import ROOT  # noqa: F401  (puts the project on sys.path)

from tco_bridge import keys
from tco_bridge.clock import Clock
from tco_bridge.config import Settings
from tco_bridge.plan import OwnershipOnly
from tco_bridge.rules_source import RulesSource
from tco_bridge.runtime import Runtime, install

stopping = False


def _stop(_signum: int, _frame: object) -> None:
    global stopping
    stopping = True


def run_clock(url: str) -> None:
    settings = Settings.from_env({"TCO_CONNECTORS": "sandbox", "TCO_LOG_LEVEL": "WARNING"})
    runtime = Runtime(settings=settings, redis_url=url, connectors={})
    runtime.rules_source = RulesSource.fixed(OwnershipOnly())
    install(runtime)
    Clock(runtime).run(stop=lambda: stopping)


def run_poller(url: str, interval: float) -> None:
    client = redis.Redis.from_url(url)
    while not stopping:
        started = time.monotonic()
        due = client.zrangebyscore(keys.TIMERS, "-inf", time.time(), withscores=True)
        if due:
            pipe = client.pipeline(transaction=False)
            pipe.zrem(keys.TIMERS, *[member for member, _ in due])
            for member, score in due:
                shard, rest = member.decode().split("|", 1)
                pipe.xadd(keys.stream(int(shard)), {"timer": rest, "due": repr(score)})
            pipe.execute()
        time.sleep(max(0.0, interval - (time.monotonic() - started)))


def main() -> None:
    signal.signal(signal.SIGTERM, _stop)
    url, mode = sys.argv[1], sys.argv[2]
    if mode == "clock":
        run_clock(url)
    else:
        run_poller(url, float(sys.argv[3]) if len(sys.argv) > 3 else 1.0)


if __name__ == "__main__":
    main()
