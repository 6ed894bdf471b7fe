"""The rule book the pipeline calls: :class:`RuleSet`.

``evaluate`` looks up the rules listening to the trigger (an event type such as
``comment.added``, ``timer:<name>`` for a fired timer, ``agent.away``/``agent.back``, and
``owner.changed`` whenever the derived owner differs from the one the rules last saw), checks
their precompiled conditions, and runs the actions of those that match, in file order. Nothing
is parsed per event. A rule that fails at run time raises :class:`RuleFailed`; it never counts
as "no match".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from ..contact_owner import set_owner_override
from ..errors import RulesError
from ..events import EventType, TicketEvent
from ..ownership import OwnershipPolicy
from ..plan import Context, Plan
from ..state import TicketState
from .actions import Emit, Run
from .conditions import Condition, evaluate_all, passes
from .model import Definitions, Facts
from .scope import OWNER_MARK, OWNER_NAME_MARK, template_scope
from .value_conditions import NARROWING, narrowing_values

OWNER_CHANGED = "owner.changed"
#: The announced owner is gone and nobody replaced them (model ``none``: a reopen gives the
#: contact to the next free agent).
OWNER_RELEASED = "owner.released"
TIMER_PREFIX = "timer:"
_T = TypeVar("_T")
#: Candidate rules, each with the conditions left to test and whether it plans on its own.
Narrowed = tuple[tuple["Rule", tuple[Condition, ...], bool], ...]


#: Actions that read the plan of their own rule (see ``target_actions``).
OWN_PLAN = frozenset({"arm_targets"})
#: Candidate lists kept per (trigger, owner news, status, author) (cleared when full).
NARROWED_SIZE = 4096


def _admits(rule: Rule, values: dict[str, object]) -> bool:
    """False when one of the rule's opening value-set conditions excludes ``values``."""
    for condition in rule.conditions[: _narrowing_prefix(rule)]:
        wanted = condition.wanted or frozenset()  # never None in the prefix
        if values[condition.name] not in wanted:
            return False
    return True


def _narrowing_prefix(rule: Rule) -> int:
    """How many of the rule's conditions open it with a value set the engine narrows on."""
    count = 0
    for condition in rule.conditions:
        if condition.wanted is None or condition.name not in NARROWING:
            break
        count += 1
    return count


class RuleFailed(RulesError):
    """A rule raised while running: a bug in the rule (or the engine), never a non-match."""


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    line: int
    triggers: frozenset[str]
    conditions: tuple[Condition, ...]
    actions: tuple[tuple[str, Run], ...]
    description: str = ""
    enabled: bool = True


def trigger_name(event: TicketEvent) -> str:
    if event.type is EventType.TIMER_FIRED:
        return f"{TIMER_PREFIX}{event.field}"
    return event.type.value


