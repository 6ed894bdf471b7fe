"""Loading ``calendars:``: time zone, weekly hours, holidays (by country) and extra dates."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_pkg

from .calendar import WEEKDAYS, BusinessCalendar, Hours, parse_hours
from .yamlsrc import Node, Source


def load_calendars(src: Source, node: Node | None) -> dict[str, BusinessCalendar]:
    out: dict[str, BusinessCalendar] = {}
    for name, child in ((src.mapping(node) or {}) if node else {}).items():
        calendar = _calendar(src, name, child)
        if calendar is not None:
            out[name] = calendar
    return out


def _calendar(src: Source, name: str, node: Node) -> BusinessCalendar | None:
    keys = src.mapping(node, ("timezone", "hours", "holidays", "dates"), ("timezone", "hours"))
    if keys is None or "timezone" not in keys or "hours" not in keys:
        return None
    tz = src.string(keys["timezone"])
    if tz is not None:
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            src.error(
                keys["timezone"], f"unknown time zone {tz!r} (an IANA name like Europe/Berlin)"
            )
            tz = None
    hours = _hours(src, keys["hours"])
    country, subdivision = _holidays(src, keys["holidays"]) if "holidays" in keys else (None, None)
    dates = _dates(src, keys["dates"]) if "dates" in keys else []
    if tz is None or hours is None:
        return None
    try:
        return BusinessCalendar(
            name, tz, hours, country=country, subdivision=subdivision, dates=dates
        )
    except ValueError as exc:
        src.error(node, str(exc))
        return None


def _hours(src: Source, node: Node) -> list[Hours] | None:
    days = src.mapping(node, WEEKDAYS)
    if days is None:
        return None
    out: list[Hours] = []
    ok = True
    for day in WEEKDAYS:
        if day not in days:
            out.append(())
            continue
        text = src.string(days[day], empty_ok=True)
        try:
            out.append(parse_hours(text or ""))
        except ValueError as exc:
            src.error(days[day], str(exc))
            ok = False
    if ok and not any(out):
        src.error(node, "no business hours on any weekday")
        return None
    return out if ok else None


def _holidays(src: Source, node: Node) -> tuple[str | None, str | None]:
    keys = src.mapping(node, ("country", "subdivision"), ("country",)) or {}
    supported: dict[str, list[str]] = holidays_pkg.list_supported_countries()
    country = src.choice(keys["country"], supported, "country code") if "country" in keys else None
    subdivision = None
    if country is not None and "subdivision" in keys:
        subdivisions = supported[country]
        if not subdivisions:
            src.error(keys["subdivision"], f"country {country!r} has no subdivisions")
        else:
            subdivision = src.choice(keys["subdivision"], subdivisions, "subdivision")
    return country, subdivision


def _dates(src: Source, node: Node) -> list[date]:
    out = []
    for item in src.seq(node) or []:
        if isinstance(item.value, date):
            out.append(item.value)
            continue
        try:
            out.append(date.fromisoformat(str(item.value)))
        except ValueError:
            src.error(item, f"bad date {item.value!r} (expected YYYY-MM-DD)")
    return out
