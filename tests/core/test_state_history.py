"""The history primitives every derivation reads: what a field held at, or just before, a moment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tco_bridge.state import (
    HISTORY_LIMIT,
    Change,
    earliest,
    insert_change,
    latest,
    new_state,
    set_register,
    value_at,
    value_before,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HISTORY = (
    Change(T0, "e1", "service_desk"),
    Change(T0 + timedelta(hours=1), "e2", "l2"),
    Change(T0 + timedelta(hours=2), "e3", "l3"),
)


def test_value_at_counts_a_change_at_that_moment_and_none_before_the_first() -> None:
    assert value_at(HISTORY, T0 - timedelta(seconds=1)) is None
    assert value_at(HISTORY, T0) == "service_desk"
    assert value_at(HISTORY, T0 + timedelta(minutes=59)) == "service_desk"
    assert value_at(HISTORY, T0 + timedelta(hours=1)) == "l2"
    assert value_at(HISTORY, T0 + timedelta(days=9)) == "l3"


def test_value_before_leaves_out_the_change_at_that_moment() -> None:
    assert value_before(HISTORY, T0) is None
    assert value_before(HISTORY, T0 + timedelta(seconds=1)) == "service_desk"
    assert value_before(HISTORY, T0 + timedelta(hours=1)) == "service_desk"
    assert value_before(HISTORY, T0 + timedelta(hours=2)) == "l2"
    assert value_before(HISTORY, T0 + timedelta(days=9)) == "l3"
    assert value_before((), T0) is None


def test_insert_change_keeps_order_ignores_a_key_seen_and_keeps_the_newest() -> None:
    late, early = HISTORY[2], HISTORY[0]
    history = insert_change(insert_change((late,), early), HISTORY[1])
    assert history == HISTORY
    again = insert_change(history, Change(T0 + timedelta(hours=5), "e2", "other"))
    assert again is history  # the same event told twice changes nothing
    same_instant = insert_change(history, Change(T0 + timedelta(hours=1), "e0", "l2b"))
    assert [c.key for c in same_instant] == ["e1", "e0", "e2", "e3"]  # ties by event key

    long: tuple[Change, ...] = ()
    for i in range(HISTORY_LIMIT + 5):
        long = insert_change(long, Change(T0 + timedelta(minutes=i), f"k{i:03}", i))
    assert len(long) == HISTORY_LIMIT
    assert long[0].value == 5 and long[-1].value == HISTORY_LIMIT + 4


def test_set_register_keeps_the_latest_change_whatever_the_order() -> None:
    state = new_state("jira", "SUP-1")
    newer, older = HISTORY[1], HISTORY[0]
    state = set_register(state, "owner_news", newer)
    assert set_register(state, "owner_news", older) is state
    assert set_register(state, "owner_news", newer) is state  # the same change again
    tie_later_key = Change(newer.at, "e9", "x")
    assert set_register(state, "owner_news", tie_later_key).registers["owner_news"] == tie_later_key
    assert set_register(state, "other", older).registers == {"owner_news": newer, "other": older}


def test_latest_and_earliest_treat_none_as_unknown() -> None:
    a, b = T0, T0 + timedelta(hours=1)
    assert latest(None, None) is None and earliest(None, None) is None
    assert latest(a, None) == a and latest(None, b) == b and latest(a, b) == b and latest(b, a) == b
    assert earliest(a, None) == a and earliest(None, b) == b
    assert earliest(a, b) == a and earliest(b, a) == a
