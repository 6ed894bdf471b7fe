"""Jira passes the connector conformance kit (Cloud REST shapes, as in API-FACTS.md)."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import responses
from responses import matchers

from connectors.jira.signature import sign
from tco_bridge.actions import Action
from tco_bridge.events import EventType
from tco_bridge.testing import ConnectorConformance, FixtureFile, Reply, Sample, fixture_files

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
WEBHOOKS = FIXTURES / "webhooks" / "jira"
API = FIXTURES / "jira_api"
URL = "https://acme.atlassian.net"
ISSUE = f"{URL}/rest/api/2/issue/SD-42"
USER = "bridge@acme.example"
TOKEN = "ATATT3xFfGF0-conformance-token"
BOT = "5b10ac8d82e05b22cc7d4ef5"
JSM_COMMENT = f"{URL}/rest/servicedeskapi/request/SD-42/comment"
GROUP_FIELD = "customfield_10500"


def recorded(name: str) -> Any:
    return json.loads((API / name).read_text())


def body(expected: dict[str, Any]) -> Any:
    return matchers.json_params_matcher(expected, strict_match=True)


def comment_by_bot() -> bytes:
    data = json.loads((WEBHOOKS / "jira_cloud_comment_created__dangersvn.json").read_text())
    data["comment"]["author"]["accountId"] = BOT
    data["comment"]["updateAuthor"]["accountId"] = BOT
    return json.dumps(data).encode()


DC = {"TCO_JIRA_DEPLOYMENT": "datacenter"}
DC_ANNA = {"name": "anna.dc", "key": "JIRAUSER10103", "displayName": "Anna Agent"}


def dc(changelog: list[dict[str, Any]] | None, **top: Any) -> bytes:
    """The DC status-change fixture by Anna, with these changelog items (or none)."""
    name = "jira_dc_issue_updated_status_change__crystalvjohnston.json"
    data = json.loads((WEBHOOKS / name).read_text())
    data["user"] = DC_ANNA
    data["issue"]["fields"]["assignee"] = DC_ANNA
    if changelog is None:
        data.pop("changelog")
    else:
        data["changelog"] = {"id": "30001", "items": changelog}
    data.update(top)
    return json.dumps(data).encode()


def dc_comment(event: str, with_issue: bool = True) -> bytes:
    """One DC comment as Jira reports it twice: ``comment_created`` (stripped, without the
    issue, on most versions) and ``jira:issue_updated`` with ``issue_commented``."""
    comment = {"id": "10901", "author": DC_ANNA, "body": "Restarted the VPN concentrator.",
               "created": "2019-09-24T12:10:00.000+1200"}  # fmt: skip
    data = json.loads(dc(None, webhookEvent=event, comment=comment))
    data["issue_event_type_name"] = "issue_commented"
    if not with_issue:
        del data["issue"]
    return json.dumps(data).encode()


def dc_samples() -> list[Sample]:
    assign = {"field": "assignee", "fieldtype": "jira", "from": None, "fromString": None,
              "to": "JIRAUSER10103", "toString": "Anna Agent"}  # fmt: skip
    team = {"field": "Team", "fieldtype": "custom", "from": "10100", "fromString": "Service Desk",
            "to": "10101", "toString": "L2 Network"}  # fmt: skip
    return [
        Sample(
            "dc-assignee-by-user-key",
            dc([assign]),
            [(EventType.ASSIGNEE_CHANGED, "changelog:30001:assignee")],
            env=DC,
            values=[{"after": "anna.dc", "after_name": "Anna Agent"}],
        ),
        Sample(
            "dc-custom-group-field-by-name",
            dc([team]),
            [(EventType.GROUP_CHANGED, f"changelog:30001:{GROUP_FIELD}")],
            env={**DC, "TCO_JIRA_FIELDS": f"Team={GROUP_FIELD}"},
            values=[{"before": "Service Desk", "after": "L2 Network"}],
        ),
        Sample(
            "dc-comment-via-issue-updated",
            dc_comment("jira:issue_updated"),
            [(EventType.COMMENT_ADDED, "comment:10901")],
            env=DC,
        ),
        Sample(
            "dc-comment-created-with-issue",
            dc_comment("comment_created"),
            [(EventType.COMMENT_ADDED, "comment:10901")],
            env=DC,
            twin_of="dc-comment-via-issue-updated",
        ),
        Sample("dc-comment-created-stripped", dc_comment("comment_created", False), ignored=True),
    ]


class TestJiraConformance(ConnectorConformance):
    name = "jira"
    ticket = "SD-42"
    requester = "557058:0d1c2b3a-4f5e-6a7b-8c9d-customer0001"
    group = "L2 Network"

    def env(self) -> dict[str, str]:
        return {
            "TCO_JIRA_URL": URL,
            "TCO_JIRA_USER": USER,
            "TCO_JIRA_API_TOKEN": TOKEN,
            "TCO_JIRA_WEBHOOK_SECRET": "whsec-conformance-jira",
            "TCO_JIRA_BOT_ACCOUNT": BOT,
            "TCO_JIRA_TASK_PROJECT": "KB",
            "TCO_JIRA_GROUP_FIELD": GROUP_FIELD,
        }

    def secrets(self) -> list[str]:
        basic = base64.b64encode(f"{USER}:{TOKEN}".encode()).decode()
        return [*super().secrets(), basic]

    def sign(self, body: bytes, secret: str, at: datetime) -> dict[str, str]:
        return {"X-Hub-Signature": sign(secret, body)}

    def samples(self) -> Sequence[Sample]:
        def read(name: str) -> bytes:
            return (WEBHOOKS / name).read_bytes()

        delivery = {"X-Atlassian-Webhook-Identifier": "7a6d2b9c-conformance"}
        return [
            Sample(
                "cloud-issue-created",
                read("jira_cloud_issue_created__dangersvn.json"),
                [(EventType.CREATED, "created:10006")],
                delivery,
            ),
            Sample(
                "cloud-comment-created",
                read("jira_cloud_comment_created__dangersvn.json"),
                [(EventType.COMMENT_ADDED, "comment:10007")],
                delivery,
            ),
            Sample(
                "dc-status-change",
                read("jira_dc_issue_updated_status_change__crystalvjohnston.json"),
                [(EventType.STATUS_CHANGED, "changelog:952497:status")],
            ),
            Sample(
                "worklog-ignored",
                b'{"webhookEvent": "worklog_created", "timestamp": 1700000000000}',
                ignored=True,
            ),
            Sample(
                "comment-by-the-bot",
                comment_by_bot(),
                [(EventType.COMMENT_ADDED, "comment:10007")],
                by_bot=True,
            ),
            *dc_samples(),
        ]

    def fixtures(self) -> Sequence[FixtureFile]:
        return fixture_files(WEBHOOKS, refused={"partial/": "no webhookEvent"})

    def stub_write(self, api: responses.RequestsMock, action: Action, reply: Reply) -> None:
        api.put(
            ISSUE,
            match=[body({"update": {"labels": [{"add": action.label}]}})],
            **reply.respond(ok_status=204, error_json=recorded("error_rate_limited.json")),
        )

    def stub_note(self, api: responses.RequestsMock, action: Action, *, written: bool) -> None:
        earlier = f"Earlier nudge\n\n~tco:{action.id}~" if written else "Customer says hi"
        api.get(
            f"{ISSUE}/comment",
            json={"comments": [{"id": "10451", "body": earlier}], "total": 1},
            match=[matchers.query_param_matcher({"orderBy": "-created", "maxResults": "50"})],
        )
        if not written:
            api.post(
                JSM_COMMENT,
                status=201,
                json=recorded("jsm_comment_created.json"),
                match=[body({"body": f"Conformance nudge\n\n~tco:{action.id}~", "public": False})],
            )

    def stub_task(self, api: responses.RequestsMock, action: Action, *, created: bool) -> str:
        search = {
            "jql": f'project = "KB" AND labels = "{action.id}"',
            "fields": "issuelinks",
            "maxResults": "1",
        }
        found = {
            "issues": [
                {
                    "key": "KB-13",
                    "fields": {"issuelinks": [{"inwardIssue": {"key": "SD-42"}}]},
                }
            ],
            "isLast": True,
        }
        api.get(
            f"{URL}/rest/api/2/search/jql",
            json=found if created else recorded("search_jql_empty.json"),
            match=[matchers.query_param_matcher(search)],
        )
        if not created:
            api.post(f"{URL}/rest/api/2/issue", status=201, json=recorded("issue_created.json"))
            api.post(
                f"{URL}/rest/api/2/issueLink",
                status=201,
                match=[
                    body(
                        {
                            "type": {"name": "Relates"},
                            "inwardIssue": {"key": "SD-42"},
                            "outwardIssue": {"key": "KB-13"},
                        }
                    )
                ],
            )
        return "KB-13"

    def stub_open_tickets(self, api: responses.RequestsMock) -> list[str]:
        search = f"{URL}/rest/api/2/search/jql"
        api.get(search, json=recorded("search_jql_open_page1.json"))
        api.get(
            search,
            json=recorded("search_jql_open_page2.json"),
            match=[matchers.query_param_matcher({"nextPageToken": "CAEaAggD"}, strict_match=False)],
        )
        return ["SD-42", "SD-43"]

    def stub_public_reply(self, api: responses.RequestsMock, action: Action) -> None:
        """A public JSM comment: the text and a small grey reference, nobody mentioned."""
        reference = f"{{color:#97a0af}}~ref tco:{action.id}~{{color}}"
        api.post(
            JSM_COMMENT,
            status=201,
            json=recorded("jsm_comment_public_created.json"),
            match=[body({"body": f"{action.text}\n\n{reference}", "public": True})],
        )

    def stub_unassign(self, api: responses.RequestsMock, action: Action) -> None:
        api.put(f"{ISSUE}/assignee", status=204, match=[body({"accountId": None})])
        if action.group is not None:
            api.put(
                ISSUE, status=204, match=[body({"fields": {GROUP_FIELD: {"value": action.group}}})]
            )

    def stub_group_mention(self, api: responses.RequestsMock, action: Action) -> None:
        text = f"(group: {self.group}) {action.text}\n\n~tco:{action.id}~"
        api.post(
            JSM_COMMENT,
            status=201,
            json=recorded("jsm_comment_created.json"),
            match=[body({"body": text, "public": False})],
        )
