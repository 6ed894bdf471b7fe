"""The webhook receiver over HTTP: every answer a sender can get, and nothing lost."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import redis
from webhook_kit import jira_signed, zendesk_signed

from tco_bridge import keys
from tco_bridge.errors import ConfigError
from tco_bridge.web import create_app


@pytest.fixture
def client(make_runtime: Any) -> Any:
    return create_app(runtime=make_runtime()).test_client()


def fixture_bytes(fixtures_dir: Path, rel: str) -> bytes:
    return (fixtures_dir / rel).read_bytes()


def queued(redis_client: redis.Redis) -> int:
    return sum(redis_client.xlen(keys.stream(s)) for s in range(8))


def test_signed_jira_delivery_is_accepted_and_queued(
    client: Any, fixtures_dir: Path, redis_client: redis.Redis
) -> None:
    body = fixture_bytes(fixtures_dir, "jira/jira_cloud_issue_created__dangersvn.json")
    headers = {**jira_signed(body), "X-Atlassian-Webhook-Identifier": "d-1"}
    response = client.post("/webhooks/jira", data=body, headers=headers)
    assert response.status_code == 202
    assert response.json["status"] == "accepted" and response.json["delivery"] == "d-1"
    assert response.json["events"] >= 1
    assert queued(redis_client) == 1


def test_duplicate_delivery_is_acknowledged_not_queued_again(
    client: Any, fixtures_dir: Path, redis_client: redis.Redis
) -> None:
    body = fixture_bytes(fixtures_dir, "jira/jira_cloud_comment_created__dangersvn.json")
    headers = {**jira_signed(body), "X-Atlassian-Webhook-Identifier": "d-2"}
    assert client.post("/webhooks/jira", data=body, headers=headers).status_code == 202
    again = client.post("/webhooks/jira", data=body, headers=headers)
    assert again.status_code == 202 and again.json["status"] == "duplicate"
    assert queued(redis_client) == 1


def test_delivery_without_id_dedupes_on_body_hash(
    client: Any, fixtures_dir: Path, redis_client: redis.Redis
) -> None:
    body = fixture_bytes(fixtures_dir, "jira/jira_dc_issue_created__crystalvjohnston.json")
    first = client.post("/webhooks/jira", data=body, headers=jira_signed(body))
    second = client.post("/webhooks/jira", data=body, headers=jira_signed(body))
    assert first.json["delivery"].startswith("sha256:")
    assert (first.json["status"], second.json["status"]) == ("accepted", "duplicate")
    assert queued(redis_client) == 1


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda h, b: ({k: v for k, v in h.items() if k != "X-Hub-Signature"}, b), "missing"),
        (lambda h, b: (h, b + b" "), "match"),
        (lambda h, b: (jira_signed(b, "wrong-secret"), b), "match"),
        (lambda h, b: ({**h, "X-Hub-Signature": "md5=abc"}, b), "sha256"),
    ],
    ids=["missing-header", "tampered-body", "wrong-secret", "malformed-header"],
)
def test_bad_jira_signatures_get_401(
    client: Any, fixtures_dir: Path, redis_client: redis.Redis, mutate: Any, reason: str
) -> None:
    body = fixture_bytes(fixtures_dir, "jira/jira_cloud_issue_created__dangersvn.json")
    headers, sent = mutate(jira_signed(body), body)
    response = client.post("/webhooks/jira", data=sent, headers=headers)
    assert response.status_code == 401
    assert reason in response.json["reason"].lower()
    assert queued(redis_client) == 0


def test_zendesk_signed_event_accepted_and_stale_timestamp_refused(
    client: Any, fixtures_dir: Path, redis_client: redis.Redis
) -> None:
    body = fixture_bytes(fixtures_dir, "zendesk/zendesk_event_ticket_created__skyhook.json")
    ok = client.post("/webhooks/zendesk", data=body, headers=zendesk_signed(body))
    assert ok.status_code == 202 and ok.json["delivery"] == "cbe4028c-7239-495d-b020-f22348516046"
    stale = client.post(
        "/webhooks/zendesk", data=body, headers=zendesk_signed(body, when="2021-03-25T05:09:27Z")
    )
    assert stale.status_code == 401
    assert queued(redis_client) == 1


def test_unsigned_refused_without_secret_unless_allowed(
    make_runtime: Any, fixtures_dir: Path
) -> None:
    body = fixture_bytes(fixtures_dir, "jira/jira_cloud_issue_created__dangersvn.json")
    plain = {"Content-Type": "application/json"}
    strict = create_app(runtime=make_runtime(TCO_JIRA_WEBHOOK_SECRET="")).test_client()
    refused = strict.post("/webhooks/jira", data=body, headers=plain)
    assert refused.status_code == 401 and "TCO_ALLOW_UNSIGNED" in refused.json["reason"]
    lax = create_app(
        runtime=make_runtime(TCO_JIRA_WEBHOOK_SECRET="", TCO_ALLOW_UNSIGNED="1")
    ).test_client()
    assert lax.post("/webhooks/jira", data=body, headers=plain).status_code == 202


def test_configured_secret_makes_signature_mandatory_even_when_unsigned_allowed(
    make_runtime: Any, fixtures_dir: Path
) -> None:
    body = fixture_bytes(fixtures_dir, "jira/jira_cloud_issue_created__dangersvn.json")
    app = create_app(runtime=make_runtime(TCO_ALLOW_UNSIGNED="1")).test_client()
    response = app.post("/webhooks/jira", data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("connector", "rel"),
    [
        ("jira", "jira/partial/jira_cloud_issue_updated_assignee_change__sentry_stub.json"),
        ("jira", "jira/partial/jira_cloud_issue_updated_status_change__sentry_stub.json"),
        ("zendesk", "zendesk/other-integrations/zendesk_trigger_ticket_create_update__zulip.json"),
        (
            "zendesk",
            "zendesk/other-integrations/zendesk_trigger_message_with_ticket_id_and_title__zulip.json",
        ),
    ],
)
def test_signed_but_unreadable_payloads_get_400_with_reason(
    client: Any, fixtures_dir: Path, redis_client: redis.Redis, connector: str, rel: str
) -> None:
    body = fixture_bytes(fixtures_dir, rel)
    headers = jira_signed(body) if connector == "jira" else zendesk_signed(body)
    response = client.post(f"/webhooks/{connector}", data=body, headers=headers)
    assert response.status_code == 400
    assert len(response.json["reason"]) > 10
    assert queued(redis_client) == 0


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[1, 2, 3]", b"", b"\xff\xfe\x00", b'"just a string"', b"null"],
)
def test_malformed_bodies_get_400_never_500(client: Any, body: bytes) -> None:
    response = client.post("/webhooks/jira", data=body, headers=jira_signed(body))
    assert response.status_code == 400, response.json
    assert response.json["reason"]


def test_zendesk_unused_event_type_is_acknowledged_and_ignored(
    client: Any, fixtures_dir: Path, redis_client: redis.Redis
) -> None:
    rel = "zendesk/zendesk_event_ticket_attachment_linked_to_comment__hatappo_README.json"
    body = fixture_bytes(fixtures_dir, rel)
    response = client.post("/webhooks/zendesk", data=body, headers=zendesk_signed(body))
    assert response.status_code == 202 and response.json["status"] == "ignored"
    assert queued(redis_client) == 0


def test_wrong_content_type_gets_415(client: Any) -> None:
    body = b'{"webhookEvent": "jira:issue_created"}'
    headers = {**jira_signed(body), "Content-Type": "text/plain"}
    response = client.post("/webhooks/jira", data=body, headers=headers)
    assert response.status_code == 415 and "application/json" in response.json["reason"]


def test_oversized_body_gets_413(make_runtime: Any) -> None:
    app = create_app(runtime=make_runtime(TCO_MAX_BODY_BYTES="1000")).test_client()
    body = json.dumps({"webhookEvent": "jira:issue_created", "pad": "x" * 2000}).encode()
    response = app.post("/webhooks/jira", data=body, headers=jira_signed(body))
    assert response.status_code == 413 and "limit" in response.json["reason"]


def test_unknown_connector_gets_404(client: Any) -> None:
    response = client.post("/webhooks/servicenow", data=b"{}", headers=jira_signed(b"{}"))
    assert response.status_code == 404 and response.json["known"] == ["jira", "zendesk"]


def test_redis_down_is_503_so_the_tool_retries(make_runtime: Any, fixtures_dir: Path) -> None:
    from tco_bridge.config import Settings
    from tco_bridge.runtime import Runtime

    base = make_runtime()
    runtime = Runtime(
        settings=base.settings, redis_url="redis://127.0.0.1:1/0", connectors=base.connectors
    )
    body = fixture_bytes(fixtures_dir, "jira/jira_cloud_issue_created__dangersvn.json")
    client = create_app(runtime=runtime).test_client()
    response = client.post("/webhooks/jira", data=body, headers=jira_signed(body))
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert isinstance(base.settings, Settings)
    # every route that needs Redis says the same, never 500
    for path in ("/tickets/jira/TS-7", "/owners/jira/anna/tickets", "/agents/away"):
        answer = client.get(path)
        assert (answer.status_code, answer.headers.get("Retry-After")) == (503, "5"), path
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json["checks"]["redis"].startswith("unreachable")
    assert client.get("/healthz").status_code == 200


def test_recording_writes_replayable_jsonl(
    make_runtime: Any, fixtures_dir: Path, tmp_path: Path
) -> None:
    record = tmp_path / "deliveries.jsonl"
    app = create_app(runtime=make_runtime(TCO_RECORD_FILE=str(record))).test_client()
    body = fixture_bytes(fixtures_dir, "jira/jira_cloud_issue_created__dangersvn.json")
    app.post("/webhooks/jira", data=body, headers={**jira_signed(body), "Authorization": "x"})
    [line] = record.read_text().splitlines()
    entry = json.loads(line)
    assert entry["connector"] == "jira" and entry["body"].encode() == body
    assert "x-hub-signature" in entry["headers"] and "authorization" not in entry["headers"]
    assert entry["received_at"].endswith("+00:00")


def test_health_is_open(client: Any) -> None:
    assert client.get("/healthz").json == {"status": "ok"}


def _view_calls(app: Any) -> list[str]:
    """Count the Flask view's calls, to tell the fast path's answers from the view's."""
    calls: list[str] = []
    view = app.view_functions["webhooks.receive"]

    def counted(name: str) -> Any:
        calls.append(name)
        return view(name)

    app.view_functions["webhooks.receive"] = counted
    return calls


