"""Jira Data Center as it really sends: custom fields by display name, users by key.

Changelogs from DC name custom fields by display name (``"field": "Team", "fieldtype":
"custom"``, no ``fieldId``) and carry *user keys* (``JIRAUSER10103``) in ``from``/``to``.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import responses

from connectors.jira import JiraConnector, JiraSettings
from connectors.jira.directory import REFRESH_S
from tco_bridge.events import EventType

WEBHOOKS = Path(__file__).resolve().parents[1] / "fixtures" / "webhooks" / "jira"
URL = "https://jira.acme.internal"
TEAM = "customfield_10050"
ANNA = {"name": "anna.dc", "key": "JIRAUSER10103", "displayName": "Anna Agent"}
EVE = {"name": "eve.l2", "key": "JIRAUSER10200", "displayName": "Eve Engineer"}


def dc_update(items: list[dict[str, Any]], user: dict[str, Any] = ANNA) -> dict[str, Any]:
    raw = (WEBHOOKS / "jira_dc_issue_updated_status_change__crystalvjohnston.json").read_text()
    data: dict[str, Any] = copy.deepcopy(json.loads(raw))
    data["user"] = user
    data["changelog"] = {"id": "30001", "items": items}
    return data


def team_move() -> dict[str, Any]:
    return dc_update(
        [
            {
                "field": "Team",
                "fieldtype": "custom",
                "from": "10100",
                "fromString": "Service Desk",
                "to": "10101",
                "toString": "L2 Network",
            },
        ]  # fmt: skip
    )


def assign(to: dict[str, Any] | None, key: str, by: dict[str, Any] = ANNA) -> dict[str, Any]:
    data = dc_update(
        [
            {
                "field": "assignee",
                "fieldtype": "jira",
                "from": None,
                "fromString": None,
                "to": key,
                "toString": "Someone",
            }
        ],  # fmt: skip
        user=by,
    )
    data["issue"]["fields"]["assignee"] = to
    return data


def connector(clock: Any = None, **env: str) -> JiraConnector:
    base = {
        "TCO_JIRA_URL": URL,
        "TCO_JIRA_DEPLOYMENT": "datacenter",
        "TCO_JIRA_API_TOKEN": "dc-pat-5ecret",
        "TCO_JIRA_GROUP_FIELD": TEAM,
    }
    conn = JiraConnector.from_env({**base, **env})
    if clock is not None:
        conn.directory._clock = clock
    return conn


def parse(conn: JiraConnector, body: dict[str, Any]) -> Any:
    return conn.parse({}, json.dumps(body).encode()).events


def fields(*pairs: tuple[str, str]) -> list[dict[str, Any]]:
    return [{"id": i, "name": n, "custom": i.startswith("customfield_")} for i, n in pairs]


# --- custom fields by name -------------------------------------------------------------------


def test_a_configured_field_name_makes_a_team_move_a_group_change() -> None:
    with responses.RequestsMock() as mock:  # nothing may be asked
        [event] = parse(connector(TCO_JIRA_FIELDS=f"Team={TEAM}"), team_move())
        assert len(mock.calls) == 0
    assert (event.type, event.field) == (EventType.GROUP_CHANGED, TEAM)
    assert (event.before, event.after) == ("Service Desk", "L2 Network")
    assert event.key == f"changelog:30001:{TEAM}"


def test_field_names_are_read_once_from_jira_and_cached() -> None:
    conn = connector()
    with responses.RequestsMock() as mock:
        mock.get(f"{URL}/rest/api/2/field", json=fields(("summary", "Summary"), (TEAM, "Team")))
        [first] = parse(conn, team_move())
        [second] = parse(conn, team_move())
        assert len(mock.calls) == 1
    assert first.type is second.type is EventType.GROUP_CHANGED


def test_an_unknown_name_rereads_the_field_list_but_not_on_every_delivery() -> None:
    now = [1000.0]
    conn = connector(clock=lambda: now[0])
    with responses.RequestsMock() as mock:
        mock.get(f"{URL}/rest/api/2/field", json=fields(("summary", "Summary")))
        [before] = parse(conn, team_move())
        [again] = parse(conn, team_move())  # within the refresh interval: not asked again
        assert len(mock.calls) == 1
        assert before.type is again.type is EventType.FIELD_CHANGED  # not known yet
        now[0] += REFRESH_S
        mock.replace(responses.GET, f"{URL}/rest/api/2/field", json=fields((TEAM, "Team")))
        [after] = parse(conn, team_move())  # the admin added the field since: found
        assert len(mock.calls) == 2
    assert after.type is EventType.GROUP_CHANGED


def test_a_field_list_jira_refuses_leaves_the_delivery_readable() -> None:
    with responses.RequestsMock() as mock:
        mock.get(f"{URL}/rest/api/2/field", status=401, json={"errorMessages": ["no"]})
        [event] = parse(connector(), team_move())
    assert (event.type, event.field) == (EventType.FIELD_CHANGED, "team")


# --- user keys -------------------------------------------------------------------------------


def test_an_agent_who_assigns_herself_is_known_by_username() -> None:
    with responses.RequestsMock() as mock:  # the payload names her: nothing to ask
        [event] = parse(connector(), assign(ANNA, "JIRAUSER10103"))
        assert len(mock.calls) == 0
    assert (event.type, event.after, event.after_name) == (
        EventType.ASSIGNEE_CHANGED,
        "anna.dc",
        "Someone",
    )
    assert event.actor is not None and event.actor.id == "anna.dc"


def test_a_key_missing_from_the_payload_is_looked_up_once() -> None:
    conn = connector()
    with responses.RequestsMock() as mock:
        mock.get(
            f"{URL}/rest/api/2/user",
            json=EVE,
            match=[responses.matchers.query_param_matcher({"key": "JIRAUSER10200"})],
        )
        [event] = parse(conn, assign(None, "JIRAUSER10200"))
        [again] = parse(conn, assign(None, "JIRAUSER10200"))
        assert len(mock.calls) == 1
    assert event.after == again.after == "eve.l2"


def test_cloud_account_ids_are_taken_as_they_are() -> None:
    cloud = JiraConnector(JiraSettings(group_field=TEAM))
    body = assign({"accountId": "557058:eve"}, "557058:eve", by={"accountId": "557058:anna"})
    with responses.RequestsMock() as mock:
        [event] = parse(cloud, body)
        assert len(mock.calls) == 0
    assert event.after == "557058:eve"


@pytest.mark.parametrize("deployment", ["cloud", "datacenter"])
def test_mentions_use_the_form_that_notifies_on_each_deployment(deployment: str) -> None:
    from connectors.jira.notes import mention

    cloud = deployment == "cloud"
    user = "557058:anna" if cloud else "anna.dc"
    assert mention(user, cloud=cloud) == ("[~accountid:557058:anna]" if cloud else "[~anna.dc]")


# --- notes where JSM does not apply; what the stand-in refuses --------------------------------

from jira_standin import JiraStandIn  # noqa: E402

from tco_bridge.actions import Action, ActionKind  # noqa: E402
from tco_bridge.errors import PermanentApiError  # noqa: E402


def nudge(key: str, user: str, action_id: str = "tco-n1") -> Action:
    return Action(action_id, "jira", key, ActionKind.NOTE, "r", text="Please call back.",
                  mention=(user,), owner=user)  # fmt: skip


def standin(cloud: bool = False, **kw: Any) -> JiraStandIn:
    return JiraStandIn(URL, cloud=cloud, service_desks=frozenset({"SUP"}), **kw)


def test_a_note_on_a_non_service_desk_issue_is_a_restricted_comment() -> None:
    jira, conn = standin(), connector()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        jira.install(mock)
        [first] = conn.perform([nudge("DEV-5", "anna.dc")])
        [second] = conn.perform([nudge("DEV-6", "anna.dc", "tco-n2")])
    assert first.ok and second.ok
    assert [(c.method, c.path, c.status) for c in jira.calls] == [
        ("POST", "/rest/servicedeskapi/request/DEV-5/comment", 404),
        ("GET", "/rest/api/2/project/DEV", 200),  # asked once, then known
        ("POST", "/rest/api/2/issue/DEV-5/comment", 201),
        ("POST", "/rest/api/2/issue/DEV-6/comment", 201),
    ]
    for call in jira.made("POST", r"/rest/api/2/issue/DEV-\d/comment"):
        assert call.body["visibility"] == {"type": "role", "value": "Developers"}
        assert jira.notified(call.body["body"]) == {"anna.dc"}


def test_a_jsm_404_on_a_service_desk_project_is_not_hidden() -> None:
    jira = standin()
    jira.deleted.add("SUP-404")  # a service-desk project, but the request is gone
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        jira.install(mock)
        with pytest.raises(PermanentApiError) as info:
            connector().perform([nudge("SUP-404", "anna.dc")])
    assert info.value.status == 404


def test_a_note_on_a_service_desk_issue_that_is_no_request_is_an_internal_comment() -> None:
    """An agent's Task or a Sub-task in a service-desk project has no customer request, so the
    JSM comment endpoint answers 404. The note becomes a platform comment marked internal the
    JSM way (``sd.public.comment``), never a parked write-back; later notes on that issue go
    there straight away."""
    jira, conn = standin(), connector()
    jira.not_requests.add("SUP-50")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        jira.install(mock)
        [first] = conn.perform([nudge("SUP-50", "anna.dc")])
        [second] = conn.perform([nudge("SUP-50", "anna.dc", "tco-n2")])
        [request] = conn.perform([nudge("SUP-51", "anna.dc", "tco-n3")])  # a request: JSM
    assert first.ok and second.ok and request.ok
    assert [(c.method, c.path, c.status) for c in jira.calls] == [
        ("POST", "/rest/servicedeskapi/request/SUP-50/comment", 404),
        ("GET", "/rest/api/2/project/SUP", 200),
        ("POST", "/rest/api/2/issue/SUP-50/comment", 201),
        ("POST", "/rest/api/2/issue/SUP-50/comment", 201),
        ("POST", "/rest/servicedeskapi/request/SUP-51/comment", 201),
    ]
    for comment in jira.issue("SUP-50").comments:
        assert comment["properties"] == [{"key": "sd.public.comment", "value": {"internal": True}}]
        assert "visibility" not in comment  # agents and the JSM team see it, as any note
        assert jira.notified(comment["body"]) == {"anna.dc"}


@pytest.mark.parametrize("cloud", [True, False])
def test_each_nudge_notifies_the_person_it_names_on_each_deployment(cloud: bool) -> None:
    jira = standin(cloud=cloud)
    user = "557058:anna" if cloud else "anna.dc"
    env = {"TCO_JIRA_DEPLOYMENT": "cloud" if cloud else "datacenter", "TCO_JIRA_USER": "bot"}
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        jira.install(mock)
        connector(**env).perform([nudge("SUP-7", user)])
    [note] = jira.made("POST", "/rest/servicedeskapi/request/SUP-7/comment")
    assert jira.notified(note.body["body"]) == {user}
    other = standin(cloud=not cloud)  # the other deployment's markup notifies nobody there
    assert other.notified(note.body["body"]) == set()


def test_the_standin_refuses_what_jira_refuses() -> None:
    """Wrong user form for the deployment, ADF on REST v2, an unknown transition."""
    jira = standin(cloud=False, user_fields=frozenset({"customfield_10060"}))
    cloud_minded = connector(TCO_JIRA_DEPLOYMENT="cloud", TCO_JIRA_USER="bot")
    owner = Action("tco-o", "jira", "SUP-7", ActionKind.SET_OWNER, "owner-mirror",
                   owner="anna.dc", field="customfield_10060")  # fmt: skip
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        jira.install(mock)
        with pytest.raises(PermanentApiError, match="'name' on this deployment"):
            cloud_minded.perform([owner])  # {"accountId": ...} on Data Center
        assert connector().perform([owner])[0].ok  # {"name": ...}: accepted
        adf = {"body": {"type": "doc", "version": 1, "content": []}}
        with pytest.raises(PermanentApiError, match="400"):
            connector()._transport.call("POST", "/rest/api/2/issue/SUP-7/comment", body=adf)
        with pytest.raises(PermanentApiError, match="not valid"):
            connector()._transport.call(
                "POST", "/rest/api/2/issue/SUP-7/transitions", body={"transition": {"id": "99"}}
            )
    assert jira.issue("SUP-7").fields["customfield_10060"] == {"name": "anna.dc"}


@pytest.mark.parametrize(
    ("marks", "public"),
    [
        ({"jsdPublic": True, "visibility": {"type": "role", "value": "x"}}, True),  # JSM wins
        ({"jsdPublic": False}, False),
        ({"visibility": {"type": "group", "value": "jira-developers"}}, False),
        ({"properties": [{"key": "sd.public.comment", "value": {"internal": True}}]}, False),
        ({"properties": [{"key": "sd.public.comment", "value": {"internal": False}}]}, True),
        ({}, True),  # none of them: a plain comment, visible to all (README, Jira step 5)
    ],
)
@pytest.mark.parametrize("deployment", ["cloud", "datacenter"])
def test_public_or_internal_on_both_deployments(
    marks: dict[str, Any], public: bool, deployment: str
) -> None:
    comment = {"id": "777", "author": EVE, "body": "text", **marks}
    body = dc_update([], user=EVE)
    body.update(webhookEvent="comment_created", comment=comment)
    conn = connector(TCO_JIRA_DEPLOYMENT=deployment, TCO_JIRA_USER="bot")
    with responses.RequestsMock():
        [event] = parse(conn, body)
    assert event.comment is not None and event.comment.public is public


def test_dc_settings_are_checked() -> None:
    from tco_bridge.errors import ConfigError

    settings = JiraSettings.from_env(
        {"TCO_JIRA_FIELDS": "Team=customfield_1, Contact owner = customfield_2",
         "TCO_JIRA_RESTRICTED_NOTE": "group:jira-developers", "TCO_JIRA_COALESCE": "0"}
    )  # fmt: skip
    assert dict(settings.field_names) == {"team": "customfield_1", "contact owner": "customfield_2"}
    assert (settings.restricted_note.kind, settings.restricted_note.name) == (
        "group",
        "jira-developers",
    )
    assert settings.coalesce is False
    with pytest.raises(ConfigError, match="TCO_JIRA_FIELDS: 'Team' maps to 'Team2'"):
        JiraSettings.from_env({"TCO_JIRA_FIELDS": "Team=Team2"})
    with pytest.raises(ConfigError, match="TCO_JIRA_RESTRICTED_NOTE='jsm'"):
        JiraSettings.from_env({"TCO_JIRA_RESTRICTED_NOTE": "jsm"})


def test_a_user_jira_cannot_name_keeps_its_key() -> None:
    with responses.RequestsMock() as mock:
        mock.get(f"{URL}/rest/api/2/user", status=404, json={"errorMessages": ["no"]})
        [event] = parse(connector(), assign(None, "JIRAUSER99999"))
    assert event.after == "JIRAUSER99999"
    no_api = JiraConnector(JiraSettings(deployment="datacenter", group_field=TEAM))
    [again] = parse(no_api, assign(None, "JIRAUSER99999"))  # no URL: nothing asked
    assert again.after == "JIRAUSER99999"


def test_a_key_jira_cannot_name_is_not_asked_again_on_every_delivery() -> None:
    """Parsing runs while Jira waits for the webhook's answer: a key Jira does not know (a
    deleted user) is asked about again only after the refresh interval."""
    now = [1000.0]
    conn = connector(clock=lambda: now[0])
    with responses.RequestsMock() as mock:
        mock.get(f"{URL}/rest/api/2/user", status=404, json={"errorMessages": ["no"]})
        for _ in range(3):
            [event] = parse(conn, assign(None, "JIRAUSER99999"))
            assert event.after == "JIRAUSER99999"
        assert len(mock.calls) == 1
        now[0] += REFRESH_S
        mock.replace(responses.GET, f"{URL}/rest/api/2/user", json=EVE)
        [found] = parse(conn, assign(None, "JIRAUSER99999"))
        assert len(mock.calls) == 2
    assert found.after == "eve.l2"


def test_a_restricted_note_rides_in_the_issues_one_edit() -> None:
    """Jira Software style notes (a role-restricted comment) can travel in the edit that sets
    the owner field; a retry (check_existing) writes them on their own, after the marker
    search."""
    jira = standin(user_fields=frozenset({"customfield_10060"}))
    conn = connector(TCO_JIRA_INTERNAL_NOTE="role:Developers")
    owner = Action("tco-o", "jira", "DEV-9", ActionKind.SET_OWNER, "owner-mirror",
                   owner="anna.dc", field="customfield_10060")  # fmt: skip
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        jira.install(mock)
        outcomes = conn.perform([nudge("DEV-9", "anna.dc"), owner])
    assert [o.ok for o in outcomes] == [True, True]
    [edit] = jira.writes()
    assert edit.path == "/rest/api/2/issue/DEV-9"
    [comment] = edit.body["update"]["comment"]
    assert comment["add"]["visibility"] == {"type": "role", "value": "Developers"}
    assert jira.notified(comment["add"]["body"]) == {"anna.dc"}
    assert edit.body["fields"] == {"customfield_10060": {"name": "anna.dc"}}
    assert len(jira.issue("DEV-9").comments) == 1


def test_a_jsm_note_keeps_its_own_request() -> None:
    jira = standin(user_fields=frozenset({"customfield_10060"}))
    owner = Action("tco-o", "jira", "SUP-9", ActionKind.SET_OWNER, "owner-mirror",
                   owner="anna.dc", field="customfield_10060")  # fmt: skip
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        jira.install(mock)
        connector().perform([nudge("SUP-9", "anna.dc"), owner])
    assert [(c.method, c.path) for c in jira.writes()] == [
        ("POST", "/rest/servicedeskapi/request/SUP-9/comment"),
        ("PUT", "/rest/api/2/issue/SUP-9"),
    ]
