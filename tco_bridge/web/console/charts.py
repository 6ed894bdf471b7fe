"""Team metrics as SVG, drawn on the server by pygal: no JavaScript, no CDN.

Each function takes rows from :mod:`tco_bridge.metrics` / :mod:`tco_bridge.team_metrics` and
returns an SVG document to inline in a page (pygal escapes every label).
"""

from __future__ import annotations

import sys
from typing import Any

import pygal
from pygal.style import Style

# pygal appends a legacy import hook for its map plugins (unused here); with it, every failed
# import anywhere in the process warns (ImportWarning, an error under the test settings).
sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, pygal.PluginImportFixer)]

STYLE = Style(
    background="transparent",
    plot_background="transparent",
    foreground="#1f2937",
    foreground_strong="#111827",
    foreground_subtle="#6b7280",
    colors=("#2563eb", "#f59e0b", "#10b981", "#ef4444"),
    font_family="system-ui, sans-serif",
    title_font_size=15,
    label_font_size=12,
    major_label_font_size=12,
    value_font_size=11,
    legend_font_size=12,
    no_data_font_size=18,
)
_COMMON: dict[str, Any] = {
    "js": [],  # pygal's tooltips load scripts from the web: none here
    "disable_xml_declaration": True,
    "style": STYLE,
    "width": 560,
    "height": 300,
    "print_values": True,
    "margin": 12,
    "no_data_text": "no data yet",
    "truncate_label": 18,
    "truncate_legend": -1,
    "legend_at_bottom": True,
}


def _svg(chart: Any) -> str:
    svg: str = chart.render(is_unicode=True)
    return svg


def bars(title: str, labels: list[str], series: dict[str, list[float | None]], **opts: Any) -> str:
    """A bar chart: one bar per label and series."""
    chart = pygal.Bar(title=title, show_legend=len(series) > 1, **{**_COMMON, **opts})
    chart.x_labels = labels
    for name, values in series.items():
        chart.add(name, values)
    return _svg(chart)


def fcr_chart(rows: list[dict[str, Any]]) -> str:
    labels = [r["key"] for r in rows]
    values = [_pct(r["first_contact_resolution"]) for r in rows]
    return bars(
        "First-contact resolution (%)",
        labels,
        {"FCR %": values},
        range=(0, 100),
        value_formatter=_pct_text,
    )


def escalation_chart(rows: list[dict[str, Any]]) -> str:
    return bars(
        "Escalation duration per group (minutes)",
        [r["group"] for r in rows],
        {
            "mean time in group": [r["mean_minutes"] for r in rows],
            "mean time to pickup": [r["mean_pickup_minutes"] for r in rows],
        },
    )


def cadence_chart(rows: list[dict[str, Any]]) -> str:
    chart = pygal.Line(
        title="Customer-update cadence compliance (%)",
        show_legend=False,
        range=(0, 100),
        value_formatter=_pct_text,
        x_label_rotation=30,
        **_COMMON,
    )
    chart.x_labels = [r["day"] for r in rows]
    chart.add("compliance %", [_pct(r["cadence_compliance"]) for r in rows])
    return _svg(chart)


def resolution_chart(rows: list[dict[str, Any]]) -> str:
    owners = [r["owner"] for r in rows]
    return bars("Resolutions per owner", owners, {"resolved": [r["resolved"] for r in rows]})


def resolution_time_chart(rows: list[dict[str, Any]]) -> str:
    return bars(
        "Mean hours to resolve, per owner",
        [r["owner"] for r in rows],
        {"hours": [r["mean_hours"] for r in rows]},
    )


def _pct(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


def _pct_text(value: float | None) -> str:
    return "-" if value is None else f"{value:g}%"
