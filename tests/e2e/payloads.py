"""Webhook bodies for end-to-end stories, derived from the real fixtures (same shapes)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "webhooks"
T0_MS = 1_767_600_000_000  # 2026-01-05 08:00 UTC

CUSTOMER = "5d999293ea65c10c3fdb9348"  # the reporter in the fixtures
ANNA = "557058:anna-frontline"
ENGINEER = "557058:eve-l2"
BRIDGE = "bridge-account-id"
TEAM_FIELD = "customfield_10050"


def _load(rel: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / rel).read_text())
    return data


def _user(account: str, name: str) -> dict[str, Any]:
    return {"accountId": account, "displayName": name, "active": True, "accountType": "atlassian"}


def jira_created(key: str = "SUP-7", minute: int = 0) -> dict[str, Any]:
    data = _load("jira/jira_cloud_issue_created__dangersvn.json")
    data["timestamp"] = T0_MS + minute * 60_000
    issue = data["issue"]
    issue["key"] = key
    issue["fields"][TEAM_FIELD] = {"value": "Service Desk", "id": "10100"}
    return data


def jira_comment(
    key: str, comment_id: str, author: str, name: str, minute: int, public: bool = True
) -> dict[str, Any]:
    data = _load("jira/jira_cloud_comment_created__dangersvn.json")
    data["timestamp"] = T0_MS + minute * 60_000
    data["issue"]["key"] = key
    comment = data["comment"]
    comment["id"] = comment_id
    comment["author"] = _user(author, name)
    comment["updateAuthor"] = _user(author, name)
    comment["jsdPublic"] = public
    comment["body"] = f"Reply {comment_id} from {name}"
    return data


def jira_escalate(key: str, minute: int, changelog_id: str = "10500") -> dict[str, Any]:
    """Anna moves the ticket to the L2 Network team and assigns Eve, in one edit."""
    data = copy.deepcopy(_load("jira/jira_cloud_issue_updated_priority_change__dangersvn.json"))
    data["timestamp"] = T0_MS + minute * 60_000
    data["user"] = _user(ANNA, "Anna Agent")
    issue = data["issue"]
    issue["key"] = key
    issue["fields"][TEAM_FIELD] = {"value": "L2 Network", "id": "10101"}
    issue["fields"]["assignee"] = _user(ENGINEER, "Eve Engineer")
    data["changelog"] = {
        "id": changelog_id,
        "items": [
            {
                "field": "Team",
                "fieldtype": "custom",
                "fieldId": TEAM_FIELD,
                "from": "10100",
                "fromString": "Service Desk",
                "to": "10101",
                "toString": "L2 Network",
            },
            {
                "field": "assignee",
                "fieldtype": "jira",
                "fieldId": "assignee",
                "from": None,
                "fromString": None,
                "to": ENGINEER,
                "toString": "Eve Engineer",
            },
        ],
    }
    return data


def jira_status(
    key: str, minute: int, status: str, category: str, actor: str, name: str
) -> dict[str, Any]:
    """A transition by ``actor``; to a done status it also sets ``resolution`` (one changelog,
    two items, as Jira sends a resolve)."""
    data = jira_escalate(key, minute, changelog_id=f"st-{key}-{minute}")
    data["user"] = _user(actor, name)
    data["issue"]["fields"]["status"] = {"name": status, "statusCategory": {"key": category}}
    items: list[dict[str, Any]] = [
        {"field": "status", "fieldtype": "jira", "fieldId": "status", "from": "1",
         "fromString": "Open", "to": "5", "toString": status},
    ]  # fmt: skip
    if category == "done":
        resolution = {"field": "resolution", "fieldtype": "jira", "fieldId": "resolution",
                      "from": None, "fromString": None, "to": "1", "toString": "Done"}  # fmt: skip
        items.insert(0, resolution)
    data["changelog"]["items"] = items
    return data


Z_CUSTOMER = "8447388090001"
Z_ANNA = "8447388090494"
Z_ENGINEER = "8447388090777"
Z_FRONTLINE = "8447320466430"
Z_L2 = "8447320469999"


def _zendesk_base(ticket: str, event_id: str, minute: int, type_: str) -> dict[str, Any]:
    data = _load("zendesk/zendesk_event_ticket_created__skyhook.json")
    data["id"] = event_id
    data["type"] = f"zen:event-type:ticket.{type_}"
    data["subject"] = f"zen:ticket:{ticket}"
    data["time"] = f"2026-01-05T08:{minute:02d}:00.123456789Z"
    detail = data["detail"]
    detail.update(
        id=ticket,
        requester_id=Z_CUSTOMER,
        submitter_id=Z_CUSTOMER,
        actor_id=Z_CUSTOMER,
        assignee_id=None,
        group_id=Z_FRONTLINE,
        status="NEW",
    )
    data["event"] = {}
    return data


def zendesk_created(ticket: str = "5158", minute: int = 0) -> dict[str, Any]:
    return _zendesk_base(ticket, "ev-created", minute, "created")


def zendesk_comment(
    ticket: str, event_id: str, comment_id: str, author: str, minute: int, public: bool = True
) -> dict[str, Any]:
    data = _zendesk_base(ticket, event_id, minute, "comment_added")
    data["detail"].update(actor_id=author, status="OPEN")
    data["event"] = {
        "comment": {
            "id": comment_id,
            "body": "We are on it",
            "is_public": public,
            "author": {
                "id": author,
                "is_staff": author != Z_CUSTOMER,
                "name": "Agent" if author != Z_CUSTOMER else "Cust",
            },
        }
    }
    return data


def zendesk_group_change(ticket: str, event_id: str, minute: int) -> dict[str, Any]:
    data = _zendesk_base(ticket, event_id, minute, "group_assignment_changed")
    data["detail"].update(actor_id=Z_ANNA, status="OPEN", group_id=Z_L2)
    data["event"] = {"current": {"id": Z_L2}, "previous": {"id": Z_FRONTLINE}}
    return data


def zendesk_assignee_change(ticket: str, event_id: str, minute: int) -> dict[str, Any]:
    data = _zendesk_base(ticket, event_id, minute, "agent_assignment_changed")
    data["detail"].update(actor_id=Z_ANNA, status="OPEN", group_id=Z_L2, assignee_id=Z_ENGINEER)
    data["event"] = {"current": {"id": Z_ENGINEER}, "previous": {"id": None}}
    return data
