"""``GET /metrics`` in the Prometheus text format, right with several gunicorn workers and with
worker and clock processes elsewhere.

Three sources make one answer:

* the web process's own counter (webhooks by connector and answer) uses prometheus-client's
  multiprocess mode: each gunicorn worker writes its counts to files in
  ``PROMETHEUS_MULTIPROC_DIR`` and whichever worker answers the scrape sums them.
  ``tco-bridge web`` (and ``make run``) sets that folder up before gunicorn starts
  (:func:`prepare_multiprocess_dir`: ``<TCO_DATA_DIR>/prometheus`` unless set, emptied at each
  start) and drops a dead worker's live gauges (:func:`child_exit`, a gunicorn hook);
* the worker and clock processes' counters live in Redis (``telemetry.py``);
* facts that are Redis state (drain lag, queue depth, timers pending, parked groups, workers
  and clock alive) are read from Redis at scrape time by :class:`RedisCollector`.

Run without multiprocess mode (one process, the tests), the counter is read from the process.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

from . import keys, telemetry
from .failed import FAILED
from .runtime import Runtime

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
WORKER_ALIVE_S = 60.0

WEBHOOKS = Counter(
    "tco_webhooks",
    "Webhook deliveries by connector and answer (accepted, duplicate, ignored, or the HTTP "
    "status of a refusal).",
    ["connector", "answer"],
    registry=None,  # registered per scrape (render); multiprocess mode reads the files instead
)


def count_webhook(connector: str, answer: str | int) -> None:
    WEBHOOKS.labels(connector, str(answer)).inc()


def prepare_multiprocess_dir(env: dict[str, str], data_dir: Path) -> Path:
    """Choose (``<data_dir>/prometheus`` unless set) and empty the folder, before gunicorn
    starts: files left by an earlier run would be summed into this one's counts."""
    folder = Path(env.get(MULTIPROC_ENV) or data_dir / "prometheus")
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()
    env[MULTIPROC_ENV] = str(folder.resolve())
    return folder


def child_exit(server: Any, worker: Any) -> None:
    """gunicorn hook (``tco_bridge.gunicorn_conf``): a dead worker's live gauges are dropped."""
    if os.environ.get(MULTIPROC_ENV):
        mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


def render(rt: Runtime, multiproc_dir: str | None) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    if multiproc_dir:
        MultiProcessCollector(registry, path=multiproc_dir)  # type: ignore[no-untyped-call]
    else:
        registry.register(WEBHOOKS)
    registry.register(RedisCollector(rt))
    return generate_latest(registry)


class RedisCollector:
    """What Redis knows, read when Prometheus scrapes (never cached: one scrape, one read)."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def collect(self) -> Iterator[Metric]:
        rt, client = self.rt, self.rt.redis
        shards = range(rt.settings.shards)
        pipe = client.pipeline(transaction=False)
        pipe.time()
        for shard in shards:
            pipe.xrange(keys.stream(shard), count=1)
        for shard in shards:
            pipe.xlen(keys.stream(shard))
        pipe.llen(rt.queue.key)
        pipe.llen(keys.OUTBOX)
        pipe.zcard(keys.TIMERS)
        pipe.hlen(FAILED)
        pipe.get(keys.heartbeat("clock"))
        now_s, now_us, *rest = _flatten_time(pipe.execute())
        n = len(shards)
        oldest, lengths = rest[:n], rest[n : 2 * n]
        jobs, outbox, timers, parked, beat = rest[2 * n :]
        now = now_s + now_us / 1e6
        firsts = [_entry_ms(first[0][0]) / 1000 for first in oldest if first]
        yield _gauge(
            "tco_drain_lag_seconds",
            "Age of the oldest event not applied yet (0 when every stream is empty).",
            max((now - t for t in firsts), default=0.0),
        )
        depth = GaugeMetricFamily(
            "tco_queue_depth",
            "Work waiting: events in the shard streams, RQ jobs queued, write-back groups in "
            "the outbox.",
            labels=["queue"],
        )
        depth.add_metric(["events"], sum(lengths))
        depth.add_metric(["jobs"], jobs)
        depth.add_metric(["outbox"], outbox)
        yield depth
        yield _gauge("tco_timers_pending", "Timers waiting for their due time.", timers)
        yield _gauge("tco_parked_groups", "Write-back groups parked for an admin.", parked)
        yield _gauge("tco_workers_alive", "RQ workers with a recent heartbeat.", self._workers())
        yield _gauge(
            "tco_clock_heartbeat_age_seconds",
            "Seconds since a clock last beat (+Inf: never seen); timers fire only with a clock.",
            time.time() - float(beat) if beat is not None else float("inf"),
        )
        yield _gauge(
            "tco_rules_reload_failed",
            "1 when the rules file changed and failed to load (the last good rules run).",
            0.0 if rt.rules_source.error is None else 1.0,
        )
        yield from stored(client)

    def _workers(self) -> int:
        from rq import Worker

        cutoff = time.time() - WORKER_ALIVE_S
        workers = Worker.all(connection=self.rt.redis, queue=self.rt.queue)
        return sum(1 for w in workers if w.last_heartbeat and w.last_heartbeat.timestamp() > cutoff)


def stored(client: Any) -> Iterator[Metric]:
    """The worker and clock counters kept in Redis (``telemetry.py``), every declared one
    shown even before its first count."""
    samples = telemetry.read(client)
    for metric in telemetry.COUNTERS:
        family = CounterMetricFamily(metric.name, metric.help, labels=list(metric.labels))
        for labels, number in sorted(samples.get(metric.name, []), key=lambda s: sorted(s[0])):
            family.add_metric([labels[k] for k in metric.labels], number)
        yield family
    for metric in telemetry.HISTOGRAMS:
        cumulative = {lab["le"]: v for lab, v in samples.get(metric.name + "_bucket", [])}
        buckets = [
            (le, cumulative.get(le, 0.0)) for le in map(telemetry.le_label, telemetry.BUCKETS)
        ]
        total = sum(v for _, v in samples.get(metric.name + "_sum", []))
        histogram = HistogramMetricFamily(metric.name, metric.help)
        histogram.add_metric([], buckets, total)
        yield histogram


def _gauge(name: str, help_text: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, help_text, value=value)


def _entry_ms(entry_id: bytes | str) -> int:
    return int((entry_id.decode() if isinstance(entry_id, bytes) else entry_id).split("-")[0])


def _flatten_time(replies: list[Any]) -> list[Any]:
    """``TIME`` answers a pair; put it first as two values."""
    (seconds, micros), *rest = replies
    return [int(seconds), int(micros), *rest]
