"""The Freshdesk connector: tco-bridge's conformance kit, plus what is Freshdesk-only."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from tco_bridge_freshdesk import FreshdeskConnector
from tco_bridge_freshdesk.testing import FreshdeskHarness, sample
from tco_bridge_freshdesk.webhook import BODY_TEMPLATE

from tco_bridge.connector import build
from tco_bridge.errors import ConnectorLoadError, SignatureError, UnreadableDelivery

NOW = datetime(2025, 3, 4, tzinfo=UTC)


class TestFreshdeskConformance(FreshdeskHarness):
    """Every check of the kit, against Freshdesk faked in its REST v2 shapes."""


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
