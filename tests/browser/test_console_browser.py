"""What a person sees in a browser: the sandbox story on the demo clock, a ticket's explained
timeline, the team's metrics, and a page refused to a role too low."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from browser_kit import Bridge, shoot
from click.testing import CliRunner
from playwright.sync_api import Page, expect

from tco_bridge import cli
from tco_bridge.users import add_user

pytestmark = pytest.mark.browser
WAIT_MS = 30_000


def sign_in(page: Page, bridge: Bridge, path: str, name: str, token: str) -> None:
    page.goto(bridge.url + path)
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Name").fill(name)
    page.get_by_label("Token").fill(token)
    page.get_by_role("button", name="Sign in").click()


def test_newcomer_walks_the_sandbox_story_on_the_demo_clock(bridge: Bridge, browser: Any) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(bridge.url + "/")
    expect(page.locator("#first-admin")).to_contain_text(
        f"Sign in as admin with the token in {bridge.env['TCO_DATA_DIR']}/admin.token"
    )
    sign_in(page, bridge, "/console/sandbox", "admin", bridge.admin_token)
    expect(page.get_by_role("heading", name="Sandbox", exact=True)).to_be_visible()
    expect(page.locator("header .demo")).to_contain_text("demo clock")
    # What to expect, at this clock's speed (600x: ten times sooner than `make demo`'s 60x).
    expect(page.locator("main")).to_contain_text(
        "the pickup nudge about 1.5 seconds after the escalation, and the update warning and "
        "the lead's escalation about 4.5 and 9 seconds after Anna's answer"
    )

    page.get_by_role("button", name="Open ticket").click()
    expect(page.locator("#ticket-title")).to_have_text("SBX-1 · VPN drops every hour")
    page.get_by_role("button", name="Reply as Anna").click()
    # The bridge makes Anna the contact owner: its note, her label and the owner appear.
    comments = page.locator("#comments")
    expect(page.locator("#owner")).to_have_text("anna", timeout=WAIT_MS)
    expect(page.locator("#labels")).to_contain_text("tco-owner-anna", timeout=WAIT_MS)
    expect(comments).to_contain_text(
        "Anna Agent, you are now the contact owner of SBX-1", timeout=WAIT_MS
    )

    page.get_by_role("button", name="Escalate").click()
    # Urgent (P1): pickup within 15 minutes, an update every hour (warning 15 minutes before),
    # the lead after 30 more minutes: on the demo clock, seconds.
    expect(comments).to_contain_text("without anyone picking it up", timeout=WAIT_MS)
    expect(comments).to_contain_text(
        "Reminder for Anna Agent: the next customer update", timeout=WAIT_MS
    )
    expect(comments).to_contain_text("is still overdue: owner Anna Agent", timeout=WAIT_MS)
    shoot(page, "console-sandbox")
    # A lead's `tco-bridge metrics` in a second terminal counts on the demo's clock too: the
    # ticket has been in L2 for about as long as the update has been overdue, an hour and more
    # of the bridge's time (0 on the real clock, where the demo's day has not begun).
    printed = CliRunner().invoke(cli.main, ["metrics", "--csv"], env=bridge.env)
    assert printed.exit_code == 0, printed.output
    [anna] = list(csv.DictReader(io.StringIO(printed.stdout)))
    assert anna["key"] == "anna" and float(anna["escalation_minutes"]) >= 60

    page.get_by_role("link", name="Timeline: every decision explained →").click()
    expect(page.get_by_role("heading", name="sandbox:SBX-1")).to_be_visible()
    timeline = page.locator("ol.timeline")
    expect(timeline).to_contain_text("Rule pickup-overdue matched")
    expect(timeline).to_contain_text("Rule update-cadence-overdue matched")
    expect(timeline).to_contain_text("Timer pickup_due set: event")
    expect(timeline).to_contain_text("Contact owner none → anna")
    expect(timeline.locator("li.write.performed").first).to_be_visible()
    shoot(page, "console-timeline")


def test_lead_reads_metrics_and_an_agent_is_refused(
    bridge: Bridge, browser: Any, redis_client: Any
) -> None:
    lead, agent = add_user(redis_client, "lena", "lead"), add_user(redis_client, "anna", "agent")
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    sign_in(page, bridge, "/console/metrics", "lena", lead)
    expect(page.get_by_role("heading", name="Team metrics")).to_be_visible()
    expect(page.locator(".plots svg")).to_have_count(5)
    expect(page.locator(".plots")).to_contain_text("First-contact resolution (%)")
    expect(page.get_by_role("link", name="Failed write-backs")).to_have_count(0)
    shoot(page, "console-metrics")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, bridge, "/console/metrics", "anna", agent)
    expect(page.get_by_role("heading", name="Not for your role")).to_be_visible()
    expect(page.get_by_role("link", name="Team metrics")).to_have_count(0)
    page.get_by_role("link", name="My tickets").click()
    expect(page.get_by_role("heading", name="Owned by anna")).to_be_visible()
