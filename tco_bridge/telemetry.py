"""Counters of the worker and clock processes, kept in Redis so ``/metrics`` can show them.

Workers and clocks may run on other machines than the web process and have no HTTP port, so
prometheus-client's per-host multiprocess files cannot reach them. Their counts are added to
one Redis hash instead (one HINCRBYFLOAT per count, in the pipeline or transaction the process
already sends), summed over every process that ever ran, and exposed by the web's ``/metrics``
at scrape time (``prometheus.RedisCollector``). A flushed Redis starts them at 0 again, which
Prometheus reads as a counter reset.

Redis key: ``tco:metrics`` (hash, ``<name>|<labels as JSON>`` → value).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from . import keys
from .keys import text

KEY = keys.METRICS


@dataclass(frozen=True, slots=True)
class Metric:
    name: str
    help: str
    labels: tuple[str, ...] = ()


EVENTS_APPLIED = Metric(
    "tco_events_applied", "Ticket events applied by drain jobs.", ("connector",)
)
RULE_FAILURES = Metric(
    "tco_rule_failures", "Events whose rules failed at run time (applied without rules)."
)
WRITEBACK_ACTIONS = Metric(
    "tco_writeback_actions",
    "Write-back actions by connector, kind and result "
    "(performed, skipped, retried, parked, shadow).",
    ("connector", "kind", "result"),
)
WRITEBACK_DEFERRED = Metric(
    "tco_writeback_deferred",
    "Write-back jobs postponed before calling the tool (rate_limit: a write limit; "
    "ticket_busy: another job writes to the ticket).",
    ("connector", "reason"),
)
WRITEBACK_WAIT = Metric(
    "tco_writeback_deferred_seconds",
    "Seconds write-back jobs were postponed for, by connector and reason.",
    ("connector", "reason"),
)
THROTTLED = Metric(
    "tco_writeback_throttled", "429 answers from the ticket tool to write-backs.", ("connector",)
)
TIMER_LATENESS = Metric(
    "tco_timer_lateness_seconds", "How long after its due time the clock released a timer."
)
COUNTERS = (
    EVENTS_APPLIED,
    RULE_FAILURES,
    WRITEBACK_ACTIONS,
    WRITEBACK_DEFERRED,
    WRITEBACK_WAIT,
    THROTTLED,
)
HISTOGRAMS = (TIMER_LATENESS,)
BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, float("inf"))


def field(name: str, labels: Mapping[str, str]) -> str:
    return f"{name}|{json.dumps(dict(sorted(labels.items())), separators=(',', ':'))}"


def count(target: Any, metric: Metric, amount: float = 1, **labels: str) -> None:
    """Add ``amount`` to a counter; ``target`` is a client, pipeline or transaction."""
    if set(labels) != set(metric.labels):
        raise ValueError(f"{metric.name} takes labels {metric.labels}, not {tuple(labels)}")
    target.hincrbyfloat(KEY, field(metric.name, labels), amount)


def observe(target: Any, metric: Metric, values: Iterable[float]) -> None:
    """Record observations in a histogram (cumulative buckets, sum and count), one write each."""
    values = list(values)
    if not values:
        return
    for bound in BUCKETS:
        hits = sum(1 for v in values if v <= bound)
        if hits:
            target.hincrbyfloat(KEY, field(metric.name + "_bucket", {"le": le_label(bound)}), hits)
    target.hincrbyfloat(KEY, field(metric.name + "_sum", {}), sum(values))
    target.hincrbyfloat(KEY, field(metric.name + "_count", {}), len(values))


def le_label(bound: float) -> str:
    return "+Inf" if bound == float("inf") else repr(bound)


def read(client: Any) -> dict[str, list[tuple[dict[str, str], float]]]:
    """Every stored sample by name: ``{name: [(labels, value), ...]}``."""
    out: dict[str, list[tuple[dict[str, str], float]]] = {}
    for raw_field, raw_value in client.hgetall(KEY).items():
        name, _, labels = text(raw_field).partition("|")
        out.setdefault(name, []).append((json.loads(labels or "{}"), float(raw_value)))
    return out


def value(client: Any, metric: Metric, **labels: str) -> float:
    """One counter's value now (0 when never counted): for tests and the CLI."""
    raw = client.hget(KEY, field(metric.name, labels))
    return float(raw) if raw is not None else 0.0
