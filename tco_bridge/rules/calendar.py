"""Business-time arithmetic on a calendar: time zone, weekly hours, holidays.

All instants in and out are aware datetimes (returned in UTC). Opening hours are wall-clock
times in the calendar's zone, turned into UTC per local date with :mod:`zoneinfo`, so a day
with a DST change simply has a shorter or longer interval, and the arithmetic counts the real
seconds that pass inside business hours. A wall-clock time that does not exist (in the
spring-forward gap) is read with the offset before the change, the ``fold=0`` rule.

Business days (``bd``) keep the wall-clock time: ``1bd`` from Friday 10:00 is the next
business day at 10:00 (clamped into that day's hours), whatever DST did in between. A start
outside business hours first moves to the next opening.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays as holidays_pkg

from .durations import Duration

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: Longest search for business time before giving up (a calendar with no hours at all).
MAX_DAYS = 3660
#: Deadlines kept per calendar (a plain bound: the cache starts over when full).
ADD_CACHE_SIZE = 8192
LABEL = "%a %Y-%m-%d %H:%M %Z"
ONE_DAY = timedelta(days=1)  # built once: the day loops step by it
#: A moment as templates show it (``due_local``, ``timers``...).
LOCAL = "%Y-%m-%d %H:%M %Z"
#: ``%a`` in the C locale (the process never sets LC_TIME), Monday first.
_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

Interval = tuple[datetime, datetime]
Hours = tuple[tuple[time, time | None], ...]  # None as end: 24:00


class BusinessCalendar:
    """A named calendar; pure, with per-date caches (holidays and intervals)."""

    def __init__(
        self,
        name: str,
        timezone: str,
        hours: Sequence[Hours],
        *,
        country: str | None = None,
        subdivision: str | None = None,
        dates: Iterable[date] = (),
    ) -> None:
        if len(hours) != 7:
            raise ValueError("hours need one entry per weekday, Monday first")
        self.name = name
        self.timezone = timezone
        self.tz = ZoneInfo(timezone)
        self.hours = tuple(hours)
        self.country = country
        self.subdivision = subdivision
        self.dates = frozenset(dates)
        self._holidays = (
            holidays_pkg.country_holidays(country, subdiv=subdivision) if country else None
        )
        self._day_cache: dict[date, tuple[Interval, ...]] = {}
        #: ``add`` results by (start, business seconds, business days): the rules ask for the
        #: same deadlines again (several timers from one anchor, each re-arm of a cadence).
        self._add_cache: dict[tuple[datetime, int, int], datetime] = {}
        self._label_cache: dict[datetime, str] = {}
        #: The n-th business day after a local date, by (date, n): ``bd`` deadlines from
        #: different instants of one day walk the same days.
        self._day_after_cache: dict[tuple[date, int], date] = {}
        if not any(self.hours):
            raise ValueError(f"calendar {name!r} has no business hours on any weekday")

    # --- days ---------------------------------------------------------------------------
    def is_holiday(self, day: date) -> bool:
        return day in self.dates or (self._holidays is not None and day in self._holidays)

    def intervals(self, day: date) -> tuple[Interval, ...]:
        """Business intervals of a local date, in UTC; empty on weekends and holidays."""
        cached = self._day_cache.get(day)
        if cached is not None:
            return cached
        result: tuple[Interval, ...] = ()
        if not self.is_holiday(day):
            result = tuple(
                (self._instant(day, start), self._instant(day, end))
                for start, end in self.hours[day.weekday()]
            )
        self._day_cache[day] = result
        return result

    def _instant(self, day: date, at: time | None) -> datetime:
        if at is None:  # 24:00 is the next local midnight
            return datetime.combine(day + timedelta(days=1), time(0), self.tz).astimezone(UTC)
        return datetime.combine(day, at, self.tz).astimezone(UTC)

    def local_date(self, instant: datetime) -> date:
        return instant.astimezone(self.tz).date()

    def is_business_time(self, instant: datetime) -> bool:
        instant = instant.astimezone(UTC)
        return any(s <= instant < e for s, e in self.intervals(self.local_date(instant)))

    def label(self, instant: datetime) -> str:
        """``instant`` on this calendar's wall clock, as deadline explanations show it."""
        text = self._label_cache.get(instant)
        if text is None:
            if len(self._label_cache) >= ADD_CACHE_SIZE:
                self._label_cache.clear()
            text = self._label_cache[instant] = format_label(instant.astimezone(self.tz))
        return text

    # --- arithmetic ---------------------------------------------------------------------
    def add(self, start: datetime, duration: Duration) -> datetime:
        """``start`` plus ``duration``: elapsed, business seconds or business days."""
        if not duration.business:
            return start.astimezone(UTC) + timedelta(seconds=duration.seconds)
        key = (start, duration.seconds, duration.days)  # the dataclass's own hash is slow
        cached = self._add_cache.get(key)
        if cached is not None:
            return cached
        if duration.days:
            due = self.add_business_days(start, duration.days)
        else:
            due = self.add_business_seconds(start, duration.seconds)
        if len(self._add_cache) >= ADD_CACHE_SIZE:
            self._add_cache.clear()
        self._add_cache[key] = due
        return due

    def add_business_seconds(self, start: datetime, seconds: float) -> datetime:
        cur = start.astimezone(UTC)
        if seconds <= 0:
            return cur
        remaining = float(seconds)
        day = self.local_date(cur)
        for _ in range(MAX_DAYS):
            for s, e in self.intervals(day):
                if e <= cur:
                    continue
                s = max(s, cur)
                available = (e - s).total_seconds()
                if remaining <= available:
                    return s + timedelta(seconds=remaining)
                remaining -= available
                cur = e
            day += ONE_DAY
        raise ValueError(f"calendar {self.name!r}: no business time within {MAX_DAYS} days")

    def next_open(self, instant: datetime) -> datetime:
        """``instant`` if it is business time, else the next opening."""
        cur = instant.astimezone(UTC)
        day = self.local_date(cur)
        for _ in range(MAX_DAYS):
            for s, e in self.intervals(day):
                if cur < e:
                    return max(s, cur)
            day += ONE_DAY
        raise ValueError(f"calendar {self.name!r}: no business time within {MAX_DAYS} days")

    def add_business_days(self, start: datetime, days: int) -> datetime:
        opened = self.next_open(start)
        if days <= 0:
            return opened
        local = opened.astimezone(self.tz)
        day = self.business_day_after(local.date(), days)
        return self._clamp(day, local.time().replace(tzinfo=None))

    def business_day_after(self, day: date, days: int) -> date:
        """The ``days``-th business day after the local date ``day`` (``days`` >= 1)."""
        key = (day, days)
        found = self._day_after_cache.get(key)
        if found is not None:
            return found
        count = 0
        for _ in range(MAX_DAYS):
            day += ONE_DAY
            if self.intervals(day):
                count += 1
                if count == days:
                    if len(self._day_after_cache) >= ADD_CACHE_SIZE:
                        self._day_after_cache.clear()
                    self._day_after_cache[key] = day
                    return day
        raise ValueError(f"calendar {self.name!r}: no business day within {MAX_DAYS} days")

    def _clamp(self, day: date, wall: time) -> datetime:
        """The instant at wall-clock ``wall`` on ``day``, moved into that day's hours."""
        intervals = self.intervals(day)
        target = datetime.combine(day, wall, self.tz).astimezone(UTC)
        for s, e in intervals:
            if target < s:
                return s
            if target <= e:
                return target
        return intervals[-1][1]

    def business_seconds_between(self, a: datetime, b: datetime) -> float:
        """Seconds of business time in ``[a, b)``; negative when ``b`` is before ``a``."""
        a, b = a.astimezone(UTC), b.astimezone(UTC)
        if b < a:
            return -self.business_seconds_between(b, a)
        total = 0.0
        day, last = self.local_date(a) - timedelta(days=1), self.local_date(b)
        while day <= last:
            for s, e in self.intervals(day):
                lo, hi = max(s, a), min(e, b)
                if hi > lo:
                    total += (hi - lo).total_seconds()
            day += ONE_DAY
        return total


