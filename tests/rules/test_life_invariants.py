"""Whole generated ticket lives under the default rules, timers firing on a virtual clock, must
keep the practices' invariants (docs/rules.md, "The eleven practices").

``make test`` runs a small fixed-seed budget (a few seconds); ``make fuzz`` (or
``TCO_FUZZ_EXAMPLES=2000``) a longer, randomised campaign.
"""

from __future__ import annotations

import os
import random
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from life_kit import ENGINEER_IDS, FRONTLINE, KEY, Life, Seen, Watched, lives
from order_kit import in_order, run
from rules_kit import DEFAULT_RULES

from tco_bridge.actions import ActionKind
from tco_bridge.events import ActorKind, EventType, Status, TicketEvent
from tco_bridge.rules import load_rules

RULES = load_rules(DEFAULT_RULES)
CAMPAIGN = int(os.environ.get("TCO_FUZZ_EXAMPLES", "0"))
BUDGET = settings(
    max_examples=CAMPAIGN or 60,
    derandomize=not CAMPAIGN,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
CADENCE = (
    "update-cadence-warn",
    "update-cadence-due",
    "update-cadence-overdue",
    "update-cadence-behind",
)
MISSED = "update_cycles_missed"


#: The cycles missed in a row after which the reminders stop (rules/default.yaml).
UPDATE_CAP = RULES.bound(MISSED)
assert UPDATE_CAP is not None
#: Timer-driven notes a closed ticket may still get (practice 9: verify after resolve).
AFTER_CLOSE = {"verify-followup"}
KNOWN = (
    set(FRONTLINE) | ENGINEER_IDS | {"lead-sd", "lead-l2", "lead-l3"}
    | {f"group:{g}" for g in ("service_desk", "l2_network", "l3_engineering")}
)  # fmt: skip
QUIET = (Status.RESOLVED, Status.CLOSED, Status.PENDING, Status.ON_HOLD)


def replay(life: Life) -> list[Seen]:
    sim = Watched(RULES)
    sim.run(life.events, until=life.until)
    return sim.seen


def owner_id(seen: Seen, when: str) -> str | None:
    owner = (seen.before if when == "before" else seen.after).owner
    return owner.id if owner else None


# --- the invariants: each returns what broke -------------------------------------------------


def owner_changes_only_by_handover(steps: list[Seen]) -> list[str]:
    """Practice 1: once set, the contact owner changes only by a handover or hand-back, and
    never goes to an L2/L3 engineer for working the ticket."""
    found = []
    for s in steps:
        old, new = owner_id(s, "before"), owner_id(s, "after")
        if old == new:
            continue
        handover = s.event.type in (EventType.AGENT_AWAY, EventType.AGENT_BACK)
        if old is not None and not handover:
            found.append(f"{s.event.at} {s.event.type} {s.event.key}: owner {old} -> {new}")
        if new in ENGINEER_IDS and not handover:
            found.append(f"{s.event.at} {s.event.type}: owner became engineer {new}")
    return found


def no_update_reminder_while_quiet(steps: list[Seen]) -> list[str]:
    """Practice 3/6: no update-cadence note while resolved, closed, pending, on hold or
    confirmed (until the requester writes again, which unmarks ``confirmed``)."""
    found = []
    for s in steps:
        rules = {a.rule for a in s.plan.actions} & set(CADENCE)
        if not rules:
            continue
        status = s.after.status
        if status in QUIET or s.after.marks.get("confirmed"):
            marks = s.after.marks
            found.append(f"{s.event.at} {sorted(rules)} with status {status}, marks {marks}")
    return found


def open_ticket_keeps_its_update_clock(steps: list[Seen]) -> list[str]:
    """Practice 3: an open (or new) ticket the requester has not confirmed is never left
    without a customer-update clock."""
    found = []
    for s in steps:
        a = s.after
        if a.status in (Status.NEW, Status.OPEN) and not a.marks.get("confirmed"):
            if "customer_update_due" not in a.timers:
                found.append(f"{s.event.at} {s.event.type} {s.event.key}: open, no update clock")
    return found


def update_reminders_stop_at_the_cap(steps: list[Seen]) -> list[str]:
    """Practice 3: between two updates (anything that restarts the count of missed cycles)
    the owner gets at most ``UPDATE_CAP`` due nudges, the lead hears at most once that the
    ticket is that far behind, and after that no cadence note comes until the next update."""
    found = []
    dues = told = 0
    for s in steps:
        before = int(s.before.marks.get(MISSED) or 0)
        after = int(s.after.marks.get(MISSED) or 0)
        if s.plan.marks.get(MISSED) == 0 or after < before:
            dues = told = 0
        for a in s.plan.actions:
            if a.rule not in CADENCE:
                continue
            if told:
                found.append(f"{s.event.at} {a.rule} after the lead heard it is behind")
            dues += a.rule == "update-cadence-due"
            told += a.rule == "update-cadence-behind"
            if dues > UPDATE_CAP:
                found.append(f"{s.event.at}: due nudge {dues} in a row (cap {UPDATE_CAP})")
    return found


def notes_are_addressed_and_rendered(steps: list[Seen]) -> list[str]:
    """Every nudge mentions someone real (an agent, a lead or a group); no rendered text says
    None or keeps a ``{{``."""
    found = []
    for s in steps:
        for a in s.plan.actions:
            text = a.text or ""
            if a.kind is ActionKind.NOTE and not a.extra.get("public"):
                if not a.mention or not set(a.mention) <= KNOWN:
                    found.append(f"{s.event.at} {a.rule}: mentions {a.mention}")
            if "None" in text or "{{" in text or "{%" in text:
                found.append(f"{s.event.at} {a.rule}: text {text!r}")
    return found


def ids_and_clock(steps: list[Seen]) -> list[str]:
    """No action id twice. A timer computed into the past fires once (docs/rules.md,
    ``set_timer``): only when armed anew, never re-armed into the past by its own firing or
    after it fired (each firing would re-arm it already due)."""
    found = []
    ids = Counter(a.id for s in steps for a in s.plan.actions)
    found += [f"action id {i} planned {n} times" for i, n in ids.items() if n > 1]
    for s in steps:
        for name, due in s.plan.timers_set.items():
            if due >= s.event.at or name in s.before.timers:
                continue
            if s.event.type is EventType.TIMER_FIRED or s.before.timers_fired.get(name):
                found.append(f"{s.event.at} {s.event.type}: {name} re-armed into the past {due}")
    return found


def nothing_after_close(steps: list[Seen]) -> list[str]:
    """A closed ticket gets no timer-driven writes but the documented follow-up ones; a
    resolved one no pickup or target nudges (the group's clocks stop at resolution)."""
    found = []
    for s in steps:
        if s.event.type is not EventType.TIMER_FIRED:
            continue
        for a in s.plan.actions:
            if s.after.status is Status.CLOSED and a.rule not in AFTER_CLOSE:
                found.append(f"{s.event.at} {a.rule} on a closed ticket")
            resolved = s.after.status is Status.RESOLVED
            if resolved and a.rule.startswith(("pickup-", "group-target-", "update-")):
                found.append(f"{s.event.at} {a.rule} on a resolved ticket")
    return found


def approval_once_per_resolve(steps: list[Seen]) -> list[str]:
    """Practice 6: a resolve not by the requester (not already confirmed) asks for the
    confirmation exactly once; reminders go out only while it is awaited."""
    found = []
    for s in steps:
        e = s.event
        labels = [
            a
            for a in s.plan.actions
            if a.kind is ActionKind.ADD_LABEL and a.label == "awaiting-confirmation"
        ]
        resolve = (
            e.type is EventType.STATUS_CHANGED
            and e.after == Status.RESOLVED.value
            and s.before.status is not Status.RESOLVED
            and (e.actor is None or e.actor.kind is not ActorKind.REQUESTER)
            and not s.before.marks.get("confirmed")
        )
        if len(labels) != (1 if resolve else 0):
            found.append(f"{e.at} {e.type} {e.key}: {len(labels)} awaiting-confirmation labels")
        reminders = [a for a in s.plan.actions if a.rule == "approval-reminder"]
        if reminders and not s.before.marks.get("awaiting_confirmation"):
            found.append(f"{e.at}: confirm reminder without an awaited confirmation")
    return found


def handover_and_back(steps: list[Seen]) -> list[str]:
    """Practice 10: an away owner's P1/P2 ticket goes to the named backup; back, it is the
    agent's again."""
    found = []
    for s in steps:
        e, old, new = s.event, owner_id(s, "before"), owner_id(s, "after")
        urgent = s.before.priority in ("urgent", "high")
        if e.type is EventType.AGENT_AWAY and old == e.field and urgent and e.after:
            if new != e.after:
                found.append(f"{e.at}: {e.field} away, backup {e.after}, owner now {new}")
        handed = s.before.marks.get("handover")
        mine = isinstance(handed, dict) and handed.get("from") == e.field
        if e.type is EventType.AGENT_BACK and mine and new != e.field:
            found.append(f"{e.at}: {e.field} back, owner still {new}")
    return found


def bounded_repeats(steps: list[Seen]) -> list[str]:
    """Practices 5, 7, 11: one KB task per ticket, a review or quality task at most once per
    resolve, at most four aging nudges."""
    tasks = Counter(a.task.kind for s in steps for a in s.plan.actions if a.task is not None)
    resolves = sum(
        1
        for s in steps
        if s.event.type is EventType.STATUS_CHANGED and s.event.after == Status.RESOLVED.value
    )
    aging = sum(1 for s in steps for a in s.plan.actions if a.rule == "aging-check")
    found = [f"{tasks['kb']} KB tasks"] if tasks["kb"] > 1 else []
    found += [f"{tasks[k]} {k} tasks, {resolves} resolves" for k in ("review", "quality")
              if tasks[k] > resolves]  # fmt: skip
    return found + ([f"{aging} aging writes"] if aging > 8 else [])


INVARIANTS = (
    bounded_repeats,
    handover_and_back,
    owner_changes_only_by_handover,
    no_update_reminder_while_quiet,
    open_ticket_keeps_its_update_clock,
    update_reminders_stop_at_the_cap,
    notes_are_addressed_and_rendered,
    ids_and_clock,
    nothing_after_close,
    approval_once_per_resolve,
)


def describe(life: Life) -> str:
    rows = []
    for e in life.events:
        if isinstance(e, TicketEvent):
            actor = e.actor.id if e.actor else None
            body = e.comment.body if e.comment else ""
            rows.append(f"  {e.at:%a %Y-%m-%d %H:%M}Z {e.type} {actor} {e.after or ''} {body}")
        else:
            rows.append(f"  {e.at:%a %Y-%m-%d %H:%M}Z away={e.away} {e.agent} backup={e.backup}")
    return "\n".join(rows)


@BUDGET
@given(lives())
def test_a_whole_life_keeps_the_practices(life: Life) -> None:
    steps = replay(life)
    assert all(s.event.ticket_key == KEY for s in steps)
    broken = [f"{check.__name__}: {p}" for check in INVARIANTS for p in check(steps)]
    assert not broken, "\n".join(broken) + "\nlife:\n" + describe(life)


@BUDGET
@given(lives(), st.randoms(use_true_random=False))
def test_bursts_shuffled_and_repeated_give_the_same_writes(life: Life, rnd: random.Random) -> None:
    """What the tool sends at one instant (a reply and its reopen) may arrive in any order
    and twice, inside the settle window: the same writes as in order."""
    events = life.ticket_events
    reference = in_order(RULES, events)
    batches: list[list[TicketEvent]] = []
    for e in events:
        if batches and batches[-1][0].at == e.at:
            batches[-1].append(e)
        else:
            batches.append([e])
    for batch in batches:
        batch.extend(rnd.sample(batch, k=rnd.randint(0, len(batch))))
        rnd.shuffle(batch)
    got = run(RULES, batches)
    assert got.writes == reference.writes
    assert got.state == reference.state
