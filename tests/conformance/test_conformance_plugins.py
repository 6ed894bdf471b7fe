"""Third-party connectors: found through the entry point, refused with an error naming them.

The example package (examples/tco-bridge-freshdesk) is not pip-installed into the venv: its
source is put on ``sys.path`` with a throw-away dist-info declaring the entry point from its own
pyproject.toml (``expose_plugin``), which is what ``importlib.metadata`` sees after a real
install. Its harness then runs the whole conformance kit here too, so ``make test`` covers it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tco_bridge.connector import ENTRY_POINT_GROUP, available, build, load_class
from tco_bridge.errors import ConnectorLoadError
from tco_bridge.testing import expose_plugin

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "tco-bridge-freshdesk"
assert expose_plugin(EXAMPLE) == ["freshdesk"]

from tco_bridge_freshdesk import FreshdeskConnector  # noqa: E402
from tco_bridge_freshdesk.testing import FreshdeskHarness  # noqa: E402


class TestFreshdeskPluginConformance(FreshdeskHarness):
    """The example plugin, loaded through its entry point, passes the same kit."""


def test_built_ins_and_the_example_plugin_are_available() -> None:
    found = available()
    assert {"jira", "zendesk", "sandbox", "freshdesk"} <= set(found)
    assert found["freshdesk"] == "tco_bridge_freshdesk:FreshdeskConnector"
    assert load_class("freshdesk") is FreshdeskConnector


def plugin(folder: Path, **targets: str) -> None:
    """A dist-info on ``sys.path`` declaring ``targets`` (name → module:attr)."""
    dist = folder / "broken_plugins-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-plugins\nVersion: 1.0\n")
    lines = "\n".join(f"{name} = {target}" for name, target in targets.items())
    (dist / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\n{lines}\n")


def test_a_plugin_that_cannot_be_imported_names_itself_and_its_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plugin(tmp_path, servicenow="tco_bridge_servicenow_missing:ServiceNowConnector")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ConnectorLoadError) as info:
        load_class("servicenow")
    message = str(info.value)
    assert message.startswith("[servicenow] cannot load ")
    assert "tco_bridge_servicenow_missing:ServiceNowConnector" in message
    assert info.value.connector == "servicenow"


def test_a_plugin_missing_protocol_members_is_refused_with_what_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "half_plugin.py").write_text(
        "class Half:\n    name = 'half'\n\n    @classmethod\n    def from_env(cls, env):\n"
        "        return cls()\n"
    )
    plugin(tmp_path, half="half_plugin:Half")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ConnectorLoadError) as info:
        load_class("half")
    assert str(info.value) == (
        "[half] half_plugin:Half does not implement the Connector protocol "
        "(missing: ['verify', 'parse', 'perform', 'open_tickets', 'refresh_tickets', "
        "'write_limits', 'batch_writes', 'write_cost', 'web_blueprint']); subclass "
        "tco_bridge.connector.ConnectorBase for the optional ones' defaults"
    )


def test_a_plugin_whose_settings_fail_names_itself() -> None:
    with pytest.raises(ConnectorLoadError, match=r"^\[freshdesk\] cannot configure: "):
        build("freshdesk", {"TCO_FRESHDESK_TIMEOUT": "soon"})
