"""Ownership metrics for team leads, from ticket states."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from test_state import ANNA, CUSTOMER, POLICY, T0, created, escalation, ev, reply

from tco_bridge.events import EventType
from tco_bridge.metrics import ownership_metrics
from tco_bridge.state import new_state
from tco_bridge.ticket_apply import apply_all
from tco_bridge.web import create_app


def resolved_at_first_contact() -> Any:
    events = [
        replace(created(), ticket="SUP-2"),
        replace(reply(10, ANNA, "c9"), ticket="SUP-2"),
        replace(
            ev(20, EventType.STATUS_CHANGED, "s9", actor=ANNA, after="resolved"), ticket="SUP-2"
        ),
    ]
    return apply_all(new_state("jira", "SUP-2"), events, POLICY)


def test_metrics_per_owner_and_team() -> None:
    escalated = apply_all(new_state("jira", "SUP-1"), escalation(), POLICY)
    escalated = replace(escalated, timers_fired={"customer_update_due": 1})
    now = T0 + timedelta(minutes=90)
    [anna] = ownership_metrics([escalated, resolved_at_first_contact()], POLICY, now)
    assert anna["key"] == "anna" and (anna["open"], anna["done"]) == (1, 1)
    assert anna["first_contact_resolution"] == 1.0
    assert anna["escalated"] == 1
    assert anna["escalation_minutes"] == 60.0  # entered L2 at 09:30, still there at 10:30
    assert anna["first_response_minutes"] == 7.5  # 5 and 10 minutes
    assert (anna["customer_updates"], anna["update_deadlines_missed"]) == (2, 1)
    assert anna["cadence_compliance"] == round(2 / 3, 3)
    [team] = ownership_metrics([escalated], POLICY, now, by="team")
    assert team["key"] == "service-desk"


def test_unowned_tickets_are_left_out() -> None:
    state = apply_all(new_state("jira", "SUP-3"), [created(), reply(4, CUSTOMER, "c")], POLICY)
    assert ownership_metrics([state], POLICY, T0) == []


def test_metrics_endpoint(make_runtime: Any) -> None:
    client = create_app(runtime=make_runtime()).test_client()
    assert client.get("/metrics/ownership?by=team").json == {
        "by": "team",
        "connector": None,
        "rows": [],
    }
    assert client.get("/metrics/ownership?by=planet").status_code == 400
    assert client.get("/metrics/ownership?connector=nope").status_code == 404
