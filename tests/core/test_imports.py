"""Every module imports on its own (no hidden dependency on import order), and every runtime
module imports without the dev dependencies (a plain ``pip install tco-bridge``)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import importlib, sys
names = sys.argv[1:]
for name in names:
    for loaded in [m for m in sys.modules if m.split(".")[0] in ("tco_bridge", "connectors")]:
        del sys.modules[loaded]
    importlib.import_module(name)
print(len(names))
"""


def modules() -> list[str]:
    found = []
    for package in ("tco_bridge", "connectors"):
        for info in pkgutil.walk_packages([str(ROOT / package)], prefix=f"{package}."):
            found.append(info.name)
    return sorted(found)


def test_every_module_imports_on_its_own() -> None:
    names = modules()
    assert len(names) > 60
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, *names], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == str(len(names))


#: Refuses the test-only packages, as a plain install (no ``dev`` or ``conformance`` extra)
#: would: ``-I`` keeps the checkout and PYTHON* variables out, the blocker the venv's copies.
BLOCKED_SCRIPT = """
import importlib, importlib.abc, sys

class Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"pytest", "_pytest", "responses", "hypothesis", "playwright"}:
            raise ModuleNotFoundError(f"No module named {name!r} (a dev dependency)")
        return None

sys.meta_path.insert(0, Blocker())
failed = []
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
    except ImportError as exc:
        failed.append(f"{name}: {exc}")
print("\\n".join(failed) or "ok")
"""


def import_without_dev_dependencies(names: list[str]) -> str:
    done = subprocess.run(
        [sys.executable, "-I", "-c", BLOCKED_SCRIPT, *names],
        cwd=ROOT / "tests",  # not the checkout's root: the installed package is imported
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


def test_runtime_modules_import_without_dev_dependencies() -> None:
    runtime = [n for n in modules() if not n.startswith("tco_bridge.testing.")]
    assert {"tco_bridge.cli", "tco_bridge.worker", "connectors.jira"} <= set(runtime)
    assert import_without_dev_dependencies(["tco_bridge", *runtime]) == "ok"


def test_the_conformance_kit_needs_its_extra() -> None:
    """The blocker bites: the kit itself does import pytest and responses."""
    found = import_without_dev_dependencies(["tco_bridge.testing.kit"])
    assert found.startswith("tco_bridge.testing.kit: No module named 'pytest'"), found
