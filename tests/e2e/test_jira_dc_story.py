"""Jira Data Center end to end, against the strict Jira stand-in: an agent who assigns herself
first becomes owner by *username*, the nudge mentions her so DC notifies her, the owner is
mirrored into a DC user-picker field, a move in the custom "Team" field (named, not by id) is
an escalation, and the owners API lists her ticket."""

from __future__ import annotations

import copy
from typing import Any

import payloads as p
import pytest
import responses
from jira_standin import JiraStandIn
from test_escalation import post, run_worker

from tco_bridge.web import create_app

URL = "https://jira.acme.internal"
TEAM = "customfield_10050"
OWNER = "customfield_10060"
ANNA = {"name": "anna.dc", "key": "JIRAUSER10103", "displayName": "Anna Agent"}
CUSTOMER = {"name": "crystal.johnston", "key": "crystal.johnston", "displayName": "Crystal"}


def dc_body(minute: int, user: dict[str, Any], items: list[dict[str, Any]] | None) -> Any:
    data = copy.deepcopy(p._load("jira/jira_dc_issue_updated_status_change__crystalvjohnston.json"))
    data["timestamp"] = p.T0_MS + minute * 60_000
    data["user"] = user
    issue = data["issue"]
    issue["key"] = "SUP-31"
    issue["id"] = "90031"
    issue["fields"][TEAM] = {"value": "Service Desk", "id": "10100"}
    issue["fields"]["priority"] = {"name": "High", "id": "2"}
    if items is None:
        data["webhookEvent"] = "jira:issue_created"
        data["issue_event_type_name"] = "issue_created"
        data.pop("changelog", None)
    else:
        data["changelog"] = {"id": f"4{minute:04d}", "items": items}
    return data


@pytest.fixture
def dc(make_runtime: Any) -> Any:
    return make_runtime(
        TCO_JIRA_URL=URL,
        TCO_JIRA_DEPLOYMENT="datacenter",
        TCO_JIRA_USER="tco-bridge",
        TCO_JIRA_BOT_ACCOUNT="tco-bridge",
        TCO_JIRA_GROUP_FIELD=TEAM,
        TCO_JIRA_OWNER_FIELD=OWNER,
    )


def test_dc_agent_who_assigns_herself_owns_by_username(dc: Any) -> None:
    jira = JiraStandIn(
        URL,
        cloud=False,
        users={"JIRAUSER10103": "anna.dc"},
        custom_fields={TEAM: "Team", OWNER: "Contact owner"},
        user_fields=frozenset({OWNER}),
    )
    client = create_app(runtime=dc).test_client()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        jira.install(mock)
        post(client, "jira", dc_body(0, CUSTOMER, None))
        takes = dc_body(3, ANNA, [
            {"field": "assignee", "fieldtype": "jira", "from": None, "fromString": None,
             "to": "JIRAUSER10103", "toString": "Anna Agent"}])  # fmt: skip
        takes["issue"]["fields"]["assignee"] = ANNA
        post(client, "jira", takes)
        run_worker(dc)
        escalate = dc_body(20, ANNA, [
            {"field": "Team", "fieldtype": "custom", "from": "10100", "fromString": "Service Desk",
             "to": "10101", "toString": "L2 Network"}])  # fmt: skip
        escalate["issue"]["fields"][TEAM] = {"value": "L2 Network", "id": "10101"}
        post(client, "jira", escalate)
        run_worker(dc)

    refused = [c for c in jira.calls if c.status >= 400]
    assert refused == [], refused
    view = client.get("/tickets/jira/SUP-31").json
    assert view["owner"]["id"] == "anna.dc" and view["owner_mirrored"] is True
    [mirror] = jira.made("PUT", "/rest/api/2/issue/SUP-31")
    assert mirror.body == {"fields": {OWNER: {"name": "anna.dc"}}}
    notes = jira.made("POST", "/rest/servicedeskapi/request/SUP-31/comment")
    assert notes and all("[~anna.dc]" in c.body["body"] for c in notes)  # DC notifies her
    assert all(c.body["public"] is False for c in notes)
    [segment] = view["escalation_path"]
    assert segment["group"] == "L2 Network"  # the Team field, named "Team" on DC
    owned = client.get("/owners/jira/anna.dc/tickets").json
    assert owned["count"] == 1 and owned["tickets"][0]["ticket"] == "SUP-31"
    assert len(jira.made("GET", "/rest/api/2/field")) == 1  # read once, cached
