"""Zendesk write-back and reconcile, with Zendesk faked at the HTTP layer by ``responses``."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
import responses
from responses import matchers

from connectors.zendesk import ApiRequest, ZendeskConnector
from tco_bridge.actions import Action, ActionKind, TaskSpec
from tco_bridge.connector import Outcome, TicketRecord
from tco_bridge.errors import (
    ConnectorError,
    PermanentApiError,
    RetryableApiError,
    TicketApiError,
)
from tco_bridge.events import Snapshot, Status

API = Path(__file__).resolve().parents[1] / "fixtures" / "zendesk_api"
BASE = "https://acme.zendesk.com"
TOKEN = "zd-api-token-5ecret"
SECRET = "webhook-signing-5ecret"
EMAIL = "bridge@acme.test"
TICKET = "4242"
TICKET_URL = f"{BASE}/api/v2/tickets/{TICKET}.json"
TASK_ID = "tco-1234567890abcdef0123"


def recorded(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((API / name).read_text())
    return data


def zendesk(**env: str) -> ZendeskConnector:
    base = {
        "TCO_ZENDESK_URL": BASE,
        "TCO_ZENDESK_EMAIL": EMAIL,
        "TCO_ZENDESK_API_TOKEN": TOKEN,
        "TCO_ZENDESK_WEBHOOK_SECRET": SECRET,
        "TCO_ZENDESK_BOT_USER_ID": "5005",
    }
    return ZendeskConnector.from_env({**base, **env})


def action(kind: ActionKind, action_id: str, **fields: Any) -> Action:
    return Action(id=action_id, connector="zendesk", ticket=TICKET, kind=kind, rule="r", **fields)


NOTE = action(
    ActionKind.NOTE,
    "tco-0f1e2d3c4b5a69788796",
    text="Please update the customer.",
    mention=("7001",),
    owner="7001",
    owner_name="Ada Lovelace",
)
ASSIGN = action(ActionKind.ASSIGN, "tco-aaaaaaaaaaaaaaaaaaaa", assignee="7001", group="360010")
FIELD = action(
    ActionKind.SET_FIELD, "tco-bbbbbbbbbbbbbbbbbbbb", field="custom_field:360002", value="l2"
)
REOPEN = action(ActionKind.TRANSITION, "tco-cccccccccccccccccccc", status="open")
TASK = action(
    ActionKind.CREATE_TASK,
    TASK_ID,
    task=TaskSpec(
        kind="kb",
        summary="KB: printers catching fire",
        description="Fire & <smoke>",
        assignee="7001",
    ),
)


@pytest.fixture
def fake() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


def body_of(call: Any) -> Any:
    return json.loads(call.request.body)


# --- the batched update --------------------------------------------------------------------


def test_note_assign_field_and_status_go_in_one_put(fake: responses.RequestsMock) -> None:
    auth = base64.b64encode(f"{EMAIL}/token:{TOKEN}".encode()).decode()
    fake.put(
        TICKET_URL,
        json=recorded("ticket_update.json"),
        match=[
            matchers.header_matcher({"Authorization": f"Basic {auth}"}),
            matchers.json_params_matcher(
                {
                    "ticket": {
                        "comment": {
                            "body": "Please update the customer.\n"
                            "@Ada Lovelace (Zendesk user 7001)\n\n"
                            "tco:tco-0f1e2d3c4b5a69788796\n"
                            "tco:tco-aaaaaaaaaaaaaaaaaaaa\n"
                            "tco:tco-bbbbbbbbbbbbbbbbbbbb\n"
                            "tco:tco-cccccccccccccccccccc",
                            "public": False,
                            "author_id": 5005,
                        },
                        "assignee_id": 7001,
                        "group_id": 360010,
                        "custom_fields": [{"id": 360002, "value": "l2"}],
                        "status": "open",
                        "followers": [{"user_id": 7001, "action": "put"}],
                    }
                },
                strict_match=True,
            ),
        ],
    )
    outcomes = zendesk().perform([NOTE, ASSIGN, FIELD, REOPEN])
    put = f"PUT /api/v2/tickets/{TICKET}.json"
    assert outcomes == [
        Outcome(NOTE.id, ok=True, detail=put, remote_id="880002"),
        Outcome(ASSIGN.id, ok=True, detail=put),
        Outcome(FIELD.id, ok=True, detail=put),
        Outcome(REOPEN.id, ok=True, detail=put),
    ]
    assert len(fake.calls) == 1


@pytest.mark.parametrize(
    ("canonical", "zendesk_status"),
    [("on_hold", "hold"), ("resolved", "solved"), ("closed", "closed"), ("pending", "pending")],
)
def test_transition_maps_canonical_statuses_back(
    fake: responses.RequestsMock, canonical: str, zendesk_status: str
) -> None:
    fake.put(
        TICKET_URL,
        json=recorded("ticket_update.json"),
        match=[matchers.json_params_matcher({"ticket": {"status": zendesk_status}})],
    )
    moved = action(ActionKind.TRANSITION, "tco-move", status=canonical)
    assert zendesk().perform([moved])[0].ok


def test_actions_that_cannot_be_expressed_send_nothing(fake: responses.RequestsMock) -> None:
    bad = [
        action(ActionKind.TRANSITION, "tco-1", status="archived"),
        action(ActionKind.SET_FIELD, "tco-2", field="colour", value="red"),
        action(ActionKind.NOTE, "tco-3"),
        action(ActionKind.ASSIGN, "tco-4"),
        action(ActionKind.ADD_LABEL, "tco-5"),
    ]
    assert [(o.ok, o.detail) for o in zendesk().perform(bad)] == [
        (False, "no Zendesk status for 'archived'"),
        (
            False,
            "field 'colour' is neither custom_field:<id> nor one of "
            "['due_at', 'external_id', 'priority', 'subject', 'type']",
        ),
        (False, "a note needs text"),
        (False, "assign needs an assignee or a group"),
        (False, "add_label needs a label"),
    ]


def test_actions_for_two_tickets_are_refused() -> None:
    other = Action("tco-x", "zendesk", "999", ActionKind.NOTE, "r", text="hi")
    with pytest.raises(ConnectorError, match="one ticket's actions"):
        zendesk().perform([NOTE, other])


# --- public replies, unassign, group mentions ---------------------------------------------

REPLY = action(
    ActionKind.NOTE,
    "tco-dddddddddddddddddddd",
    text="Did the new cartridge help?",
    mention=("9001",),  # the requester: notified by the reply itself, not named in it
    extra={"public": True},
)
PENDING = action(ActionKind.TRANSITION, "tco-eeeeeeeeeeeeeeeeeeee", status="pending")
PUT = f"PUT /api/v2/tickets/{TICKET}.json"


def put(fake: responses.RequestsMock, answer: str, ticket: dict[str, Any]) -> None:
    fake.put(
        TICKET_URL,
        json=recorded(answer),
        match=[matchers.json_params_matcher({"ticket": ticket}, strict_match=True)],
    )


def test_public_reply_rides_in_the_update_with_only_its_reference(
    fake: responses.RequestsMock,
) -> None:
    put(
        fake,
        "ticket_update_public.json",
        {
            "comment": {
                "body": "Did the new cartridge help?\n\nref tco:tco-dddddddddddddddddddd",
                "public": True,
                "author_id": 5005,
            },
            "status": "pending",
        },
    )
    assert zendesk().perform([REPLY, PENDING]) == [
        Outcome(REPLY.id, ok=True, detail=PUT, remote_id="880011"),
        Outcome(PENDING.id, ok=True, detail=PUT),
    ]


def test_public_reply_and_internal_note_go_in_two_updates(fake: responses.RequestsMock) -> None:
    put(
        fake,
        "ticket_update.json",
        {
            "comment": {
                "body": "Please update the customer.\n@Ada Lovelace (Zendesk user 7001)\n\n"
                "tco:tco-0f1e2d3c4b5a69788796\n"
                "tco:tco-eeeeeeeeeeeeeeeeeeee",
                "public": False,
                "author_id": 5005,
            },
            "status": "pending",
            "followers": [{"user_id": 7001, "action": "put"}],
        },
    )
    put(
        fake,
        "ticket_update_public.json",
        {
            "comment": {
                "body": "Did the new cartridge help?\n\nref tco:tco-dddddddddddddddddddd",
                "public": True,
                "author_id": 5005,
            }
        },
    )
    outcomes = zendesk().perform([REPLY, NOTE, PENDING])
    assert outcomes == [
        Outcome(REPLY.id, ok=True, detail=PUT, remote_id="880011"),
        Outcome(NOTE.id, ok=True, detail=PUT, remote_id="880002"),
        Outcome(PENDING.id, ok=True, detail=PUT),
    ]
    first, second = (body_of(call)["ticket"]["comment"]["public"] for call in fake.calls)
    assert (first, second) == (False, True)  # never one comment for both


def test_two_public_replies_share_one_public_comment(fake: responses.RequestsMock) -> None:
    again = action(
        ActionKind.NOTE, "tco-ffffffffffffffffffff", text="Still there?", extra={"public": True}
    )
    put(
        fake,
        "ticket_update_public.json",
        {
            "comment": {
                "body": "Did the new cartridge help?\n\nStill there?\n\n"
                "ref tco:tco-dddddddddddddddddddd\nref tco:tco-ffffffffffffffffffff",
                "public": True,
            }
        },
    )
    outcomes = zendesk(TCO_ZENDESK_BOT_USER_ID="").perform([REPLY, again])
    assert [o.remote_id for o in outcomes] == ["880011", "880011"]


def test_check_existing_skips_a_public_reply_by_its_reference(
    fake: responses.RequestsMock,
) -> None:
    fake.get(
        f"{BASE}/api/v2/tickets/{TICKET}/comments.json",
        json=recorded("ticket_comments_public_reply.json"),
        match=[matchers.query_param_matcher({"sort_order": "desc"})],
    )
    put(fake, "ticket_update.json", {"status": "pending"})  # unmarked: set again, harmlessly
    outcomes = zendesk().perform([REPLY, PENDING], check_existing=True)
    assert outcomes == [
        Outcome(REPLY.id, ok=True, skipped=True, detail="already in the ticket (tco marker)"),
        Outcome(PENDING.id, ok=True, detail=PUT),
    ]


def test_unassign_sends_a_null_assignee_and_the_group(fake: responses.RequestsMock) -> None:
    put(fake, "ticket_update.json", {"assignee_id": None, "group_id": 360011})
    unassign = action(ActionKind.ASSIGN, "tco-unassign", group="360011", extra={"unassign": True})
    assert zendesk().perform([unassign]) == [Outcome(unassign.id, ok=True, detail=PUT)]


def test_unassign_without_a_group_keeps_the_group(fake: responses.RequestsMock) -> None:
    put(fake, "ticket_update.json", {"assignee_id": None})
    assert zendesk().perform([action(ActionKind.ASSIGN, "tco-u", extra={"unassign": True})])[0].ok


def test_group_mentions_are_written_as_the_group_id(fake: responses.RequestsMock) -> None:
    put(
        fake,
        "ticket_update.json",
        {
            "comment": {
                "body": "Pickup overdue.\n@Ada Lovelace (Zendesk user 7001), group 360010"
                "\n\ntco:tco-nudge",
                "public": False,
                "author_id": 5005,
            },
            "followers": [{"user_id": 7001, "action": "put"}],  # the group is no follower
        },
    )
    nudge = action(
        ActionKind.NOTE,
        "tco-nudge",
        text="Pickup overdue.",
        mention=("7001", "group:360010"),
        owner="7001",
        owner_name="Ada Lovelace",
    )
    assert zendesk().perform([nudge])[0].remote_id == "880002"


# --- tags and the owner mirror -------------------------------------------------------------


def show(fake: responses.RequestsMock, **changes: Any) -> dict[str, Any]:
    """Stub the read of the ticket (current tags and ``updated_at``); return the ticket."""
    answer = recorded("ticket_show.json")
    answer["ticket"].update(changes)
    fake.get(TICKET_URL, json=answer)
    ticket: dict[str, Any] = answer["ticket"]
    return ticket


def test_labels_join_the_update_as_a_safe_tag_list(fake: responses.RequestsMock) -> None:
    """``tags`` replaces the list: it is computed from the current tags, sent as a safe update."""
    current = show(fake, tags=["printer", "waiting"])
    put(
        fake,
        "ticket_update.json",
        {
            "tags": ["printer", "vip", "escalated"],
            "safe_update": True,
            "updated_stamp": current["updated_at"],
        },
    )
    actions = [
        action(ActionKind.ADD_LABEL, "tco-a", label="vip"),
        action(ActionKind.ADD_LABEL, "tco-b", label="escalated"),
        action(ActionKind.REMOVE_LABEL, "tco-c", label="waiting"),
    ]
    outcomes = zendesk().perform(actions)
    assert outcomes == [Outcome(a.id, ok=True, detail=PUT) for a in actions]
    assert [c.request.method for c in fake.calls] == ["GET", "PUT"]  # one write


def test_owner_mirror_in_tag_mode(fake: responses.RequestsMock) -> None:
    current = show(fake)
    put(
        fake,
        "ticket_update.json",
        {
            "tags": ["printer", "tco_owner_7001"],
            "safe_update": True,
            "updated_stamp": current["updated_at"],
        },
    )
    owner = action(ActionKind.SET_OWNER, "tco-own", owner="7001", previous_owner="7000")
    assert zendesk().perform([owner])[0].ok


def test_tags_already_as_wanted_send_no_update(fake: responses.RequestsMock) -> None:
    show(fake, tags=["printer", "tco_owner_7001"])
    owner = action(ActionKind.SET_OWNER, "tco-own", owner="7001", previous_owner="7000")
    assert zendesk().perform([owner]) == [
        Outcome("tco-own", ok=True, detail="tags already as wanted")
    ]
    assert [c.request.method for c in fake.calls] == ["GET"]


def test_a_tag_set_meanwhile_survives_a_409(fake: responses.RequestsMock) -> None:
    """Someone tags the ticket between our read and our write: Zendesk refuses the stale
    update with 409; the ticket is read again and the list recomputed with their tag."""
    first = show(fake, tags=["printer"], updated_at="2026-03-02T10:15:00Z")
    fake.put(
        TICKET_URL,
        status=409,
        json={"error": "UpdateConflict", "description": "Protecting against update collisions"},
        match=[matchers.json_params_matcher({"ticket": {
            "tags": ["printer", "tco_owner_7001"], "status": "open", "safe_update": True,
            "updated_stamp": first["updated_at"]}}, strict_match=True)],
    )  # fmt: skip
    show(fake, tags=["printer", "vip"], updated_at="2026-03-02T10:16:00Z")
    put(fake, "ticket_update.json", {
        "tags": ["printer", "vip", "tco_owner_7001"], "status": "open", "safe_update": True,
        "updated_stamp": "2026-03-02T10:16:00Z"})  # fmt: skip
    owner = action(ActionKind.SET_OWNER, "tco-own", owner="7001", previous_owner="7000")
    outcomes = zendesk().perform([owner, REOPEN])
    assert [o.ok for o in outcomes] == [True, True]
    assert [c.request.method for c in fake.calls] == ["GET", "PUT", "GET", "PUT"]
    final = body_of(fake.calls[3])["ticket"]
    assert "vip" in final["tags"] and "tco_owner_7001" in final["tags"]


def test_a_ticket_that_keeps_changing_is_retried_later(fake: responses.RequestsMock) -> None:
    for _ in range(3):
        show(fake)
        fake.put(TICKET_URL, status=409, json={"error": "UpdateConflict"})
    owner = action(ActionKind.SET_OWNER, "tco-own", owner="7001", previous_owner="7000")
    with pytest.raises(RetryableApiError, match="kept changing"):
        zendesk().perform([owner])


def test_owner_mirror_in_field_mode_joins_the_update(fake: responses.RequestsMock) -> None:
    fake.put(
        TICKET_URL,
        json=recorded("ticket_update.json"),
        match=[
            matchers.json_params_matcher(
                {
                    "ticket": {
                        "assignee_id": 7001,
                        "group_id": 360010,
                        "custom_fields": [{"id": 360001, "value": "7001"}],
                    }
                },
                strict_match=True,
            )
        ],
    )
    owner = action(ActionKind.SET_OWNER, "tco-own", owner="7001", previous_owner="7000")
    outcomes = zendesk(TCO_ZENDESK_OWNER_FIELD="360001").perform([ASSIGN, owner])
    assert [o.ok for o in outcomes] == [True, True]


# --- idempotent re-runs --------------------------------------------------------------------


def test_check_existing_skips_what_the_earlier_attempt_wrote(fake: responses.RequestsMock) -> None:
    fake.get(
        f"{BASE}/api/v2/tickets/{TICKET}/comments.json",
        json=recorded("ticket_comments_desc.json"),
        match=[matchers.query_param_matcher({"sort_order": "desc"})],
    )
    fake.put(
        TICKET_URL,
        json=recorded("ticket_update.json"),
        match=[
            matchers.json_params_matcher(
                {"ticket": {"custom_fields": [{"id": 360002, "value": "l2"}]}}, strict_match=True
            )
        ],
    )
    outcomes = zendesk().perform([NOTE, ASSIGN, FIELD], check_existing=True)
    skipped = "already in the ticket (tco marker)"
    assert outcomes == [
        Outcome(NOTE.id, ok=True, skipped=True, detail=skipped),
        Outcome(ASSIGN.id, ok=True, skipped=True, detail=skipped),
        Outcome(FIELD.id, ok=True, detail=f"PUT /api/v2/tickets/{TICKET}.json"),
    ]


def test_check_existing_without_notes_needs_no_lookup(fake: responses.RequestsMock) -> None:
    show(fake)
    fake.put(TICKET_URL, json=recorded("ticket_update.json"))
    label = action(ActionKind.ADD_LABEL, "tco-a", label="vip")
    assert zendesk().perform([label], check_existing=True)[0].ok
    assert [call.request.url for call in fake.calls] == [TICKET_URL, TICKET_URL]  # no comments


# --- KB tasks: follow-up tickets -----------------------------------------------------------

FOLLOWUP = {
    "ticket": {
        "subject": "KB: printers catching fire",
        "comment": {
            "body": f"Fire & <smoke>\n\nFollow-up of #{TICKET}.\n\ntco:{TASK_ID}",
            "public": False,
        },
        "via_followup_source_id": 4242,
        "tags": [TASK_ID, "tco_task", "tco_task_kb"],
        "assignee_id": 7001,
    }
}


def search_for_task(fake: responses.RequestsMock, answer: str) -> None:
    fake.get(
        f"{BASE}/api/v2/search.json",
        json=recorded(answer),
        match=[matchers.query_param_matcher({"query": f"type:ticket tags:{TASK_ID}"})],
    )


@pytest.mark.parametrize(("lookup", "skipped"), [("miss", False), ("hit", True)])
def test_followup_ticket_with_idempotency_key(
    fake: responses.RequestsMock, lookup: str, skipped: bool
) -> None:
    search_for_task(fake, "search_empty.json")
    fake.post(
        f"{BASE}/api/v2/tickets.json",
        status=201,
        json=recorded("ticket_create.json"),
        headers={"x-idempotency-lookup": lookup},
        match=[
            matchers.header_matcher({"Idempotency-Key": TASK_ID}),
            matchers.json_params_matcher(FOLLOWUP, strict_match=True),
        ],
    )
    [outcome] = zendesk().perform([TASK])
    detail = "Zendesk replayed the earlier create" if skipped else "follow-up ticket created"
    assert outcome == Outcome(TASK_ID, ok=True, skipped=skipped, remote_id="4301", detail=detail)


def test_followup_found_by_its_tag_is_not_created_again(fake: responses.RequestsMock) -> None:
    search_for_task(fake, "search_followup_found.json")
    assert zendesk().perform([TASK]) == [
        Outcome(
            TASK_ID,
            ok=True,
            skipped=True,
            remote_id="4300",
            detail="follow-up ticket #4300 already exists",
        )
    ]


# --- KB tasks: Help Center drafts ----------------------------------------------------------

ARTICLES_URL = f"{BASE}/api/v2/help_center/en-us/articles.json"


def list_articles(fake: responses.RequestsMock, answer: str) -> None:
    fake.get(
        ARTICLES_URL,
        json=recorded(answer),
        match=[matchers.query_param_matcher({"label_names": TASK_ID})],
    )


def test_article_draft_is_created_with_the_action_label(fake: responses.RequestsMock) -> None:
    list_articles(fake, "articles_empty.json")
    fake.post(
        f"{BASE}/api/v2/help_center/en-us/sections/360001234/articles.json",
        status=201,
        json=recorded("article_create.json"),
        match=[
            matchers.json_params_matcher(
                {
                    "article": {
                        "title": "KB: printers catching fire",
                        "body": "<p>Fire &amp; &lt;smoke&gt;</p><p>Source ticket: #4242</p>"
                        "<p>Owner: Zendesk user 7001</p>",
                        "locale": "en-us",
                        "draft": True,
                        "label_names": [TASK_ID],
                    }
                },
                strict_match=True,
            )
        ],
    )
    [outcome] = zendesk(TCO_ZENDESK_KB="article:en-us:360001234").perform([TASK])
    assert outcome == Outcome(
        TASK_ID, ok=True, remote_id="36000777", detail="draft article created"
    )


def test_article_draft_with_permission_group(fake: responses.RequestsMock) -> None:
    list_articles(fake, "articles_empty.json")
    fake.post(
        f"{BASE}/api/v2/help_center/en-us/sections/360001234/articles.json",
        status=201,
        json=recorded("article_create.json"),
        match=[
            matchers.json_params_matcher(
                {"article": {"permission_group_id": 77, "user_segment_id": None}},
                strict_match=False,
            )
        ],
    )
    assert zendesk(TCO_ZENDESK_KB="article:en-us:360001234:77").perform([TASK])[0].ok


def test_existing_labelled_draft_is_reused(fake: responses.RequestsMock) -> None:
    list_articles(fake, "articles_labelled.json")
    [outcome] = zendesk(TCO_ZENDESK_KB="article:en-us:360001234").perform([TASK])
    assert outcome == Outcome(
        TASK_ID,
        ok=True,
        skipped=True,
        remote_id="36000555",
        detail="draft article 36000555 already exists",
    )


# --- the retry table -----------------------------------------------------------------------


def test_429_with_retry_after_is_retryable(fake: responses.RequestsMock) -> None:
    fake.put(
        TICKET_URL,
        status=429,
        json=recorded("error_rate_limited.json"),
        headers={"Retry-After": "30"},
    )
    with pytest.raises(RetryableApiError) as caught:
        zendesk().perform([REOPEN])
    assert (caught.value.status, caught.value.retry_after) == (429, 30.0)
    assert str(caught.value).startswith(f"[zendesk] PUT /api/v2/tickets/{TICKET}.json answered 429")


def test_503_is_retryable(fake: responses.RequestsMock) -> None:
    fake.put(TICKET_URL, status=503, json=recorded("error_unavailable.json"))
    with pytest.raises(RetryableApiError) as caught:
        zendesk().perform([REOPEN])
    assert caught.value.status == 503 and caught.value.retry_after is None


def test_400_is_permanent_and_says_why(fake: responses.RequestsMock) -> None:
    fake.put(TICKET_URL, status=400, json=recorded("error_invalid.json"))
    with pytest.raises(PermanentApiError) as caught:
        zendesk().perform([REOPEN])
    assert caught.value.status == 400 and "RecordInvalid" in str(caught.value)


@pytest.mark.parametrize(
    "failure", [requests.ReadTimeout("read timed out"), requests.ConnectionError("refused")]
)
def test_timeouts_and_connection_errors_are_retryable(
    fake: responses.RequestsMock, failure: Exception
) -> None:
    fake.put(TICKET_URL, body=failure)
    with pytest.raises(RetryableApiError) as caught:
        zendesk().perform([REOPEN])
    name = type(failure).__name__
    assert str(caught.value) == f"[zendesk] PUT /api/v2/tickets/{TICKET}.json failed: {name}"


def test_no_secret_in_any_error_or_repr(fake: responses.RequestsMock) -> None:
    connector = zendesk()
    failures: list[TicketApiError] = []
    for answer in (
        {"status": 429, "headers": {"Retry-After": "1"}},
        {"status": 503},
        {"status": 401, "json": {"error": "Couldn't authenticate you"}},
        {"body": requests.ConnectTimeout(f"https://{EMAIL}:{TOKEN}@acme.zendesk.com")},
    ):
        fake.put(TICKET_URL, **answer)
        with pytest.raises(TicketApiError) as caught:
            connector.perform([REOPEN])
        failures.append(caught.value)
    texts = [str(f) for f in failures] + [repr(f) for f in failures]
    texts += [repr(connector), repr(connector.settings), repr(connector._transport)]
    for text in texts:
        assert TOKEN not in text and SECRET not in text


def test_write_back_without_url_fails_clearly() -> None:
    connector = ZendeskConnector.from_env({"TCO_ZENDESK_WEBHOOK_SECRET": SECRET})
    with pytest.raises(ConnectorError) as caught:
        connector.perform([REOPEN])
    assert str(caught.value) == (
        "[zendesk] Zendesk write-back is not configured: set TCO_ZENDESK_URL or "
        "TCO_ZENDESK_SUBDOMAIN and TCO_ZENDESK_EMAIL and TCO_ZENDESK_API_TOKEN"
    )
    assert connector.perform([]) == []


def test_pagination_links_to_another_host_are_refused() -> None:
    with pytest.raises(PermanentApiError, match="refusing to follow a link to another host"):
        zendesk().send(ApiRequest("GET", "https://evil.example/api/v2/search/export.json"))


def test_limit_keys_name_the_budgets_a_request_spends() -> None:
    keys = ZendeskConnector.limit_keys
    assert keys(ApiRequest("PUT", "/api/v2/tickets/1.json")) == ("api", "ticket_update")
    assert keys(ApiRequest("PUT", "/api/v2/tickets/1/tags.json")) == ("api",)
    assert keys(ApiRequest("GET", "/api/v2/search/export.json")) == ("api",)
    # Kept under Zendesk's fixed 100/min Update Ticket cap, leaving a margin.
    assert ZendeskConnector.write_limits["ticket_update"] == "90/minute"
    assert ZendeskConnector.batch_writes is True


# --- reconcile -----------------------------------------------------------------------------


def test_open_tickets_pages_through_search_export(fake: responses.RequestsMock) -> None:
    page1 = recorded("search_export_page1.json")
    fake.get(
        f"{BASE}/api/v2/search/export.json",
        json=page1,
        match=[
            matchers.query_param_matcher(
                {
                    "query": "type:ticket status<solved",
                    "filter[type]": "ticket",
                    "page[size]": "100",
                }
            )
        ],
    )
    fake.get(
        page1["links"]["next"],
        json=recorded("search_export_page2.json"),
        match=[
            matchers.query_param_matcher(
                {"page[after]": "eyJmaWVsZCI6ImNyZWF0ZWRfYXQifQ"}, strict_match=False
            )
        ],
    )
    records = list(zendesk().open_tickets())
    common = {"brand_id": "360000146293", "form_id": "50124257287449"}
    assert records == [
        TicketRecord(
            ticket="4242",
            snapshot=Snapshot(
                status=Status.OPEN,
                raw_status="open",
                priority="high",
                assignee="7001",
                group="360010",
                requester="9001",
                type="incident",
                summary="Printer on fire",
                tags=("printer", "tco_owner_7001"),
                created_at=datetime(2026, 3, 1, 8, 0, tzinfo=UTC),
                fields={
                    **common,
                    "organization_id": None,
                    "via_channel": "email",
                    "custom_status": "8593966",
                    "custom_field:360001": "7001",
                },
            ),
            updated_at=datetime(2026, 3, 2, 10, 15, tzinfo=UTC),
        ),
        TicketRecord(
            ticket="4250",
            snapshot=Snapshot(
                status=Status.ON_HOLD,
                raw_status="hold",
                group="360011",
                requester="9002",
                summary="Waiting on parts",
                created_at=datetime(2026, 2, 20, 12, 0, tzinfo=UTC),
                fields={
                    **common,
                    "organization_id": "120",
                    "via_channel": "web",
                    "custom_status": None,
                },
            ),
            updated_at=datetime(2026, 2, 28, 9, 30, tzinfo=UTC),
        ),
    ]


def test_owner_field_from_the_rules_file_wins_over_the_setting() -> None:
    from connectors.zendesk.plan import owner_target

    base = Action("a", "zendesk", "1", ActionKind.SET_OWNER, "owner-mirror", owner="9")
    assert owner_target(base, "360001") == "360001"  # no rules entry: the setting
    assert owner_target(replace(base, field="tag"), "360001") is None  # rules say: a tag
    assert owner_target(replace(base, field="360002"), None) == "360002"  # rules name a field


def test_write_cost_counts_real_calls_per_budget() -> None:
    conn = ZendeskConnector.from_env({"TCO_ZENDESK_URL": "https://acme.zendesk.com"})

    def act(kind: ActionKind, n: int, **kw: object) -> Action:
        return Action(f"a{n}", "zendesk", "1", kind, "r", **kw)  # type: ignore[arg-type]

    note = act(ActionKind.NOTE, 1, text="Please update the customer")
    owner = act(ActionKind.SET_OWNER, 2, owner="9")  # tag mode by default
    assign = act(ActionKind.ASSIGN, 3, assignee="7")
    reply = act(ActionKind.NOTE, 4, text="Did it work?", extra={"public": True})
    # The owner tag rides in the note's update; the ticket is read first for its tags.
    assert conn.write_cost([note, owner]) == {"ticket_update": 1, "api": 2}
    assert conn.write_cost([note, assign, reply]) == {"ticket_update": 2, "api": 2}
    assert conn.write_cost([owner]) == {"ticket_update": 1, "api": 2}


def test_coalescing_off_sends_one_request_per_action(fake: responses.RequestsMock) -> None:
    """The benchmark's comparison (``TCO_ZENDESK_COALESCE=0``): what the same actions cost
    without one update per ticket."""
    put(fake, "ticket_update.json", {"status": "open"})
    put(fake, "ticket_update.json", {"assignee_id": 7001, "group_id": 360010})
    outcomes = zendesk(TCO_ZENDESK_COALESCE="0").perform([REOPEN, ASSIGN])
    assert [o.ok for o in outcomes] == [True, True] and len(fake.calls) == 2


def test_an_agent_already_following_is_not_put_again(fake: responses.RequestsMock) -> None:
    current = show(fake, follower_ids=[7000])
    note = replace(NOTE, mention=("7000", "7002"), owner="7000", owner_name=None)
    owner = action(ActionKind.SET_OWNER, "tco-own", owner="7001", previous_owner="7000")
    fake.put(TICKET_URL, json=recorded("ticket_update.json"))
    zendesk().perform([note, owner])
    sent = body_of(fake.calls[1])["ticket"]
    assert sent["followers"] == [{"user_id": 7002, "action": "put"}]
    assert sent["updated_stamp"] == current["updated_at"]


def test_refresh_tickets_shows_many_at_a_time_whatever_their_status(
    fake: responses.RequestsMock,
) -> None:
    closed = {**recorded("ticket_show.json")["ticket"], "status": "closed"}
    ids = [str(4242 + n) for n in range(101)]
    first = fake.get(
        f"{BASE}/api/v2/tickets/show_many.json",
        json={"tickets": [closed]},  # the others are gone: Zendesk leaves them out
        match=[matchers.query_param_matcher({"ids": ",".join(ids[:100])})],
    )
    second = fake.get(
        f"{BASE}/api/v2/tickets/show_many.json",
        json={"tickets": []},
        match=[matchers.query_param_matcher({"ids": ids[100]})],
    )
    records = list(zendesk().refresh_tickets([*ids, "not-a-zendesk-id"]))
    assert (first.call_count, second.call_count) == (1, 1)
    assert [(r.ticket, r.snapshot.status) for r in records] == [("4242", Status.CLOSED)]


def test_an_update_of_a_closed_ticket_is_reported_not_retried_or_parked(
    fake: responses.RequestsMock,
) -> None:
    fake.put(TICKET_URL, status=422, json=recorded("error_closed.json"))
    outcomes = zendesk().perform([NOTE, ASSIGN])
    assert [(o.action_id, o.ok, o.skipped) for o in outcomes] == [
        (NOTE.id, True, True),
        (ASSIGN.id, True, True),
    ]
    assert all("the ticket is closed" in o.detail for o in outcomes)
    assert len(fake.calls) == 1


def test_any_other_refused_update_is_still_an_error(fake: responses.RequestsMock) -> None:
    fake.put(TICKET_URL, status=422, json=recorded("error_invalid.json"))
    with pytest.raises(PermanentApiError, match="422"):
        zendesk().perform([NOTE, ASSIGN])
