"""TicketState ⇄ JSON, for Redis and the read API.

Hand-written rather than a marshmallow schema: the worker decodes and encodes a state per
ticket per batch, and this is several times faster while staying explicit about every field.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from . import jsonbody
from .event_codec import dump_event, load_event
from .events import TicketEvent, utc
from .history import Entry, History, Order
from .ownership import OwnerTrigger
from .plan import OwnerChange
from .state import Candidate, Change, Owner, TicketState

log = logging.getLogger(__name__)

#: An event's wire form when known (exactly what ``dump_event`` writes for it), else None.
Wire = Callable[[TicketEvent], dict[str, Any] | None]


def _t(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt is not None else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _change(c: Change) -> list[Any]:
    return [c.at.isoformat(), c.key, c.value, c.name, c.by]


def _unchange(v: list[Any]) -> Change:
    return Change(datetime.fromisoformat(v[0]), v[1], v[2], v[3], v[4])


def encode(state: TicketState) -> str:
    owner = state.owner
    data = {
        "connector": state.connector,
        "ticket": state.ticket,
        "created_at": _t(state.created_at),
        "requester": state.requester,
        "registers": {k: _change(v) for k, v in state.registers.items()},
        "assignees": [_change(c) for c in state.assignees],
        "groups": [_change(c) for c in state.groups],
        "candidates": [[_t(c.at), c.key, c.agent, c.name, c.via.value] for c in state.candidates],
        "reopens": [_t(t) for t in state.reopens],
        "owner_override": _change(state.owner_override) if state.owner_override else None,
        "owner": (
            [owner.id, owner.name, owner.kind, _t(owner.since), owner.via] if owner else None
        ),
        "owner_mirrored": state.owner_mirrored,
        "touches": state.touches,
        "customer_updates": state.customer_updates,
        "timers_fired": state.timers_fired,
        "timers_fired_at": {k: _t(v) for k, v in state.timers_fired_at.items()},
        "agents": list(state.agents),
        "first_response_at": _t(state.first_response_at),
        "last_customer_update_at": _t(state.last_customer_update_at),
        "last_requester_reply_at": _t(state.last_requester_reply_at),
        "last_internal_note_at": _t(state.last_internal_note_at),
        "last_touch_at": _t(state.last_touch_at),
        "resolved_at": _t(state.resolved_at),
        "resolved_by": state.resolved_by,
        "closed_at": _t(state.closed_at),
        "deleted": state.deleted,
        "updated_at": _t(state.updated_at),
        "bridge_events": state.bridge_events,
        "timers": {k: _t(v) for k, v in state.timers.items()},
        "marks": state.marks,
        "seen": list(state.seen),
    }
    return jsonbody.dumps(data).decode()


def decode(raw: str | bytes) -> TicketState:
    d = jsonbody.loads(raw)
    owner = d.get("owner")
    return TicketState(
        connector=d["connector"],
        ticket=d["ticket"],
        created_at=_dt(d.get("created_at")),
        requester=d.get("requester"),
        registers={k: _unchange(v) for k, v in d.get("registers", {}).items()},
        assignees=tuple(_unchange(v) for v in d.get("assignees", [])),
        groups=tuple(_unchange(v) for v in d.get("groups", [])),
        candidates=tuple(
            Candidate(datetime.fromisoformat(c[0]), c[1], c[2], c[3], OwnerTrigger(c[4]))
            for c in d.get("candidates", [])
        ),
        reopens=tuple(datetime.fromisoformat(t) for t in d.get("reopens", [])),
        owner_override=_unchange(d["owner_override"]) if d.get("owner_override") else None,
        owner=(
            Owner(owner[0], owner[1], owner[2], datetime.fromisoformat(owner[3]), owner[4])
            if owner
            else None
        ),
        owner_mirrored=d.get("owner_mirrored"),
        touches=d.get("touches", 0),
        customer_updates=d.get("customer_updates", 0),
        timers_fired=d.get("timers_fired", {}),
        timers_fired_at={
            k: datetime.fromisoformat(v) for k, v in d.get("timers_fired_at", {}).items()
        },
        agents=tuple(d.get("agents", [])),
        first_response_at=_dt(d.get("first_response_at")),
        last_customer_update_at=_dt(d.get("last_customer_update_at")),
        last_requester_reply_at=_dt(d.get("last_requester_reply_at")),
        last_internal_note_at=_dt(d.get("last_internal_note_at")),
        last_touch_at=_dt(d.get("last_touch_at")),
        resolved_at=_dt(d.get("resolved_at")),
        resolved_by=d.get("resolved_by"),
        closed_at=_dt(d.get("closed_at")),
        deleted=d.get("deleted", False),
        updated_at=_dt(d.get("updated_at")),
        bridge_events=d.get("bridge_events", 0),
        timers={k: datetime.fromisoformat(v) for k, v in d.get("timers", {}).items()},
        marks=d.get("marks", {}),
        seen=tuple(d.get("seen", [])),
    )


# --- a ticket's ordered history (history.History) ----------------------------------------


class StoredHistory:
    """A history as read from Redis: parsed JSON, turned into events only when a late event
    needs them (``load``). An in-order batch only reads the keys and the last order, and
    appends; decoding every kept event on each batch would cost more than the rules."""

    def __init__(self, data: dict[str, Any] | None = None) -> None:
        self.data: dict[str, Any] = data if data is not None else {"base": None, "entries": []}

    @classmethod
    def parse(cls, raw: str | bytes | None) -> StoredHistory:
        return cls(jsonbody.loads(raw) if raw is not None else None)

    @classmethod
    def of(cls, history: History) -> StoredHistory:
        base = history.base
        return cls(
            {
                "base": jsonbody.loads(encode(base)) if base is not None else None,
                "entries": [_entry(e) for e in history.entries],
            }
        )

    def keys(self) -> set[str]:
        return {e["e"]["key"] for e in self.data["entries"]}

    def last(self) -> Order | None:
        entries = self.data["entries"]
        if not entries:
            return None
        event = entries[-1]["e"]
        return (utc(datetime.fromisoformat(event["at"])), event["key"])

    def size(self) -> int:
        return len(self.data["entries"])

    def has_base(self) -> bool:
        return self.data.get("base") is not None

    def load(self) -> History | None:
        base = self.data.get("base")
        try:
            return History(
                entries=tuple(_unentry(e) for e in self.data["entries"]),
                base=decode(json.dumps(base)) if base is not None else None,
            )
        except Exception:
            log.exception("a ticket's history cannot be read; it starts again from its state")
            return None

    def append(self, entries: Iterable[Entry], wire: Wire = lambda event: None) -> None:
        """Add entries; ``wire`` gives an event's wire form when it is known already."""
        self.data["entries"].extend(_entry(e, wire(e.event)) for e in entries)

    def dumps(self) -> bytes:
        return jsonbody.dumps(self.data)


def encode_history(history: History) -> bytes:
    return StoredHistory.of(history).dumps()


def decode_history(raw: str | bytes | None) -> History | None:
    return StoredHistory.parse(raw).load()


def _entry(e: Entry, wire: dict[str, Any] | None = None) -> dict[str, Any]:
    change = e.owner_change
    return {
        "e": dump_event(e.event) if wire is None else wire,
        "m": e.marks,
        "ts": {k: v.isoformat() for k, v in e.timers_set.items()},
        "tc": sorted(e.timers_cleared),
        "oc": [change.agent, change.name, change.reason] if change else None,
        "s": list(e.sent),
    }


def _unentry(d: dict[str, Any]) -> Entry:
    change = d.get("oc")
    return Entry(
        event=load_event(d["e"]),
        marks=d.get("m", {}),
        timers_set={k: datetime.fromisoformat(v) for k, v in d.get("ts", {}).items()},
        timers_cleared=frozenset(d.get("tc", [])),
        owner_change=OwnerChange(*change) if change else None,
        sent=tuple(d.get("s", [])),
    )
