"""A ticket's history, explained: what the worker records so a person can follow every decision.

One compact entry per event the worker applied (who did what; the rules that matched and why;
each timer set with its deadline arithmetic in business time; timers cleared; the write-backs
decided) and one per write-back as it reached the tool or was parked. Entries are plain JSON in
a capped Redis list per ticket, written in the same transaction as the state (write-backs: by
the write-back job), and expire with the ticket.

Building entries is pure; :func:`stage` and :func:`load` are the only Redis calls.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from . import jsonbody, keys
from .actions import Action
from .events import EventType, TicketEvent
from .plan import Plan
from .state import TicketState

KEEP = 200  # entries per ticket; the oldest go first
EXCERPT = 160  # characters of a comment or a note kept


def excerpt(text: str) -> str:
    """At most EXCERPT characters, ending in an ellipsis when cut: a reader of the timeline
    must not take a shortened note for the whole of what was written."""
    if len(text) <= EXCERPT:
        return text
    cut = text[: EXCERPT - 1]
    return (cut[: cut.rfind(" ")] if " " in cut else cut).rstrip() + "…"


def key(connector: str, ticket: str) -> str:
    return keys.timeline(connector, ticket)


def event_entry(
    event: TicketEvent, before: TicketState, after: TicketState, plan: Plan, seen: str
) -> dict[str, Any]:
    """What happened, and what the bridge decided about it; ``seen`` is when the worker
    applied it (``isoformat`` text: a drain formats its one ``now`` once per batch)."""
    entry: dict[str, Any] = {
        "entry": "event",
        "type": event.type._value_,  # ``.value`` is a slow descriptor on Python 3.11's enums
        "key": event.key,  # ties a rules failure (tco:rule-failures) to its event
        "at": event.at.isoformat(),
        "seen": seen,
    }
    actor = event.comment.author if event.comment and event.comment.author else event.actor
    if actor is not None:
        entry["by"] = {"id": actor.id, "name": actor.name, "kind": actor.kind._value_}
    if event.comment is not None:
        entry["comment"] = {
            "public": event.comment.public,
            "excerpt": excerpt(event.comment.body),
        }
    if event.type is EventType.TIMER_FIRED:
        entry["timer"] = event.field
    elif event.field or event.after is not None:
        entry["change"] = {
            "field": event.field,
            "from": event.before,
            "to": event.after_name or event.after,
        }
    old = before.owner.id if before.owner else None
    new = after.owner.id if after.owner else None
    if old != new and after.owner is not None:
        entry["owner"] = {"from": old, "to": new, "via": after.owner.via}
    if plan.notes:
        entry["rules"] = [_split_note(n) for n in plan.notes]
    if plan.timers_set:
        entry["timers_set"] = {
            name: {"due": due.isoformat(), "how": plan.timer_notes.get(name)}
            for name, due in sorted(plan.timers_set.items())
        }
    if plan.timers_cleared:
        entry["timers_cleared"] = sorted(plan.timers_cleared)
    if plan.actions:
        entry["actions"] = [action_summary(a) for a in plan.actions]
    return entry


def action_summary(action: Action) -> dict[str, Any]:
    targets = {
        "to": ", ".join(action.mention) or None,
        "assignee": action.assignee,
        "group": action.group,
        "owner": action.owner,
        "label": action.label,
        "status": action.status,
        "field": action.field,
        "task": action.task.summary if action.task else None,
    }
    summary: dict[str, Any] = {"id": action.id, "kind": action.kind.value, "rule": action.rule}
    summary.update({k: v for k, v in targets.items() if v})
    if action.text:
        summary["text"] = excerpt(action.text)
    return summary


def write_entry(action: Action, result: str, at: datetime, detail: str = "") -> dict[str, Any]:
    """A write-back's fate: ``performed``, ``skipped`` (already there) or ``parked``."""
    entry = {"entry": "write", "at": at.isoformat(), "result": result, **action_summary(action)}
    if detail:
        entry["detail"] = excerpt(detail)
    return entry


def _split_note(note: str) -> dict[str, str]:
    rule, _, why = note.partition(": ")
    return {"rule": rule, "why": why}


def stage(
    pipe: Any,
    connector: str,
    ticket: str,
    entries: list[dict[str, Any]],
    expire: int | None = None,
    *,
    like_state: bool = False,
) -> None:
    """Append entries on a pipeline (the caller's transaction), keeping the last ``KEEP``.
    ``like_state``: expire after ``expire`` seconds as the ticket's state does (None: keep)."""
    if not entries:
        return
    name = key(connector, ticket)
    pipe.rpush(name, *[jsonbody.dumps(e, default=str) for e in entries])
    pipe.ltrim(name, -KEEP, -1)
    if like_state and expire is None:
        pipe.persist(name)
    elif like_state and expire is not None:
        pipe.expire(name, expire)


def load(client: Any, connector: str, ticket: str) -> list[dict[str, Any]]:
    return [json.loads(raw) for raw in client.lrange(key(connector, ticket), 0, -1)]
