"""Yes/no conditions (``escalated: true``, ``has_owner: false``, …): one table of tests."""

from __future__ import annotations

from collections.abc import Callable

from ..escalation import Segment, escalation_path, is_escalated
from .checks import Compiler, Tested, flag
from .model import Definitions, Facts
from .yamlsrc import Node, Source


def bool_condition(what: str, fn: Callable[[Facts], bool]) -> Compiler:
    def compile_(src: Source, node: Node, defs: Definitions) -> Tested | None:
        wanted = src.boolean(node)
        if wanted is None:
            return None
        return Tested(lambda f: flag(what, wanted, fn(f)), lambda f: fn(f) == wanted)

    return compile_


def escalation_of(f: Facts) -> list[Segment]:
    """The ticket's escalation path, worked out once per evaluation (the pickup conditions
    and the group targets ask); not to be changed."""
    return f.once("escalation_path", lambda: escalation_path(f.state, f.policy))


def _picked_up(f: Facts) -> bool:
    if not is_escalated(f.state, f.policy):
        return False
    path = escalation_of(f)
    return bool(path) and path[-1].picked_up_at is not None


def _confirmed_by_actor(f: Facts) -> bool:
    actor = f.actor
    return actor is not None and f.owner_id is not None and actor.id == f.owner_id


BOOLEANS: dict[str, Callable[[Facts], bool]] = {
    "escalated": lambda f: is_escalated(f.state, f.policy),
    "picked_up": _picked_up,
    "has_owner": lambda f: f.state.owner is not None,
    "has_assignee": lambda f: f.state.assignee is not None,
    "owner_is_actor": _confirmed_by_actor,
    "owner_is_agent": lambda f: f.owner_id is not None and f.owner_id == f.agent,
    "resolved_by_owner": lambda f: f.owner_id is not None and f.state.resolved_by == f.owner_id,
    "owner_away": lambda f: f.owner_id is not None and f.owner_id in f.context.away,
    "has_backup": lambda f: f.backup is not None,
    "owner_changed": lambda f: f.owner_id is not None and f.marks.get("_owner") != f.owner_id,
    "comment_public": lambda f: f.event.comment is not None and f.event.comment.public,
    "handed_over": lambda f: (
        isinstance(f.marks.get("handover"), dict) and f.marks["handover"].get("from") == f.agent
    ),
}
