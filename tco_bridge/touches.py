"""What counts as one agent touch (pure).

A touch is one agent *action*, not one changelog item or one event: resolving a Jira issue
changes ``resolution`` and ``status`` in one changelog, a components move removes and adds
items, and Zendesk sends a solve-with-comment as several events stamped with the same audit
time. All of one action's events carry the same actor and the tool's own timestamp for the
action (Jira's delivery ``timestamp``, Zendesk's audit ``time``), so a touch is keyed by
(actor, that instant): the first event of the action counts, the others add nothing.
"""

from __future__ import annotations

from .events import Actor, ActorKind, EventType, TicketEvent

#: Prefix of touch keys kept among a state's ``seen`` keys (event keys never start with it).
TOUCH_PREFIX = "touch:"


def touching_agent(event: TicketEvent) -> Actor | None:
    """The agent whose action this event records, or None when it is no agent action."""
    if event.type is EventType.COMMENT_ADDED and event.comment is not None:
        author = event.comment.author or event.actor
    else:
        author = event.actor
    return author if author is not None and author.kind is ActorKind.AGENT else None


def touch_key(event: TicketEvent) -> str | None:
    """One key per agent action: the actor and the tool's timestamp of the action."""
    agent = touching_agent(event)
    return None if agent is None else touch_key_of(agent, event)


def touch_key_of(agent: Actor, event: TicketEvent) -> str:
    """:func:`touch_key` when the touching agent is known already."""
    return f"{TOUCH_PREFIX}{agent.id}@{event.at.isoformat()}"
