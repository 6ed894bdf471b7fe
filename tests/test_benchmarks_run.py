"""The benchmarks run from a plain checkout: no editable install of the project needed.

``python -S`` skips the site module, so the project's editable-install hooks in
site-packages are not read; the third-party libraries stay reachable through PYTHONPATH.
The script must then find the project by itself (a tiny run, not a timing: benchmarks are
not tests).
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _plain(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    libs = os.pathsep.join({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]})
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "COV_"))}
    return subprocess.run(
        [sys.executable, "-S", *args],
        cwd=cwd,
        env={**env, "PYTHONPATH": libs},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_project_is_not_importable_without_its_install(tmp_path: Path) -> None:
    """What the next test relies on: under ``-S`` only the checkout can provide tco_bridge."""
    assert _plain(["-c", "import tco_bridge"], tmp_path).returncode != 0


def test_rules_eval_runs_from_a_plain_checkout(tmp_path: Path) -> None:
    script = str(ROOT / "benchmarks" / "rules_eval.py")
    assert "--tickets" in _plain([script, "--help"], tmp_path).stdout
    run = _plain([script, "--tickets", "20", "--rounds", "1"], tmp_path)
    assert run.returncode == 0, run.stderr
    assert "rule evaluation alone (default rules)" in run.stdout


def test_run_all_knows_every_benchmark_and_they_exist() -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import run_all
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    assert {"drain.py", "scaling.py", "ingest.py"} <= set(run_all.BENCHMARKS)
    assert all((ROOT / "benchmarks" / name).exists() for name in run_all.BENCHMARKS)
