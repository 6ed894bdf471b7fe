"""The pytest plugin (entry point ``pytest11``: ``tco_bridge``), active wherever tco-bridge is
installed: it deselects the checks a harness declares inapplicable.

It imports nothing of the bridge until collection: pytest loads plugins before coverage
starts measuring, so what they import early would count as never run."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect the checks a harness declares inapplicable, so a run shows no skips."""
    from .kit import ConnectorConformance  # here: a plugin loads before coverage starts

    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    verdicts: dict[type, dict[str, str]] = {}
    for item in items:
        cls = getattr(item, "cls", None)
        if cls is None or not issubclass(cls, ConnectorConformance):
            keep.append(item)
            continue
        if cls not in verdicts:
            verdicts[cls] = cls().inapplicable()
        name = getattr(item, "originalname", item.name)
        (drop if name in verdicts[cls] else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
