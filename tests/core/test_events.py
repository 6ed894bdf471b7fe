"""The wire format of canonical events: the fast dump agrees with the marshmallow schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tco_bridge.connector import build
from tco_bridge.events import dump_event, load_event, schema_dump

FIXTURES = sorted(
    p
    for p in (Path(__file__).resolve().parents[1] / "fixtures" / "webhooks").rglob("*.json")
    if "partial" not in p.parts and "other-integrations" not in p.parts
)


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_fast_dump_matches_schema_and_round_trips(path: Path) -> None:
    connector = build(path.parent.name, {})
    events = connector.parse({}, path.read_bytes()).events
    for event in events:
        fast = dump_event(event)
        assert json.loads(json.dumps(fast)) == json.loads(json.dumps(schema_dump(event)))
        assert load_event(fast) == event


def test_fixture_set_is_not_empty() -> None:
    assert len(FIXTURES) >= 7
