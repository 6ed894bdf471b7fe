"""gunicorn settings for the benchmarks: each worker reports the CPU it spent serving.

``getrusage`` of the worker itself, from just after its start-up to its exit, written as JSON
to ``$BENCH_CPU_DIR/<pid>.json``: per-request CPU is steadier than req/s on a shared machine.
"""

from __future__ import annotations

import json
import os
import resource
from typing import Any

_started: dict[str, float] = {}


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def post_worker_init(worker: Any) -> None:
    _started["cpu"] = _cpu()


def worker_exit(server: Any, worker: Any) -> None:
    folder = os.environ.get("BENCH_CPU_DIR")
    if folder and "cpu" in _started:
        with open(os.path.join(folder, f"{os.getpid()}.json"), "w") as out:
            json.dump({"cpu": _cpu() - _started["cpu"]}, out)