def parse_hours(text: str) -> Hours:
    """``"09:00-12:00, 13:00-17:30"`` → intervals; ``"closed"`` or ``""`` → none.

    Raises ValueError with the reason; ends may be ``24:00``; ranges must not overlap.
    """
    text = text.strip()
    if text in ("", "closed"):
        return ()
    out: list[tuple[time, time | None]] = []
    previous_end = -1
    for part in text.split(","):
        start_text, sep, end_text = part.strip().partition("-")
        if not sep:
            raise ValueError(f"bad hours {part.strip()!r} (expected HH:MM-HH:MM)")
        start, start_min = _clock(start_text)
        end, end_min = _clock(end_text)
        if start is None:
            raise ValueError(f"bad hours {part.strip()!r}: 24:00 can only end a range")
        if end_min <= start_min:
            raise ValueError(f"bad hours {part.strip()!r}: the range ends before it starts")
        if start_min < previous_end:
            raise ValueError(f"bad hours {part.strip()!r}: overlaps the range before it")
        previous_end = end_min
        out.append((start, end))
    return tuple(out)


def _clock(text: str) -> tuple[time | None, int]:
    hh, sep, mm = text.strip().partition(":")
    if not sep or not hh.isdigit() or not mm.isdigit() or len(mm) != 2:
        raise ValueError(f"bad time {text.strip()!r} (expected HH:MM)")
    h, m = int(hh), int(mm)
    if (h, m) == (24, 0):
        return None, 24 * 60
    if h > 23 or m > 59:
        raise ValueError(f"bad time {text.strip()!r} (expected HH:MM)")
    return time(h, m), h * 60 + m


def wall_clock(at: datetime, calendar: BusinessCalendar | None) -> str:
    """A moment in the calendar's time zone (UTC without one), for deadline explanations."""
    return calendar.label(at) if calendar is not None else format_label(at.astimezone(UTC))


def format_label(local: datetime, *, weekday: bool = True) -> str:
    """``local.strftime(LABEL)`` (without ``%a `` when not ``weekday``: the templates' form),
    written out: strftime with ``%Z`` costs three times as much, and every deadline
    explanation and many templates show a few of these."""
    if local.year < 1000:  # strftime does not pad such years; keep its text exactly
        return local.strftime(LABEL if weekday else LOCAL)
    text = "%04d-%02d-%02d %02d:%02d %s" % (  # noqa: UP031 (the fastest form)
        local.year,
        local.month,
        local.day,
        local.hour,
        local.minute,
        local.tzname() or "",
    )
    return f"{_DAY_NAMES[local.weekday()]} {text}" if weekday else text
