"""Making a connector project discoverable from its source checkout, as ``pip install`` would."""

from __future__ import annotations

import atexit
import importlib
import shutil
import sys
import tempfile
import tomllib
from pathlib import Path

from ..connector import ENTRY_POINT_GROUP, available


def expose_plugin(project: Path, src: str = "src") -> list[str]:
    """Make a connector project importable and discoverable without installing it.

    Reads the ``tco_bridge.connectors`` entry points from ``project/pyproject.toml``, puts
    ``project/src`` on ``sys.path`` and writes a throw-away ``*.dist-info`` (removed at exit)
    whose ``entry_points.txt`` declares them, exactly as ``pip install`` would. When they are
    already installed nothing changes. Returns the connector names.
    """
    meta = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    declared: dict[str, str] = meta.get("entry-points", {}).get(ENTRY_POINT_GROUP, {})
    if not declared:
        raise ValueError(f"{project}/pyproject.toml declares no {ENTRY_POINT_GROUP} entry point")
    if all(available().get(name) == target for name, target in declared.items()):
        return list(declared)
    folder = Path(tempfile.mkdtemp(prefix="tco-plugin-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    dist = folder / f"{meta['name'].replace('-', '_')}-{meta['version']}.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {meta['name']}\nVersion: {meta['version']}\n"
    )
    lines = [f"{name} = {target}" for name, target in declared.items()]
    (dist / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\n" + "\n".join(lines) + "\n")
    sys.path[:0] = [str(project / src), str(folder)]
    importlib.invalidate_caches()
    return list(declared)
