"""Run every benchmark in sequence, each in its own process, printing its output as it comes.

ingest.py, worker_throughput.py, drain.py, rules_eval.py, scaling.py, timers.py and
writeback.py. Each runs with the checkout first on PYTHONPATH, so a plain checkout with the
dependencies installed is enough (no editable install of the project). Exits non-zero if any
of them fails (the others still run). ``make bench`` calls this.

    python benchmarks/run_all.py [--only NAME ...]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = [
    "ingest.py",
    "worker_throughput.py",
    "drain.py",
    "rules_eval.py",
    "scaling.py",
    "timers.py",
    "writeback.py",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--only", nargs="+", metavar="NAME", help="run only these (e.g. timers.py writeback.py)"
    )
    args = parser.parse_args()
    names = args.only or BENCHMARKS
    failed: list[str] = []
    path = os.environ.get("PYTHONPATH")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE.parent), path]))}
    for name in names:
        script = HERE / name
        if not script.exists():
            failed.append(name)
            print(f"== {name}: missing\n", flush=True)
            continue
        print(f"== {name}", flush=True)
        started = time.monotonic()
        code = subprocess.call([sys.executable, str(script)], cwd=HERE.parent, env=env)
        took = time.monotonic() - started
        print(f"== {name}: {'ok' if code == 0 else f'FAILED (exit {code})'} in {took:.0f} s\n")
        if code != 0:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}")
        sys.exit(1)
    print("all benchmarks completed")


if __name__ == "__main__":
    main()
