"""The Freshdesk connector: tco-bridge's conformance kit, plus what is Freshdesk-only."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import responses
from responses import matchers
from tco_bridge_freshdesk import FreshdeskConnector
from tco_bridge_freshdesk.testing import API_KEY, BASE, TICKET, FreshdeskHarness, sample
from tco_bridge_freshdesk.webhook import BODY_TEMPLATE

from tco_bridge.actions import Action, ActionKind
from tco_bridge.connector import Outcome, build
from tco_bridge.errors import ConnectorLoadError, SignatureError, UnreadableDelivery

NOW = datetime(2025, 3, 4, tzinfo=UTC)


class TestFreshdeskConformance(FreshdeskHarness):
    """Every check of the kit, against Freshdesk faked in its REST v2 shapes."""


def writer() -> FreshdeskConnector:
    return FreshdeskConnector.from_env(
        {"TCO_FRESHDESK_URL": BASE, "TCO_FRESHDESK_API_KEY": API_KEY}
    )


def note(
    aid: str, text: str, mention: tuple[str, ...] = (), extra: dict[str, Any] | None = None
) -> Action:
    return Action(aid, "freshdesk", "1042", ActionKind.NOTE, "r", text, mention, extra=extra or {})


@pytest.fixture
def fake() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as api:
        yield api


def test_a_note_names_users_and_groups_in_its_text(fake: responses.RequestsMock) -> None:
    body = (
        "<div>Pickup overdue &amp; more</div><p>@agent 70001</p><p>group 9002</p>"
        "<p>tco:tco-aaaaaaaaaaaaaaaaaaaa</p>"
    )
    fake.post(
        f"{TICKET}/notes",
        status=201,
        json={"id": 7},
        match=[matchers.json_params_matcher({"body": body, "private": True}, strict_match=True)],
    )
    action = note("tco-aaaaaaaaaaaaaaaaaaaa", "Pickup overdue & more", ("70001", "group:9002"))
    assert writer().perform([action]) == [Outcome(action.id, True, "private note added", "7")]


def test_a_public_reply_already_sent_is_found_by_its_reference(
    fake: responses.RequestsMock,
) -> None:
    marker = "ref tco:tco-bbbbbbbbbbbbbbbbbbbb"
    reply = {"id": 9, "body": f"<p><small>{marker}</small></p>", "body_text": marker}
    fake.get(f"{TICKET}/conversations", json=[reply])
    action = note("tco-bbbbbbbbbbbbbbbbbbbb", "Did it work?", ("80001",), {"public": True})
    [outcome] = writer().perform([action], check_existing=True)
    assert (outcome.ok, outcome.skipped, outcome.detail) == (
        True,
        True,
        "public reply already written",
    )


def test_a_false_public_flag_is_a_private_note(fake: responses.RequestsMock) -> None:
    fake.post(
        f"{TICKET}/notes",
        status=201,
        json={"id": 8},
        match=[matchers.json_params_matcher({"private": True}, strict_match=False)],
    )
    action = note("tco-cccccccccccccccccccc", "Nudge", extra={"public": False})
    assert writer().perform([action])[0].detail == "private note added"


def test_unassign_keeps_the_group_when_none_is_given(fake: responses.RequestsMock) -> None:
    fake.put(
        TICKET,
        json={"id": 1042},
        match=[matchers.json_params_matcher({"responder_id": None}, strict_match=True)],
    )
    action = Action(
        "tco-dddddddddddddddddddd",
        "freshdesk",
        "1042",
        ActionKind.ASSIGN,
        "r",
        assignee="70001",  # ignored: unassign wins
        extra={"unassign": True},
    )
    assert writer().perform([action]) == [Outcome(action.id, True, "unassigned")]


def token_mode() -> FreshdeskConnector:
    env = {"TCO_FRESHDESK_WEBHOOK_SECRET": "t0ken-secret", "TCO_FRESHDESK_WEBHOOK_AUTH": "token"}
    return FreshdeskConnector.from_env(env)


def test_token_mode_accepts_the_static_header() -> None:
    token_mode().verify({"x-tco-token": "t0ken-secret"}, b"{}", NOW)


@pytest.mark.parametrize("headers", [{}, {"x-tco-token": "wrong"}])
def test_token_mode_refuses_a_missing_or_wrong_header(headers: dict[str, str]) -> None:
    with pytest.raises(SignatureError) as info:
        token_mode().verify(headers, b"{}", NOW)
    assert "t0ken-secret" not in str(info.value)


def test_a_body_that_is_not_the_template_is_refused_with_a_pointer() -> None:
    with pytest.raises(UnreadableDelivery, match="paste BODY_TEMPLATE"):
        FreshdeskConnector.from_env({}).parse({}, b'{"ticket_id": 1}')


def test_the_template_itself_renders_to_a_readable_body() -> None:
    rendered = BODY_TEMPLATE.replace("{{ticket.updated_at}}", "2025-03-04T09:00:00Z")
    rendered = rendered.replace("{{ticket.id}}", "7")
    for placeholder in ("{{triggered_by.id}}", "{{ticket.agent.id}}", "{{ticket.requester.id}}"):
        rendered = rendered.replace(placeholder, "")
    [event] = FreshdeskConnector.from_env({}).parse({}, rendered.encode()).events
    assert (event.ticket, event.key) == ("7", "updated:7:2025-03-04T09:00:00Z")


def test_samples_ship_with_the_package() -> None:
    assert sample("created.json").startswith(b"{")


def test_bad_settings_name_the_variable() -> None:
    with pytest.raises(ConnectorLoadError, match=r"\[freshdesk\] .*TCO_FRESHDESK_BOT_AGENT_ID"):
        build("freshdesk", {"TCO_FRESHDESK_BOT_AGENT_ID": "bot"})
