"""A drained event's history entry reuses its wire form only when it is that very event."""

from __future__ import annotations

import copy

import orjson
from test_state import escalation

from tco_bridge.drain_load import Wires, entry_events
from tco_bridge.event_codec import dump_event
from tco_bridge.history import Entry
from tco_bridge.state_codec import StoredHistory


def test_the_history_stores_the_wire_form_of_read_events_and_dumps_the_others() -> None:
    events = escalation()
    wires = Wires()
    read = entry_events({b"e": orjson.dumps([dump_event(e) for e in events])}, wires)
    assert read == events
    rebuilt = copy.copy(read[1])  # equal, but not the event read (a replay rebuilds events)
    assert rebuilt == read[1] and wires.of(rebuilt) is None
    entries = [Entry(e) for e in [*read, rebuilt]]
    reused, dumped = StoredHistory(), StoredHistory()
    reused.append(entries, wires.of)
    dumped.append(entries)
    assert reused.dumps() == dumped.dumps()
    stored = [entry["e"] for entry in reused.data["entries"]]
    assert all(stored[n] is wires.of(e) is not None for n, e in enumerate(read))
    assert wires.of(rebuilt) is None and stored[-1] == dump_event(rebuilt)
