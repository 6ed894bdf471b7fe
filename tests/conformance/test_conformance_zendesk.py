"""Zendesk passes the connector conformance kit (REST shapes as in API-FACTS.md)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import responses
from responses import matchers

from tco_bridge.actions import Action
from tco_bridge.events import EventType
from tco_bridge.testing import ConnectorConformance, FixtureFile, Reply, Sample, fixture_files

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
WEBHOOKS = FIXTURES / "webhooks" / "zendesk"
API = FIXTURES / "zendesk_api"
BASE = "https://acme.zendesk.com"
TICKET = f"{BASE}/api/v2/tickets/4242"
EMAIL = "bridge@acme.test"
TOKEN = "zd-conformance-token"
BOT = "5005"


def recorded(name: str) -> Any:
    return json.loads((API / name).read_text())


def exact(expected: dict[str, Any]) -> Any:
    return matchers.json_params_matcher(expected, strict_match=True)


def created_by_bot() -> bytes:
    data = json.loads((WEBHOOKS / "zendesk_event_ticket_created__skyhook.json").read_text())
    data["detail"]["actor_id"] = BOT
    return json.dumps(data).encode()


class TestZendeskConformance(ConnectorConformance):
    name = "zendesk"
    ticket = "4242"
    requester = "9001"
    group = "360011"
    replay_window = 300.0

    def env(self) -> dict[str, str]:
        return {
            "TCO_ZENDESK_URL": BASE,
            "TCO_ZENDESK_EMAIL": EMAIL,
            "TCO_ZENDESK_API_TOKEN": TOKEN,
            "TCO_ZENDESK_WEBHOOK_SECRET": "zd-conformance-webhook-secret",
            "TCO_ZENDESK_BOT_USER_ID": BOT,
        }

    def secrets(self) -> list[str]:
        basic = base64.b64encode(f"{EMAIL}/token:{TOKEN}".encode()).decode()
        return [*super().secrets(), basic]

    def sign(self, body: bytes, secret: str, at: datetime) -> dict[str, str]:
        stamp = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        digest = hmac.new(secret.encode(), stamp.encode() + body, hashlib.sha256).digest()
        return {
            "X-Zendesk-Webhook-Signature": base64.b64encode(digest).decode(),
            "X-Zendesk-Webhook-Signature-Timestamp": stamp,
        }

    def samples(self) -> Sequence[Sample]:
        def read(name: str) -> bytes:
            return (WEBHOOKS / name).read_bytes()

        created = "cbe4028c-7239-495d-b020-f22348516046"
        return [
            Sample(
                "ticket-created",
                read("zendesk_event_ticket_created__skyhook.json"),
                [(EventType.CREATED, created)],
                {"X-Zendesk-Webhook-Invocation-Id": "8350205582"},
            ),
            Sample(
                "private-comment-added",
                read("zendesk_event_ticket_comment_added_private__kers_engine.json"),
                [(EventType.COMMENT_ADDED, "d8551ba3-4243-433c-8629-aa79dc3e7182")],
            ),
            Sample(
                "attachment-linked-ignored",
                read("zendesk_event_ticket_attachment_linked_to_comment__hatappo_README.json"),
                ignored=True,
            ),
            Sample(
                "created-by-the-bot",
                created_by_bot(),
                [(EventType.CREATED, created)],
                by_bot=True,
            ),
        ]

    def fixtures(self) -> Sequence[FixtureFile]:
        unknown = "not a Zendesk event-subscription payload"
        return fixture_files(WEBHOOKS, refused={"other-integrations/": unknown})

    def stub_write(self, api: responses.RequestsMock, action: Action, reply: Reply) -> None:
        """A label: the ticket is read, then one safe update carries the whole tag list."""
        current = recorded("ticket_show.json")
        api.get(f"{TICKET}.json", json=current)
        tags = [*current["ticket"]["tags"], action.label]
        stamp = current["ticket"]["updated_at"]
        api.put(
            f"{TICKET}.json",
            match=[exact({"ticket": {"tags": tags, "safe_update": True, "updated_stamp": stamp}})],
            **reply.respond(
                ok_json=recorded("ticket_update.json"), error_json=recorded("error_invalid.json")
            ),
        )

    def stub_note(self, api: responses.RequestsMock, action: Action, *, written: bool) -> None:
        comments = recorded("ticket_comments_desc.json")
        newest = comments["comments"][0]
        marker = f"tco:{action.id}" if written else "tco:tco-someotheraction000000"
        newest["body"] = newest["plain_body"] = f"Earlier nudge\n\n{marker}"
        api.get(
            f"{TICKET}/comments.json",
            json=comments,
            match=[matchers.query_param_matcher({"sort_order": "desc"})],
        )
        if not written:
            comment = {
                "body": f"Conformance nudge\n\ntco:{action.id}",
                "public": False,
                "author_id": int(BOT),
            }
            api.put(
                f"{TICKET}.json",
                json=recorded("ticket_update.json"),
                match=[exact({"ticket": {"comment": comment}})],
            )

    def stub_task(self, api: responses.RequestsMock, action: Action, *, created: bool) -> str:
        found = recorded("search_followup_found.json")
        found["results"][0].update(id=4301, tags=[action.id, "tco_task", "tco_task_kb"])
        api.get(
            f"{BASE}/api/v2/search.json",
            json=found if created else recorded("search_empty.json"),
            match=[matchers.query_param_matcher({"query": f"type:ticket tags:{action.id}"})],
        )
        if not created:
            api.post(
                f"{BASE}/api/v2/tickets.json",
                status=201,
                json=recorded("ticket_create.json"),
                headers={"x-idempotency-lookup": "miss"},
                match=[matchers.header_matcher({"Idempotency-Key": action.id})],
            )
        return "4301"

    def stub_open_tickets(self, api: responses.RequestsMock) -> list[str]:
        page1 = recorded("search_export_page1.json")
        api.get(
            f"{BASE}/api/v2/search/export.json",
            json=page1,
            match=[
                matchers.query_param_matcher(
                    {"query": "type:ticket status<solved"}, strict_match=False
                )
            ],
        )
        api.get(page1["links"]["next"], json=recorded("search_export_page2.json"))
        return ["4242", "4250"]

    def stub_public_reply(self, api: responses.RequestsMock, action: Action) -> None:
        """A public comment in one ticket update: the text and a ``ref tco:<id>`` line."""
        comment = {
            "body": f"{action.text}\n\nref tco:{action.id}",
            "public": True,
            "author_id": int(BOT),
        }
        api.put(
            f"{TICKET}.json",
            json=recorded("ticket_update_public.json"),
            match=[exact({"ticket": {"comment": comment}})],
        )

    def stub_unassign(self, api: responses.RequestsMock, action: Action) -> None:
        update: dict[str, Any] = {"assignee_id": None}
        if action.group is not None:
            update["group_id"] = int(action.group)
        api.put(
            f"{TICKET}.json", json=recorded("ticket_update.json"), match=[exact({"ticket": update})]
        )

    def stub_group_mention(self, api: responses.RequestsMock, action: Action) -> None:
        comment = {
            "body": f"{action.text}\ngroup {self.group}\n\ntco:{action.id}",
            "public": False,
            "author_id": int(BOT),
        }
        api.put(
            f"{TICKET}.json",
            json=recorded("ticket_update.json"),
            match=[exact({"ticket": {"comment": comment}})],
        )
