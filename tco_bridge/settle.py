"""The settle window: which tickets' queued events a drain evaluates now, and which wait.

Zendesk and Jira send the deliveries of one moment (a reply, the status it changed, the
assignee) as separate webhooks, in any order. Evaluated one by one, a delivery that overtook an
earlier one would be judged before it. So a ticket's events wait until ``TCO_SETTLE_SECONDS``
have passed since the tool's timestamp (or their arrival, if earlier: a tool clock running
ahead must not stretch the wait), and the deliveries of that moment are evaluated together, in
the tool's order.

Waiting costs latency, and most of the time nothing follows: one delivery, on a ticket nothing
else happened to within the window, later than everything the ticket has applied. That is
evaluated at once. If a straggler belonging before it follows within the window, the straggler
waits out the window and is placed in the ticket's history as a late event (``history.py``):
the same final state, nothing written twice. A second delivery within the window (a burst)
makes the ticket wait, so the rest of the burst is evaluated together.

Pure: a function of the deliveries, their arrival times, the ticket's last applied time, the
window and now.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta


@dataclass(frozen=True, slots=True)
class Delivery:
    """One stream entry of a ticket: when it reached Redis, and the tool's times of its events
    that may wait (a timer the clock fired is due already: it waits for nothing)."""

    arrived: datetime
    times: tuple[datetime, ...] = ()


@dataclass
class Hold:
    """Tickets whose events wait in this drain, and the earliest moment one of them is ready
    (when the wake timer brings a drain back)."""

    tickets: set[str] = field(default_factory=set)
    until: datetime | None = None

    def add(self, tkey: str, at: datetime) -> None:
        self.tickets.add(tkey)
        self.until = at if self.until is None else min(self.until, at)


def arrival(entry_id: bytes | str) -> datetime:
    """When a stream entry was added: Redis puts its clock, in ms, in front of the id."""
    raw = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    return datetime.fromtimestamp(int(raw.partition("-")[0]) / 1000, UTC)


def ready_at(
    deliveries: Sequence[Delivery],
    last_applied: datetime | None,
    window: timedelta,
    now: datetime,
) -> datetime | None:
    """When a ticket's queued ``deliveries`` may be evaluated: None for now.

    ``last_applied`` is the tool's time of the latest event the ticket has applied (None: a new
    ticket)."""
    waiting = [d for d in deliveries if d.times]
    if not waiting or window <= timedelta(0):
        return None
    settled = max(min(at, d.arrived) for d in waiting for at in d.times) + window
    if settled <= now:
        return None  # already older than the window: a delay, a backlog, a replay
    earliest = min(at for d in waiting for at in d.times)
    quiet = last_applied is None or last_applied + window <= now
    in_order = last_applied is None or earliest >= last_applied
    if len(waiting) == 1 and quiet and in_order:
        return None  # a lone delivery on a quiet ticket: nothing to wait for
    return settled


def settle(
    batch: Mapping[str, Sequence[Delivery]],
    last_applied: Mapping[str, datetime | None],
    window: timedelta,
    now: datetime,
    hold: Hold,
) -> set[str]:
    """The tickets of ``batch`` evaluated now; the others are added to ``hold``.

    A ticket already held in this drain stays held: its later entries must not be evaluated
    before the earlier ones that wait."""
    ready: set[str] = set()
    for tkey, deliveries in batch.items():
        at = ready_at(deliveries, last_applied.get(tkey), window, now)
        if tkey in hold.tickets:
            at = at or now
        if at is None:
            ready.add(tkey)
        else:
            hold.add(tkey, at)
    return ready
