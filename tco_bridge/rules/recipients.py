"""Who an action addresses: target names (``owner``, ``lead``, ``backup``, …) resolved to ids
against the ticket at run time, with ``ownership.fallback`` when nobody is there.
"""

from __future__ import annotations

from .emit import Library
from .model import Facts, per_connector
from .yamlsrc import Node, Source

TARGETS = (
    "owner",
    "assignee",
    "group",
    "lead",
    "frontline_lead",
    "group_lead",
    "requester",
    "backup",
    "agent",
    "owner_team",
    "actor",
    "peer",
)


def resolve(target: str, f: Facts) -> str | None:
    """A target name → an id (a user id, or ``group:<id>`` for a group)."""
    s = f.state
    if target == "owner":
        owner = s.owner
        if owner is None:
            return None
        return f"group:{owner.id}" if owner.kind == "team" else owner.id
    if target == "assignee":
        return s.assignee
    if target == "group":
        return f"group:{s.group}" if s.group else None
    if target == "owner_team":
        team = f.owner_team
        return f"group:{team}" if team else None
    if target == "lead":
        return f.lead
    if target == "frontline_lead":
        return f.frontline_lead
    if target == "group_lead":
        return f.defs.lead_of(f.group_alias, f.connector)
    if target == "requester":
        return s.requester
    if target == "backup":
        return f.backup
    if target == "agent":
        return f.agent
    if target == "actor":
        actor = f.actor
        return actor.id if actor is not None else None
    if target == "peer":
        return f.peer
    raise ValueError(f"unknown target {target!r}")


def resolve_all(targets: tuple[str, ...], f: Facts) -> tuple[str, ...]:
    """Targets → distinct ids. No action is addressed to nobody: an ``owner`` that does not
    exist yet, or a list that resolves to no one, falls back to ``ownership.fallback``."""
    fallback = f.policy.fallback
    found = []
    for target in targets:
        ids = [resolve(target, f)]
        if ids[0] is None and target == "owner":
            ids = [resolve(t, f) for t in fallback]
        found += ids
    if not any(found):
        found = [resolve(t, f) for t in fallback]
    return tuple(dict.fromkeys(m for m in found if m))


def stand_in(f: Facts) -> str | None:
    """Who a note to ``owner`` reaches while the ticket has no owner (``ownership.fallback``),
    named for the note's text: a lead by the group they lead ("Service Desk lead"), a group by
    its name, a person by the name the ticket knows, else the id. None: nobody at all."""
    labels = [_label(person, f) for person in resolve_all(("owner",), f)]
    return " and ".join(dict.fromkeys(labels)) or None


def _label(person: str, f: Facts) -> str:
    defs, connector, s = f.defs, f.connector, f.state
    if person.startswith("group:"):
        raw = person.removeprefix("group:")
        group = defs.groups.get(defs.group_alias(connector, raw) or "")
        return group.label if group else raw
    led = [g for g in defs.groups.values() if per_connector(g.leads, connector) == person]
    if led:  # the group the ticket is in, when this person leads it, else the first
        group = next((g for g in led if g.alias == f.group_alias), led[0])
        return f"{group.label} lead"
    if person == s.assignee and s.assignee_name:
        return s.assignee_name
    if f.actor is not None and person == f.actor.id and f.actor.name:
        return f.actor.name
    return "the requester" if person == s.requester else person


def plain_targets(targets: tuple[str, ...], f: Facts) -> tuple[str, ...]:
    return tuple(dict.fromkeys(m for m in (resolve(t, f) for t in targets) if m))


def check_reach(src: Source, node: Node, targets: tuple[str, ...], lib: Library) -> None:
    """``rules check`` refuses an action that can reach no one: every target may be missing
    on some ticket and the fallback names nobody who always exists."""
    if any(t in lib.present for t in (*targets, *lib.fallback)):
        return
    src.error(
        node,
        f"{', '.join(targets) or 'no target'} may be missing on a ticket, with no fallback to "
        "address instead: set ownership.fallback (e.g. frontline_lead, with a lead for every "
        "front-line group)",
    )
