"""Zendesk webhooks in: settings, signatures, every fixture, event mapping, trigger template."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from connectors.zendesk import TRIGGER_BODY_TEMPLATE, ZendeskConnector, ZendeskSettings
from connectors.zendesk.formats import parse_timestamp
from connectors.zendesk.settings import ArticleTarget
from tco_bridge.connector import Delivery, check_signature, lower_headers
from tco_bridge.errors import ConfigError, SignatureError, UnreadableDelivery
from tco_bridge.event_codec import dump_event, load_event
from tco_bridge.events import Actor, ActorKind, Comment, EventType, Snapshot, Status, TicketEvent

SECRET = "s3cr3t-webhook-key"
STATIC_TEST_SECRET = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ=="
BOT = "5005"
NOW = datetime(2025, 1, 8, 10, 12, 30, tzinfo=UTC)
STAMP = "2025-01-08T10:12:08Z"


@pytest.fixture
def zendesk_dir(fixtures_dir: Path) -> Path:
    return fixtures_dir / "zendesk"


def connector(**env: str) -> ZendeskConnector:
    base = {"TCO_ZENDESK_WEBHOOK_SECRET": SECRET, "TCO_ZENDESK_BOT_USER_ID": BOT}
    return ZendeskConnector.from_env({**base, **env})


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_bytes())
    return data


def parse(payload: dict[str, Any], headers: dict[str, str] | None = None) -> Delivery:
    return connector().parse(headers or {}, json.dumps(payload).encode())


def sign(body: bytes, secret: str = SECRET, stamp: str = STAMP) -> dict[str, str]:
    digest = hmac.new(secret.encode(), stamp.encode() + body, hashlib.sha256).digest()
    return lower_headers(
        {
            "X-Zendesk-Webhook-Signature": base64.b64encode(digest).decode(),
            "X-Zendesk-Webhook-Signature-Timestamp": stamp,
            "X-Zendesk-Webhook-Id": "01F1KRFQ6BG29CNWFR60NK5FNY",
            "X-Zendesk-Webhook-Invocation-Id": "8350205582",
            "X-Zendesk-Account-Id": "22129848",
        }
    )


# --- settings ------------------------------------------------------------------------------


def test_settings_from_full_environment() -> None:
    settings = ZendeskSettings.from_env(
        {
            "TCO_ZENDESK_SUBDOMAIN": "Acme",
            "TCO_ZENDESK_EMAIL": "bridge@acme.test",
            "TCO_ZENDESK_API_TOKEN": "tok",
            "TCO_ZENDESK_WEBHOOK_SECRET": SECRET,
            "TCO_ZENDESK_SIGNATURE_MAX_AGE": "120",
            "TCO_ZENDESK_BOT_USER_ID": BOT,
            "TCO_ZENDESK_OWNER_FIELD": "360001",
            "TCO_ZENDESK_KB": "article:en-US:360001234:77",
            "TCO_ZENDESK_TIMEOUT": "2.5",
        }
    )
    assert settings == ZendeskSettings(
        base_url="https://acme.zendesk.com",
        email="bridge@acme.test",
        api_token="tok",
        webhook_secret=SECRET,
        signature_max_age=120,
        bot_user_id=BOT,
        owner_field_id="360001",
        kb_article=ArticleTarget("en-us", "360001234", "77"),
        timeout=2.5,
    )
    assert settings.missing_for_api() == []


def test_settings_defaults_and_url_wins_over_subdomain() -> None:
    settings = ZendeskSettings.from_env(
        {"TCO_ZENDESK_URL": "https://help.acme.test/", "TCO_ZENDESK_SUBDOMAIN": "other"}
    )
    assert settings.base_url == "https://help.acme.test"
    assert (settings.signature_max_age, settings.timeout) == (300, 10.0)
    assert (settings.owner_field_id, settings.kb_article) == (None, None)
    assert ZendeskSettings.from_env({"TCO_ZENDESK_KB": "followup"}).kb_article is None
    assert ZendeskSettings.from_env({"TCO_ZENDESK_OWNER_FIELD": "tag"}).owner_field_id is None


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"TCO_ZENDESK_URL": "http://acme.zendesk.com"}, "is not an https origin"),
        ({"TCO_ZENDESK_SUBDOMAIN": "acme.zendesk.com"}, "is not a Zendesk subdomain"),
        ({"TCO_ZENDESK_EMAIL": "a@b.test"}, "must be set together"),
        ({"TCO_ZENDESK_SIGNATURE_MAX_AGE": "soon"}, "must be a positive number"),
        ({"TCO_ZENDESK_TIMEOUT": "0"}, "must be a positive number"),
        ({"TCO_ZENDESK_BOT_USER_ID": "bot"}, "must be a numeric Zendesk id"),
        ({"TCO_ZENDESK_OWNER_FIELD": "owner"}, "use 'tag' or a custom field id"),
        ({"TCO_ZENDESK_KB": "article:en-us"}, "use 'followup' or 'article:"),
        ({"TCO_ZENDESK_KB": "article:english:12"}, "the locale looks like en-us"),
    ],
)
def test_settings_errors_name_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        ZendeskSettings.from_env(env)
    assert next(iter(env)) in str(caught.value)


def test_secrets_stay_out_of_repr() -> None:
    zendesk = ZendeskConnector.from_env(
        {
            "TCO_ZENDESK_SUBDOMAIN": "acme",
            "TCO_ZENDESK_EMAIL": "bridge@acme.test",
            "TCO_ZENDESK_API_TOKEN": "api-token-XYZ",
            "TCO_ZENDESK_WEBHOOK_SECRET": SECRET,
        }
    )
    for text in (repr(zendesk), repr(zendesk.settings), str(zendesk.settings)):
        assert "api-token-XYZ" not in text and SECRET not in text
    assert zendesk.webhook_secret == SECRET and zendesk.name == "zendesk"


def test_builds_without_url_and_still_parses(zendesk_dir: Path) -> None:
    zendesk = ZendeskConnector.from_env({})
    body = (zendesk_dir / "zendesk_event_ticket_created__skyhook.json").read_bytes()
    assert zendesk.parse({}, body).events[0].type is EventType.CREATED
    assert zendesk.webhook_secret is None and zendesk.bot_account is None


# --- signatures ----------------------------------------------------------------------------


def test_valid_signature_passes(zendesk_dir: Path) -> None:
    body = (zendesk_dir / "zendesk_event_ticket_created__skyhook.json").read_bytes()
    connector().verify(sign(body), body, NOW)
    check_signature(connector(), sign(body), body, NOW, allow_unsigned=False)


def test_zendesk_static_test_secret_works_when_configured() -> None:
    body = b'{"type":"zen:event-type:ticket.created"}'
    zendesk = connector(TCO_ZENDESK_WEBHOOK_SECRET=STATIC_TEST_SECRET)
    zendesk.verify(sign(body, STATIC_TEST_SECRET), body, NOW)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("tampered body", "does not match the body"),
        ("wrong secret", "does not match the body"),
        ("no signature", "missing X-Zendesk-Webhook-Signature header"),
        ("no timestamp", "missing X-Zendesk-Webhook-Signature-Timestamp header"),
        ("bad timestamp", "is not an ISO 8601 timestamp"),
        ("stale", "stale signature: the timestamp is 301 s away from now"),
        ("future", "stale signature: the timestamp is 600 s away from now"),
    ],
)
def test_bad_signatures_are_refused(change: str, message: str) -> None:
    body = b'{"type":"zen:event-type:ticket.created","id":"e1"}'
    stamps = {
        "stale": (NOW - timedelta(seconds=301)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "future": (NOW + timedelta(minutes=10)).isoformat(),
        "bad timestamp": "yesterday",
    }
    headers = sign(
        body, "other-secret" if change == "wrong secret" else SECRET, stamps.get(change, STAMP)
    )
    if change == "no signature":
        del headers["x-zendesk-webhook-signature"]
    if change == "no timestamp":
        del headers["x-zendesk-webhook-signature-timestamp"]
    sent = body.replace(b"e1", b"e2") if change == "tampered body" else body
    with pytest.raises(SignatureError) as caught:
        connector().verify(headers, sent, NOW)
    assert message in str(caught.value)
    assert SECRET not in str(caught.value)


def test_signature_within_window_either_side_passes() -> None:
    body = b"{}"
    for offset in (-300, 299):
        stamp = (NOW + timedelta(seconds=offset)).strftime("%Y-%m-%dT%H:%M:%SZ")
        connector().verify(sign(body, stamp=stamp), body, NOW)


def test_verify_without_secret_is_refused() -> None:
    with pytest.raises(SignatureError, match="no Zendesk webhook secret"):
        ZendeskConnector.from_env({}).verify(sign(b"{}"), b"{}", NOW)


# --- the fixtures --------------------------------------------------------------------------

CREATED_SNAPSHOT = Snapshot(
    status=Status.OPEN,
    raw_status="open",
    priority="low",
    assignee="8447388090494",
    group="8447320466430",
    requester="8447388090494",
    type="task",
    summary="ticketinfo_2294a6e9ece2",
    tags=("ticket-info-test-tag",),
    created_at=datetime(2025, 1, 8, 10, 12, 7, tzinfo=UTC),
    fields={
        "brand_id": "8447346621310",
        "form_id": "8646151517822",
        "organization_id": "8447346622462",
        "via_channel": "web_service",
        "custom_status": "8447320465790",
    },
)
CREATED_AT = datetime(2025, 1, 8, 10, 12, 7, 672717, tzinfo=UTC)
CREATED_ID = "cbe4028c-7239-495d-b020-f22348516046"


def test_fixture_ticket_created(zendesk_dir: Path) -> None:
    body = (zendesk_dir / "zendesk_event_ticket_created__skyhook.json").read_bytes()
    delivery = connector().parse(sign(body), body)
    assert delivery == Delivery(
        id=CREATED_ID,
        events=[
            TicketEvent(
                connector="zendesk",
                ticket="5158",
                type=EventType.CREATED,
                at=CREATED_AT,
                key=CREATED_ID,
                delivery=CREATED_ID,
                actor=Actor("8447388090494", ActorKind.REQUESTER),
                snapshot=CREATED_SNAPSHOT,
            )
        ],
    )
    assert load_event(json.loads(json.dumps(dump_event(delivery.events[0])))) == delivery.events[0]


def test_fixture_private_comment_added(zendesk_dir: Path) -> None:
    body = (
        zendesk_dir / "zendesk_event_ticket_comment_added_private__kers_engine.json"
    ).read_bytes()
    delivery = connector().parse({}, body)
    event_id = "d8551ba3-4243-433c-8629-aa79dc3e7182"
    author = Actor("58789189659033", ActorKind.REQUESTER, "Khushi Singh")
    assert delivery == Delivery(
        id=event_id,
        events=[
            TicketEvent(
                connector="zendesk",
                ticket="71447",
                type=EventType.COMMENT_ADDED,
                at=datetime(2026, 6, 9, 8, 36, 44, 304701, tzinfo=UTC),
                key=event_id,
                delivery=event_id,
                actor=author,
                comment=Comment(
                    id="58789194475545",
                    body="Conversation with Web User 6a27d07ec70c5f1aa576a17b",
                    public=False,
                    author=author,
                ),
                snapshot=Snapshot(
                    status=Status.OPEN,
                    raw_status="open",
                    priority=None,
                    assignee=None,
                    group="44897999201817",
                    requester="58789189659033",
                    type="incident",
                    summary="Conversation with Khushi Singh",
                    tags=("bot_chat", "not_a_reopen"),
                    created_at=datetime(2026, 6, 9, 8, 36, 43, tzinfo=UTC),
                    fields={
                        "brand_id": "360000146293",
                        "form_id": "50124257287449",
                        "organization_id": None,
                        "via_channel": "native_messaging",
                        "custom_status": "8593966",
                    },
                ),
            )
        ],
    )


def test_fixture_attachment_linked_is_acknowledged_and_ignored(zendesk_dir: Path) -> None:
    name = "zendesk_event_ticket_attachment_linked_to_comment__hatappo_README.json"
    delivery = connector().parse({}, (zendesk_dir / name).read_bytes())
    assert delivery == Delivery(
        id="030a3f7a-9bb9-47a4-9a36-6aa8f1d66783",
        events=[],
        ignored="ticket event 'attachment_linked_to_comment' is not used by the bridge",
    )


@pytest.mark.parametrize(
    ("name", "keys"),
    [
        (
            "zendesk_trigger_ticket_create_update__zulip.json",
            "assignee_full_name, created_at, link, requester_full_name, tags, "
            "ticket_description, ticket_id, ticket_priority, ticket_status, ticket_title",
        ),
        (
            "zendesk_trigger_message_with_ticket_id_and_title__zulip.json",
            "message, ticket_id, ticket_title",
        ),
    ],
)
def test_other_products_trigger_bodies_get_a_clear_400(
    zendesk_dir: Path, name: str, keys: str
) -> None:
    body = (zendesk_dir / "other-integrations" / name).read_bytes()
    with pytest.raises(UnreadableDelivery) as caught:
        connector().parse({}, body)
    assert caught.value.status == 400
    reason = caught.value.reason
    assert "no 'type' starting with 'zen:event-type:'" in reason
    assert "no 'tco_bridge' marker" in reason
    assert f"keys found: {keys}." in reason
    assert "TRIGGER_BODY_TEMPLATE" in reason


def test_every_zendesk_fixture_is_covered(zendesk_dir: Path) -> None:
    names = {p.name for p in zendesk_dir.rglob("*.json")}
    assert names == {
        "zendesk_event_ticket_attachment_linked_to_comment__hatappo_README.json",
        "zendesk_event_ticket_comment_added_private__kers_engine.json",
        "zendesk_event_ticket_created__skyhook.json",
        "zendesk_trigger_message_with_ticket_id_and_title__zulip.json",
        "zendesk_trigger_ticket_create_update__zulip.json",
    }


# --- the mapping, on variations of the created fixture --------------------------------------


@pytest.fixture
def created(zendesk_dir: Path) -> dict[str, Any]:
    return load(zendesk_dir / "zendesk_event_ticket_created__skyhook.json")


def variant(base: dict[str, Any], kind: str, event: dict[str, Any], **detail: Any) -> bytes:
    payload = copy.deepcopy(base)
    payload["type"] = f"zen:event-type:ticket.{kind}"
    payload["event"] = {**event, "meta": {"sequence": {"id": 39313930383633353634323835}}}
    payload["detail"].update(detail)
    return json.dumps(payload).encode()


def only_event(body: bytes) -> TicketEvent:
    delivery = connector().parse({}, body)
    assert delivery.ignored is None and len(delivery.events) == 1
    assert delivery.events[0].key == delivery.id == CREATED_ID
    return delivery.events[0]


@pytest.mark.parametrize(
    ("kind", "event", "expected"),
    [
        (
            "status_changed",
            {"previous": "NEW", "current": "HOLD"},
            (EventType.STATUS_CHANGED, None, "new", "on_hold"),
        ),
        (
            "status_changed",
            {"previous": "PENDING", "current": "SOLVED"},
            (EventType.STATUS_CHANGED, None, "pending", "resolved"),
        ),
        (
            "status_changed",
            {"previous": "SOLVED", "current": "CLOSED"},
            (EventType.STATUS_CHANGED, None, "resolved", "closed"),
        ),
        (
            "priority_changed",
            {"previous": None, "current": "URGENT"},
            (EventType.PRIORITY_CHANGED, None, None, "urgent"),
        ),
        (
            "agent_assignment_changed",
            {"previous": None, "current": "7001"},
            (EventType.ASSIGNEE_CHANGED, None, None, "7001"),
        ),
        (
            "agent_assignment_changed",
            {"previous": {"id": "7000"}, "current": {"id": "7001"}},
            (EventType.ASSIGNEE_CHANGED, None, "7000", "7001"),
        ),
        (
            "group_assignment_changed",
            {"previous": "360010", "current": "360011"},
            (EventType.GROUP_CHANGED, None, "360010", "360011"),
        ),
        (
            "custom_status_changed",
            {"previous": "8447320465790", "current": "8447320465791"},
            (EventType.FIELD_CHANGED, "custom_status", "8447320465790", "8447320465791"),
        ),
        (
            "custom_field_changed",
            {
                "custom_field": {"id": "360001", "title": "Owner", "type": "text"},
                "previous": {"value": None},
                "current": {"value": "7001"},
            },
            (EventType.FIELD_CHANGED, "custom_field:360001", None, "7001"),
        ),
        (
            "custom_field_changed",
            {
                "custom_field": {"id": "360002", "title": "Areas", "type": "multiselect"},
                "previous": {"value": ["a"]},
                "current": {"value": ["a", "b"]},
            },
            (EventType.FIELD_CHANGED, "custom_field:360002", "a", "a b"),
        ),
        (
            "subject_changed",
            {"previous": "old", "current": "new"},
            (EventType.FIELD_CHANGED, "subject", "old", "new"),
        ),
        (
            "type_changed",
            {"previous": "QUESTION", "current": "TASK"},
            (EventType.FIELD_CHANGED, "type", "question", "task"),
        ),
        ("soft_deleted", {}, (EventType.DELETED, None, None, None)),
        ("permanently_deleted", {}, (EventType.DELETED, None, None, None)),
    ],
)
def test_change_events(
    created: dict[str, Any],
    kind: str,
    event: dict[str, Any],
    expected: tuple[EventType, str | None, str | None, str | None],
) -> None:
    parsed = only_event(variant(created, kind, event))
    assert (parsed.type, parsed.field, parsed.before, parsed.after) == expected
    assert parsed.snapshot == CREATED_SNAPSHOT and parsed.at == CREATED_AT


def test_tags_changed_reports_whole_lists_before_and_after(created: dict[str, Any]) -> None:
    body = variant(
        created,
        "tags_changed",
        {"tags_added": ["vip", "tco_owner_7001"], "tags_removed": ["tco_owner_7000"]},
        tags=["ticket-info-test-tag", "vip", "tco_owner_7001"],
    )
    parsed = only_event(body)
    assert (parsed.type, parsed.field) == (EventType.FIELD_CHANGED, "tags")
    assert parsed.before == "ticket-info-test-tag tco_owner_7000"
    assert parsed.after == "ticket-info-test-tag vip tco_owner_7001"


@pytest.mark.parametrize(
    ("actor_id", "kind"),
    [
        (BOT, ActorKind.BRIDGE),
        ("-1", ActorKind.SYSTEM),
        (None, ActorKind.SYSTEM),
        ("7001", ActorKind.AGENT),
        ("8447388090494", ActorKind.REQUESTER),
    ],
)
def test_actor_kinds(created: dict[str, Any], actor_id: str | None, kind: ActorKind) -> None:
    parsed = only_event(variant(created, "created", {}, actor_id=actor_id))
    assert parsed.actor == Actor(actor_id or "-1", kind)


@pytest.mark.parametrize(
    ("author", "kind"),
    [
        ({"id": BOT, "is_staff": True, "name": "TCO bridge"}, ActorKind.BRIDGE),
        ({"id": "7001", "is_staff": True, "name": "Ada"}, ActorKind.AGENT),
        ({"id": "9009", "is_staff": False, "name": "Cc"}, ActorKind.REQUESTER),
    ],
)
def test_comment_author_kinds(
    created: dict[str, Any], author: dict[str, Any], kind: ActorKind
) -> None:
    comment = {"id": "1", "body": "hi", "is_public": True, "author": author}
    parsed = only_event(variant(created, "comment_added", {"comment": comment}))
    assert parsed.comment == Comment("1", "hi", True, Actor(author["id"], kind, author["name"]))


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("zen:event-type:ticket.csat_received", "ticket event 'csat_received' is not used"),
        ("zen:event-type:ticket.followers_changed", "ticket event 'followers_changed' is not"),
        ("zen:event-type:user.created", "zen:event-type:user.created is not a ticket event"),
        ("zen:event-type:organization.tags_changed", "is not a ticket event"),
    ],
)
def test_unused_types_are_ignored_not_refused(kind: str, reason: str) -> None:
    delivery = parse({"type": kind, "id": "01GX79ST1QX01C889XV42S2J5T", "detail": {}})
    assert delivery.id == "01GX79ST1QX01C889XV42S2J5T" and delivery.events == []
    assert delivery.ignored is not None and reason in delivery.ignored


def test_huge_sequence_ids_and_nanoseconds_are_fine(created: dict[str, Any]) -> None:
    body = variant(created, "created", {}).replace(
        b'"time": "2025-01-08T10:12:07.672717030Z"', b'"time": "2025-01-08T10:12:07.999999999Z"'
    )
    assert b"39313930383633353634323835" in body
    assert only_event(body).at == datetime(2025, 1, 8, 10, 12, 7, 999999, tzinfo=UTC)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"not json", "Zendesk webhook body is not JSON"),
        (b"\xff\xfe", "Zendesk webhook body is not JSON"),
        (b"[1, 2]", "Zendesk webhook body is a JSON list, not an object"),
        (
            b'{"type": "zen:event-type:ticket.created", "id": "e", "subject": "zen:ticket:1"}',
            "payload has no 'detail' object",
        ),
        (
            b'{"type": "zen:event-type:ticket.created", "id": "e", "detail": {"id": "1"}}',
            "payload has no 'subject'",
        ),
        (
            b'{"type": "zen:event-type:ticket.created", "id": "e", "subject": "s", "detail": {}}',
            "payload has no 'detail.id'",
        ),
        (
            b'{"type": "zen:event-type:ticket.created", "subject": "s", "detail": {"id": "1"}}',
            "payload has no 'id'",
        ),
        (
            b'{"type": "zen:event-type:ticket.created", "id": "e", "subject": "s",'
            b' "detail": {"id": "1"}, "time": "soon"}',
            "'time' is not an ISO 8601 timestamp",
        ),
        (
            b'{"type": "zen:event-type:ticket.comment_added", "id": "e", "subject": "s",'
            b' "detail": {"id": "1"}, "time": "2025-01-08T10:12:07Z", "event": {}}',
            "has no 'event.comment.id'",
        ),
    ],
)
def test_unreadable_bodies(body: bytes, reason: str) -> None:
    with pytest.raises(UnreadableDelivery) as caught:
        connector().parse({}, body)
    assert reason in caught.value.reason


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-01-14T19:31:42.692223355Z", datetime(2025, 1, 14, 19, 31, 42, 692223, tzinfo=UTC)),
        ("2021-03-25T05:09:27Z", datetime(2021, 3, 25, 5, 9, 27, tzinfo=UTC)),
        ("2013-12-12T05:35Z", datetime(2013, 12, 12, 5, 35, tzinfo=UTC)),
        ("2025-01-08T12:12:07+02:00", datetime(2025, 1, 8, 10, 12, 7, tzinfo=UTC)),
        ("2025-01-08T10:12:07", datetime(2025, 1, 8, 10, 12, 7, tzinfo=UTC)),
    ],
)
def test_parse_timestamp(text: str, expected: datetime) -> None:
    assert parse_timestamp(text) == expected


# --- trigger-connected webhooks ------------------------------------------------------------


def render(values: dict[str, str], template: str = TRIGGER_BODY_TEMPLATE) -> bytes:
    """Render the template the way Zendesk does: placeholders replaced by escaped strings."""
    out = template
    for placeholder, value in values.items():
        out = out.replace("{{" + placeholder + "}}", json.dumps(value)[1:-1])
    assert "{{" not in out, "every placeholder of the template needs a value in the test"
    return out.encode()


RENDERED = {
    "current_user.id": "7001",
    "ticket.id": "4242",
    "ticket.title": 'Printer "on fire"',
    "ticket.status": "On-hold",
    "ticket.priority": "High",
    "ticket.ticket_type": "Incident",
    "ticket.tags": "printer vip",
    "ticket.assignee.id": "7001",
    "ticket.assignee.name": "Ada Lovelace",
    "ticket.group.id": "360010",
    "ticket.requester.id": "9001",
    "ticket.requester.name": "Grace Hopper",
    "ticket.via": "Mail",
    "ticket.created_at_with_timestamp": "2026-03-01T08:00:00Z",
    "ticket.updated_at_with_timestamp": "2026-03-02T10:15:00Z",
    "ticket.latest_comment.id": "880002",
    "ticket.latest_comment.is_public": "true",
    "ticket.latest_comment.author.id": "9001",
    "ticket.latest_comment.author.name": "Grace Hopper",
    "ticket.latest_comment.value": "Still burning.\nPlease help!",
}
TRIGGER_SNAPSHOT = Snapshot(
    status=Status.ON_HOLD,
    raw_status="hold",
    priority="high",
    assignee="7001",
    assignee_name="Ada Lovelace",
    group="360010",
    requester="9001",
    requester_name="Grace Hopper",
    type="incident",
    summary='Printer "on fire"',
    tags=("printer", "vip"),
    created_at=datetime(2026, 3, 1, 8, 0, tzinfo=UTC),
    fields={"via": "Mail"},
)


def test_trigger_template_round_trip() -> None:
    headers = lower_headers({"X-Zendesk-Webhook-Invocation-Id": "8350205582"})
    delivery = connector().parse(headers, render(RENDERED))
    at = datetime(2026, 3, 2, 10, 15, tzinfo=UTC)
    grace = Actor("9001", ActorKind.REQUESTER, "Grace Hopper")
    assert delivery == Delivery(
        id="8350205582",
        events=[
            TicketEvent(
                connector="zendesk",
                ticket="4242",
                type=EventType.FIELD_CHANGED,
                at=at,
                key="trigger:4242:updated:2026-03-02T10:15:00Z",
                delivery="8350205582",
                actor=Actor("7001", ActorKind.AGENT),
                field="snapshot",
                snapshot=TRIGGER_SNAPSHOT,
            ),
            TicketEvent(
                connector="zendesk",
                ticket="4242",
                type=EventType.COMMENT_ADDED,
                at=at,
                key="trigger:4242:comment:880002",
                delivery="8350205582",
                actor=grace,
                comment=Comment("880002", "Still burning.\nPlease help!", True, grace),
                snapshot=TRIGGER_SNAPSHOT,
            ),
        ],
    )


def test_trigger_created_with_empty_placeholders() -> None:
    values = {key: "" for key in RENDERED}
    values.update(
        {
            "ticket.id": "4243",
            "ticket.updated_at_with_timestamp": "2026-03-02T10:15Z",
            "ticket.priority": "-",
            "ticket.ticket_type": "-",
        }
    )
    body = render(values, TRIGGER_BODY_TEMPLATE.replace('"event": "updated"', '"event": "created"'))
    delivery = connector().parse({}, body)
    assert delivery == Delivery(
        id=None,
        events=[
            TicketEvent(
                connector="zendesk",
                ticket="4243",
                type=EventType.CREATED,
                at=datetime(2026, 3, 2, 10, 15, tzinfo=UTC),
                key="trigger:4243:created",
                actor=Actor("-1", ActorKind.SYSTEM),
                snapshot=Snapshot(fields={"via": None}),
            )
        ],
    )


def test_trigger_bot_actor_and_private_bot_comment() -> None:
    values = {
        **RENDERED,
        "current_user.id": BOT,
        "ticket.latest_comment.author.id": BOT,
        "ticket.latest_comment.is_public": "false",
    }
    events = connector().parse({}, render(values)).events
    assert events[0].actor == Actor(BOT, ActorKind.BRIDGE)
    assert events[1].comment is not None and events[1].comment.public is False
    assert events[1].actor == Actor(BOT, ActorKind.BRIDGE, "Grace Hopper")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (('"zendesk-trigger/1"', '"zendesk-trigger/9"'), "version 'zendesk-trigger/9' is not"),
        (('"event": "updated"', '"event": "solved"'), "'event' is 'solved'; use 'created' or"),
        (('"id": "{{ticket.id}}"', '"id": ""'), "'ticket.id' is missing or rendered empty"),
        (
            ('"updated_at": "{{ticket.updated_at_with_timestamp}}"', '"updated_at": "Mar 2"'),
            "'ticket.updated_at' is not an ISO 8601 timestamp",
        ),
        (('"ticket": {', '"ticket_": {'), "has no 'ticket' object"),
    ],
)
def test_trigger_body_errors(change: tuple[str, str], reason: str) -> None:
    template = TRIGGER_BODY_TEMPLATE.replace(*change)
    values = {k: v for k, v in RENDERED.items() if "{{" + k + "}}" in template}
    with pytest.raises(UnreadableDelivery) as caught:
        connector().parse({}, render(values, template))
    assert reason in caught.value.reason


def test_template_is_valid_json_with_the_marker() -> None:
    template = json.loads(TRIGGER_BODY_TEMPLATE)
    assert template["tco_bridge"] == "zendesk-trigger/1" and template["event"] == "updated"
