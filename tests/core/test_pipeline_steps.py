"""pipeline.process and with_ticket, one step at a time: a fired timer is counted once and
leaves the pending set, a stale one changes nothing, and the workload the rules see moves with
the ticket being taken."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from test_state import ANNA, BRIDGE, ENGINEER, POLICY, T0, created, ev, reply

from tco_bridge.actions import Action, ActionKind, action_id
from tco_bridge.events import Actor, ActorKind, EventType, Status, TicketEvent
from tco_bridge.ownership import OwnershipPolicy
from tco_bridge.pipeline import OWNER_MIRROR_RULE, is_own_write, process, with_ticket
from tco_bridge.plan import Context, OwnerChange, OwnershipOnly, Plan
from tco_bridge.state import TicketState, new_state
from tco_bridge.ticket_apply import apply_all

RULES = OwnershipOnly(POLICY)


def owned() -> TicketState:
    return apply_all(new_state("jira", "SUP-1"), [created(), reply(5, ANNA, "c1")], POLICY)


def fire(state: TicketState, name: str, minute: int) -> TicketState:
    at = T0 + timedelta(minutes=minute)
    event = ev(minute, EventType.TIMER_FIRED, f"timer:{name}:{minute}", field=name)
    step = process(state, event, RULES, at, Context())
    return step.state


def test_a_fired_timer_is_counted_and_leaves_the_pending_timers() -> None:
    state = replace(owned(), timers={"due": T0 + timedelta(minutes=60), "warn": T0})
    once = fire(state, "due", 60)
    assert once.timers_fired == {"due": 1}
    assert once.timers_fired_at == {"due": T0 + timedelta(minutes=60)}
    assert once.timers == {"warn": T0}
    again = fire(replace(once, timers={"due": T0 + timedelta(minutes=120)}), "due", 120)
    assert again.timers_fired == {"due": 2}
    assert again.timers_fired_at == {"due": T0 + timedelta(minutes=120)}
    assert again.timers == {}


def test_a_timer_reset_after_it_was_released_fires_nothing() -> None:
    state = replace(owned(), timers={"due": T0 + timedelta(minutes=90)})
    stale = fire(state, "due", 60)  # released at 60, moved to 90 meanwhile
    assert stale is state
    event = ev(60, EventType.TIMER_FIRED, "timer:due:60", field="due")
    assert process(state, event, RULES, T0, Context()).plan == Plan()


def test_the_workload_rules_see_moves_with_the_ticket_being_taken() -> None:
    before = apply_all(new_state("jira", "SUP-1"), [created()], POLICY)
    taken = apply_all(before, [reply(5, ANNA, "c1")], POLICY)
    context = Context(workload={"anna": 3, "jira:anna": 2, "eng-7": 1})
    seen = with_ticket(context, before, taken).workload
    assert (seen["anna"], seen["jira:anna"], seen["eng-7"]) == (4, 3, 1)

    resolved = apply_all(
        taken,
        [ev(9, EventType.STATUS_CHANGED, "s1", actor=ANNA, after=Status.RESOLVED.value)],
        POLICY,
    )
    closing = with_ticket(Context(workload={"anna": 4, "jira:anna": 4}), taken, resolved)
    assert (closing.workload["anna"], closing.workload["jira:anna"]) == (3, 3)
    assert with_ticket(context, taken, taken) is context  # nothing moved: the same context
    assert ENGINEER.id not in with_ticket(Context(), before, taken).workload


@dataclass
class Scripted:
    """A rule book that plans what a test gives it per trigger key, and notes what it saw."""

    plans: dict[str, Callable[[], Plan]]
    ownership: OwnershipPolicy = POLICY
    seen: list[TicketEvent] = field(default_factory=list)

    def evaluate(
        self, state: TicketState, trigger: TicketEvent, now: datetime, context: Context
    ) -> Plan:
        self.seen.append(trigger)
        make = self.plans.get(trigger.key)
        return make() if make else Plan()


def transition(status: str | None, rule: str = "auto-close") -> Action:
    return Action("act-1", "jira", "SUP-1", ActionKind.TRANSITION, rule, status=status)


def mirrored() -> TicketState:
    """Owned by Anna, with her already shown in the ticket: no owner mirror in the plans."""
    return replace(owned(), owner_mirrored="anna")


def note(rule: str) -> Action:
    return Action(f"{rule}-1", "jira", "SUP-1", ActionKind.NOTE, rule, text="write the article")


def test_a_status_a_rule_moves_the_ticket_to_is_evaluated_as_that_status_change() -> None:
    state = mirrored()
    rules = Scripted(
        {
            "c2": lambda: Plan(actions=[transition("closed")]),
            "act-1>status": lambda: Plan(
                actions=[note("kb")], timers_set={"kb-due": T0 + timedelta(days=2)}
            ),
        }
    )
    step = process(state, reply(20, ANNA, "c2"), rules, T0, Context())

    follow = rules.seen[1]
    assert len(rules.seen) == 2
    assert follow.type is EventType.STATUS_CHANGED and follow.field == "status"
    assert follow.at == T0 + timedelta(minutes=20, microseconds=1)
    assert (follow.connector, follow.ticket) == ("jira", "SUP-1")
    assert (follow.before, follow.after) == (Status.NEW.value, "closed")
    assert follow.actor == Actor("rule:auto-close", ActorKind.SYSTEM, "rule auto-close")
    assert [a.rule for a in step.plan.actions] == ["auto-close", "kb"]
    assert step.state.register("status") == "closed"
    assert step.state.registers["status"].key == "act-1>status"
    assert step.state.timers["kb-due"] == T0 + timedelta(days=2)


def test_a_transition_to_the_status_the_ticket_has_or_to_none_is_not_followed() -> None:
    for status in (Status.NEW.value, None):
        rules = Scripted({"c2": lambda s=status: Plan(actions=[transition(s)])})
        step = process(mirrored(), reply(20, ANNA, "c2"), rules, T0, Context())
        assert [t.key for t in rules.seen] == ["c2"], status
        assert step.state.register("status") == Status.NEW.value


def test_a_later_status_change_already_recorded_stands_and_triggers_nothing() -> None:
    later = ev(90, EventType.STATUS_CHANGED, "s9", actor=ANNA, after=Status.PENDING.value)
    state = apply_all(owned(), [later], POLICY)
    rules = Scripted({"c2": lambda: Plan(actions=[transition("closed")])})
    step = process(state, reply(20, ANNA, "c2"), rules, T0, Context())
    assert [t.key for t in rules.seen] == ["c2"]
    assert step.state.register("status") == Status.PENDING.value


def test_the_owner_is_mirrored_once_per_change_with_the_cause_in_its_id() -> None:
    state = apply_all(new_state("jira", "SUP-1"), [created()], POLICY)
    first = process(state, reply(5, ANNA, "c1"), RULES, T0, Context())
    (mirror,) = first.plan.actions
    assert mirror.kind is ActionKind.SET_OWNER and mirror.rule == OWNER_MIRROR_RULE
    assert (mirror.owner, mirror.owner_name, mirror.previous_owner) == ("anna", "Anna Agent", None)
    assert mirror.id == action_id("jira", "SUP-1", OWNER_MIRROR_RULE, "anna@c1")
    assert (mirror.connector, mirror.ticket) == ("jira", "SUP-1")
    assert mirror.field == POLICY.owner_field.get("jira")
    assert first.state.owner_mirrored == "anna"
    again = process(first.state, reply(9, ANNA, "c3"), RULES, T0, Context())
    assert again.plan.actions == []  # the same owner: nothing to write
    unmirrored = OwnershipOnly(replace(POLICY, mirror_owner=False))
    assert process(state, reply(5, ANNA, "c1"), unmirrored, T0, Context()).plan.actions == []


def test_the_bridges_own_comment_is_recorded_but_asks_no_rule() -> None:
    rules = Scripted({"c7": lambda: Plan(actions=[note("nudge")])})
    own = reply(20, BRIDGE, "c7", public=False)
    step = process(mirrored(), own, rules, T0, Context())
    assert rules.seen == [] and step.plan.actions == []
    assert is_own_write(own) and not is_own_write(reply(20, ANNA, "c8"))
    # a tool may name whoever saved the update as its actor: the comment's author decides
    assert is_own_write(replace(own, actor=ANNA))
    assert not is_own_write(replace(reply(20, ANNA, "c9"), actor=BRIDGE))


def test_a_rules_handover_names_the_new_owner_and_records_why() -> None:
    change = OwnerChange("bob", "Bob Backup", "absence")
    rules = Scripted({"c2": lambda: Plan(owner_change=change)})
    step = process(mirrored(), reply(20, ANNA, "c2"), rules, T0, Context())
    assert step.state.owner is not None
    assert (step.state.owner.id, step.state.owner.name) == ("bob", "Bob Backup")
    override = step.state.owner_override
    assert override is not None and override.key == f"override:absence:{T0.isoformat()}"
