"""Jira webhooks in: signature checks, and every shared fixture parsed to exact events."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from connectors.jira import JiraConnector
from connectors.jira.settings import JiraSettings
from connectors.jira.signature import sign
from connectors.jira.statuses import canonical_status
from tco_bridge.errors import ConfigError, SignatureError, UnreadableDelivery
from tco_bridge.events import ActorKind, EventType, Status

SECRET = "whsec-tco-test-123"
NOW = datetime(2024, 1, 1, tzinfo=UTC)
CLOUD_JAMIE = "5d999293ea65c10c3fdb9348"
CLOUD_DANG = "557058:39c09976-84f0-4f39-9eef-52d5f5d5b9fd"


@pytest.fixture
def jira_dir(fixtures_dir: Path) -> Path:
    return fixtures_dir / "jira"


@pytest.fixture
def connector() -> JiraConnector:
    return JiraConnector.from_env({"TCO_JIRA_WEBHOOK_SECRET": SECRET})


def body_of(jira_dir: Path, name: str) -> bytes:
    return (jira_dir / name).read_bytes()


def parse_dict(connector: JiraConnector, data: dict[str, Any], delivery: str = "d-1") -> Any:
    headers = {"x-atlassian-webhook-identifier": delivery}
    return connector.parse(headers, json.dumps(data).encode())


# --- signatures ---------------------------------------------------------------------------


def test_valid_signature_passes(connector: JiraConnector, jira_dir: Path) -> None:
    body = body_of(jira_dir, "jira_cloud_issue_created__dangersvn.json")
    connector.verify({"x-hub-signature": sign(SECRET, body)}, body, NOW)


def test_uppercase_hex_signature_passes(connector: JiraConnector) -> None:
    body = b'{"webhookEvent": "jira:issue_created"}'
    connector.verify(
        {"x-hub-signature": sign(SECRET, body).upper().replace("SHA256", "sha256")}, body, NOW
    )


def test_tampered_body_is_refused(connector: JiraConnector, jira_dir: Path) -> None:
    body = body_of(jira_dir, "jira_cloud_issue_created__dangersvn.json")
    header = sign(SECRET, body)
    with pytest.raises(SignatureError, match="does not match"):
        connector.verify({"x-hub-signature": header}, body.replace(b"TS-7", b"TS-8"), NOW)


def test_wrong_secret_is_refused(connector: JiraConnector) -> None:
    body = b'{"webhookEvent": "jira:issue_created"}'
    with pytest.raises(SignatureError, match="does not match") as info:
        connector.verify({"x-hub-signature": sign("other", body)}, body, NOW)
    assert SECRET not in str(info.value)


def test_missing_signature_header(connector: JiraConnector) -> None:
    with pytest.raises(SignatureError, match="missing X-Hub-Signature"):
        connector.verify({}, b"{}", NOW)


@pytest.mark.parametrize(
    "header",
    ["sha1=abc", "sha256=xyz", "sha256=" + "a" * 63, "deadbeef" * 8, "sha256 = " + "a" * 64],
)
def test_malformed_signature_header(connector: JiraConnector, header: str) -> None:
    with pytest.raises(SignatureError, match="malformed X-Hub-Signature"):
        connector.verify({"x-hub-signature": header}, b"{}", NOW)


# --- the shared fixtures ------------------------------------------------------------------


def test_cloud_issue_created(connector: JiraConnector, jira_dir: Path) -> None:
    body = body_of(jira_dir, "jira_cloud_issue_created__dangersvn.json")
    delivery = connector.parse({"x-atlassian-webhook-identifier": "wh-1"}, body)
    assert delivery.id == "wh-1" and delivery.ignored is None
    [event] = delivery.events  # the creation changelog holds initial values: no change events
    assert event.type is EventType.CREATED
    assert (event.connector, event.ticket, event.key, event.delivery) == (
        "jira",
        "TS-7",
        "created:10006",
        "wh-1",
    )
    assert event.at == datetime.fromtimestamp(1570657721.466, tz=UTC)
    assert event.actor is not None
    assert (event.actor.id, event.actor.kind, event.actor.name) == (
        CLOUD_JAMIE,
        ActorKind.REQUESTER,
        "Jamie",
    )
    snap = event.snapshot
    assert snap is not None
    assert (snap.status, snap.raw_status, snap.priority) == (Status.NEW, "To Do", "Medium")
    assert (snap.assignee, snap.group, snap.type) == (None, "thingbook-showcase", "Story")
    assert (snap.requester, snap.requester_name) == (CLOUD_JAMIE, "Jamie")
    assert snap.summary == "User can view detail of an issue by click on a message reminder"
    assert snap.tags == ()
    assert snap.created_at == datetime(2019, 10, 9, 21, 48, 41, 394000, tzinfo=UTC)
    assert snap.fields == {
        "key": "TS-7",
        "project": "TS",
        "customfield_10019": "0|i0001b:",
        "customfield_10000": "{}",
    }


def test_cloud_priority_change(connector: JiraConnector, jira_dir: Path) -> None:
    body = body_of(jira_dir, "jira_cloud_issue_updated_priority_change__dangersvn.json")
    delivery = connector.parse({}, body)
    assert delivery.id is None
    [event] = delivery.events
    assert event.type is EventType.PRIORITY_CHANGED
    assert (event.ticket, event.key, event.delivery) == ("TS-7", "changelog:10032:priority", "")
    assert (event.field, event.before, event.after) == ("priority", "Medium", "Highest")
    assert event.actor is not None
    assert (event.actor.id, event.actor.kind) == (CLOUD_DANG, ActorKind.AGENT)
    assert event.snapshot is not None and event.snapshot.priority == "Highest"
    assert event.at == datetime.fromtimestamp(1570657787.513, tz=UTC)


def test_cloud_comment_created(connector: JiraConnector, jira_dir: Path) -> None:
    body = body_of(jira_dir, "jira_cloud_comment_created__dangersvn.json")
    [event] = connector.parse({}, body).events
    assert event.type is EventType.COMMENT_ADDED
    assert (event.ticket, event.key) == ("TS-1", "comment:10007")
    assert event.actor is not None  # no top-level user on Cloud comment events: the author
    assert (event.actor.id, event.actor.kind) == (CLOUD_JAMIE, ActorKind.AGENT)
    comment = event.comment
    assert comment is not None and comment.author is not None
    assert (comment.id, comment.public) == ("10007", True)
    assert (comment.author.id, comment.author.kind) == (CLOUD_JAMIE, ActorKind.AGENT)
    assert comment.body.startswith("With App Connect (allasian_connect.json)")
    assert event.snapshot is not None
    assert (event.snapshot.status, event.snapshot.requester) == (Status.NEW, None)


def test_dc_issue_created(connector: JiraConnector, jira_dir: Path) -> None:
    body = body_of(jira_dir, "jira_dc_issue_created__crystalvjohnston.json")
    [event] = connector.parse({}, body).events
    assert (event.type, event.ticket, event.key) == (EventType.CREATED, "VRF-803", "created:86228")
    assert event.actor is not None
    assert (event.actor.id, event.actor.kind) == ("crystal.johnston", ActorKind.REQUESTER)
    snap = event.snapshot
    assert snap is not None
    assert (snap.status, snap.raw_status, snap.priority) == (Status.NEW, "Backlog", "Major")
    assert (snap.group, snap.requester, snap.type) == (
        "Internal Tooling",
        "crystal.johnston",
        "Technical Task/story",
    )
    assert "customfield_13010" not in snap.fields  # a 4 kB serialised blob: left out
    assert snap.fields["customfield_13427"] == "High"
    assert snap.fields["key"] == "VRF-803" and snap.fields["project"] == "VRF"


def test_dc_status_change(connector: JiraConnector, jira_dir: Path) -> None:
    body = body_of(jira_dir, "jira_dc_issue_updated_status_change__crystalvjohnston.json")
    [event] = connector.parse({}, body).events
    assert event.type is EventType.STATUS_CHANGED
    assert (event.ticket, event.key, event.field) == (
        "VRF-803",
        "changelog:952497:status",
        "status",
    )
    assert (event.before, event.after, event.after_name) == ("new", "new", "To Do")
    assert event.actor is not None
    assert (event.actor.id, event.actor.kind) == ("crystal.johnston", ActorKind.REQUESTER)


@pytest.mark.parametrize(
    "name",
    [
        "jira_cloud_issue_updated_assignee_change__sentry_stub.json",
        "jira_cloud_issue_updated_status_change__sentry_stub.json",
    ],
)
def test_partial_stubs_are_refused(connector: JiraConnector, jira_dir: Path, name: str) -> None:
    with pytest.raises(UnreadableDelivery, match="not a Jira webhook: no webhookEvent"):
        connector.parse({}, body_of(jira_dir / "partial", name))


def test_every_fixture_is_covered(jira_dir: Path) -> None:
    names = {p.name for p in jira_dir.rglob("*.json")}
    assert len(names) == 7, "a new Jira fixture needs its own test above"


# --- shapes built from the fixtures -------------------------------------------------------


def cloud_update(jira_dir: Path, items: list[dict[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        body_of(jira_dir, "jira_cloud_issue_updated_priority_change__dangersvn.json")
    )
    data["changelog"] = {"id": "20001", "items": items}
    return data


def test_assignee_group_labels_and_other_fields(jira_dir: Path) -> None:
    connector = JiraConnector.from_env({"TCO_JIRA_GROUP_FIELD": "customfield_10500"})
    items: list[dict[str, Any]] = [
        {
            "field": "assignee",
            "fieldId": "assignee",
            "from": None,
            "to": "acc-2",
            "toString": "Ann",
        },
        {"field": "Team", "fieldId": "customfield_10500", "fromString": "L1", "toString": "L2"},
        {"field": "labels", "fieldId": "labels", "fromString": "a", "toString": "a vip"},
        {
            "field": "resolution",
            "fieldId": "resolution",
            "from": None,
            "to": "10000",
            "toString": "Done",
        },
        {"field": "Component", "fieldId": "components", "to": "1", "toString": "Web"},
        {"field": "Component", "fieldId": "components", "to": "2", "toString": "API"},
    ]
    events = parse_dict(connector, cloud_update(jira_dir, items)).events
    summary = [(e.type, e.key, e.field, e.before, e.after, e.after_name) for e in events]
    assert summary == [
        (EventType.ASSIGNEE_CHANGED, "changelog:20001:assignee", "assignee", None, "acc-2", "Ann"),
        (
            EventType.GROUP_CHANGED,
            "changelog:20001:customfield_10500",
            "customfield_10500",
            "L1",
            "L2",
            None,
        ),
        (EventType.FIELD_CHANGED, "changelog:20001:labels", "labels", "a", "a vip", None),
        (EventType.FIELD_CHANGED, "changelog:20001:resolution", "resolution", None, "Done", None),
        (EventType.FIELD_CHANGED, "changelog:20001:components", "components", None, "Web", None),
        (EventType.FIELD_CHANGED, "changelog:20001:components:2", "components", None, "API", None),
    ]


def test_dc_items_match_on_field_name_case_insensitively(jira_dir: Path) -> None:
    connector = JiraConnector.from_env({"TCO_JIRA_GROUP_FIELD": "components"})
    items: list[dict[str, Any]] = [
        {"field": "Assignee", "fieldtype": "jira", "from": None, "to": "jdoe", "toString": "J"},
        {"field": "Component", "fieldtype": "jira", "fromString": None, "toString": "Web"},
        {"field": "Priority", "fieldtype": "jira", "fromString": "Minor", "toString": "Major"},
    ]
    events = parse_dict(connector, cloud_update(jira_dir, items)).events
    assert [(e.type, e.field, e.after) for e in events] == [
        (EventType.ASSIGNEE_CHANGED, "assignee", "jdoe"),
        (EventType.GROUP_CHANGED, "components", "Web"),
        (EventType.PRIORITY_CHANGED, "priority", "Major"),
    ]


def test_status_names_map_through_overrides_and_categories(jira_dir: Path) -> None:
    connector = JiraConnector.from_env({"TCO_JIRA_STATUS_MAP": "Triage=new,Escalated=on_hold"})
    data = cloud_update(
        jira_dir,
        [{"field": "status", "fieldId": "status", "fromString": "Triage", "toString": "With L3"}],
    )
    data["issue"]["fields"]["status"] = {
        "name": "With L3",
        "statusCategory": {"key": "indeterminate"},
    }
    [event] = parse_dict(connector, data).events
    assert (event.before, event.after, event.after_name) == ("new", "open", "With L3")
    assert event.snapshot is not None and event.snapshot.status is Status.OPEN


@pytest.mark.parametrize(
    ("name", "category", "expected"),
    [
        ("Waiting for customer", "indeterminate", Status.PENDING),
        ("Waiting for support", "indeterminate", Status.OPEN),
        ("On hold", "indeterminate", Status.ON_HOLD),
        ("In Progress", None, Status.OPEN),
        ("Resolved", "done", Status.RESOLVED),
        ("Done", "done", Status.RESOLVED),
        ("Closed", "done", Status.CLOSED),
        ("Cancelled", "done", Status.CLOSED),
        ("Backlog", None, Status.NEW),
        ("Some custom status", "done", Status.RESOLVED),
        ("Some custom status", None, None),
    ],
)
def test_canonical_status(name: str, category: str | None, expected: Status | None) -> None:
    assert canonical_status(name, category, {}) is expected


def test_bridge_and_app_actors_are_classified(jira_dir: Path) -> None:
    connector = JiraConnector.from_env({"TCO_JIRA_BOT_ACCOUNT": CLOUD_DANG})
    data = cloud_update(jira_dir, [{"field": "priority", "fieldId": "priority"}])
    [event] = parse_dict(connector, data).events
    assert event.actor is not None and event.actor.kind is ActorKind.BRIDGE
    data["user"] = {"accountId": "557058:auto", "accountType": "app"}
    [event] = parse_dict(connector, data).events
    assert event.actor is not None and event.actor.kind is ActorKind.SYSTEM


def test_dc_issue_commented_collapses_with_comment_created(jira_dir: Path) -> None:
    connector = JiraConnector.from_env({"TCO_JIRA_BOT_ACCOUNT": "tco-bot"})
    data: dict[str, Any] = json.loads(
        body_of(jira_dir, "jira_dc_issue_updated_status_change__crystalvjohnston.json")
    )
    del data["changelog"]
    data["issue_event_type_name"] = "issue_commented"
    data["user"] = {"name": "tco-bot", "key": "tco-bot"}
    data["comment"] = {
        "id": "55012",
        "author": {"name": "tco-bot", "key": "tco-bot", "displayName": "TCO"},
        "body": "[~jdoe] please call the customer",
        "visibility": {"type": "role", "value": "Developers"},
        "created": "2019-09-24T12:10:00.000+1200",
    }
    [via_update] = parse_dict(connector, data).events
    stripped = {
        "timestamp": data["timestamp"],
        "webhookEvent": "comment_created",
        "comment": data["comment"],
        "issue": {"id": "86228", "key": "VRF-803"},
    }
    [via_comment] = parse_dict(connector, stripped).events
    assert via_update.key == via_comment.key == "comment:55012"
    comment = via_update.comment
    assert comment is not None and comment.author is not None
    assert (comment.public, comment.author.kind) == (False, ActorKind.BRIDGE)
    assert via_update.actor is not None and via_update.actor.kind is ActorKind.BRIDGE


def test_jsm_internal_comment_with_adf_body(jira_dir: Path) -> None:
    connector = JiraConnector.from_env({})
    data: dict[str, Any] = json.loads(
        body_of(jira_dir, "jira_cloud_comment_created__dangersvn.json")
    )
    data["comment"]["jsdPublic"] = False
    data["comment"]["body"] = {
        "type": "doc",
        "version": 1,
        "content": [
            {
                "type": "paragraph",
                "content": [
                    {"type": "mention", "attrs": {"id": "acc-1", "text": "@Ann"}},
                    {"type": "text", "text": " please check"},
                ],
            },
            {"type": "paragraph", "content": [{"type": "text", "text": "thanks"}]},
        ],
    }
    [event] = parse_dict(connector, data).events
    assert event.comment is not None
    assert (event.comment.public, event.comment.body) == (False, "@Ann please check\nthanks")


def test_issue_deleted(jira_dir: Path) -> None:
    data: dict[str, Any] = json.loads(body_of(jira_dir, "jira_cloud_issue_created__dangersvn.json"))
    data["webhookEvent"] = "jira:issue_deleted"
    [event] = parse_dict(JiraConnector.from_env({}), data).events
    assert (event.type, event.key, event.ticket) == (EventType.DELETED, "deleted:TS-7", "TS-7")


@pytest.mark.parametrize(
    ("event_name", "reason"),
    [
        ("worklog_created", "'worklog_created' is not used"),
        ("issuelink_created", "'issuelink_created' is not used"),
        ("project_updated", "'project_updated' is not used"),
        ("comment_updated", "comment edits are not used"),
        ("comment_deleted", "comment deletions are not used"),
    ],
)
def test_unused_events_are_acknowledged(event_name: str, reason: str) -> None:
    data = {"timestamp": 1, "webhookEvent": event_name, "issue": {"key": "TS-1"}}
    delivery = parse_dict(JiraConnector.from_env({}), data)
    assert delivery.events == [] and delivery.ignored is not None and reason in delivery.ignored


def test_update_without_changes_is_acknowledged(jira_dir: Path) -> None:
    data = cloud_update(jira_dir, [])
    delivery = parse_dict(JiraConnector.from_env({}), data)
    assert delivery.events == []
    assert delivery.ignored == "jira:issue_updated carried no change the bridge uses"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"not json", "body is not JSON"),
        (b"\xff\xfe", "body is not JSON"),
        (b"[1, 2]", "Jira webhook body is a JSON list, not an object"),
        (b'{"issue": {"key": "X-1"}}', "not a Jira webhook: no webhookEvent"),
        (
            b'{"webhookEvent": "jira:issue_updated", "timestamp": 1, "issue": {"id": "1"}}',
            "jira:issue_updated without issue.key",
        ),
        (
            b'{"webhookEvent": "comment_created", "timestamp": 1, "issue": {"key": "X-1"},'
            b' "comment": {"body": "x"}}',
            "comment_created without comment.id",
        ),
        (b'{"webhookEvent": "jira:issue_created", "issue": {"key": "X-1"}}', "no timestamp"),
    ],
)
def test_unreadable_deliveries(body: bytes, reason: str) -> None:
    with pytest.raises(UnreadableDelivery, match=reason):
        JiraConnector.from_env({}).parse({}, body)


# --- settings -----------------------------------------------------------------------------


def test_settings_defaults_and_parsing() -> None:
    settings = JiraSettings.from_env(
        {
            "TCO_JIRA_URL": "https://jira.example.com/",
            "TCO_JIRA_TRANSITIONS": "open=Reopen, resolved=Resolve issue",
            "TCO_JIRA_INTERNAL_NOTE": "role:Developers",
            "TCO_JIRA_TIMEOUT": "2.5",
        }
    )
    assert settings.url == "https://jira.example.com"
    assert settings.deployment == "datacenter"
    assert dict(settings.transitions) == {"open": "Reopen", "resolved": "Resolve issue"}
    assert (settings.internal_note.kind, settings.internal_note.name) == ("role", "Developers")
    assert (settings.owner_field, settings.group_field, settings.timeout) == (
        "label",
        "project",
        2.5,
    )
    cloud = JiraSettings.from_env({"TCO_JIRA_URL": "https://acme.atlassian.net"})
    assert cloud.deployment == "cloud" and cloud.internal_note.kind == "jsm"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"TCO_JIRA_DEPLOYMENT": "onprem"}, "TCO_JIRA_DEPLOYMENT='onprem'"),
        ({"TCO_JIRA_OWNER_FIELD": "owner"}, "TCO_JIRA_OWNER_FIELD='owner'"),
        ({"TCO_JIRA_GROUP_FIELD": "team"}, "TCO_JIRA_GROUP_FIELD='team'"),
        ({"TCO_JIRA_INTERNAL_NOTE": "role:"}, "TCO_JIRA_INTERNAL_NOTE='role:'"),
        ({"TCO_JIRA_TRANSITIONS": "reopen"}, "'reopen' is not '<name>=<value>'"),
        ({"TCO_JIRA_STATUS_MAP": "Triage=later"}, "'later' is not one of new, open"),
        ({"TCO_JIRA_TIMEOUT": "-1"}, "TCO_JIRA_TIMEOUT='-1'"),
    ],
)
def test_settings_errors_quote_the_bad_value(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        JiraSettings.from_env(env)


def test_connector_meets_the_contract_and_loads_by_name() -> None:
    from tco_bridge.connector import Connector, build

    connector = build("jira", {"TCO_JIRA_WEBHOOK_SECRET": SECRET, "TCO_JIRA_BOT_ACCOUNT": "bot"})
    assert isinstance(connector, Connector) and isinstance(connector, JiraConnector)
    assert (connector.name, connector.webhook_secret, connector.bot_account) == (
        "jira",
        SECRET,
        "bot",
    )
    assert SECRET not in repr(connector)
