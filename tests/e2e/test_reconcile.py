"""Reconcile heals state lost with webhooks, through the real stack, and never writes twice."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import responses
from click.testing import CliRunner
from responses import matchers
from rq import SimpleWorker

from connectors.jira.reconcile import fields_for
from tco_bridge import keys
from tco_bridge.ownership import OwnershipPolicy
from tco_bridge.plan import OwnershipOnly
from tco_bridge.reconcile import reconcile
from tco_bridge.rules_source import RulesSource
from tco_bridge.web import create_app

JIRA = "https://acme.atlassian.net"
RECORDED = Path(__file__).resolve().parents[1] / "fixtures" / "jira_api"
ANN = "5b10ac8d82e05b22cc7d4ef5"
NOW = datetime(2024, 5, 3, 12, 0, tzinfo=UTC)


def recorded(name: str) -> Any:
    return json.loads((RECORDED / name).read_text())


def _first_page(request: Any) -> tuple[bool, str]:
    return "nextPageToken" not in (request.url or ""), "a first page has no nextPageToken"


def stub_listing(mock: responses.RequestsMock) -> None:
    url = f"{JIRA}/rest/api/2/search/jql"
    page2 = matchers.query_param_matcher({"nextPageToken": "CAEaAggD"}, strict_match=False)
    mock.get(url, json=recorded("search_jql_open_page2.json"), match=[page2])
    mock.get(url, json=recorded("search_jql_open_page1.json"), match=[_first_page])


def run_worker(rt: Any) -> None:
    SimpleWorker([rt.queue], connection=rt.redis, serializer=rt.queue.serializer).work(burst=True)


def test_reconcile_creates_missing_tickets_and_repeats_as_a_no_op(make_runtime: Any) -> None:
    rt = make_runtime(TCO_CONNECTORS="jira", TCO_JIRA_OWNER_FIELD="customfield_10060")
    policy = OwnershipPolicy(frontline_groups=frozenset({"Service Desk"}))
    rt.rules_source = RulesSource.fixed(OwnershipOnly(policy))
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        stub_listing(mock)
        mirror = mock.put(f"{JIRA}/rest/api/2/issue/SD-42", status=204)
        first = reconcile(rt, "jira", NOW)
        run_worker(rt)
        assert (first.listed, first.new, first.queued) == (2, 2, 2)
        assert mirror.call_count == 1
        assert json.loads(mock.calls[-1].request.body) == {
            "fields": {"customfield_10060": {"accountId": ANN}}
        }

    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        stub_listing(mock)
        again = reconcile(rt, "jira", NOW)
        run_worker(rt)
        # Known now: each gets a snapshot at its update time, which changes nothing.
        assert (again.listed, again.new, again.queued) == (2, 0, 2)
        assert len(mock.calls) == 2  # the two listing pages, no write
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        stub_listing(mock)
        third = reconcile(rt, "jira", NOW)
        assert third.queued == 0  # the same snapshots again: duplicates

    client = create_app(runtime=rt).test_client()
    view = client.get("/tickets/jira/SD-42").json
    assert view["owner"]["id"] == ANN and view["status"] == "open"
    assert view["assignee"]["id"] == ANN and view["group"] == "Service Desk"
    assert client.get("/tickets/jira/SD-43").json["owner"] is None


def test_reconcile_restores_lost_timers_and_reports_vanished_tickets(make_runtime: Any) -> None:
    rt = make_runtime(TCO_CONNECTORS="jira")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        stub_listing(mock)
        mock.add_callback(
            responses.PUT, f"{JIRA}/rest/api/2/issue/SD-42", callback=lambda r: (204, {}, "")
        )
        mock.add_callback(
            responses.POST,
            f"{JIRA}/rest/servicedeskapi/request/SD-42/comment",
            callback=lambda r: (201, {}, json.dumps({"id": "1"})),
        )
        reconcile(rt, "jira", NOW)
        run_worker(rt)
        timers_before = rt.redis.zcard(keys.TIMERS)
        assert timers_before > 0  # the default rules set timers on open tickets
        rt.redis.delete(keys.TIMERS)  # lost with a Redis restore
        rt.redis.set(
            keys.ticket("jira", "SD-99"),
            rt.redis.get(keys.ticket("jira", "SD-43")).replace(b'"SD-43"', b'"SD-99"'),
        )
        gone = mock.get(f"{JIRA}/rest/api/2/issue/SD-99", status=404, json={})
        report = reconcile(rt, "jira", NOW)
        again = reconcile(rt, "jira", NOW)
    assert report.timers_restored == timers_before
    assert again.timers_restored == 0  # none lost since: none reported restored
    assert rt.redis.zcard(keys.TIMERS) == timers_before
    assert report.missing_in_tool == ["SD-99"] and gone.call_count == 2
    assert report.refresh_error is None


def test_a_failing_refresh_keeps_what_the_listing_queued(make_runtime: Any) -> None:
    rt = make_runtime(TCO_CONNECTORS="jira")
    rt.rules_source = RulesSource.fixed(OwnershipOnly(OwnershipPolicy(mirror_owner=False)))
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        stub_listing(mock)
        reconcile(rt, "jira", NOW)
        run_worker(rt)
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(f"{JIRA}/rest/api/2/search/jql", json=recorded("search_jql_empty.json"))
        mock.get(f"{JIRA}/rest/api/2/issue/SD-42", status=503, json={})
        report = reconcile(rt, "jira", NOW)
    assert report.refresh_error is not None and "503" in report.refresh_error
    assert report.missing_in_tool == ["SD-42", "SD-43"]  # open here, not shown by Jira


def test_reconcile_command_prints_a_summary(make_runtime: Any) -> None:
    from tco_bridge.cli import main

    rt = make_runtime(TCO_CONNECTORS="jira")
    rt.rules_source = RulesSource.fixed(OwnershipOnly(OwnershipPolicy(mirror_owner=False)))
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        stub_listing(mock)
        result = CliRunner().invoke(main, ["reconcile", "--connector", "jira"], obj=rt)
    assert result.exit_code == 0, result.output
    assert "jira: 2 open in the tool, 2 new here, 2 snapshots queued" in result.output


def closed_in_jira() -> dict[str, Any]:
    """SD-42 as Jira shows it after it was resolved and closed while its webhooks were lost."""
    issue = recorded("search_jql_open_page1.json")["issues"][0]
    issue["fields"]["status"] = {"name": "Closed", "statusCategory": {"key": "done"}}
    issue["fields"]["updated"] = "2024-05-03T10:00:00.000+0000"
    return dict(issue)


def test_a_ticket_closed_while_webhooks_were_lost_leaves_its_owners_list(
    make_runtime: Any,
) -> None:
    rt = make_runtime(TCO_CONNECTORS="jira")
    policy = OwnershipPolicy(frontline_groups=frozenset({"Service Desk"}), mirror_owner=False)
    rt.rules_source = RulesSource.fixed(OwnershipOnly(policy))
    client = create_app(runtime=rt).test_client()
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        stub_listing(mock)
        reconcile(rt, "jira", NOW)
        run_worker(rt)
    assert [t["ticket"] for t in client.get(f"/owners/jira/{ANN}/tickets").json["tickets"]] == [
        "SD-42"
    ]

    # Closed in Jira (Done category: the reconcile JQL no longer lists it), SD-43 deleted.
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(f"{JIRA}/rest/api/2/search/jql", json=recorded("search_jql_empty.json"))
        shown = mock.get(
            f"{JIRA}/rest/api/2/issue/SD-42",
            json=closed_in_jira(),
            match=[matchers.query_param_matcher({"fields": ",".join(fields)}, strict_match=False)]
            if (fields := fields_for(rt.connector("jira").settings))
            else [],
        )
        mock.get(f"{JIRA}/rest/api/2/issue/SD-43", status=404, json={"errorMessages": ["gone"]})
        report = reconcile(rt, "jira", NOW)
        run_worker(rt)
    assert shown.call_count == 1
    assert (report.listed, report.refreshed, report.queued) == (0, 1, 1)
    assert report.missing_in_tool == ["SD-43"]
    assert client.get("/tickets/jira/SD-42").json["status"] == "closed"
    assert client.get(f"/owners/jira/{ANN}/tickets").json["count"] == 0

    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(f"{JIRA}/rest/api/2/search/jql", json=recorded("search_jql_empty.json"))
        mock.get(f"{JIRA}/rest/api/2/issue/SD-43", status=404, json={"errorMessages": ["gone"]})
        again = reconcile(rt, "jira", NOW)  # SD-42 is closed here now: not asked for again
    assert (again.refreshed, again.queued, again.missing_in_tool) == (0, 0, ["SD-43"])
