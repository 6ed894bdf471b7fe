"""The contact owner, derived from a state's owner candidates and group history.

The owner is never overwritten by arrival order: it is recomputed from the time-ordered
candidates, so late and duplicate deliveries give the same owner (see ``state.py``).
"""

from __future__ import annotations

from datetime import datetime

from .ownership import Model, OwnershipPolicy, OwnerTrigger
from .state import Change, Owner, TicketState, evolve, value_at, value_before


def derive_owner(state: TicketState, policy: OwnershipPolicy) -> Owner | None:
    """The contact owner: an explicit override, else the first qualifying front-line touch."""
    if state.owner_override is not None and state.owner_override.value:
        o = state.owner_override
        return Owner(str(o.value), o.name, "agent", o.at, "override")
    since = state.reopens[-1] if policy.model is Model.NONE and state.reopens else None
    for c in state.candidates:
        if c.via not in policy.triggers or (since is not None and c.at < since):
            continue
        group = value_at(state.groups, c.at)
        if c.via is OwnerTrigger.ESCALATED:
            # The agent acted from the front line and the ticket left it at that instant.
            if policy.is_frontline(group):
                continue
            group = value_before(state.groups, c.at)
        if not policy.is_frontline(group):
            continue
        if policy.model is Model.TEAM:
            if group is None:
                continue
            return Owner(str(group), None, "team", c.at, c.via.value)
        return Owner(c.agent, c.name, "agent", c.at, c.via.value)
    return None


def set_owner_override(
    state: TicketState,
    agent: str | None,
    name: str | None,
    at: datetime,
    reason: str,
    policy: OwnershipPolicy,
) -> TicketState:
    """Hand the contact to someone explicitly (handover, a rule's reassign); None hands it back."""
    change = Change(at, f"override:{reason}:{at.isoformat()}", agent, name)
    state = evolve(state, owner_override=change)
    return evolve(state, owner=derive_owner(state, policy))


def keep_owner(before: TicketState, after: TicketState, policy: OwnershipPolicy) -> TicketState:
    """An owner once announced is never dropped silently.

    The derived owner can move when a change arrives that re-reads earlier touches (the ticket
    left the front line at the instant of the owner's touch, a late delivery from before it).
    A move to someone else is kept (rules see ``owner.changed`` and explain it; the mirror is
    rewritten), but a move to nobody is not: the announced owner stays unless something
    explicit moves the contact: a rule's handover or hand-back (an override), or, in model
    ``none``, a reopen that gives the contact to the next free agent (rules see that as
    ``owner.released``)."""
    old, new = before.owner, after.owner
    if old is None or new is not None:
        return after
    if after.owner_override != before.owner_override:
        return after
    if policy.model is Model.NONE and after.reopens != before.reopens:
        return after
    return evolve(after, owner=old)
