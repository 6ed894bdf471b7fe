"""Each stay in the escalation path with its group's targets and verdicts, as the ticket's
JSON view, the console's ticket page and ``tco-bridge metrics --by group`` show them (real
Redis and worker, the clock on a virtual time, Zendesk faked at the HTTP layer)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner
from console_kit import sign_in
from practice_kit import ALICE, ERIN, FRONTLINE, L2, T0, Story, hours, minutes, story_on

from tco_bridge import cli


@pytest.fixture
def story(make_runtime: Any) -> Iterator[Story]:
    with story_on(make_runtime()) as s:
        s.create("101", T0)
        s.comment("101", T0 + minutes(10), ALICE, "Hello Carol, we are on it.")
        s.group("101", T0 + minutes(20), L2)  # P3 in L2: respond by 13:20 Berlin
        s.advance(T0 + hours(5))
        s.assign("101", T0 + hours(6), ERIN, actor=ERIN)  # picked up late
        s.group("101", T0 + hours(7), FRONTLINE, actor=ERIN)  # handed back: resolution met
        s.group("101", T0 + hours(8), L2)  # a second stay, running
        yield s


def test_the_ticket_view_gives_each_stay_its_targets_and_verdicts(story: Story) -> None:
    first, second = story.view("101")["escalation_path"]
    assert first["alias"] == second["alias"] == "l2_network"
    assert first["response"] == {
        "status": "breached",
        "due": "2026-01-05T12:20:00+00:00",
        "done_at": "2026-01-05T14:00:00+00:00",
    }
    assert first["resolution"]["status"] == "met"
    assert first["resolution"]["done_at"] == "2026-01-05T15:00:00+00:00"
    assert second["response"] == {
        "status": "running",
        "due": "2026-01-06T10:00:00+00:00",  # 1bh on Monday, 3bh on Tuesday
        "done_at": None,
    }
    assert second["resolution"]["status"] == "running"


def test_the_console_ticket_page_shows_the_verdicts(story: Story) -> None:
    sign_in(story.client, story.rt.redis, "alice", "agent", agent=ALICE)
    html = story.client.get("/console/tickets/zendesk/101").get_data(as_text=True)
    targets = [line.strip() for line in html.splitlines() if 'class="target"' in line]
    assert len(targets) == 4, targets
    path = html[html.index("Escalation path") :]
    badges = [path.split(f'<span class="badge {k}">')[1].split("<")[0] for k in ("bad", "ok")]
    assert badges == ["breached", "met"]
    assert '<span class="badge warn">running</span>' in path


def test_metrics_by_group_from_the_cli_match_the_api(story: Story) -> None:
    api = story.client.get("/metrics/ownership?by=group").json["rows"]
    runner = CliRunner()
    printed = runner.invoke(cli.main, ["metrics", "--by", "group", "--json"], obj=story.rt)
    assert printed.exit_code == 0, printed.output
    assert json.loads(printed.output) == api
    assert [row["group"] for row in api] == ["l2_network"]
    table = runner.invoke(cli.main, ["metrics", "--by", "group"], obj=story.rt)
    assert table.exit_code == 0, table.output
    head, row = table.output.splitlines()
    assert head.split() == ["group", "stays", "running", "response", "resolution"]
    assert row.split() == ["l2_network", "2", "1", "0/1", "0%", "1/0", "100%"]
    wrong = runner.invoke(cli.main, ["metrics", "--by", "galaxy"], obj=story.rt)
    assert wrong.exit_code == 2 and "galaxy" in wrong.output