def _webhook_count(answer: str) -> float:
    from tco_bridge.prometheus import WEBHOOKS

    return WEBHOOKS.labels("jira", answer)._value.get()  # type: ignore[no-any-return]


def test_fast_path_accepts_without_the_view_and_hands_the_rest_to_it(
    make_runtime: Any, fixtures_dir: Path, redis_client: redis.Redis
) -> None:
    app = create_app(runtime=make_runtime())
    calls, client = _view_calls(app), app.test_client()
    body = fixture_bytes(fixtures_dir, "jira/jira_cloud_issue_created__dangersvn.json")
    headers = {**jira_signed(body), "X-Atlassian-Webhook-Identifier": "fast-1"}
    accepted = _webhook_count("accepted")
    first = client.post("/webhooks/jira", data=body, headers=headers)
    assert (first.status_code, first.json["status"], first.json["delivery"]) == (
        202,
        "accepted",
        "fast-1",
    )
    assert first.headers["Content-Type"] == "application/json"
    assert calls == [] and queued(redis_client) == 1
    assert _webhook_count("accepted") == accepted + 1
    again = client.post("/webhooks/jira", data=body, headers=headers)
    assert again.json["status"] == "duplicate" and calls == [] and queued(redis_client) == 1
    # refused by the receiver: the view verifies again and answers, with the body put back
    forged = client.post("/webhooks/jira", data=body + b" ", headers=headers)
    assert forged.status_code == 401 and calls == ["jira"]
    unreadable = b'{"webhookEvent": '
    bad = client.post("/webhooks/jira", data=unreadable, headers=jira_signed(unreadable))
    assert bad.status_code == 400 and "reason" in bad.json and calls == ["jira", "jira"]
    # not for the fast path at all: the view answers as before
    assert client.post("/webhooks/nope", data=body, headers=headers).status_code == 404
    assert client.get("/webhooks/jira").status_code == 405
    assert queued(redis_client) == 1


