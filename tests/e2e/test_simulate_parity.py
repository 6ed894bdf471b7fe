"""``simulate`` is production: one recording, run through the real worker and through the
replay, decides the same actions at the same times.

The bridge runs on Redis with RQ and the clock on a virtual time (``practice_kit.Story``),
recording every accepted delivery and every away/back change (``TCO_RECORD_FILE``). The same
file is then replayed by :class:`tco_bridge.simulate.Simulator` with connectors built from the
bridge's settings. The story crosses a weekend (Friday afternoon to Tuesday), so business-time
arithmetic is on both sides; it fires a recurring customer-update reminder, a pickup reminder
and an escalation group's target warning, and an agent goes away and comes back.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from practice_kit import (
    ALICE,
    BOB,
    DEFAULT_RULES,
    L2,
    Story,
    days,
    hours,
    minutes,
    story_on,
)
from webhook_kit import BASE_ENV

from tco_bridge import timeline
from tco_bridge.actions import Action
from tco_bridge.rules import load_rules
from tco_bridge.simulate import Parsers, Simulator, describe, read_recording

# Friday 9 January 2026, 14:00 in Berlin (13:00 UTC).
FRIDAY = datetime(2026, 1, 9, 13, 0, tzinfo=UTC)
Row = tuple[str, str, str, str, str]


@pytest.fixture
def recorded(make_runtime: Any, tmp_path: Path) -> Iterator[tuple[Story, Path]]:
    path = tmp_path / "recording.jsonl"
    with story_on(make_runtime(TCO_RECORD_FILE=str(path)), FRIDAY) as story:
        yield story, path


def worker_rows(story: Story, ticket: str) -> set[Row]:
    """What the worker decided: each action of the ticket's timeline at its event's time."""
    rows = set()
    written = {a["id"]: Action.from_json(a) for g in story.groups for a in g["actions"]}
    for entry in timeline.load(story.rt.redis, "zendesk", ticket):
        for summary in entry.get("actions", []) if entry["entry"] == "event" else []:
            action = written[summary["id"]]
            at = datetime.fromisoformat(entry["at"]).astimezone(UTC).isoformat()
            rows.add((at, action.rule, action.kind.value, describe(action)[0], action.id))
    return rows


def simulated_rows(path: Path, until: datetime) -> set[Row]:
    env = {**BASE_ENV, "TCO_DATA_DIR": str(path.parent)}
    with path.open(encoding="utf-8") as fh:
        events, problems = read_recording(fh, Parsers(env))
    assert problems == []
    entries = Simulator(load_rules(DEFAULT_RULES)).run(events, until)
    return {(e.at.astimezone(UTC).isoformat(), e.rule, e.action, e.target, e.id) for e in entries}


@pytest.mark.parametrize("scheduled", [False, True], ids=["back by hand", "back at until"])
def test_worker_and_simulate_decide_the_same_actions_at_the_same_times(
    recorded: tuple[Story, Path], scheduled: bool
) -> None:
    """Alice is away over the weekend with Bob as backup, back on Monday: marked back by
    hand, or by the clock at the ``until`` she gave (the clock records that change too)."""
    story, path = recorded
    story.create("101", FRIDAY, priority="high")
    story.comment("101", FRIDAY + minutes(10), ALICE, "Hello Carol, we are on it.")
    story.group("101", FRIDAY + minutes(20), L2)  # nobody in L2 picks it up before Monday
    story.advance(FRIDAY + hours(20))  # Saturday morning
    story.echo()  # the bridge's own notes come back: both sides must know them as its own
    monday = FRIDAY + days(3)  # 14:00 Berlin
    story.away(ALICE, backup=BOB, until=monday if scheduled else None)
    story.advance(monday)
    if not scheduled:
        story.back(ALICE)
    story.comment("101", FRIDAY + days(3) + hours(1), ALICE, "Still on it, Carol.")
    end = FRIDAY + days(4)  # Tuesday 14:00 Berlin
    story.advance(end)
    story.echo()

    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [line["presence"] for line in lines if "presence" in line] == ["away", "back"]
    worker = worker_rows(story, "101")
    simulated = simulated_rows(path, end)
    rules = [row[1] for row in worker]
    assert {"pickup-overdue", "group-target-warning"} <= set(rules), rules
    # The update reminder recurs: a warning in more than one cycle across the weekend.
    assert rules.count("update-cadence-warn") >= 2, rules
    assert [row[1] for row in sorted(worker)].count("handover-return") == 2  # assign, note
    assert sorted(simulated) == sorted(worker)
