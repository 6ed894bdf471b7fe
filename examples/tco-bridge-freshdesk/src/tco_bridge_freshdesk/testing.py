"""The Freshdesk harness for tco-bridge's conformance kit (needs the ``test`` extra:
tco-bridge's ``conformance`` kit).

A test module runs the whole kit with two lines::

    from tco_bridge_freshdesk.testing import FreshdeskHarness

    class TestFreshdeskConformance(FreshdeskHarness): ...

Freshdesk is faked at the HTTP layer in the REST shapes of API v2.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import datetime
from importlib.resources import files
from typing import Any

import responses
from responses import matchers

from tco_bridge.actions import Action
from tco_bridge.events import EventType
from tco_bridge.testing import ConnectorConformance, Reply, Sample

from .webhook import sign

BASE = "https://acme.freshdesk.com"
API_KEY = "fd-conformance-api-key"
BOT = "70999"
TICKET = f"{BASE}/api/v2/tickets/1042"


def sample(name: str) -> bytes:
    return files("tco_bridge_freshdesk").joinpath("samples", name).read_bytes()


def exact(expected: Any) -> Any:
    return matchers.json_params_matcher(expected, strict_match=True)


def ticket_json(ticket_id: int, status: int, tags: list[str]) -> dict[str, Any]:
    return {
        "id": ticket_id,
        "subject": f"Ticket {ticket_id}",
        "status": status,
        "priority": 3,
        "responder_id": 70001,
        "group_id": 9001,
        "requester_id": 80001,
        "tags": tags,
        "updated_at": "2025-03-04T09:12:30Z",
    }


class FreshdeskHarness(ConnectorConformance):
    name = "freshdesk"
    ticket = "1042"
    requester = "80001"
    group = "9002"

    def env(self) -> dict[str, str]:
        return {
            "TCO_FRESHDESK_DOMAIN": "acme",
            "TCO_FRESHDESK_API_KEY": API_KEY,
            "TCO_FRESHDESK_WEBHOOK_SECRET": "fd-conformance-webhook-secret",
            "TCO_FRESHDESK_BOT_AGENT_ID": BOT,
            "TCO_FRESHDESK_TASK_REQUESTER": "bridge@acme.example",
        }

    def secrets(self) -> list[str]:
        basic = base64.b64encode(f"{API_KEY}:X".encode()).decode()
        return [*super().secrets(), basic]

    def sign(self, body: bytes, secret: str, at: datetime) -> dict[str, str]:
        return {"X-Tco-Signature": sign(secret, body)}

    def samples(self) -> Sequence[Sample]:
        return [
            Sample("created", sample("created.json"), [(EventType.CREATED, "created:1042")]),
            Sample(
                "updated-by-agent",
                sample("updated_by_agent.json"),
                [(EventType.FIELD_CHANGED, "updated:1042:2025-03-04T09:12:30Z")],
            ),
            Sample(
                "note-by-the-bridge",
                sample("note_by_bridge.json"),
                [(EventType.COMMENT_ADDED, "note:1042:2025-03-04T10:00:00Z")],
                by_bot=True,
            ),
        ]

    def stub_write(self, api: responses.RequestsMock, action: Action, reply: Reply) -> None:
        api.get(TICKET, json=ticket_json(1042, 2, ["vpn"]))
        error = {"description": "Validation failed", "errors": [{"code": "invalid_value"}]}
        api.put(
            TICKET,
            match=[exact({"tags": ["vpn", action.label]})],
            **reply.respond(
                ok_json=ticket_json(1042, 2, ["vpn", str(action.label)]), error_json=error
            ),
        )

    def stub_note(self, api: responses.RequestsMock, action: Action, *, written: bool) -> None:
        marker = f"tco:{action.id}" if written else "no marker here"
        older = {"id": 1, "body": "<div>Hello</div>", "body_text": "Hello", "private": False}
        newer = {"id": 2, "body": f"<p>{marker}</p>", "body_text": marker, "private": True}
        page2 = f"{TICKET}/conversations?page=2&per_page=100"
        api.get(
            f"{TICKET}/conversations",
            json=[older],
            headers={"Link": f'<{page2}>; rel="next"'},
            match=[matchers.query_param_matcher({"per_page": "100"})],
        )
        api.get(
            page2,
            json=[newer],
            match=[matchers.query_param_matcher({"page": "2", "per_page": "100"})],
        )
        if not written:
            body = f"<div>Conformance nudge</div><p>tco:{action.id}</p>"
            api.post(
                f"{TICKET}/notes",
                status=201,
                json={"id": 3, "body": body, "private": True},
                match=[exact({"body": body, "private": True})],
            )

    def stub_task(self, api: responses.RequestsMock, action: Action, *, created: bool) -> str:
        found = {"results": [ticket_json(1077, 2, [action.id, "tco-task"])], "total": 1}
        api.get(
            f"{BASE}/api/v2/search/tickets",
            json=found if created else {"results": [], "total": 0},
            match=[matchers.query_param_matcher({"query": f"\"tag:'{action.id}'\""})],
        )
        if not created:
            api.post(
                f"{BASE}/api/v2/tickets",
                status=201,
                json=ticket_json(1077, 2, [action.id, "tco-task", "tco-task-kb"]),
                match=[
                    matchers.json_params_matcher(
                        {
                            "email": "bridge@acme.example",
                            "tags": [action.id, "tco-task", "tco-task-kb"],
                        },
                        strict_match=False,
                    )
                ],
            )
        return "1077"

    def stub_open_tickets(self, api: responses.RequestsMock) -> list[str]:
        page2 = f"{BASE}/api/v2/tickets?page=2&per_page=100"
        api.get(
            f"{BASE}/api/v2/tickets",
            json=[ticket_json(1042, 2, []), ticket_json(1043, 4, [])],
            headers={"Link": f'<{page2}>; rel="next"'},
            match=[matchers.query_param_matcher({"order_by": "updated_at"}, strict_match=False)],
        )
        api.get(page2, json=[ticket_json(1050, 6, ["vip"])])
        return ["1042", "1050"]

    def stub_public_reply(self, api: responses.RequestsMock, action: Action) -> None:
        """``POST …/reply``: the text and a small reference, nobody mentioned."""
        body = f"<div>{action.text}</div><p><small>ref tco:{action.id}</small></p>"
        api.post(
            f"{TICKET}/reply",
            status=201,
            json={"id": 4, "body": body, "private": False, "ticket_id": 1042},
            match=[exact({"body": body})],
        )

    def stub_unassign(self, api: responses.RequestsMock, action: Action) -> None:
        update: dict[str, Any] = {"responder_id": None}
        answer = ticket_json(1042, 2, ["vpn"]) | {"responder_id": None}
        if action.group is not None:
            update["group_id"] = int(action.group)
            answer["group_id"] = int(action.group)
        api.put(TICKET, json=answer, match=[exact(update)])

    def stub_group_mention(self, api: responses.RequestsMock, action: Action) -> None:
        body = f"<div>{action.text}</div><p>group {self.group}</p><p>tco:{action.id}</p>"
        api.post(
            f"{TICKET}/notes",
            status=201,
            json={"id": 5, "body": body, "private": True},
            match=[exact({"body": body, "private": True})],
        )