def test_a_delivery_the_fast_path_refused_is_not_verified_again_by_the_view(
    make_runtime: Any, fixtures_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The view answers the fast path's refusal (401 here) without a second signature check,
    parse or Redis attempt."""
    rt = make_runtime()
    app = create_app(runtime=rt)
    tries: list[str] = []
    receive = rt.receiver.receive

    def counted(connector: Any, *args: Any) -> Any:
        tries.append(connector.name)
        return receive(connector, *args)

    monkeypatch.setattr(rt.receiver, "receive", counted)
    body = fixture_bytes(fixtures_dir, "jira/jira_cloud_issue_created__dangersvn.json")
    forged = app.test_client().post("/webhooks/jira", data=body + b" ", headers=jira_signed(body))
    assert forged.status_code == 401 and "reason" in forged.json
    assert tries == ["jira"]


def test_fast_path_redis_outage_is_the_views_503_counted_once(
    make_runtime: Any, fixtures_dir: Path
) -> None:
    from tco_bridge.runtime import Runtime

    base = make_runtime()
    runtime = Runtime(
        settings=base.settings, redis_url="redis://127.0.0.1:1/0", connectors=base.connectors
    )
    app = create_app(runtime=runtime)
    calls, client = _view_calls(app), app.test_client()
    body = fixture_bytes(fixtures_dir, "jira/jira_cloud_issue_created__dangersvn.json")
    before = _webhook_count("503")
    response = client.post("/webhooks/jira", data=body, headers=jira_signed(body))
    assert (response.status_code, response.headers["Retry-After"]) == (503, "5")
    assert calls == ["jira"] and _webhook_count("503") == before + 1


def test_recording_mode_takes_the_view_and_records_once(
    make_runtime: Any, fixtures_dir: Path, tmp_path: Path
) -> None:
    record = tmp_path / "deliveries.jsonl"
    app = create_app(runtime=make_runtime(TCO_RECORD_FILE=str(record)))
    calls, client = _view_calls(app), app.test_client()
    body = fixture_bytes(fixtures_dir, "jira/jira_cloud_issue_created__dangersvn.json")
    assert client.post("/webhooks/jira", data=body, headers=jira_signed(body)).status_code == 202
    assert calls == ["jira"] and len(record.read_text().splitlines()) == 1


def test_with_the_fast_path_off_the_view_answers_every_delivery_alike(
    make_runtime: Any, fixtures_dir: Path, redis_client: redis.Redis
) -> None:
    """``TCO_WEBHOOK_FAST_PATH=0``: the same answers, every one from the Flask view."""
    app = create_app(runtime=make_runtime(TCO_WEBHOOK_FAST_PATH="0"))
    calls, client = _view_calls(app), app.test_client()
    body = fixture_bytes(fixtures_dir, "jira/jira_cloud_issue_created__dangersvn.json")
    headers = {**jira_signed(body), "X-Atlassian-Webhook-Identifier": "slow-1"}
    first = client.post("/webhooks/jira", data=body, headers=headers)
    assert (first.status_code, first.json["status"], first.json["delivery"]) == (
        202,
        "accepted",
        "slow-1",
    )
    again = client.post("/webhooks/jira", data=body, headers=headers)
    assert again.json["status"] == "duplicate"
    assert calls == ["jira", "jira"] and queued(redis_client) == 1
    with pytest.raises(ConfigError, match="TCO_WEBHOOK_FAST_PATH"):
        make_runtime(TCO_WEBHOOK_FAST_PATH="maybe")
