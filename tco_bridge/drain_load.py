"""What a drain batch reads: its stream entries, its tickets' states and histories, and the
workload and away context the rules see. Read forgivingly: an entry, a state or a history that
cannot be read is set aside and logged, never allowed to stall the shard."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import redis

from . import jsonbody, keys, ticket_store
from .event_codec import read_wire
from .events import EventType, TicketEvent
from .handover import AwayRecord
from .keys import text
from .plan import Context, Plan
from .state import TicketState, new_state
from .state_codec import StoredHistory, decode
from .timers import WAKE, from_epoch

log = logging.getLogger(__name__)

#: A stream entry: its id, its ticket (None: nothing to apply) and its events.
Entry = tuple[Any, str | None, list[TicketEvent]]


@dataclass
class Ticket:
    """One ticket of a batch: as loaded (``before``), and as the batch leaves it."""

    state: TicketState
    before: TicketState
    history: StoredHistory = field(default_factory=StoredHistory)
    plan: Plan = field(default_factory=Plan)
    applied: int = 0
    timeline: list[dict[str, Any]] = field(default_factory=list)


class Wires:
    """The wire form of each event a batch read, where it is exactly what ``dump_event``
    writes: the event's history entry stores it as it is instead of dumping the event again.
    Known by the event object itself, so a rebuilt or replayed event is dumped as before."""

    def __init__(self) -> None:
        self._by_id: dict[int, tuple[TicketEvent, dict[str, Any]]] = {}

    def add(self, event: TicketEvent, data: dict[str, Any]) -> None:
        self._by_id[id(event)] = (event, data)

    def of(self, event: TicketEvent) -> dict[str, Any] | None:
        known = self._by_id.get(id(event))
        return known[1] if known is not None and known[0] is event else None


def read_entries(entries: list[Any], wires: Wires | None = None) -> tuple[list[Entry], int]:
    """Each entry's id, ticket and events, and how many entries were unreadable (a poison
    entry must not block the shard: it is logged and dropped with the batch). ``wires``
    collects the events' wire forms."""
    out: list[Entry] = []
    unreadable = 0
    for eid, fields in entries:
        try:
            events = entry_events(fields, wires)
        except Exception:
            log.exception("unreadable stream entry %r dropped", eid)
            unreadable += 1
            events = []
        out.append((eid, events[0].ticket_key if events else None, events))
    return out, unreadable


def entry_events(fields: dict[bytes, bytes], wires: Wires | None = None) -> list[TicketEvent]:
    """A stream entry holds either a delivery's events or a released timer."""
    if b"timer" in fields:
        if text(fields[b"timer"]) == WAKE:
            return []  # only woke the drain for held events
        connector, ticket, name = text(fields[b"timer"]).split("|", 2)
        due = from_epoch(fields[b"due"])
        return [
            TicketEvent(
                connector=connector,
                ticket=ticket,
                type=EventType.TIMER_FIRED,
                at=due,
                key=f"timer:{name}:{due.isoformat()}",
                field=name,
            )
        ]
    events = []
    for data in jsonbody.loads(fields[b"e"]):
        event, canonical = read_wire(data)
        if canonical and wires is not None:
            wires.add(event, data)
        events.append(event)
    return events


def load_tickets(client: redis.Redis, tkeys: list[str]) -> dict[str, Ticket]:
    """The stored state and history of each ticket, in one MGET; a new ticket starts empty."""
    out: dict[str, Ticket] = {}
    for tkey, (raw, raw_history) in zip(tkeys, ticket_store.read_batch(client, tkeys), strict=True):
        connector, _, ticket = tkey.partition(":")
        state = _decode_state(client, tkey, raw) if raw is not None else None
        history = _decode_history(tkey, raw_history) if state is not None else None
        history = history or StoredHistory()
        state = state or new_state(connector, ticket)
        out[tkey] = Ticket(state=state, before=state, history=history)
    return out


def _decode_history(tkey: str, raw: bytes | str | None) -> StoredHistory | None:
    """An unreadable history only costs the ability to place late events before it."""
    try:
        history = StoredHistory.parse(raw)
        history.keys(), history.last()  # what every batch reads must be readable
        return history
    except Exception:
        log.exception("unreadable history for %s dropped; the ticket's state is kept", tkey)
        return None


def _decode_state(client: redis.Redis, tkey: str, raw: bytes | str) -> TicketState | None:
    """A state that cannot be read (e.g. written by an incompatible version) must not stall
    the shard: it is set aside under ``tco:unreadable:<ticket>`` for an admin, and the ticket
    starts afresh (``tco-bridge reconcile`` refills it from the tool)."""
    try:
        return decode(raw)
    except Exception:
        log.exception("unreadable state for %s set aside; the ticket starts afresh", tkey)
        client.set(keys.unreadable(tkey), raw)
        return None


def workloads(client: redis.Redis, connectors: Iterable[str]) -> dict[tuple[str, str], int]:
    """Open tickets per owner now, by (connector, agent), in one round trip: what the rules'
    workload cap reads in a drain and what the console lists against it."""
    names = sorted(set(connectors))
    pipe = client.pipeline(transaction=False)
    for name in names:
        pipe.hgetall(keys.workload(name))
    return {
        (name, text(agent)): int(count)
        for name, load in zip(names, pipe.execute(), strict=True)
        for agent, count in load.items()
    }


def load_context(client: redis.Redis, tkeys: list[str]) -> Context:
    """The workload of every agent of the batch's connectors, and who is away."""
    workload: dict[str, int] = {}
    for (name, agent), count in workloads(client, {k.partition(":")[0] for k in tkeys}).items():
        workload[f"{name}:{agent}"] = count
        workload.setdefault(agent, count)
    away_raw = client.hgetall(keys.AWAY)
    away = {text(a): AwayRecord.from_json(v).as_away() for a, v in away_raw.items()}
    return Context(workload=workload, away=away)
