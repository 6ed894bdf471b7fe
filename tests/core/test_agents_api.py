"""The agent presence API: away with a backup and an end, back, and bad input."""

from __future__ import annotations

from typing import Any

from tco_bridge import keys
from tco_bridge.web import create_app


def test_away_and_back_tell_the_owned_tickets(make_runtime: Any) -> None:
    rt = make_runtime()
    rt.redis.sadd(keys.owned("zendesk", "501"), "11", "12")
    client = create_app(runtime=rt).test_client()
    away = client.post(
        "/agents/zendesk/501/away", json={"backup": "502", "until": "2030-01-01T09:00:00+01:00"}
    )
    assert away.status_code == 202 and away.json["tickets_told"] == ["11", "12"]
    [listed] = client.get("/agents/away").json["away"]
    assert (listed["agent"], listed["backup"]) == ("501", "502")
    assert listed["until"] == "2030-01-01T09:00:00+01:00"
    rt.redis.srem(keys.owned("zendesk", "501"), "12")  # handed to the backup meanwhile
    back = client.delete("/agents/zendesk/501/away")
    assert back.status_code == 202 and back.json["tickets_told"] == ["11", "12"]
    assert client.get("/agents/away").json["away"] == []
    queued = sum(rt.redis.xlen(keys.stream(s)) for s in range(rt.settings.shards))
    assert queued == 4  # two agent.away and two agent.back events


def test_bad_presence_requests(make_runtime: Any) -> None:
    client = create_app(runtime=make_runtime()).test_client()
    assert client.post("/agents/servicenow/1/away", json={}).status_code == 404
    naive = client.post("/agents/zendesk/1/away", json={"until": "2030-01-01T09:00"})
    assert naive.status_code == 400 and "time zone" in naive.json["reason"]
    garbage = client.post("/agents/zendesk/1/away", json={"until": "soon"})
    assert garbage.status_code == 400
    wrong = client.post("/agents/zendesk/1/away", json={"backup": 7})
    assert wrong.status_code == 400
    remote = client.get("/agents/away", environ_base={"REMOTE_ADDR": "192.0.2.1"})
    assert remote.status_code == 401
