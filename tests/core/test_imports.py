"""Every module imports on its own (no hidden dependency on import order)."""

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
