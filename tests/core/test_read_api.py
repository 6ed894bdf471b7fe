"""Read API access rules and health checks."""

from __future__ import annotations

from typing import Any

from rq import SimpleWorker

from tco_bridge.web import create_app


def test_read_api_needs_bearer_token_when_configured(make_runtime: Any) -> None:
    client = create_app(runtime=make_runtime(TCO_API_TOKEN="s3cret-token")).test_client()
    assert client.get("/tickets/jira/SUP-1").status_code == 401
    wrong = client.get("/tickets/jira/SUP-1", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and "Bearer" in wrong.json["reason"]
    ok = client.get("/tickets/jira/SUP-1", headers={"Authorization": "Bearer s3cret-token"})
    assert ok.status_code == 404  # authorised; the ticket is simply unknown
    assert client.get("/healthz").status_code == 200  # health stays open


def test_without_token_only_loopback_may_read(make_runtime: Any) -> None:
    client = create_app(runtime=make_runtime()).test_client()
    local = client.get("/owners/jira/anna/tickets", environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert local.status_code == 200 and local.json["count"] == 0
    remote = client.get("/owners/jira/anna/tickets", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert remote.status_code == 401 and "loopback" in remote.json["reason"]


def test_readyz_reports_missing_worker_then_ready(make_runtime: Any) -> None:
    rt = make_runtime()
    client = create_app(runtime=rt).test_client()
    before = client.get("/readyz")
    assert before.status_code == 503 and before.json["checks"]["redis"] == "ok"
    assert "no worker" in before.json["checks"]["worker"]
    assert before.json["checks"]["clock"].startswith("never seen")
    from tco_bridge.clock import Clock

    Clock(rt).tick()
    worker = SimpleWorker([rt.queue], connection=rt.redis, serializer=rt.queue.serializer)
    worker.register_birth()
    worker.heartbeat()
    try:
        after = client.get("/readyz")
        assert after.status_code == 200, after.json
        assert after.json["ready"] is True
        assert after.json["checks"]["clock"] == "ok"
    finally:
        worker.register_death()


def test_write_limits_can_be_raised_from_the_environment(make_runtime: Any) -> None:
    import pytest

    from tco_bridge.errors import ConfigError

    rt = make_runtime(TCO_ZENDESK_WRITE_LIMITS="api=600/minute, ticket_update=90/minute")
    assert rt.write_limits("zendesk") == {
        "api": "600/minute",
        "ticket_update": "90/minute",
    }
    assert make_runtime().write_limits("zendesk")["api"] == "180/minute"
    with pytest.raises(ConfigError, match="TCO_ZENDESK_WRITE_LIMITS: 'api=lots'"):
        make_runtime(TCO_ZENDESK_WRITE_LIMITS="api=lots")


def test_an_unwritable_recording_stops_the_start_up(make_runtime: Any, tmp_path: Any) -> None:
    import pytest

    from tco_bridge.errors import ConfigError

    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(ConfigError, match="TCO_RECORD_FILE"):
        make_runtime(TCO_RECORD_FILE=str(blocker / "rec.jsonl"))
    nested = tmp_path / "new" / "dir" / "rec.jsonl"
    make_runtime(TCO_RECORD_FILE=str(nested))
    assert nested.exists()
