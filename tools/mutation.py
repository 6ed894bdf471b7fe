"""Mutation testing: do the tests notice when the code is wrong?

Runs mutmut over the modules ``[tool.mutmut] only_mutate`` names in pyproject.toml (the pure
core and each connector's outbound code), then prints, per module, how many mutants the tests
killed. A survivor is a change to the code that no test noticed: either a test is missing, or
the mutant is equivalent (the same behaviour written differently). ``--survivors`` lists them,
``mutmut show <name>`` shows one as a diff.

    make mutation                         # all configured modules, kill rate per module
    .venv/bin/python tools/mutation.py --survivors connectors/jira/outbound.py

mutmut keeps its work in ``mutants/`` and only re-tests what changed since the last run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MUTANTS = ROOT / "mutants"
NOTICED = {"killed", "timeout", "caught by type check", "segfault"}  # a test failed or hung


def run_mutmut() -> None:
    mutmut = Path(sys.executable).with_name("mutmut")
    children = str(os.cpu_count() or 1)
    subprocess.run([str(mutmut), "run", "--max-children", children], cwd=ROOT, check=True)


def tally(meta: Path) -> tuple[Counter[str], list[str]]:
    """Outcome counts of one module's mutants, and the names of those that survived."""
    from mutmut.stats import status_by_exit_code  # the meaning mutmut gives each exit code

    data = json.loads(meta.read_text())
    counts: Counter[str] = Counter()
    survivors = []
    for name, code in data["exit_code_by_key"].items():
        status = status_by_exit_code[code]
        counts["killed" if status in NOTICED else status] += 1
        if status == "survived":
            survivors.append(name)
    return counts, sorted(survivors)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help="only report these files (default: all)")
    parser.add_argument("--survivors", action="store_true", help="list the surviving mutants")
    parser.add_argument("--report-only", action="store_true", help="do not run mutmut first")
    parser.add_argument("--fail-under", type=float, default=0.0, help="exit 1 below this kill %%")
    args = parser.parse_args()
    if not args.report_only:
        run_mutmut()
    below = []
    heads = ("mutants", "not run", "killed", "survived", "no tests", "kill %")
    print(f"{'module':<40} " + " ".join(f"{h:>8}" for h in heads))
    for meta in sorted(MUTANTS.rglob("*.py.meta")):
        module = str(meta.relative_to(MUTANTS)).removesuffix(".meta")
        if args.modules and module not in args.modules:
            continue
        counts, survivors = tally(meta)
        total = sum(counts.values())
        checked = total - counts["not checked"]  # an interrupted run leaves some unchecked
        rate = 100.0 * counts["killed"] / checked if checked else 100.0
        row = (total, counts["not checked"], counts["killed"], counts["survived"])
        print(
            f"{module:<40} "
            + " ".join(f"{n:>8}" for n in row)
            + f" {counts['no tests']:>8} {rate:>7.1f}%"
        )
        if rate < args.fail_under:
            below.append(module)
        if args.survivors:
            for name in survivors:
                print(f"    {name}")
    if below:
        print(f"below {args.fail_under:.0f} % killed: {', '.join(below)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
