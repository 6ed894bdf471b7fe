"""The console over a ticket lived through the real stack (Zendesk faked at HTTP): what a lead
and an admin read on each page, and the timeline explaining every decision."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from console_kit import csrf_of, sign_in
from practice_kit import ALICE, L2, T0, Story, hours, minutes, story_on

from tco_bridge import cli, democlock
from tco_bridge.cli.processes import demo_env
from tco_bridge.failed import FAILED, all_parked, park


@pytest.fixture
def story(make_runtime: Any) -> Iterator[Story]:
    with story_on(make_runtime()) as s:
        yield s


def escalated_and_forgotten(story: Story) -> None:
    """Carol opens 101 (P3); Alice answers and escalates to L2, where nobody picks it up."""
    story.create("101", T0)
    story.comment("101", T0 + minutes(10), ALICE, "Hello Carol, we are on it.")
    story.group("101", T0 + minutes(20), L2)


def page(story: Story, path: str) -> str:
    answer = story.client.get(path)
    assert answer.status_code == 200, (path, answer.status_code)
    return answer.get_data(as_text=True)


def test_owner_sees_the_escalated_ticket_with_someone_else(story: Story) -> None:
    escalated_and_forgotten(story)
    sign_in(story.client, story.rt.redis, "alice", "agent", agent=ALICE)
    html = page(story, "/console/")
    elsewhere, mine = html.split("With me", 1)
    # The group by its name in the rules, not the tool's id.
    assert "zendesk:101" in elsewhere and "L2 Network" in elsewhere and L2 not in elsewhere
    assert "escalated" in elsewhere
    assert "zendesk:101" not in mine
    assert "update overdue" not in html and "update due soon" not in html
    # A day on (P3: an update every business day), Alice sees she owes Carol an update, and
    # her deadlines in the order they fall due.
    story.advance(T0 + hours(30))
    html = page(story, "/console/")
    assert "update overdue" in html.split("With me", 1)[0]
    shown = re.findall(r"<code>(\w+)</code> (\d{4}-\d\d-\d\d \d\d:\d\d)", html)
    assert len(shown) >= 3 and [due for _, due in shown] == sorted(due for _, due in shown)


def test_lead_sees_stalled_pickup_and_overdue_update(story: Story) -> None:
    escalated_and_forgotten(story)
    sign_in(story.client, story.rt.redis, "lena", "lead")
    at_risk = page(story, "/console/escalations")
    assert "No escalation is at risk" in at_risk  # 4 business hours to pick up: plenty left
    story.advance(T0 + hours(3) + minutes(40))  # 40 minutes before the pickup is due
    assert "at risk" in page(story, "/console/escalations")
    story.advance(T0 + hours(5))
    breached = page(story, "/console/escalations")
    assert "zendesk:101" in breached and "pickup by the group" in breached
    assert "breached" in breached and "<td>L2 Network</td>" in breached
    # When the pickup clock ran out, in the team's zone (the office calendar's, Berlin), and
    # how long ago, not just that it did.
    pickup = breached.split("pickup by the group", 1)[1].split("</tr>", 1)[0]
    assert "2026-01-05 13:20 CET" in pickup and "40m ago" in pickup, pickup
    assert "passed" not in pickup and "UTC" not in breached
    assert "No customer" not in page(story, "/console/updates")  # P3: a day's cadence
    story.advance(T0 + hours(30))
    overdue = page(story, "/console/updates")
    assert "zendesk:101" in overdue and ">overdue<" in overdue
    # A business day's deadline missed (Tue 09:10), the lead told four business hours on,
    # while the cadence's next deadline already runs.
    assert "<strong>1 missed</strong>" in overdue and ">lead told<" in overdue
    assert "past the cap" not in overdue
    # Three business days on, three cycles missed: the reminders stopped, and the lead sees
    # why the ticket is still listed.
    story.advance(T0 + hours(4 * 24))
    capped = page(story, "/console/updates").split('id="overdue"', 1)[1].split("</table>")[0]
    assert "<strong>3 missed</strong>" in capped and "past the cap of 3" in capped, capped


def test_lead_sees_resolved_tickets_awaiting_confirmation(story: Story) -> None:
    escalated_and_forgotten(story)
    sign_in(story.client, story.rt.redis, "lena", "lead")
    assert "No resolved ticket is waiting" in page(story, "/console/updates")
    story.status("101", T0 + hours(2), "solved")
    story.advance(T0 + hours(3))
    html = page(story, "/console/updates")
    awaiting = html.split('id="awaiting"', 1)[1].split("</table>", 1)[0]
    # Solved Mon 11:00 Berlin, an hour ago; the requester is reminded a business day on.
    assert "zendesk:101" in awaiting and "2026-01-05 11:00 CET" in awaiting, awaiting
    assert "1h ago" in awaiting and "0 sent" in awaiting
    assert "zendesk:101" not in html.split('id="awaiting-confirmation"', 1)[0]


def test_lead_sees_owners_over_the_workload_cap_the_rules_set(story: Story) -> None:
    from tco_bridge import keys

    escalated_and_forgotten(story)
    sign_in(story.client, story.rt.redis, "lena", "lead")
    html = page(story, "/console/updates")
    assert "No owner holds more than 25 open tickets." in html  # the cap in rules/default.yaml
    story.rt.redis.hset(keys.workload("zendesk"), mapping={ALICE: 27, "bob": 25})
    over = page(story, "/console/updates").split('id="overloaded"', 1)[1].split("</table>")[0]
    assert f"<td>{ALICE}</td>" in over and '<td class="num">27</td>' in over, over
    assert '<td class="num">2</td>' in over and "bob" not in over
    assert f"/console/?agent={ALICE}" in over


def test_timeline_explains_each_rule_timer_and_write_back(story: Story) -> None:
    escalated_and_forgotten(story)
    story.advance(T0 + hours(5))
    sign_in(story.client, story.rt.redis, "alice", "agent", agent=ALICE)
    html = page(story, "/console/tickets/zendesk/101")
    assert f"Contact owner none → <strong>{ALICE}</strong>" in html
    assert "Rule <code>pickup-start</code> matched" in html
    # The deadline arithmetic, in business time on the office calendar (Berlin).
    assert (
        "Timer <code>pickup_due</code> set: event Mon 2026-01-05 09:20 CET + 4bh of business "
        "time (office hours) = Mon 2026-01-05 13:20 CET"
    ) in html
    assert "timer <code>pickup_due</code> fired" in html
    assert "Rule <code>pickup-overdue</code> matched" in html
    # An event no rule acted on says so (Zendesk opening the ticket on Alice's reply).
    opened = html.split("status.changed</strong>", 1)[1].split("</li>", 1)[0]
    assert ": status new → open" in opened and "No rule matched this event." in opened
    assert "without anyone picking it up" in html  # the nudge's text, as decided
    # What reached Zendesk, and when: the nudge note was written back.
    assert html.count("Write-back</strong> <code>note</code>") >= 2  # welcome and nudge
    assert "even when the work moves to…</q>" in html  # the welcome note, cut: and it says so
    assert ">performed<" in html
    # The timers still running, soonest first.
    timers = html.split("<h2>Timers</h2>", 1)[1].split("</ul>", 1)[0]
    dues = re.findall(r"due (\d{4}-\d\d-\d\d \d\d:\d\d)", timers)
    assert len(dues) >= 3 and dues == sorted(dues)


def test_ticket_page_shows_a_write_back_held_by_a_write_limit(story: Story) -> None:
    from tco_bridge import held
    from tco_bridge.actions import Action, ActionKind

    escalated_and_forgotten(story)
    nudge = Action("tco-1", "zendesk", "101", ActionKind.NOTE, "pickup-overdue", text="hi")
    held.record(story.rt.redis, "zendesk", "101", "rate_limit", 30, [nudge])
    sign_in(story.client, story.rt.redis, "alice", "agent", agent=ALICE)
    html = page(story, "/console/tickets/zendesk/101")
    assert "Held by a write limit</strong> (rate_limit)" in html
    assert '<code>note</code> <small class="muted">(rule pickup-overdue)</small>' in html


def test_metrics_page_plots_and_exports_what_the_api_reports(story: Story) -> None:
    escalated_and_forgotten(story)
    story.status("101", T0 + hours(2), "solved")
    sign_in(story.client, story.rt.redis, "lena", "lead")
    html = page(story, "/console/metrics?by=owner")
    assert html.count("<svg") == 5 and "First-contact resolution" in html
    # What each figure counts, under the table, and the group by its name.
    legend = html.split('id="metrics-legend"', 1)[1].split("</dl>", 1)[0]
    assert "without ever going to an escalation group" in legend and "Touches" in legend
    assert "<td>L2 Network</td>" in html and f"<td>{L2}</td>" not in html
    # Drawn on the server: nothing is fetched from elsewhere (no CDN, no external script).
    assert re.findall(r'(?:src|href)="(?:https?:)?//', html) == []
    csv = page(story, "/console/metrics/owners.csv")
    header, row = csv.splitlines()[:2]
    assert header.startswith("key,open,done,escalated,first_contact_resolution")
    api = story.client.get("/metrics/ownership?by=owner").json["rows"][0]
    assert row.split(",")[:4] == [ALICE, "0", "1", "1"] and api["key"] == ALICE
    groups = page(story, "/console/metrics/groups.csv").splitlines()
    assert groups[0] == "group,stays,mean_minutes,mean_pickup_minutes"
    assert groups[1].startswith(f"{L2},1,100.0,")  # 09:20 to 11:00 in L2, never picked up
    empty = page(story, "/console/metrics/owners.csv?from=2026-02-01")
    assert empty == ""
    assert story.client.get("/console/metrics?from=soon").status_code == 400
    # The JSON API and the CLI give the same rows, for the same period, as CSV too.
    assert story.client.get("/metrics/ownership?format=csv").get_data(as_text=True) == csv
    later = story.client.get("/metrics/ownership?from=2026-01-06").json["rows"]
    assert later == [] and story.client.get("/metrics/ownership?to=x").status_code == 400
    runner = CliRunner()
    printed = runner.invoke(cli.main, ["metrics", "--csv", "--to", "2026-01-05"], obj=story.rt)
    assert printed.exit_code == 0 and printed.output == csv
    bad = runner.invoke(cli.main, ["metrics", "--from", "May"], obj=story.rt)
    assert bad.exit_code == 2 and "'--from' must be a date" in bad.output


def test_admin_retries_and_purges_failed_write_backs(story: Story) -> None:
    for group in ("g1", "g2"):
        park(
            story.rt,
            group=group,
            connector="zendesk",
            ticket="101",
            actions=[],
            attempts=9,
            error="the connector refused: 422 Unprocessable",
        )
    sign_in(story.client, story.rt.redis, "ada", "admin")
    html = page(story, "/console/failed")
    assert "422 Unprocessable" in html and html.count(">Retry<") == 2
    # The bridge's health above them, as /readyz says it: no worker runs in this test.
    health = html.split('id="health"', 1)[1].split("</section>", 1)[0]
    assert "<strong>redis</strong>" in health and "needs attention" in health
    assert "no worker registered" in health, health
    csrf = csrf_of(html)
    story.client.post("/console/failed/g1/purge", data={"csrf_token": csrf})
    assert [r.id for r in all_parked(story.rt)] == ["g2"]
    done = story.client.post(
        "/console/failed/g2/retry", data={"csrf_token": csrf}, follow_redirects=True
    )
    assert "Queued g2 again." in done.get_data(as_text=True)
    assert story.rt.redis.hlen(FAILED) == 0
    refused = story.client.post("/console/failed/g2/purge")  # no CSRF token
    assert refused.status_code == 400
    # Many parked at once (a tool not configured yet): purged together.
    for group in ("g3", "g4"):
        park(
            story.rt,
            group=group,
            connector="zendesk",
            ticket="101",
            actions=[],
            attempts=1,
            error="TCO_ZENDESK_URL is not set",
        )
    done = story.client.post(
        "/console/failed/purge-all", data={"csrf_token": csrf}, follow_redirects=True
    )
    assert "Purged 2 write-back group(s)." in done.get_data(as_text=True)
    assert all_parked(story.rt) == []


def test_make_demo_shows_the_three_timed_nudges_within_five_minutes(make_runtime: Any) -> None:
    """On the clock `make demo` sets (60x, from the next opening of the office calendar), a
    newcomer who opens, answers and escalates an urgent ticket in the first minute sees the
    pickup nudge 15 real seconds after the escalation, and the update warning and the lead's
    escalation 45 and 90 seconds after Anna's answer (as the sandbox page says): all within
    five minutes of `make demo`."""
    rt = make_runtime()
    clock = democlock.parse(*demo_env(rt.settings, 60).values())
    assert clock is not None and clock.speed == 60

    def real(seconds: float) -> datetime:
        """The bridge's time ``seconds`` of real time after `make demo` started."""
        return clock.start + timedelta(seconds=seconds * clock.speed)

    with story_on(rt, real(0)) as story:
        story.create("101", real(20), priority="urgent")
        story.comment("101", real(35), ALICE, "Hello Carol, we are on it.")
        story.group("101", real(50), L2)
        wanted = {
            "pickup nudge": "without anyone picking it up",
            "update warning": "the next customer update",
            "lead's escalation": "is still overdue: owner",
        }
        seen: dict[str, int] = {}
        for second in range(51, 301):
            story.advance(real(second))
            texts = [n.text for n in story.fake.notes("101")]
            for name, words in wanted.items():
                if name not in seen and any(words in t for t in texts):
                    seen[name] = second
    # seconds after `make demo` started: the answer came at 35 s, the escalation at 50 s
    assert seen == {
        "pickup nudge": 50 + 15,
        "update warning": 35 + 45,
        "lead's escalation": 35 + 90,
    }
