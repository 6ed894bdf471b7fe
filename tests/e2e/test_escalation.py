"""End to end, on real Redis and real RQ workers, with only the ticket tools faked over HTTP:

customer creates → front-line agent replies → ticket moves to an L2 group and engineer →
the owner is unchanged, the escalation path is recorded, and the owner is written back into
the ticket exactly once, however often the deliveries repeat.
"""

from __future__ import annotations

import json
from typing import Any

import payloads as p
import pytest
import responses
from rq import SimpleWorker
from webhook_kit import jira_signed, zendesk_signed

from tco_bridge.ownership import OwnershipPolicy
from tco_bridge.plan import OwnershipOnly
from tco_bridge.rules_source import RulesSource
from tco_bridge.web import create_app


def run_worker(rt: Any) -> None:
    worker = SimpleWorker([rt.queue], connection=rt.redis, serializer=rt.queue.serializer)
    worker.work(burst=True, with_scheduler=False)


def with_policy(rt: Any, frontline: set[str], owner_field: dict[str, str] | None = None) -> Any:
    policy = OwnershipPolicy(frontline_groups=frozenset(frontline), owner_field=owner_field or {})
    rt.rules_source = RulesSource.fixed(OwnershipOnly(policy))
    return rt


def post(client: Any, connector: str, body: dict[str, Any], delivery: str | None = None) -> Any:
    raw = json.dumps(body).encode()
    if connector == "jira":
        headers = jira_signed(raw)
        if delivery:
            headers["X-Atlassian-Webhook-Identifier"] = delivery
    else:
        headers = zendesk_signed(raw)
    response = client.post(f"/webhooks/{connector}", data=raw, headers=headers)
    assert response.status_code == 202, response.json
    return response


@pytest.fixture
def jira_rt(make_runtime: Any) -> Any:
    rt = make_runtime(TCO_JIRA_GROUP_FIELD=p.TEAM_FIELD, TCO_JIRA_OWNER_FIELD="customfield_10060")
    return with_policy(rt, {"Service Desk"})


def test_jira_escalation_keeps_owner_and_writes_it_back_once(jira_rt: Any) -> None:
    client = create_app(runtime=jira_rt).test_client()
    owner_put = responses.put(
        "https://acme.atlassian.net/rest/api/2/issue/SUP-7",
        match=[
            responses.matchers.json_params_matcher(
                {"fields": {"customfield_10060": {"accountId": p.ANNA}}}
            )
        ],
        status=204,
    )
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.add(owner_put)
        post(client, "jira", p.jira_created("SUP-7", 0), "d-created")
        post(client, "jira", p.jira_comment("SUP-7", "20001", p.CUSTOMER, "Jamie", 1), "d-c1")
        post(client, "jira", p.jira_comment("SUP-7", "20002", p.ANNA, "Anna Agent", 5), "d-c2")
        run_worker(jira_rt)
        post(client, "jira", p.jira_escalate("SUP-7", 30), "d-esc")
        # Jira retries: the same deliveries again, and one out of order.
        post(client, "jira", p.jira_escalate("SUP-7", 30), "d-esc")
        post(client, "jira", p.jira_comment("SUP-7", "20002", p.ANNA, "Anna Agent", 5), "d-c2b")
        post(client, "jira", p.jira_comment("SUP-7", "20003", p.ENGINEER, "Eve", 40, False))
        run_worker(jira_rt)
        assert mock.calls.__len__() == 1

    view = client.get("/tickets/jira/SUP-7").json
    assert view["owner"]["id"] == p.ANNA and view["owner"]["via"] == "first_public_reply"
    assert view["owner_mirrored"] is True
    assert view["assignee"]["id"] == p.ENGINEER and view["group"] == "L2 Network"
    assert view["escalated"] is True
    [segment] = view["escalation_path"]
    assert segment["group"] == "L2 Network" and segment["assignee"] == p.ENGINEER
    assert segment["entered_at"].startswith("2026-01-05T08:30")
    owned = client.get(f"/owners/jira/{p.ANNA}/tickets").json
    assert owned["count"] == 1
    [line] = owned["tickets"]
    assert line["ticket"] == "SUP-7" and line["with_someone_else"] is True