class RuleSet:
    """A loaded, validated rules file; fulfils :class:`tco_bridge.plan.Rulebook`."""

    def __init__(
        self,
        ownership: OwnershipPolicy,
        defs: Definitions,
        rules: Iterable[Rule],
        *,
        source: str = "<rules>",
        digest: str = "",
    ) -> None:
        self._ownership = ownership
        self.defs = defs
        self.rules = tuple(rules)
        self.source = source
        self.digest = digest
        by_trigger: dict[str, list[Rule]] = {}
        for rule in self.rules:
            if rule.enabled:
                for trigger in sorted(rule.triggers):
                    by_trigger.setdefault(trigger, []).append(rule)
        self._by_trigger = {k: tuple(v) for k, v in by_trigger.items()}
        self._narrowed: dict[tuple[object, ...], Narrowed] = {}
        #: Rules whose actions read what their own rule planned so far (``arm_targets``):
        #: they get a plan of their own, merged after; the others write into the shared one.
        self._own_plan = frozenset(
            rule.name for rule in self.rules if any(n in OWN_PLAN for n, _ in rule.actions)
        )

    @property
    def ownership(self) -> OwnershipPolicy:
        return self._ownership

    def bound(self, counted: str) -> int | None:
        """The lowest bound an enabled rule's condition puts on this count (``WORKLOAD``: the
        owner's workload cap; a mark such as ``update_cycles_missed``: the cadence cap), so
        readers show the cap the rules apply, not a copy of it."""
        found = [
            limit
            for rule in self.rules
            if rule.enabled
            for c in rule.conditions
            for name, limit in c.bounds
            if name == counted
        ]
        return min(found, default=None)

    def facts(
        self, state: TicketState, trigger: TicketEvent, now: datetime, context: Context
    ) -> Facts:
        name = trigger_name(trigger)
        return Facts(state, trigger, now, context, self.defs, self._ownership, name)

    def candidates(self, facts: Facts) -> tuple[Rule, ...]:
        """Enabled rules listening to this trigger (plus ``owner.changed`` and ``owner.released``
        when they apply), less those whose opening status or author condition already rules
        them out: the same rules would fail that condition first, so nothing else is asked."""
        implied = (self.owner_changed(facts), self.owner_released(facts))
        return tuple(rule for rule, _, _ in self._narrow(facts, *implied))

    def _narrow(self, facts: Facts, changed: bool, released: bool) -> Narrowed:
        """``candidates``, each with the conditions left to test (its opening value-set
        conditions are known to pass: they admitted it) and whether it plans on its own."""
        key = (facts.trigger, changed, released, *narrowing_values(facts))
        found = self._narrowed.get(key)
        if found is None:
            values = dict(zip(NARROWING, key[3:], strict=True))
            listening = self.listening(facts.trigger, changed, released)
            found = tuple(
                (rule, rule.conditions[_narrowing_prefix(rule) :], rule.name in self._own_plan)
                for rule in listening
                if _admits(rule, values)
            )
            if len(self._narrowed) >= NARROWED_SIZE:
                self._narrowed.clear()
            self._narrowed[key] = found
        return found

    def listening(self, trigger: str, changed: bool, released: bool) -> tuple[Rule, ...]:
        rules = self._by_trigger.get(trigger, ())
        for implied, applies in (
            (OWNER_CHANGED, changed),
            (OWNER_RELEASED, released),
        ):
            if applies:
                extra = [r for r in self._by_trigger.get(implied, ()) if r not in rules]
                rules = (*rules, *extra)
        return rules

    @staticmethod
    def owner_changed(facts: Facts) -> bool:
        owner = facts.owner_id
        return owner is not None and facts.state.marks.get(OWNER_MARK) != owner

    @staticmethod
    def owner_released(facts: Facts) -> bool:
        return facts.owner_id is None and facts.state.marks.get(OWNER_MARK) is not None

    def evaluate(
        self, state: TicketState, trigger: TicketEvent, now: datetime, context: Context
    ) -> Plan:
        facts = self.facts(state, trigger, now, context)
        # Neither depends on what rules write (they read the state's marks), so once each.
        changed, released = self.owner_changed(facts), self.owner_released(facts)
        plan = Plan()
        # A fired timer is already gone from ``state.timers`` (the pipeline drops it, and
        # drops stale ones before we are called); a rule may set it again.
        for rule, rest, own in self._narrow(facts, changed, released):
            self._run(rule, rest, own, facts, plan)
        if changed or released:
            owner = state.owner
            plan.marks[OWNER_MARK] = facts.owner_id
            plan.marks[OWNER_NAME_MARK] = (owner.name or owner.id) if owner else None
        if plan.owner_change is not None:
            # A rule moved the contact (handover, hand-back): that rule announced it, so the
            # new owner counts as known and the next event does not raise owner.changed.
            change = plan.owner_change
            after = set_owner_override(
                state, change.agent, change.name, now, change.reason, self._ownership
            )
            owner = after.owner
            plan.marks[OWNER_MARK] = owner.id if owner else None
            plan.marks[OWNER_NAME_MARK] = (owner.name or owner.id) if owner else None
        plan.timers_cleared -= set(plan.timers_set)
        return plan

    def matches(self, rule: Rule, facts: Facts) -> tuple[bool, str]:
        return self._judge(rule, facts, evaluate_all)

    def passes(self, rule: Rule, facts: Facts) -> bool:
        """``matches(...)[0]``, without wording the reasons (most candidates do not match)."""
        return self._judge(rule, facts, passes)

    def _judge(
        self,
        rule: Rule,
        facts: Facts,
        judge: Callable[[tuple[Condition, ...], Facts], _T],
    ) -> _T:
        try:
            return judge(rule.conditions, facts)
        except RulesError:
            raise
        except Exception as exc:
            raise RuleFailed([f"{self.source}:{rule.line}: rule {rule.name!r}: {exc}"]) from exc

    def _run(
        self, rule: Rule, rest: tuple[Condition, ...], own: bool, facts: Facts, plan: Plan
    ) -> None:
        """Test the conditions left (``rest``), word the reasons of a rule that passes (the
        plan notes why it fired), and run its actions."""
        try:
            if not passes(rest, facts):
                return
            ok, why = evaluate_all(rule.conditions, facts)
            if not ok:
                return
            event = facts.event
            due = event.at if event.type is EventType.TIMER_FIRED else None
            # Writing into the shared plan equals merging a rule's own plan into it: actions,
            # marks, notes and the owner change in order, a timer set or cleared last wins,
            # and ``evaluate`` drops a cleared timer that a rule set again.
            emit = Emit(rule.name, event.key, facts, self.scope, Plan() if own else plan, due=due)
            for _, run in rule.actions:
                run(facts, emit)
        except RulesError:
            raise
        except Exception as exc:
            raise RuleFailed([f"{self.source}:{rule.line}: rule {rule.name!r}: {exc}"]) from exc
        if own:
            plan.extend(emit.plan)
        plan.notes.append(f"{rule.name}: {why}")

    def scope(self, emit: Emit, due: datetime | None, names: frozenset[str]) -> dict[str, Any]:
        """The template variables in ``names`` (only those are computed)."""
        return template_scope(self.defs, self._ownership, emit, due, names)
