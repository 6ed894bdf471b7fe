"""Where ``RuleSet.evaluate`` spends its time, by part, from a py-spy recording.

Record rules_eval.py with py-spy (from PyPI) in its raw (collapsed stacks) format, then read
the file with this script; each sample under ``RuleSet.evaluate`` goes to the innermost part
of the engine on its stack (a template rendered by a note counts as the template):

    py-spy record -r 400 -f raw -o eval.txt -- python benchmarks/rules_eval.py --tickets 2000
    python benchmarks/evaluate_shares.py eval.txt

Sampling, unlike cProfile, does not weigh many small calls more than a few long ones.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

EVALUATE = "RuleSet.evaluate ("
#: Part → frames (by their start) that belong to it; the innermost part on a stack wins.
PARTS: dict[str, tuple[str, ...]] = {
    "templates: Emit.text (scope variables, Jinja rendering)": ("Emit.text ",),
    "Emit.action: ids (SHA-256) and Action objects": ("Emit.action ",),
    "set_timer: deadlines and their 'how' notes": ("set_timer.<locals>.run ",),
    "arm_targets: group targets and their notes": ("_arm ",),
    "conditions: verdicts, and the reasons of rules that match": (
        "passes (",
        "evaluate_all (",
        "RuleSet._judge",
        "RuleSet.passes",
        "RuleSet.matches",
    ),
    "candidates and facts": (
        "RuleSet.candidates",
        "RuleSet._narrow",
        "RuleSet.facts",
        "RuleSet.owner_changed",
        "RuleSet.owner_released",
    ),
    "recipients (resolve_all)": ("resolve_all ",),
}
REST = "the rest: engine loop, marks, labels, clear_timer, plans"


def part_of(frames: list[str]) -> str:
    for frame in reversed(frames):
        for part, starts in PARTS.items():
            if frame.startswith(starts):
                return part
    return REST


def shares(path: Path) -> tuple[Counter[str], int]:
    counts: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, number = line.rpartition(" ")
        frames = stack.split(";")
        top = next((i for i, f in enumerate(frames) if f.startswith(EVALUATE)), None)
        if top is None or not number.isdigit():
            continue
        counts[part_of(frames[top + 1 :])] += int(number)
        total += int(number)
    return counts, total


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("raw", type=Path, help="py-spy record -f raw output")
    args = parser.parse_args()
    counts, total = shares(args.raw)
    if not total:
        raise SystemExit(f"{args.raw}: no sample under RuleSet.evaluate")
    for part, count in counts.most_common():
        print(f"{100 * count / total:5.1f} %  {part}")
    print(f"{total} samples under RuleSet.evaluate")


if __name__ == "__main__":
    main()
