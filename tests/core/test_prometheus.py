"""GET /metrics: the Prometheus text format, counts from every process, Redis facts."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import redis
from prometheus_client.parser import text_string_to_metric_families
from rq import SimpleWorker
from webhook_kit import jira_signed

from tco_bridge import keys, telemetry
from tco_bridge.clock import Clock
from tco_bridge.failed import FAILED
from tco_bridge.web import create_app

BODY = "jira/jira_cloud_issue_created__dangersvn.json"


def scrape(client: Any, **headers: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    answer = client.get("/metrics", headers=headers)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.content_type.startswith("text/plain; version=")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(answer.get_data(as_text=True))
        for s in family.samples
    }


def sample(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_need_the_metrics_token_or_the_api_token(make_runtime: Any) -> None:
    rt = make_runtime(TCO_METRICS_TOKEN="scrape-token-123", TCO_API_TOKEN="api-token-456")
    client = create_app(runtime=rt).test_client()
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and "TCO_METRICS_TOKEN" in wrong.json["reason"]
    scrape(client, Authorization="Bearer scrape-token-123")
    scrape(client, Authorization="Bearer api-token-456")
    assert (
        client.get(
            "/tickets/jira/TS-7", headers={"Authorization": "Bearer scrape-token-123"}
        ).status_code
        == 401
    )  # the scrape token reads metrics, not tickets


def test_without_tokens_only_loopback_may_scrape(make_runtime: Any) -> None:
    client = create_app(runtime=make_runtime()).test_client()
    remote = client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert remote.status_code == 401 and "loopback" in remote.json["reason"]
    scrape(client)


def test_webhooks_drain_timers_and_parked_groups_are_counted(
    make_runtime: Any, fixtures_dir: Path, redis_client: redis.Redis
) -> None:
    rt = make_runtime()
    client = create_app(runtime=rt).test_client()
    before = scrape(client)
    body = (fixtures_dir / BODY).read_bytes()
    headers = {**jira_signed(body), "X-Atlassian-Webhook-Identifier": "p-1"}
    assert client.post("/webhooks/jira", data=body, headers=headers).status_code == 202
    assert client.post("/webhooks/jira", data=body, headers=headers).status_code == 202
    bad = {**headers, "X-Hub-Signature": "sha256=" + "0" * 64}
    assert client.post("/webhooks/jira", data=body, headers=bad).status_code == 401
    assert client.post("/webhooks/nosuch", data=body, headers=headers).status_code == 404
    time.sleep(0.05)

    waiting = scrape(client)
    for answer, n in (("accepted", 1), ("duplicate", 1), ("401", 1)):
        name = "tco_webhooks_total"
        got = sample(waiting, name, connector="jira", answer=answer)
        assert got - sample(before, name, connector="jira", answer=answer) == n, answer
    unknown = sample(waiting, "tco_webhooks_total", connector="unknown", answer="404")
    assert unknown - sample(before, "tco_webhooks_total", connector="unknown", answer="404") == 1
    assert sample(waiting, "tco_queue_depth", queue="events") == 1
    assert sample(waiting, "tco_queue_depth", queue="jobs") == 1  # the shard's drain job
    assert sample(waiting, "tco_drain_lag_seconds") >= 0.05
    assert sample(waiting, "tco_events_applied_total", connector="jira") == 0
    assert sample(waiting, "tco_workers_alive") == 0
    assert sample(waiting, "tco_clock_heartbeat_age_seconds") == float("inf")

    SimpleWorker([rt.queue], connection=rt.redis, serializer=rt.queue.serializer).work(burst=True)
    drained = scrape(client)
    assert sample(drained, "tco_events_applied_total", connector="jira") >= 1
    assert sample(drained, "tco_queue_depth", queue="events") == 0
    assert sample(drained, "tco_drain_lag_seconds") == 0
    assert sample(drained, "tco_timers_pending") == redis_client.zcard(keys.TIMERS) > 0

    # a timer two seconds overdue, released by the clock (the ticket's own are years overdue)
    redis_client.delete(keys.TIMERS)
    redis_client.zadd(keys.TIMERS, {keys.timer_member(0, "jira", "TS-9", "x"): time.time() - 2})
    Clock(rt).tick()
    redis_client.hset(FAILED, "g-1", json.dumps({"id": "g-1"}))
    ticked = scrape(client)
    assert sample(ticked, "tco_timer_lateness_seconds_count") == 1
    assert 1.9 <= sample(ticked, "tco_timer_lateness_seconds_sum") < 5
    assert sample(ticked, "tco_timer_lateness_seconds_bucket", le="1.0") == 0
    assert sample(ticked, "tco_timer_lateness_seconds_bucket", le="2.5") == 1
    assert sample(ticked, "tco_clock_heartbeat_age_seconds") < 5
    assert sample(ticked, "tco_parked_groups") == 1
    assert sample(ticked, "tco_rules_reload_failed") == 0


def test_counts_from_other_processes_add_up_in_redis(redis_client: redis.Redis) -> None:
    for _ in range(3):  # three processes, or three hosts: one hash
        telemetry.count(redis_client, telemetry.THROTTLED, connector="zendesk")
    pipe = redis_client.pipeline()
    telemetry.count(pipe, telemetry.WRITEBACK_WAIT, 2.5, connector="zendesk", reason="rate_limit")
    pipe.execute()
    assert telemetry.value(redis_client, telemetry.THROTTLED, connector="zendesk") == 3
    stored = telemetry.read(redis_client)
    assert stored["tco_writeback_deferred_seconds"] == [
        ({"connector": "zendesk", "reason": "rate_limit"}, 2.5)
    ]
    try:
        telemetry.count(redis_client, telemetry.THROTTLED, tool="zendesk")
    except ValueError as exc:
        assert "takes labels ('connector',)" in str(exc)
    else:
        raise AssertionError("a wrong label must be refused")


def test_example_alert_rules_use_metrics_the_bridge_exposes(make_runtime: Any) -> None:
    import re

    from ruamel.yaml import YAML

    rules_file = Path(__file__).resolve().parents[2] / "docs" / "prometheus-alerts.yaml"
    groups = YAML(typ="safe").load(rules_file.read_text())["groups"]
    alerts = {rule["alert"]: rule["expr"] for group in groups for rule in group["rules"]}
    assert {"TcoDrainLag", "TcoParkedWriteBacks", "TcoNoWorker", "TcoNoClock"} <= set(alerts)
    page = create_app(runtime=make_runtime()).test_client().get("/metrics").get_data(as_text=True)
    families = list(text_string_to_metric_families(page))
    exposed = {f.name + ("_total" if f.type == "counter" else "") for f in families}
    exposed |= {f.name for f in families}
    for alert, expr in alerts.items():
        for name in re.findall(r"\btco_\w+", expr):
            assert name in exposed, f"{alert}: {name} is not exposed"
