"""Durations and business-time arithmetic: weekends, holidays, DST, time zones."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tco_bridge.rules.calendar import LABEL, LOCAL, BusinessCalendar, format_label, parse_hours
from tco_bridge.rules.durations import Duration, DurationError, humanize, parse_duration

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
NINE_TO_FIVE = parse_hours("09:00-17:00")


def calendar(tz: str = "Europe/Berlin", **kw: object) -> BusinessCalendar:
    week = [NINE_TO_FIVE] * 5 + [(), ()]
    return BusinessCalendar("office", tz, week, **kw)  # type: ignore[arg-type]


def at(tz: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=tz)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "seconds", "business", "days"),
    [
        ("30s", 30, False, 0),
        ("15m", 900, False, 0),
        ("4h", 14400, False, 0),
        ("2d", 172800, False, 0),
        ("1w", 604800, False, 0),
        ("30bm", 1800, True, 0),
        ("4bh", 14400, True, 0),
        ("1bd", 0, True, 1),
        (" 2bd ", 0, True, 2),
    ],
)
def test_durations_parse(text: str, seconds: int, business: bool, days: int) -> None:
    d = parse_duration(text)
    assert (d.seconds, d.business, d.days) == (seconds, business, days)


@pytest.mark.parametrize("text", ["15", "15x", "1.5h", "-1h", "h", "", "1 hour"])
def test_bad_durations_quote_the_value_and_list_units(text: str) -> None:
    with pytest.raises(DurationError) as err:
        parse_duration(text)
    assert str(err.value) == (
        f"bad duration {text!r} (a whole number and a unit: s, m, h, d, w, bm, bh, bd)"
    )


def test_business_duration_needs_a_calendar() -> None:
    with pytest.raises(ValueError, match="needs a calendar"):
        _ = parse_duration("4bh").timedelta
    assert parse_duration("2d").timedelta == timedelta(days=2)
    assert parse_duration("90m") == Duration("90m", seconds=5400)


def test_humanize() -> None:
    assert humanize(0) == "0m"
    assert humanize(5400) == "1h 30m"
    assert humanize(90061) == "1d 1h"


def test_hours_parsing() -> None:
    assert len(parse_hours("08:00-12:00, 13:00-24:00")) == 2
    assert parse_hours("closed") == ()
    for bad, why in [
        ("9-17", "bad time '9'"),
        ("17:00-09:00", "ends before it starts"),
        ("09:00-12:00, 11:00-13:00", "overlaps"),
        ("25:00-26:00", "bad time '25:00'"),
    ]:
        with pytest.raises(ValueError, match=why):
            parse_hours(bad)


def test_business_hours_within_a_day() -> None:
    cal = calendar()
    start = at(BERLIN, 2025, 3, 3, 10, 0)  # Monday
    assert cal.add(start, parse_duration("4bh")) == at(BERLIN, 2025, 3, 3, 14, 0)
    assert cal.add(start, parse_duration("7bh")) == at(BERLIN, 2025, 3, 3, 17, 0)


def test_business_hours_across_the_weekend() -> None:
    cal = calendar()
    friday = at(BERLIN, 2025, 3, 7, 15, 0)
    assert cal.add(friday, parse_duration("4bh")) == at(BERLIN, 2025, 3, 10, 11, 0)
    saturday = at(BERLIN, 2025, 3, 8, 12, 0)
    assert cal.add(saturday, parse_duration("1bh")) == at(BERLIN, 2025, 3, 10, 10, 0)
    assert cal.business_seconds_between(friday, at(BERLIN, 2025, 3, 10, 11, 0)) == 4 * 3600


def test_business_days_keep_the_wall_clock_and_skip_weekends() -> None:
    cal = calendar()
    assert cal.add(at(BERLIN, 2025, 3, 7, 10, 0), parse_duration("1bd")) == at(
        BERLIN, 2025, 3, 10, 10, 0
    )
    # From outside business hours: move to the next opening first.
    assert cal.add(at(BERLIN, 2025, 3, 7, 19, 0), parse_duration("1bd")) == at(
        BERLIN, 2025, 3, 11, 9, 0
    )


def test_holiday_by_country_code() -> None:
    cal = calendar(country="DE", subdivision="BE")
    # Good Friday 18 April and Easter Monday 21 April 2025 are holidays in Berlin.
    thursday = at(BERLIN, 2025, 4, 17, 16, 0)
    assert cal.is_holiday(date(2025, 4, 18))
    assert cal.add(thursday, parse_duration("2bh")) == at(BERLIN, 2025, 4, 22, 10, 0)
    assert cal.add(thursday, parse_duration("1bd")) == at(BERLIN, 2025, 4, 22, 16, 0)
    # International Women's Day is a holiday in Berlin only.
    assert cal.is_holiday(date(2025, 3, 8)) and not calendar(country="DE").is_holiday(
        date(2025, 3, 10)
    )


def test_holiday_by_explicit_date() -> None:
    cal = calendar(dates=[date(2025, 3, 4)])
    monday = at(BERLIN, 2025, 3, 3, 16, 0)
    assert cal.add(monday, parse_duration("2bh")) == at(BERLIN, 2025, 3, 5, 10, 0)
    assert cal.business_seconds_between(monday, at(BERLIN, 2025, 3, 5, 10, 0)) == 2 * 3600


def test_dst_spring_forward_berlin() -> None:
    # 30 March 2025: clocks go from 02:00 to 03:00 in Berlin.
    cal = BusinessCalendar("24x7", "Europe/Berlin", [parse_hours("00:00-24:00")] * 7)
    start = at(BERLIN, 2025, 3, 30, 0, 0)
    end = at(BERLIN, 2025, 3, 31, 0, 0)
    assert cal.business_seconds_between(start, end) == 23 * 3600
    assert cal.add(start, parse_duration("3bh")) == at(BERLIN, 2025, 3, 30, 4, 0)
    # Business days keep the wall clock: 10:00 Friday → 10:00 Monday, across the change.
    office = calendar()
    monday = office.add(at(BERLIN, 2025, 3, 28, 10, 0), parse_duration("1bd"))
    assert monday == at(BERLIN, 2025, 3, 31, 10, 0)
    assert monday.astimezone(UTC).hour == 8  # CEST, was 09:00 UTC on Friday


def test_dst_fall_back_new_york() -> None:
    # 2 November 2025: clocks go from 02:00 back to 01:00 in New York.
    cal = BusinessCalendar("24x7", "America/New_York", [parse_hours("00:00-24:00")] * 7)
    start = at(NEW_YORK, 2025, 11, 2, 0, 0)
    assert cal.business_seconds_between(start, at(NEW_YORK, 2025, 11, 3, 0, 0)) == 25 * 3600
    assert cal.add(start, parse_duration("24bh")) == at(NEW_YORK, 2025, 11, 2, 23, 0)
    office = calendar("America/New_York")
    friday = at(NEW_YORK, 2025, 10, 31, 16, 30)
    assert office.add(friday, parse_duration("1bh")) == at(NEW_YORK, 2025, 11, 3, 9, 30)
    assert office.add(friday, parse_duration("1bd")).astimezone(NEW_YORK) == at(
        NEW_YORK, 2025, 11, 3, 16, 30
    )


def test_time_zones_differ() -> None:
    instant = datetime(2025, 3, 3, 16, 30, tzinfo=UTC)  # 17:30 Berlin, 11:30 New York
    berlin, new_york = calendar(), calendar("America/New_York")
    assert not berlin.is_business_time(instant)
    assert new_york.is_business_time(instant)
    assert berlin.add(instant, parse_duration("1bh")) == at(BERLIN, 2025, 3, 4, 10, 0)
    assert new_york.add(instant, parse_duration("1bh")) == at(NEW_YORK, 2025, 3, 3, 12, 30)


def test_elapsed_durations_ignore_the_calendar() -> None:
    cal = calendar()
    start = at(BERLIN, 2025, 3, 29, 12, 0)
    # 1d is 24 real hours: across the spring-forward night that is 13:00 local time.
    assert cal.add(start, parse_duration("1d")) == start.astimezone(UTC) + timedelta(hours=24)
    assert cal.add(start, parse_duration("1d")) == at(BERLIN, 2025, 3, 30, 13, 0)


def test_calendar_without_hours_is_refused() -> None:
    with pytest.raises(ValueError, match="no business hours"):
        BusinessCalendar("none", "UTC", [()] * 7)


def test_labels_are_strftime_to_the_byte() -> None:
    """Deadline notes and templates show moments through ``format_label``, which writes out
    what ``strftime`` would: every zone offset, DST side and year (unpadded below 1000)."""
    rng = random.Random(3)
    zones = [UTC, BERLIN, NEW_YORK, ZoneInfo("Asia/Kolkata"), ZoneInfo("Australia/Lord_Howe")]
    start = datetime(1, 2, 1, tzinfo=UTC)
    moments = [start + timedelta(minutes=rng.randrange(5_000_000_000)) for _ in range(2000)]
    moments += [at(UTC, 2025, 3, 30, 0, 0) + timedelta(minutes=7 * n) for n in range(30)]
    moments += [at(UTC, 999, 12, 31, 23, 59), at(UTC, 1000, 1, 1, 0, 0)]
    checked = 0
    for moment in moments * 3:
        local = moment.astimezone(rng.choice(zones))
        assert format_label(local) == local.strftime(LABEL)
        assert format_label(local, weekday=False) == local.strftime(LOCAL)
        checked += 1
    assert format_label(at(BERLIN, 2025, 3, 3, 9, 5)) == "Mon 2025-03-03 09:05 CET"
    assert format_label(at(UTC, 999, 1, 1, 0, 0), weekday=False) == "999-01-01 00:00 UTC"
    assert checked == 3 * len(moments)


def test_business_days_from_many_instants_agree_with_counting_days() -> None:
    """``bd`` deadlines share a per-calendar table of "n-th business day after a date";
    asked in any order and again, it gives what counting the open days one by one gives
    (Easter 2025 and an explicit date included)."""
    cal = calendar(country="DE", subdivision="BE", dates=[date(2025, 4, 24)])
    rng = random.Random(5)
    first = date(2025, 4, 1)
    asked = [(first + timedelta(days=rng.randrange(40)), rng.randrange(1, 15)) for _ in range(300)]
    for day, n in asked * 2:
        counted, cur = 0, day
        while counted < n:
            cur += timedelta(days=1)
            counted += bool(cal.intervals(cur))
        assert cal.business_day_after(day, n) == cur, (day, n)
    # Thursday 17 April 2025, 2bd: Good Friday, the weekend, Easter Monday, then 22 and 23
    assert cal.add_business_days(at(BERLIN, 2025, 4, 17, 10, 0), 2) == at(
        BERLIN, 2025, 4, 23, 10, 0
    )
