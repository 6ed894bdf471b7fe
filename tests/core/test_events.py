"""The wire format of canonical events: the fast dump and load agree with the marshmallow schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from marshmallow import ValidationError

from tco_bridge.connector import build
from tco_bridge.event_codec import (
    _read_event,
    dump_event,
    load_event,
    read_wire,
    schema_dump,
    schema_load,
)

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
        assert _read_event(fast) == schema_load(fast) == event


def test_fixture_set_is_not_empty() -> None:
    assert len(FIXTURES) >= 7


def _wire_events() -> list[dict[str, object]]:
    out = []
    for path in FIXTURES:
        connector = build(path.parent.name, {})
        out += [dump_event(e) for e in connector.parse({}, path.read_bytes()).events]
    return out


WIRE = _wire_events()
PATHS = sorted(
    {(k,) for w in WIRE for k in w}
    | {(k, n) for w in WIRE for k, v in w.items() if isinstance(v, dict) for n in v}
    | {("comment", "author", n) for n in ("id", "kind", "name")}
)
ODD: list[object] = [
    None,
    True,
    False,
    0,
    1,
    2,
    1.0,
    "",
    "1",
    "true",
    "agent",
    "new",
    "comment.added",
    "2026-01-05T08:00:00",
    "2026-01-05T08:00:00Z",
    "2026-01-05 08:00:00+00:00",
    "2026-01-05T08:00:00+00:00",
    "2026-01-05T10:00:00.500000+02:00",
    "2026-01-05",
    [],
    ["a"],
    [1],
    {},
    {"id": "a"},
    {"id": 1},
]
DROP = object()


def _changed(base: dict[str, object], path: tuple[str, ...], value: object) -> object | None:
    data = json.loads(json.dumps(base))
    node = data
    for key in path[:-1]:
        node = node.get(key) if isinstance(node, dict) else None
    if not isinstance(node, dict):
        return None
    if value is DROP:
        node.pop(path[-1], None)
    else:
        node[path[-1]] = value
    return data


def test_fast_load_accepts_nothing_the_schema_reads_differently() -> None:
    """Every field of events with a comment and a snapshot, set to odd values or dropped:
    whatever the direct reader accepts, the schema accepts as the same event, and
    ``load_event`` answers (value or ``ValidationError``) exactly as marshmallow does."""
    bases = [
        next(w for w in WIRE if w["snapshot"] is not None),
        next(w for w in WIRE if w["comment"] is not None),
    ]
    checked = 0
    for base in bases:
        for path in PATHS:
            for value in [*ODD, DROP]:
                data = _changed(base, path, value)
                if data is None:
                    continue
                try:
                    fast = _read_event(data)  # type: ignore[arg-type]
                except (KeyError, TypeError, ValueError, AttributeError):
                    fast = None
                try:
                    reference = schema_load(data)  # type: ignore[arg-type]
                except ValidationError:
                    assert fast is None, (path, value)
                    with pytest.raises(ValidationError):
                        load_event(data)  # type: ignore[arg-type]
                    continue
                assert fast is None or fast == reference, (path, value)
                assert load_event(data) == reference  # type: ignore[arg-type]
                checked += 1
    assert checked > 100


def _same(a: object, b: object) -> bool:
    """Equal as JSON, types included (``True`` is not ``1``, nor ``1.0``)."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def test_read_wire_calls_canonical_only_what_dump_event_writes_again() -> None:
    """The drain stores a canonical wire form in the history instead of dumping the event:
    every variant it calls canonical must be exactly the dump of the event it reads."""
    assert all(read_wire(w)[1] for w in WIRE)
    canonical = 0
    for base in [next(w for w in WIRE if w[k] is not None) for k in ("snapshot", "comment")]:
        for path in [*PATHS, ("extra",), ("comment", "extra"), ("snapshot", "extra")]:
            for value in [*ODD, DROP]:
                data = _changed(base, path, value)
                if data is None:
                    continue
                try:
                    event, exact = read_wire(data)  # type: ignore[arg-type]
                except ValidationError:
                    continue
                assert not exact or _same(dump_event(event), data), (path, value)
                canonical += exact
    assert canonical > 10
    extra = {**WIRE[0], "extra": 1}
    assert read_wire(extra) == (load_event(extra), False)
