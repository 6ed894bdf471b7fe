"""Touches are agent actions and escalation stays end at resolution: pure functions, judged on
Jira Cloud, Jira Data Center and Zendesk payloads as the connectors parse them."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

import payloads as p

from connectors.jira import JiraConnector, JiraSettings
from connectors.zendesk import ZendeskConnector
from tco_bridge.escalation import escalation_path
from tco_bridge.events import TicketEvent
from tco_bridge.metrics import escalation_seconds, ownership_metrics
from tco_bridge.ownership import OwnershipPolicy
from tco_bridge.state import TicketState, new_state
from tco_bridge.ticket_apply import apply_all
from tco_bridge.touches import touch_key

JIRA = JiraConnector(JiraSettings(group_field=p.TEAM_FIELD))
JIRA_DC = JiraConnector(JiraSettings(deployment="datacenter", group_field="components"))
ZENDESK = ZendeskConnector.from_env({})
JIRA_POLICY = OwnershipPolicy(frontline_groups=frozenset({"Service Desk"}))
DC_POLICY = OwnershipPolicy(frontline_groups=frozenset({"Service Desk"}))
Z_POLICY = OwnershipPolicy(frontline_groups=frozenset({p.Z_FRONTLINE}))


def parse(connector: Any, *bodies: dict[str, Any]) -> list[TicketEvent]:
    events: list[TicketEvent] = []
    for body in bodies:
        events += connector.parse({}, json.dumps(body).encode()).events
    return events


def state_of(connector: Any, ticket: str, policy: OwnershipPolicy, *bodies: Any) -> TicketState:
    return apply_all(new_state(connector.name, ticket), parse(connector, *bodies), policy)


def jira_resolve(key: str, minute: int, actor: str, name: str) -> dict[str, Any]:
    return p.jira_status(key, minute, "Resolved", "done", actor, name)


def test_a_cloud_resolve_is_one_touch_not_two() -> None:
    bodies = [
        p.jira_created(),
        p.jira_comment("SUP-7", "c1", p.ANNA, "Anna Agent", 5),
        jira_resolve("SUP-7", 20, p.ANNA, "Anna Agent"),
    ]
    events = parse(JIRA, *bodies)
    resolve = [e for e in events if e.key.startswith("changelog:st-SUP-7-20")]
    assert len(resolve) == 2 and len({touch_key(e) for e in resolve}) == 1
    state = state_of(JIRA, "SUP-7", JIRA_POLICY, *bodies)
    assert state.touches == 2  # the reply and the resolve
    again = apply_all(state, parse(JIRA, bodies[2]), JIRA_POLICY)  # a redelivery adds nothing
    assert again.touches == 2


def dc_components_move(minute: int) -> dict[str, Any]:
    """DC: a components move is two items (``from`` one, ``to`` the other), names only."""
    data = copy.deepcopy(p._load("jira/jira_dc_issue_updated_status_change__crystalvjohnston.json"))
    data["timestamp"] = p.T0_MS + minute * 60_000
    data["issue"]["fields"]["components"] = [{"name": "L2 Network"}]
    data["user"] = {"name": "anna.dc", "key": "JIRAUSER10103", "displayName": "Anna Agent"}
    data["changelog"] = {
        "id": "20001",
        "items": [
            {"field": "Component", "fieldtype": "jira", "from": "100", "fromString": "Service Desk",
             "to": None, "toString": None},
            {"field": "Component", "fieldtype": "jira", "from": None, "fromString": None,
             "to": "101", "toString": "L2 Network"},
        ],
    }  # fmt: skip
    return data


def test_a_dc_components_move_is_one_touch() -> None:
    events = parse(JIRA_DC, dc_components_move(30))
    assert len(events) == 2
    assert {touch_key(e) for e in events} == {f"touch:anna.dc@{events[0].at.isoformat()}"}
    state = apply_all(new_state("jira", "VRF-803"), events, DC_POLICY)
    assert state.touches == 1


def test_a_zendesk_solve_with_a_comment_is_one_touch() -> None:
    comment = p.zendesk_comment("5158", "ev-c", "cm-1", p.Z_ANNA, 10)
    solved = p._zendesk_base("5158", "ev-s", 10, "status_changed")
    solved["detail"].update(actor_id=p.Z_ANNA, status="SOLVED")
    solved["event"] = {"current": "SOLVED", "previous": "OPEN"}
    later = p.zendesk_comment("5158", "ev-c2", "cm-2", p.Z_ANNA, 12, public=False)
    state = state_of(ZENDESK, "5158", Z_POLICY, p.zendesk_created(), comment, solved, later)
    assert state.touches == 2  # the solve with its reply, then the later note


def test_escalation_time_stops_when_a_jira_ticket_is_resolved_in_l2() -> None:
    bodies = [
        p.jira_created(),
        p.jira_comment("SUP-7", "c1", p.ANNA, "Anna Agent", 5),
        p.jira_escalate("SUP-7", 30),
        jira_resolve("SUP-7", 75, p.ENGINEER, "Eve Engineer"),
    ]
    state = state_of(JIRA, "SUP-7", JIRA_POLICY, *bodies)
    path = escalation_path(state, JIRA_POLICY)
    days_later = state.resolved_at + timedelta(days=3)  # type: ignore[operator]
    assert escalation_seconds(state, path, days_later) == 45 * 60
    [anna] = ownership_metrics([state], JIRA_POLICY, days_later)
    assert anna["escalation_minutes"] == 45.0


def test_escalation_time_stops_when_a_zendesk_ticket_leaves_the_group() -> None:
    back = p._zendesk_base("5158", "ev-back", 50, "group_assignment_changed")
    back["detail"].update(actor_id=p.Z_ENGINEER, status="OPEN", group_id=p.Z_FRONTLINE)
    back["event"] = {"current": {"id": p.Z_FRONTLINE}, "previous": {"id": p.Z_L2}}
    bodies = [
        p.zendesk_created(),
        p.zendesk_comment("5158", "ev-c", "cm-1", p.Z_ANNA, 5),
        p.zendesk_group_change("5158", "ev-g", 20),
        back,
    ]
    state = state_of(ZENDESK, "5158", Z_POLICY, *bodies)
    now = datetime.fromisoformat("2026-01-06T08:00:00+00:00")
    assert escalation_seconds(state, escalation_path(state, Z_POLICY), now) == 30 * 60
    still_open = state_of(ZENDESK, "5158", Z_POLICY, *bodies[:3])
    eight_00 = datetime.fromisoformat("2026-01-05T09:20:00.123456+00:00")
    assert escalation_seconds(still_open, escalation_path(still_open, Z_POLICY), eight_00) == 3600


# --- Jira Data Center: the group in a custom "Team" field named by display name ----------------

DC_TEAM = JiraConnector(
    JiraSettings(
        deployment="datacenter",
        group_field=p.TEAM_FIELD,
        field_names=MappingProxyType({"team": p.TEAM_FIELD}),
    )
)
DC_ANNA = {"name": "anna.dc", "key": "JIRAUSER10103", "displayName": "Anna Agent"}
DC_EVE = {"name": "eve.l2", "key": "JIRAUSER10200", "displayName": "Eve Engineer"}


def dc_body(
    minute: int, user: dict[str, Any], items: list[dict[str, Any]] | None, team: str
) -> dict[str, Any]:
    """The DC fixture as ``user`` left it at ``minute``: ``items`` its changelog (None: the
    issue's creation), DC-shaped (no ``fieldId``, custom fields by display name)."""
    data = copy.deepcopy(p._load("jira/jira_dc_issue_updated_status_change__crystalvjohnston.json"))
    data["timestamp"] = p.T0_MS + minute * 60_000
    data["user"] = user
    data["issue"]["fields"][p.TEAM_FIELD] = {"value": team, "id": "10100"}
    if items is None:
        data.update(webhookEvent="jira:issue_created", issue_event_type_name="issue_created")
        data.pop("changelog", None)
    else:
        data["changelog"] = {"id": f"5{minute:04d}", "items": items}
    return data


def dc_story() -> list[dict[str, Any]]:
    """Created, Anna replies, moves the Team to L2 at minute 30, Eve resolves at minute 75."""
    customer = {"name": "crystal.johnston", "key": "crystal.johnston", "displayName": "Crystal"}
    reply = dc_body(5, DC_ANNA, [], "Service Desk")
    reply.update(issue_event_type_name="issue_commented",
                 comment={"id": "901", "author": DC_ANNA, "body": "On it."})  # fmt: skip
    team = [{"field": "Team", "fieldtype": "custom", "from": "10100",
             "fromString": "Service Desk", "to": "10101", "toString": "L2 Network"}]  # fmt: skip
    resolve = [
        {"field": "resolution", "fieldtype": "jira", "from": None, "fromString": None,
         "to": "1", "toString": "Fixed"},
        {"field": "status", "fieldtype": "jira", "from": "10022", "fromString": "To Do",
         "to": "10001", "toString": "Resolved"},
    ]  # fmt: skip
    resolved = dc_body(75, DC_EVE, resolve, "L2 Network")
    resolved["issue"]["fields"]["status"] = {"name": "Resolved", "statusCategory": {"key": "done"}}
    return [dc_body(0, customer, None, "Service Desk"), reply,
            dc_body(30, DC_ANNA, team, "L2 Network"), resolved]  # fmt: skip


def test_a_dc_resolve_is_one_touch_and_ends_the_l2_stay() -> None:
    bodies = dc_story()
    events = parse(DC_TEAM, *bodies)
    resolve = [e for e in events if e.at == events[-1].at]
    assert len(resolve) == 2 and len({touch_key(e) for e in resolve}) == 1
    state = state_of(DC_TEAM, events[0].ticket, DC_POLICY, *bodies)
    assert state.touches == 3  # Anna's reply, Anna's Team move, Eve's resolve
    path = escalation_path(state, DC_POLICY)
    assert [s.group for s in path] == ["L2 Network"]
    days_later = state.resolved_at + timedelta(days=3)  # type: ignore[operator]
    assert escalation_seconds(state, path, days_later) == 45 * 60
    [anna] = ownership_metrics([state], DC_POLICY, days_later)
    assert (anna["key"], anna["escalation_minutes"]) == ("anna.dc", 45.0)
