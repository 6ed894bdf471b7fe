"""Jira write-back against Jira faked at the HTTP layer, with exact REST shapes.

Every stub must fire (``assert_all_requests_are_fired``) and any request without a stub fails,
so each test states the complete conversation with Jira.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import requests
import responses
from responses import matchers

from connectors.jira import JiraConnector
from tco_bridge.actions import Action, ActionKind, TaskSpec
from tco_bridge.connector import Outcome
from tco_bridge.errors import (
    ConnectorError,
    PermanentApiError,
    RetryableApiError,
    TicketApiError,
)
from tco_bridge.events import Status

API = Path(__file__).resolve().parents[1] / "fixtures" / "jira_api"
TOKEN = "ATATT3xFfGF0-token-never-shown"
SECRET = "whsec-never-shown"
AID = "tco-0123456789abcdef0123"
CLOUD = "https://acme.atlassian.net"
DC = "https://jira.example.com"
ANN = "5b10ac8d82e05b22cc7d4ef5"

CLOUD_ENV = {
    "TCO_JIRA_URL": CLOUD,
    "TCO_JIRA_USER": "bridge@acme.example",
    "TCO_JIRA_API_TOKEN": TOKEN,
    "TCO_JIRA_WEBHOOK_SECRET": SECRET,
    "TCO_JIRA_TASK_PROJECT": "KB",
    "TCO_JIRA_TRANSITIONS": "resolved=Resolve issue,closed=Close",
}
DC_ENV = {
    "TCO_JIRA_URL": DC,
    "TCO_JIRA_USER": "tco-bot",
    "TCO_JIRA_API_TOKEN": TOKEN,
    "TCO_JIRA_INTERNAL_NOTE": "role:Developers",
    "TCO_JIRA_GROUP_FIELD": "customfield_10500",
}
BASIC = "Basic " + base64.b64encode(f"bridge@acme.example:{TOKEN}".encode()).decode()


def recorded(name: str) -> Any:
    return json.loads((API / name).read_text())


def action(kind: ActionKind, **values: Any) -> Action:
    return Action(id=AID, connector="jira", ticket="SD-42", kind=kind, rule="r1", **values)


def cloud(**extra: str) -> JiraConnector:
    return JiraConnector.from_env({**CLOUD_ENV, **extra})


def datacenter(**extra: str) -> JiraConnector:
    return JiraConnector.from_env({**DC_ENV, **extra})


def body(expected: dict[str, Any]) -> Any:
    return matchers.json_params_matcher(expected, strict_match=True)


def query(expected: dict[str, Any]) -> Any:
    return matchers.query_param_matcher(expected)


@pytest.fixture
def jira() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


NOTE = action(ActionKind.NOTE, text="Customer update due", mention=(ANN,))


# --- notes --------------------------------------------------------------------------------


def test_note_on_cloud_is_a_jsm_internal_comment(jira: responses.RequestsMock) -> None:
    jira.post(
        f"{CLOUD}/rest/servicedeskapi/request/SD-42/comment",
        json=recorded("jsm_comment_created.json"),
        status=201,
        match=[
            body(
                {"body": f"[~accountid:{ANN}] Customer update due\n\n~tco:{AID}~", "public": False}
            ),
            matchers.header_matcher({"Authorization": BASIC}),
        ],
    )
    assert cloud().perform([NOTE]) == [Outcome(AID, True, "note written", "10451")]


def test_note_on_dc_is_a_restricted_comment(jira: responses.RequestsMock) -> None:
    jira.post(
        f"{DC}/rest/api/2/issue/SD-42/comment",
        json=recorded("comment_created_restricted.json"),
        status=201,
        match=[
            body(
                {
                    "body": f"[~jdoe] Customer update due\n\n~tco:{AID}~",
                    "visibility": {"type": "role", "value": "Developers"},
                }
            ),
            matchers.header_matcher({"authorization": f"Bearer {TOKEN}"}),
        ],
    )
    note = action(ActionKind.NOTE, text="Customer update due", mention=("jdoe",))
    [outcome] = datacenter().perform([note])
    assert (outcome.ok, outcome.remote_id, outcome.skipped) == (True, "20311", False)


def test_note_group_restricted_without_mentions(jira: responses.RequestsMock) -> None:
    jira.post(
        f"{CLOUD}/rest/api/2/issue/SD-42/comment",
        json=recorded("comment_created_restricted.json"),
        status=201,
        match=[
            body(
                {
                    "body": f"Please review\n\n~tco:{AID}~",
                    "visibility": {"type": "group", "value": "support-leads"},
                }
            )
        ],
    )
    note = action(ActionKind.NOTE, text="Please review")
    cloud(TCO_JIRA_INTERNAL_NOTE="group:support-leads").perform([note])


def test_check_existing_skips_a_note_already_written(jira: responses.RequestsMock) -> None:
    jira.get(
        f"{CLOUD}/rest/api/2/issue/SD-42/comment",
        json=recorded("comments_with_marker.json"),
        match=[query({"orderBy": "-created", "maxResults": "50"})],
    )
    [outcome] = cloud().perform([NOTE], check_existing=True)
    assert (outcome.skipped, outcome.remote_id, outcome.ok) == (True, "10451", True)


def test_check_existing_writes_when_no_marker(jira: responses.RequestsMock) -> None:
    page = recorded("comments_with_marker.json")
    page["comments"] = page["comments"][:1]
    jira.get(f"{CLOUD}/rest/api/2/issue/SD-42/comment", json=page)
    jira.post(
        f"{CLOUD}/rest/servicedeskapi/request/SD-42/comment",
        json=recorded("jsm_comment_created.json"),
        status=201,
    )
    [outcome] = cloud().perform([NOTE], check_existing=True)
    assert (outcome.skipped, outcome.remote_id) == (False, "10451")


# --- public replies and group mentions ----------------------------------------------------

CUSTOMER = "qm:customer-1"
REPLY = action(
    ActionKind.NOTE,
    text="Did the fix work for you?",
    mention=(CUSTOMER,),
    extra={"public": True},
)
PUBLIC_MARKER = f"{{color:#97a0af}}~ref tco:{AID}~{{color}}"


def test_public_reply_on_jsm_is_a_public_request_comment(jira: responses.RequestsMock) -> None:
    jira.post(
        f"{CLOUD}/rest/servicedeskapi/request/SD-42/comment",
        json=recorded("jsm_comment_public_created.json"),
        status=201,
        match=[
            body(
                {
                    # The customer reads it: no mention markup, no account id.
                    "body": f"Did the fix work for you?\n\n{PUBLIC_MARKER}",
                    "public": True,
                }
            )
        ],
    )
    assert cloud().perform([REPLY]) == [Outcome(AID, True, "public reply written", "10460")]


def test_public_reply_on_jira_software_is_an_unrestricted_comment(
    jira: responses.RequestsMock,
) -> None:
    jira.post(
        f"{DC}/rest/api/2/issue/SD-42/comment",
        json=recorded("comment_created_public.json"),
        status=201,
        match=[body({"body": f"Did the fix work for you?\n\n{PUBLIC_MARKER}"})],
    )
    reply = replace(REPLY, mention=("carol",))
    [outcome] = datacenter().perform([reply])  # TCO_JIRA_INTERNAL_NOTE=role:Developers
    assert (outcome.detail, outcome.remote_id) == ("public reply written", "20320")


def test_check_existing_finds_a_public_reply_by_its_reference(
    jira: responses.RequestsMock,
) -> None:
    jira.get(
        f"{CLOUD}/rest/api/2/issue/SD-42/comment",
        json=recorded("comments_with_public_marker.json"),
        match=[query({"orderBy": "-created", "maxResults": "50"})],
    )
    [outcome] = cloud().perform([REPLY], check_existing=True)
    assert outcome == Outcome(AID, True, "public reply already written", "10460", skipped=True)


def test_check_existing_writes_a_public_reply_not_found(jira: responses.RequestsMock) -> None:
    jira.get(
        f"{CLOUD}/rest/api/2/issue/SD-42/comment",
        json=recorded("comments_with_marker.json"),  # only another action's internal note
    )
    jira.post(
        f"{CLOUD}/rest/servicedeskapi/request/SD-42/comment",
        json=recorded("jsm_comment_public_created.json"),
        status=201,
        match=[matchers.json_params_matcher({"public": True}, strict_match=False)],
    )
    other = replace(REPLY, id="tco-ffffffffffffffffffff")
    [outcome] = cloud().perform([other], check_existing=True)
    assert (outcome.skipped, outcome.remote_id) == (False, "10460")


def test_a_false_public_flag_is_an_internal_note(jira: responses.RequestsMock) -> None:
    jira.post(
        f"{CLOUD}/rest/servicedeskapi/request/SD-42/comment",
        json=recorded("jsm_comment_created.json"),
        status=201,
        match=[body({"body": f"Nudge\n\n~tco:{AID}~", "public": False})],
    )
    cloud().perform([action(ActionKind.NOTE, text="Nudge", extra={"public": False})])


def test_group_mentions_are_written_as_the_group_name(jira: responses.RequestsMock) -> None:
    jira.post(
        f"{CLOUD}/rest/servicedeskapi/request/SD-42/comment",
        json=recorded("jsm_comment_created.json"),
        status=201,
        match=[
            body(
                {
                    "body": f"[~accountid:{ANN}] (group: L2 Network) Pickup overdue\n\n~tco:{AID}~",
                    "public": False,
                }
            )
        ],
    )
    note = action(ActionKind.NOTE, text="Pickup overdue", mention=(ANN, "group:L2 Network"))
    cloud().perform([note])


def test_group_mentions_on_dc_are_never_user_mentions(jira: responses.RequestsMock) -> None:
    jira.post(
        f"{DC}/rest/api/2/issue/SD-42/comment",
        json=recorded("comment_created_restricted.json"),
        status=201,
        match=[
            body(
                {
                    "body": f"(group: Service Desk) [~jdoe] Pickup overdue\n\n~tco:{AID}~",
                    "visibility": {"type": "role", "value": "Developers"},
                }
            )
        ],
    )
    note = action(ActionKind.NOTE, text="Pickup overdue", mention=("group:Service Desk", "jdoe"))
    datacenter().perform([note])


# --- assign, fields, labels ---------------------------------------------------------------


def test_assign_on_cloud_sends_account_id(jira: responses.RequestsMock) -> None:
    jira.put(
        f"{CLOUD}/rest/api/2/issue/SD-42/assignee",
        status=204,
        match=[body({"accountId": ANN})],
    )
    [outcome] = cloud().perform([action(ActionKind.ASSIGN, assignee=ANN)])
    assert outcome.ok and outcome.detail == f"assignee {ANN}"


def test_assign_on_dc_sends_name_and_sets_the_group_field(jira: responses.RequestsMock) -> None:
    jira.put(f"{DC}/rest/api/2/issue/SD-42/assignee", status=204, match=[body({"name": "jdoe"})])
    jira.put(
        f"{DC}/rest/api/2/issue/SD-42",
        status=204,
        match=[body({"fields": {"customfield_10500": {"value": "L2 Network"}}})],
    )
    datacenter().perform([action(ActionKind.ASSIGN, assignee="jdoe", group="L2 Network")])


def test_unassign_on_cloud_sends_a_null_account_id(jira: responses.RequestsMock) -> None:
    jira.put(
        f"{CLOUD}/rest/api/2/issue/SD-42/assignee",
        status=204,
        match=[body({"accountId": None})],
    )
    [outcome] = cloud().perform([action(ActionKind.ASSIGN, extra={"unassign": True})])
    assert (outcome.ok, outcome.detail) == (True, "unassigned")


def test_unassign_on_dc_sends_a_null_name_and_moves_the_group(
    jira: responses.RequestsMock,
) -> None:
    jira.put(f"{DC}/rest/api/2/issue/SD-42/assignee", status=204, match=[body({"name": None})])
    jira.put(
        f"{DC}/rest/api/2/issue/SD-42",
        status=204,
        match=[body({"fields": {"customfield_10500": {"value": "Service Desk"}}})],
    )
    unassign = action(ActionKind.ASSIGN, group="Service Desk", extra={"unassign": True})
    [outcome] = datacenter().perform([unassign])
    assert outcome.detail == "unassigned, group Service Desk"
    assert [c.request.method for c in jira.calls] == ["PUT", "PUT"]
    assert str(jira.calls[0].request.url).endswith("/assignee")


def test_assign_group_to_components(jira: responses.RequestsMock) -> None:
    jira.put(
        f"{CLOUD}/rest/api/2/issue/SD-42",
        status=204,
        match=[body({"fields": {"components": [{"name": "L2 Network"}]}})],
    )
    cloud(TCO_JIRA_GROUP_FIELD="components").perform(
        [action(ActionKind.ASSIGN, group="L2 Network")]
    )


def test_assign_group_to_project_is_refused(jira: responses.RequestsMock) -> None:
    with pytest.raises(PermanentApiError, match="configure a group custom field"):
        cloud().perform([action(ActionKind.ASSIGN, group="L2")])


def test_labels_are_added_and_removed(jira: responses.RequestsMock) -> None:
    jira.put(
        f"{CLOUD}/rest/api/2/issue/SD-42",
        status=204,
        match=[body({"update": {"labels": [{"add": "tco-escalated"}]}})],
    )
    jira.put(
        f"{CLOUD}/rest/api/2/issue/SD-42",
        status=204,
        match=[body({"update": {"labels": [{"remove": "tco-waiting"}]}})],
    )
    conn = JiraConnector.from_env({**CLOUD_ENV, "TCO_JIRA_COALESCE": "0"})  # one call each
    outcomes = conn.perform(
        [
            action(ActionKind.ADD_LABEL, label="tco-escalated"),
            action(ActionKind.REMOVE_LABEL, label="tco-waiting"),
        ]
    )
    assert [o.detail for o in outcomes] == [
        "label tco-escalated added",
        "label tco-waiting removed",
    ]


def test_an_issues_field_and_label_edits_of_one_moment_are_one_edit(
    jira: responses.RequestsMock,
) -> None:
    jira.put(
        f"{CLOUD}/rest/api/2/issue/SD-42",
        status=204,
        match=[
            body(
                {
                    "fields": {"customfield_10300": "l2", "customfield_10060": {"accountId": "a1"}},
                    "update": {"labels": [{"add": "tco-escalated"}, {"remove": "tco-waiting"}]},
                }
            )
        ],
    )
    actions = [
        action(ActionKind.ADD_LABEL, label="tco-escalated"),
        action(ActionKind.SET_FIELD, field="customfield_10300", value="l2"),
        action(ActionKind.REMOVE_LABEL, label="tco-waiting"),
        action(ActionKind.SET_OWNER, owner="a1", field="customfield_10060"),
    ]
    outcomes = cloud().perform(actions)
    assert all(o.ok for o in outcomes) and len(jira.calls) == 1
    assert outcomes[3].detail == "owner a1 mirrored to customfield_10060 (one edit of 4 changes)"


def test_an_escalations_group_move_rides_in_the_issues_one_edit(
    jira: responses.RequestsMock,
) -> None:
    """An assignment that moves the group, due with the owner mirror: the group field joins
    the owner's edit (Jira's per-issue write limit counts calls); the assignee keeps its own
    endpoint, which needs no edit screen."""
    jira.put(
        f"{DC}/rest/api/2/issue/SD-42",
        status=204,
        match=[
            body(
                {
                    "fields": {"customfield_10500": {"value": "L2 Network"}},
                    "update": {"labels": [{"add": "tco-owner-jdoe"}]},
                }
            )
        ],
    )
    jira.put(f"{DC}/rest/api/2/issue/SD-42/assignee", status=204, match=[body({"name": "eve"})])
    escalate = replace(action(ActionKind.ASSIGN, assignee="eve", group="L2 Network"), id="tco-a")
    owner = replace(action(ActionKind.SET_OWNER, owner="jdoe"), id="tco-o")
    outcomes = datacenter().perform([escalate, owner])
    assert [o.ok for o in outcomes] == [True, True] and len(jira.calls) == 2
    assert outcomes[0].detail == "assignee eve, group L2 Network (one edit of 2 changes)"


def test_a_group_move_in_the_edit_and_a_failed_assignee_retry_the_assignment(
    jira: responses.RequestsMock,
) -> None:
    """The edit carrying the group landed, the assignee call did not: the assignment is not
    reported landed (its retry sets the group again, which is harmless), the owner is."""
    jira.put(f"{DC}/rest/api/2/issue/SD-42", status=204)
    jira.put(f"{DC}/rest/api/2/issue/SD-42/assignee", status=503)
    escalate = replace(action(ActionKind.ASSIGN, assignee="eve", group="L2 Network"), id="tco-a")
    owner = replace(action(ActionKind.SET_OWNER, owner="jdoe"), id="tco-o")
    with pytest.raises(RetryableApiError) as caught:
        datacenter().perform([escalate, owner])
    assert [o.action_id for o in caught.value.landed] == ["tco-o"]


def test_a_failure_after_the_edit_reports_the_edits_as_landed(
    jira: responses.RequestsMock,
) -> None:
    """The edit landed, the assignment after it got 429: the error carries the edit's outcomes,
    so the write-back job marks them done and its retry sends only the assignment."""
    jira.put(f"{CLOUD}/rest/api/2/issue/SD-42", status=204)
    jira.put(f"{CLOUD}/rest/api/2/issue/SD-42/assignee", status=429, headers={"Retry-After": "7"})
    label = replace(action(ActionKind.ADD_LABEL, label="tco-escalated"), id="tco-a")
    field = replace(action(ActionKind.SET_FIELD, field="customfield_10300", value="l2"), id="tco-b")
    assign = replace(action(ActionKind.ASSIGN, assignee=ANN), id="tco-c")
    with pytest.raises(RetryableApiError) as caught:
        cloud().perform([label, field, assign])
    assert [o.action_id for o in caught.value.landed] == ["tco-a", "tco-b"]
    assert all(o.ok for o in caught.value.landed)
    assert caught.value.retry_after == 7


def test_set_custom_field(jira: responses.RequestsMock) -> None:
    jira.put(
        f"{CLOUD}/rest/api/2/issue/SD-42",
        status=204,
        match=[body({"fields": {"customfield_10600": "2024-05-03T10:00:00.000+0000"}})],
    )
    cloud().perform(
        [
            action(
                ActionKind.SET_FIELD,
                field="customfield_10600",
                value="2024-05-03T10:00:00.000+0000",
            )
        ]
    )


# --- owner mirror -------------------------------------------------------------------------


def test_owner_into_user_picker_field(jira: responses.RequestsMock) -> None:
    jira.put(
        f"{CLOUD}/rest/api/2/issue/SD-42",
        status=204,
        match=[body({"fields": {"customfield_10700": {"accountId": ANN}}})],
    )
    owner = action(ActionKind.SET_OWNER, owner=ANN)
    cloud(TCO_JIRA_OWNER_FIELD="customfield_10700").perform([owner])


def test_owner_into_user_picker_field_on_dc(jira: responses.RequestsMock) -> None:
    jira.put(
        f"{DC}/rest/api/2/issue/SD-42",
        status=204,
        match=[body({"fields": {"customfield_10700": {"name": "jdoe"}}})],
    )
    datacenter().perform([action(ActionKind.SET_OWNER, owner="jdoe", field="customfield_10700")])


def test_owner_as_label_replaces_the_previous_owner(jira: responses.RequestsMock) -> None:
    jira.put(
        f"{CLOUD}/rest/api/2/issue/SD-42",
        status=204,
        match=[
            body(
                {
                    "update": {
                        "labels": [
                            {"remove": "tco-owner-557058:old_owner"},
                            {"add": f"tco-owner-{ANN}"},
                        ]
                    }
                }
            )
        ],
    )
    owner = action(ActionKind.SET_OWNER, owner=ANN, previous_owner="557058:old owner")
    [outcome] = cloud().perform([owner])
    assert outcome.detail == f"owner {ANN} mirrored to label"


# --- transitions --------------------------------------------------------------------------


def test_transition_by_configured_name(jira: responses.RequestsMock) -> None:
    jira.get(f"{CLOUD}/rest/api/2/issue/SD-42/transitions", json=recorded("transitions.json"))
    jira.post(
        f"{CLOUD}/rest/api/2/issue/SD-42/transitions",
        status=204,
        match=[body({"transition": {"id": "41"}})],
    )
    [outcome] = cloud().perform([action(ActionKind.TRANSITION, status=Status.RESOLVED.value)])
    assert outcome.detail == "transitioned with 'Resolve issue'"


def test_transition_without_configured_name_follows_the_target_status(
    jira: responses.RequestsMock,
) -> None:
    jira.get(f"{CLOUD}/rest/api/2/issue/SD-42/transitions", json=recorded("transitions.json"))
    jira.post(
        f"{CLOUD}/rest/api/2/issue/SD-42/transitions",
        status=204,
        match=[body({"transition": {"id": "51"}})],
    )
    cloud().perform([action(ActionKind.TRANSITION, status="pending")])


def test_missing_transition_names_the_available_ones(jira: responses.RequestsMock) -> None:
    jira.get(f"{CLOUD}/rest/api/2/issue/SD-42/transitions", json=recorded("transitions.json"))
    jira.get(
        f"{CLOUD}/rest/api/2/issue/SD-42",
        json=recorded("issue_status_resolved.json"),
        match=[query({"fields": "status"})],
    )
    with pytest.raises(PermanentApiError) as info:
        cloud().perform([action(ActionKind.TRANSITION, status="closed")])
    assert str(info.value) == (
        "[jira] no transition to 'closed' on SD-42 (looked for 'Close'); "
        "available: 'Start progress', 'Resolve issue', 'Wait for customer'"
    )


def test_transition_to_the_current_status_is_skipped(jira: responses.RequestsMock) -> None:
    jira.get(f"{CLOUD}/rest/api/2/issue/SD-42/transitions", json={"transitions": []})
    jira.get(f"{CLOUD}/rest/api/2/issue/SD-42", json=recorded("issue_status_resolved.json"))
    [outcome] = cloud().perform([action(ActionKind.TRANSITION, status="resolved")])
    assert (outcome.ok, outcome.skipped, outcome.detail) == (True, True, "already resolved")


CUSTOM_WORKFLOW = {
    "transitions": [
        {
            "id": "61",
            "name": "Triage",
            "to": {"name": "Triaged", "statusCategory": {"key": "indeterminate"}},
        },
        {
            "id": "71",
            "name": "Mark fixed",
            "to": {"name": "Fixed", "statusCategory": {"key": "done"}},
        },
    ]
}


def test_a_custom_status_is_reached_through_its_status_category(
    jira: responses.RequestsMock,
) -> None:
    """A workflow whose status names the bridge does not know: the category says which is
    'resolved' (done) and which is 'open' (indeterminate)."""
    jira.get(f"{CLOUD}/rest/api/2/issue/SD-42/transitions", json=CUSTOM_WORKFLOW)
    jira.post(
        f"{CLOUD}/rest/api/2/issue/SD-42/transitions",
        status=204,
        match=[body({"transition": {"id": "71"}})],
    )
    [outcome] = cloud(TCO_JIRA_TRANSITIONS="").perform(
        [action(ActionKind.TRANSITION, status="resolved")]
    )
    assert (outcome.ok, outcome.skipped) == (True, False)
    assert outcome.detail == "transitioned with 'Mark fixed'"


def test_a_ticket_already_in_a_custom_done_status_is_not_transitioned(
    jira: responses.RequestsMock,
) -> None:
    jira.get(f"{CLOUD}/rest/api/2/issue/SD-42/transitions", json={"transitions": []})
    fixed = {
        "key": "SD-42",
        "fields": {"status": {"name": "Fixed", "statusCategory": {"key": "done"}}},
    }
    jira.get(f"{CLOUD}/rest/api/2/issue/SD-42", json=fixed, match=[query({"fields": "status"})])
    [outcome] = cloud().perform([action(ActionKind.TRANSITION, status="resolved")])
    assert (outcome.ok, outcome.skipped, outcome.detail) == (True, True, "already resolved")


def test_transition_to_an_unknown_status_is_refused(jira: responses.RequestsMock) -> None:
    with pytest.raises(PermanentApiError, match="'solved' is not a status"):
        cloud().perform([action(ActionKind.TRANSITION, status="solved")])


# --- linked tasks -------------------------------------------------------------------------

KB_TASK = TaskSpec(
    kind="kb", summary="KB article: VPN drops", description="See SD-42", assignee=ANN
)
TASK_SEARCH = {
    "jql": f'project = "KB" AND labels = "{AID}"',
    "fields": "issuelinks",
    "maxResults": "1",
}


def test_existing_linked_task_is_reused(jira: responses.RequestsMock) -> None:
    jira.get(
        f"{CLOUD}/rest/api/2/search/jql",
        json=recorded("search_jql_task_found.json"),
        match=[query(TASK_SEARCH)],
    )
    [outcome] = cloud().perform([action(ActionKind.CREATE_TASK, task=KB_TASK)])
    assert (outcome.remote_id, outcome.skipped, outcome.detail) == (
        "KB-12",
        True,
        "task KB-12 exists",
    )


def test_existing_unlinked_task_is_linked(jira: responses.RequestsMock) -> None:
    jira.get(f"{CLOUD}/rest/api/2/search/jql", json=recorded("search_jql_task_unlinked.json"))
    jira.post(
        f"{CLOUD}/rest/api/2/issueLink",
        status=201,
        match=[
            body(
                {
                    "type": {"name": "Relates"},
                    "inwardIssue": {"key": "SD-42"},
                    "outwardIssue": {"key": "KB-12"},
                }
            )
        ],
    )
    [outcome] = cloud().perform([action(ActionKind.CREATE_TASK, task=KB_TASK)])
    assert (outcome.remote_id, outcome.skipped) == ("KB-12", True)


def test_task_is_created_labelled_and_linked(jira: responses.RequestsMock) -> None:
    jira.get(
        f"{CLOUD}/rest/api/2/search/jql",
        json=recorded("search_jql_empty.json"),
        match=[query(TASK_SEARCH)],
    )
    jira.post(
        f"{CLOUD}/rest/api/2/issue",
        json=recorded("issue_created.json"),
        status=201,
        match=[
            body(
                {
                    "fields": {
                        "project": {"key": "KB"},
                        "issuetype": {"name": "Knowledge"},
                        "summary": "KB article: VPN drops",
                        "labels": [AID, "tco-kb"],
                        "description": "See SD-42",
                        "assignee": {"accountId": ANN},
                    }
                }
            )
        ],
    )
    jira.post(
        f"{CLOUD}/rest/api/2/issueLink",
        status=201,
        match=[
            body(
                {
                    "type": {"name": "Documents"},
                    "inwardIssue": {"key": "SD-42"},
                    "outwardIssue": {"key": "KB-13"},
                }
            )
        ],
    )
    connector = cloud(TCO_JIRA_TASK_ISSUETYPE="Knowledge", TCO_JIRA_LINK_TYPE="Documents")
    [outcome] = connector.perform([action(ActionKind.CREATE_TASK, task=KB_TASK)])
    assert outcome == Outcome(AID, True, "created task KB-13", "KB-13")


def test_task_search_on_dc_uses_offset_paging(jira: responses.RequestsMock) -> None:
    jira.get(
        f"{DC}/rest/api/2/search",
        json={"startAt": 0, "maxResults": 1, "total": 1, **recorded("search_jql_task_found.json")},
        match=[query({**TASK_SEARCH, "startAt": "0"})],
    )
    task = action(ActionKind.CREATE_TASK, task=KB_TASK)
    [outcome] = datacenter(TCO_JIRA_TASK_PROJECT="KB").perform([task])
    assert outcome.remote_id == "KB-12"


def test_task_without_task_project_is_refused(jira: responses.RequestsMock) -> None:
    connector = JiraConnector.from_env({**CLOUD_ENV, "TCO_JIRA_TASK_PROJECT": ""})
    with pytest.raises(PermanentApiError, match="TCO_JIRA_TASK_PROJECT is not set"):
        connector.perform([action(ActionKind.CREATE_TASK, task=KB_TASK)])


# --- errors: the shared retry table -------------------------------------------------------

LABEL = action(ActionKind.ADD_LABEL, label="x")


def test_429_is_retryable_with_retry_after(jira: responses.RequestsMock) -> None:
    jira.put(
        f"{CLOUD}/rest/api/2/issue/SD-42",
        json=recorded("error_rate_limited.json"),
        status=429,
        headers={"Retry-After": "30", "RateLimit-Reason": "jira-per-issue-on-write"},
    )
    with pytest.raises(RetryableApiError) as info:
        cloud().perform([LABEL])
    assert (info.value.status, info.value.retry_after) == (429, 30.0)
    assert (
        str(info.value) == "[jira] PUT /rest/api/2/issue/SD-42 answered 429: Rate limit exceeded."
    )


def test_503_is_retryable(jira: responses.RequestsMock) -> None:
    jira.put(f"{CLOUD}/rest/api/2/issue/SD-42", body="", status=503)
    with pytest.raises(RetryableApiError) as info:
        cloud().perform([LABEL])
    assert (info.value.status, info.value.retry_after) == (503, None)


def test_400_is_permanent_with_jiras_reason(jira: responses.RequestsMock) -> None:
    jira.put(
        f"{CLOUD}/rest/api/2/issue/SD-42",
        json=recorded("error_field_not_on_screen.json"),
        status=400,
    )
    with pytest.raises(PermanentApiError) as info:
        cloud().perform([action(ActionKind.SET_FIELD, field="customfield_10600", value="x")])
    assert info.value.status == 400
    assert "Field 'customfield_10600' cannot be set" in str(info.value)


@pytest.mark.parametrize(
    "exc", [requests.exceptions.ConnectTimeout, requests.exceptions.ReadTimeout, ConnectionError]
)
def test_timeouts_and_refusals_are_retryable(
    jira: responses.RequestsMock, exc: type[Exception]
) -> None:
    failure = exc(f"HTTPSConnectionPool(host='bridge@acme.example:{TOKEN}@acme.atlassian.net')")
    if exc is ConnectionError:
        failure = requests.exceptions.ConnectionError(str(failure))
    jira.put(f"{CLOUD}/rest/api/2/issue/SD-42", body=failure)
    with pytest.raises(RetryableApiError) as info:
        cloud().perform([LABEL])
    assert str(info.value).startswith("[jira] PUT /rest/api/2/issue/SD-42 failed: ")
    assert info.value.__cause__ is None and info.value.__context__ is None  # nothing chained


def test_missing_url_is_a_clear_connector_error(jira: responses.RequestsMock) -> None:
    connector = JiraConnector.from_env({"TCO_JIRA_API_TOKEN": TOKEN})
    with pytest.raises(ConnectorError, match="TCO_JIRA_URL is not set"):
        connector.perform([LABEL])


def test_missing_cloud_user_is_a_clear_connector_error(jira: responses.RequestsMock) -> None:
    connector = JiraConnector.from_env({"TCO_JIRA_URL": CLOUD, "TCO_JIRA_API_TOKEN": TOKEN})
    with pytest.raises(ConnectorError, match="TCO_JIRA_USER is not set"):
        connector.perform([LABEL])


def test_no_secret_in_repr_or_errors(jira: responses.RequestsMock) -> None:
    echo = {"errorMessages": [f"Bad token {TOKEN} for {SECRET}"], "errors": {}}
    jira.put(f"{CLOUD}/rest/api/2/issue/SD-42", json=echo, status=401)
    jira.put(f"{CLOUD}/rest/api/2/issue/SD-42", body=requests.exceptions.ConnectTimeout(TOKEN))
    connector = cloud()
    texts = [repr(connector), repr(connector.settings), str(connector.settings)]
    for _ in range(2):
        with pytest.raises(TicketApiError) as info:
            connector.perform([LABEL])
        texts += [str(info.value), repr(info.value)]
    assert "answered 401: Bad token *** for ***" in texts[3]
    for text in texts:
        assert TOKEN not in text and SECRET not in text
        assert BASIC.split()[1] not in text


# --- reconcile ----------------------------------------------------------------------------

FIELDS = "summary,status,priority,assignee,reporter,issuetype,labels,created,updated,project"


def test_open_tickets_on_cloud_follow_next_page_token(jira: responses.RequestsMock) -> None:
    first = {
        "jql": "statusCategory != Done ORDER BY updated ASC",
        "fields": FIELDS,
        "maxResults": "50",
    }
    jira.get(
        f"{CLOUD}/rest/api/2/search/jql",
        json=recorded("search_jql_open_page1.json"),
        match=[query(first)],
    )
    jira.get(
        f"{CLOUD}/rest/api/2/search/jql",
        json=recorded("search_jql_open_page2.json"),
        match=[query({**first, "nextPageToken": "CAEaAggD"})],
    )
    records = list(cloud().open_tickets())
    assert [r.ticket for r in records] == ["SD-42", "SD-43"]
    snap = records[0].snapshot
    assert (snap.status, snap.raw_status, snap.assignee, snap.requester, snap.group) == (
        Status.OPEN,
        "Waiting for support",
        ANN,
        "qm:customer-1",
        "Service Desk",
    )
    assert records[1].snapshot.status is Status.NEW
    assert records[0].updated_at.isoformat() == "2024-05-02T09:30:00+00:00"


def test_open_tickets_on_dc_page_with_start_at(jira: responses.RequestsMock) -> None:
    jql = "project = VRF AND resolution = Unresolved"
    base = {"jql": jql, "fields": FIELDS + ",customfield_10500", "maxResults": "50"}
    jira.get(
        f"{DC}/rest/api/2/search",
        json=recorded("search_dc_open_page1.json"),
        match=[query({**base, "startAt": "0"})],
    )
    jira.get(
        f"{DC}/rest/api/2/search",
        json=recorded("search_dc_open_page2.json"),
        match=[query({**base, "startAt": "1"})],
    )
    records = list(datacenter(TCO_JIRA_RECONCILE_JQL=jql).open_tickets())
    assert [(r.ticket, r.snapshot.status, r.snapshot.assignee) for r in records] == [
        ("VRF-803", Status.OPEN, "jdoe"),
        ("VRF-804", Status.PENDING, None),
    ]


def test_a_2xx_that_is_not_json_is_permanent(jira: responses.RequestsMock) -> None:
    jira.get(f"{CLOUD}/rest/api/2/issue/SD-42/transitions", body="<html>login</html>")
    with pytest.raises(PermanentApiError, match="transitions answered 200 without JSON"):
        cloud().perform([action(ActionKind.TRANSITION, status="resolved")])
