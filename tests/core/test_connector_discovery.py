"""Connectors are found through their entry points: an installed package's metadata, or, for a
plain checkout run without installing it, the checkout's pyproject.toml."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError
from typing import Any

import pytest

from tco_bridge import connector


def test_installed_connectors_come_from_the_metadata() -> None:
    found = connector.discovered()
    assert {"jira", "zendesk", "sandbox"} <= set(found)
    assert found["jira"].value == "connectors.jira:JiraConnector"


def test_a_plain_checkout_reads_the_entry_points_of_its_pyproject(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def not_installed(name: str) -> Any:
        raise PackageNotFoundError(name)

    monkeypatch.setattr(connector, "distribution", not_installed)
    monkeypatch.setattr(connector, "entry_points", lambda group: [])
    found = connector.discovered()
    assert {name: ep.value for name, ep in found.items()} == {
        "jira": "connectors.jira:JiraConnector",
        "zendesk": "connectors.zendesk:ZendeskConnector",
        "sandbox": "connectors.sandbox:SandboxConnector",
    }
    assert connector.load_class("sandbox").__name__ == "SandboxConnector"