def test_zendesk_escalation_keeps_owner_and_writes_tag_once(make_runtime: Any) -> None:
    rt = with_policy(make_runtime(), {p.Z_FRONTLINE})
    client = create_app(runtime=rt).test_client()
    url = "https://acme.zendesk.com/api/v2/tickets/5158.json"
    stamp = "2026-01-05T08:05:00Z"
    current = {"ticket": {"id": 5158, "tags": ["vpn"], "updated_at": stamp}}
    tags = ["vpn", f"tco_owner_{p.Z_ANNA}"]
    tag_put = responses.put(
        url,
        match=[
            responses.matchers.json_params_matcher(
                {"ticket": {"tags": tags, "safe_update": True, "updated_stamp": stamp}}
            )
        ],
        json={"ticket": {"id": 5158, "tags": tags}},
    )
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(url, json=current)
        mock.add(tag_put)
        post(client, "zendesk", p.zendesk_created("5158", 0))
        post(client, "zendesk", p.zendesk_comment("5158", "ev-c1", "c1", p.Z_ANNA, 4))
        post(client, "zendesk", p.zendesk_group_change("5158", "ev-g1", 20))
        post(client, "zendesk", p.zendesk_assignee_change("5158", "ev-a1", 25))
        post(client, "zendesk", p.zendesk_group_change("5158", "ev-g1", 20))  # duplicate
        run_worker(rt)
        assert [c.request.method for c in mock.calls] == ["GET", "PUT"]  # one write

    view = client.get("/tickets/zendesk/5158").json
    assert view["owner"]["id"] == p.Z_ANNA
    assert view["assignee"]["id"] == p.Z_ENGINEER and view["group"] == p.Z_L2
    [segment] = view["escalation_path"]
    assert (segment["group"], segment["assignee"]) == (p.Z_L2, p.Z_ENGINEER)


def test_bridge_own_write_back_echo_does_not_loop(jira_rt: Any) -> None:
    """The owner write-back comes back as a webhook authored by the bridge: nothing happens."""
    client = create_app(runtime=jira_rt).test_client()
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.put("https://acme.atlassian.net/rest/api/2/issue/SUP-9", status=204)
        post(client, "jira", p.jira_created("SUP-9", 0))
        post(client, "jira", p.jira_comment("SUP-9", "30001", p.ANNA, "Anna", 2))
        run_worker(jira_rt)
        echo = p.jira_escalate("SUP-9", 3, changelog_id="10900")
        echo["user"] = {"accountId": p.BRIDGE, "displayName": "tco-bridge"}
        echo["changelog"]["items"] = [
            {
                "field": "Contact owner",
                "fieldtype": "custom",
                "fieldId": "customfield_10060",
                "from": None,
                "fromString": None,
                "to": p.ANNA,
                "toString": "Anna",
            }
        ]
        post(client, "jira", echo)
        run_worker(jira_rt)
        assert len(mock.calls) == 1
    view = client.get("/tickets/jira/SUP-9").json
    assert view["owner"]["id"] == p.ANNA and view["touches"] == 1


def test_closed_tickets_expire_after_the_retention_period_open_ones_never(
    make_runtime: Any,
) -> None:
    from tco_bridge import keys

    rt = with_policy(make_runtime(TCO_RETENTION_DAYS="30"), {p.Z_FRONTLINE})
    rt.rules_source = RulesSource.fixed(
        OwnershipOnly(
            OwnershipPolicy(frontline_groups=frozenset({p.Z_FRONTLINE}), mirror_owner=False)
        )
    )
    client = create_app(runtime=rt).test_client()
    post(client, "zendesk", p.zendesk_created("6001", 0))
    run_worker(rt)
    assert rt.redis.ttl(keys.ticket("zendesk", "6001")) == -1  # open: kept
    closed = p.zendesk_created("6001", 5)
    closed.update(id="ev-closed", type="zen:event-type:ticket.status_changed")
    closed["detail"]["status"] = "CLOSED"
    closed["event"] = {"current": "CLOSED", "previous": "NEW"}
    post(client, "zendesk", closed)
    run_worker(rt)
    ttl = rt.redis.ttl(keys.ticket("zendesk", "6001"))
    assert 29 * 86400 < ttl <= 30 * 86400
