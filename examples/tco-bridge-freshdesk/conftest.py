"""Run this package's tests from a source checkout: without ``pip install -e .`` the package
is put on ``sys.path`` and its entry point declared in a throw-away dist-info."""

from pathlib import Path

from tco_bridge.testing import expose_plugin

expose_plugin(Path(__file__).resolve().parent)
