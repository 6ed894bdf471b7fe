"""The settle window as a pure function (``tco_bridge/settle.py``): which tickets wait, and
until when; a lone in-order delivery on a quiet ticket waits for nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tco_bridge.settle import Delivery, Hold, arrival, ready_at, settle

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
WINDOW = timedelta(seconds=3)


def s(n: float) -> timedelta:
    return timedelta(seconds=n)


def fresh(at: datetime, delay: float = 0.1) -> Delivery:
    """A delivery of one event at ``at`` that reached Redis ``delay`` seconds later."""
    return Delivery(at + s(delay), (at,))


def test_a_lone_delivery_on_a_new_ticket_is_evaluated_at_once() -> None:
    assert ready_at([fresh(T0)], None, WINDOW, T0 + s(0.1)) is None


def test_a_lone_delivery_later_than_a_quiet_tickets_last_event_is_evaluated_at_once() -> None:
    assert ready_at([fresh(T0)], T0 - WINDOW, WINDOW, T0 + s(0.1)) is None


def test_a_delivery_soon_after_the_tickets_last_event_waits_out_the_window() -> None:
    """The ticket had a delivery within the window: the two may be one burst."""
    assert ready_at([fresh(T0 + s(1))], T0, WINDOW, T0 + s(1.1)) == T0 + s(1) + WINDOW


def test_a_straggler_older_than_the_last_applied_event_waits_out_the_window() -> None:
    """Tool clock ahead: the ticket's last event is 'later' than now; a fresh event before it
    is a straggler of that moment, not a quiet in-order delivery."""
    assert ready_at([fresh(T0)], T0 + s(1), WINDOW, T0 + s(0.1)) == T0 + WINDOW


def test_two_deliveries_together_wait_for_the_latest_plus_the_window() -> None:
    burst = [fresh(T0 + s(0.5)), fresh(T0)]
    assert ready_at(burst, None, WINDOW, T0 + s(0.6)) == T0 + s(0.5) + WINDOW
    assert ready_at(burst, None, WINDOW, T0 + s(0.5) + WINDOW) is None


def test_one_delivery_of_several_events_is_one_delivery() -> None:
    """The events of one webhook come together, in the tool's order: no straggler to wait for."""
    assert ready_at([Delivery(T0 + s(0.1), (T0, T0))], None, WINDOW, T0 + s(0.1)) is None


def test_an_event_older_than_the_window_waits_for_nothing() -> None:
    backlog = [fresh(T0), fresh(T0 + s(1))]
    assert ready_at(backlog, T0 + s(1), WINDOW, T0 + s(1) + WINDOW) is None


def test_the_wait_counts_from_arrival_when_the_tools_clock_runs_ahead() -> None:
    ahead = Delivery(T0 + s(0.2), (T0 + s(60),))  # stamped a minute after it arrived
    assert ready_at([ahead, fresh(T0)], None, WINDOW, T0 + s(0.3)) == T0 + s(0.2) + WINDOW


def test_fired_timers_and_a_window_of_zero_wait_for_nothing() -> None:
    timer = Delivery(T0)  # no event that waits
    assert ready_at([timer, timer], T0, WINDOW, T0) is None
    assert ready_at([fresh(T0), fresh(T0)], T0, timedelta(0), T0) is None


def test_settle_holds_bursts_and_keeps_a_held_ticket_held() -> None:
    hold = Hold()
    now = T0 + s(0.1)
    batch = {"z:1": [fresh(T0)], "z:2": [fresh(T0), fresh(T0)], "z:3": [Delivery(T0)]}
    assert settle(batch, {}, WINDOW, now, hold) == {"z:1", "z:3"}
    assert hold.tickets == {"z:2"} and hold.until == T0 + WINDOW
    # A later batch of the same drain: z:2's next entry must not overtake the held ones,
    # even alone; the drain comes back at once to see them together.
    assert settle({"z:2": [fresh(T0 + s(0.05))]}, {}, WINDOW, now, hold) == set()
    assert hold.until == now


def test_arrival_reads_the_time_redis_put_in_the_entry_id() -> None:
    ms = int(T0.timestamp() * 1000) + 250
    assert arrival(f"{ms}-3") == T0 + s(0.25)
    assert arrival(f"{ms}-0".encode()) == T0 + s(0.25)
