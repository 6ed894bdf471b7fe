"""The console blueprint, its template filters and what every page template receives."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint

from ...rules.calendar import format_label
from ...rules.durations import humanize
from ...views import defs_of, group_display, team_zone
from ..context import runtime
from ..signin import current_user

bp = Blueprint(
    "console",
    __name__,
    url_prefix="/console",
    template_folder="templates",
    static_folder="static",
)

#: (endpoint, label, lowest role): the navigation, filtered by the user's role.
NAV = (
    ("console.home", "My tickets", "agent"),
    ("console.updates", "Overdue updates", "lead"),
    ("console.escalations", "Stalled escalations", "lead"),
    ("console.metrics", "Team metrics", "lead"),
    ("console.failed_list", "Failed write-backs", "admin"),
    ("console.sandbox", "Sandbox", "agent"),
)


@bp.app_context_processor
def _page_context() -> dict[str, Any]:
    user = current_user()
    rt = runtime()
    nav = [
        (endpoint, label)
        for endpoint, label, role in NAV
        if user is not None
        and user.may(role)
        and (endpoint != "console.sandbox" or "sandbox" in rt.connectors)
    ]
    return {"user": user, "nav": nav, "now": rt.now(), "demo": rt.settings.demo_speed}


@bp.app_template_filter("when")
def when(value: datetime | str | None) -> str:
    """A moment in the team's zone (the rules' default calendar), as ``2026-11-30 15:05 CET``
    (empty for none): the zone the team works in and the timeline's deadlines use."""
    moment = _moment(value)
    if moment is None:
        return ""
    return format_label(moment.astimezone(team_zone(defs_of(runtime().rules))), weekday=False)


@bp.app_template_filter("group")
def group(value: str | None, connector: str | None = None) -> str:
    """A group id by its name in the rules (``L2 Network``), the id when they lack it."""
    return group_display(defs_of(runtime().rules), connector, value)


@bp.app_template_filter("ago")
def ago(value: datetime | str | None) -> str:
    """``3h 5m ago`` / ``in 20m`` relative to the bridge's clock (the demo clock in a demo)."""
    moment = _moment(value)
    if moment is None:
        return ""
    delta = (runtime().now() - moment).total_seconds()
    text = humanize(delta)
    return f"{text} ago" if delta >= 0 else f"in {text}"


@bp.app_template_filter("span")
def span(seconds: float | None) -> str:
    return "" if seconds is None else humanize(seconds)


@bp.app_template_filter("pct")
def pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


@bp.app_template_filter("epoch")
def epoch(value: float | None) -> str:
    return "" if value is None else when(datetime.fromtimestamp(value, UTC))


@bp.app_template_filter("epoch_ago")
def epoch_ago(value: float | None) -> str:
    """How long ago a wall-clock moment (a write-back failure) was: by the real clock, as
    such moments are real even under a demo clock."""
    if value is None:
        return ""
    delta = time.time() - value
    text = humanize(abs(delta))
    return f"{text} ago" if delta >= 0 else f"in {text}"


def _moment(value: datetime | str | None) -> datetime | None:
    """Read models give datetimes, the JSON views ISO text: both are shown alike."""
    if isinstance(value, str):
        return datetime.fromisoformat(value) if value else None
    return value
