"""The pure heart of the worker: one event in, new state and a plan out.

``process`` is what the RQ drain job and ``tco-bridge simulate`` both run, so what an admin
simulates is exactly what production does. It applies the event to the ownership state, asks
the rule book what to do (unless the event is the bridge's own write-back: loop guard), and adds
the owner mirror write-back when the owner changed.
"""

from __future__ import annotations

from collections import ChainMap
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from .actions import Action, ActionKind, action_id
from .contact_owner import keep_owner, set_owner_override
from .events import Actor, ActorKind, EventType, TicketEvent
from .plan import Context, Plan, Rulebook
from .state import TicketState, evolve
from .ticket_apply import apply

OWNER_MIRROR_RULE = "owner-mirror"


@dataclass(frozen=True, slots=True)
class Step:
    state: TicketState
    plan: Plan


def is_own_write(event: TicketEvent) -> bool:
    """Events authored by the bridge's own account: recorded, never acted on."""
    actor = event.comment.author if event.comment and event.comment.author else event.actor
    return actor is not None and actor.kind is ActorKind.BRIDGE


def process(
    state: TicketState, event: TicketEvent, rules: Rulebook, now: datetime, context: Context
) -> Step:
    if event.type is EventType.TIMER_FIRED:
        name = event.field or ""
        if state.timers.get(name) != event.at:
            return Step(state, Plan())  # reset or cancelled after it was released: stale
        fired = {**state.timers_fired, name: state.timers_fired.get(name, 0) + 1}
        fired_at = {**state.timers_fired_at, name: event.at}
        timers = {k: v for k, v in state.timers.items() if k != name}
        state = evolve(state, timers=timers, timers_fired=fired, timers_fired_at=fired_at)
    before = state
    state = apply(state, event, rules.ownership)
    if state is before and event.type is not EventType.TIMER_FIRED:
        return Step(state, Plan())  # a duplicate delivery: nothing new happened
    state = keep_owner(before, state, rules.ownership)
    if not is_own_write(event) and not state.deleted:
        plan = rules.evaluate(state, event, now, with_ticket(context, before, state))
        state = apply_plan(state, plan, rules, now)
        state = follow_transitions(state, plan, event, rules, now, context)
    else:
        plan = Plan()
    mirror = owner_mirror(state, rules, event)
    if mirror is not None:
        plan.actions.append(mirror)
        state = evolve(state, owner_mirrored=mirror.owner)
    return Step(state, plan)


def with_ticket(context: Context, before: TicketState, after: TicketState) -> Context:
    """The context as rules must see it: workload counts include the ticket being taken, so a
    cap fires on the ticket that takes the owner over it, with the right number. Counts are
    kept per agent and per ``connector:agent``; only the moved ticket's owners are overlaid."""
    if (
        before.owner is after.owner
        and before.deleted is after.deleted
        and before.registers.get("status") is after.registers.get("status")
    ):
        return context  # same owner, same openness: the common case, decided without lookups
    old, new = _open_owner(before), _open_owner(after)
    if old == new:
        return context
    overlay: dict[str, int] = {}
    for agent, delta in ((old, -1), (new, 1)):
        if agent is not None:
            for key in (f"{after.connector}:{agent}", agent):
                overlay[key] = context.workload.get(key, 0) + delta
    return replace(context, workload=ChainMap(overlay, dict(context.workload)))


def _open_owner(state: TicketState) -> str | None:
    return state.owner.id if state.owner is not None and state.is_open else None


def follow_transitions(
    state: TicketState,
    plan: Plan,
    cause: TicketEvent,
    rules: Rulebook,
    now: datetime,
    context: Context,
) -> TicketState:
    """A status a rule moves the ticket to counts, for the rules, as that status change.

    The tool's echo of the bridge's own transition triggers no rule (loop guard), so without
    this a ticket the bridge auto-closes would get no KB task, and a reopen after a rejected
    resolution would not restart the update clock. The follow-up event is a ``system`` status
    change named after the action, one microsecond after its cause (so it orders after it);
    its rules' actions join the plan. One level deep: a transition planned by those rules is
    written back but not followed again."""
    for action in [a for a in plan.actions if a.kind is ActionKind.TRANSITION and a.status]:
        before = state.register("status")
        if before == action.status:
            continue
        follow = TicketEvent(
            connector=state.connector,
            ticket=state.ticket,
            type=EventType.STATUS_CHANGED,
            at=cause.at + timedelta(microseconds=1),
            key=f"{action.id}>status",
            actor=Actor(f"rule:{action.rule}", ActorKind.SYSTEM, f"rule {action.rule}"),
            field="status",
            before=None if before is None else str(before),
            after=action.status,
        )
        state = apply(state, follow, rules.ownership)
        if state.register("status") != action.status:
            continue  # a later status change is already recorded: it stands
        more = rules.evaluate(state, follow, now, context)
        state = apply_plan(state, more, rules, now)
        plan.extend(more)
    return state


def apply_plan(state: TicketState, plan: Plan, rules: Rulebook, now: datetime) -> TicketState:
    """Record in the state what the plan changes there (timers, marks, owner handovers)."""
    if not (plan.timers_set or plan.timers_cleared or plan.marks or plan.owner_change):
        return state  # most events change none of them: no copy of the state
    timers = {k: v for k, v in state.timers.items() if k not in plan.timers_cleared}
    timers.update(plan.timers_set)
    state = evolve(state, timers=timers, marks={**state.marks, **plan.marks})
    if plan.owner_change is not None:
        change = plan.owner_change
        state = set_owner_override(
            state, change.agent, change.name, now, change.reason, rules.ownership
        )
    return state


def owner_mirror(state: TicketState, rules: Rulebook, cause: TicketEvent) -> Action | None:
    """The write-back that shows the owner inside the ticket, once per change of owner.

    The id names the event that changed the owner, so a replay of that event is recognised,
    while the same agent becoming owner again later (a hand-back) is written again."""
    policy = rules.ownership
    owner = state.owner
    owner_id = owner.id if owner is not None else None
    if not policy.mirror_owner or owner_id == state.owner_mirrored:
        return None  # unchanged (a released contact clears the mirror: owner None)
    return Action(
        id=action_id(state.connector, state.ticket, OWNER_MIRROR_RULE, f"{owner_id}@{cause.key}"),
        connector=state.connector,
        ticket=state.ticket,
        kind=ActionKind.SET_OWNER,
        rule=OWNER_MIRROR_RULE,
        field=policy.owner_field.get(state.connector),
        owner=owner_id,
        owner_name=owner.name if owner is not None else None,
        previous_owner=state.owner_mirrored,
    )
