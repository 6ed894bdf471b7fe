"""The rule book the pipeline calls: :class:`RuleSet`.

``evaluate`` looks up the rules listening to the trigger (an event type such as
``comment.added``, ``timer:<name>`` for a fired timer, ``agent.away``/``agent.back``, and
``owner.changed`` whenever the derived owner differs from the one the rules last saw), checks
their precompiled conditions, and runs the actions of those that match, in file order. Nothing
is parsed per event. A rule that fails at run time raises :class:`RuleFailed`; it never counts
as "no match".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..errors import RulesError
from ..events import EventType, TicketEvent
from ..ownership import OwnershipPolicy
from ..plan import Context, Plan
from ..state import TicketState, escalation_path
from .actions import Emit, Run
from .conditions import Condition, evaluate_all
from .durations import humanize
from .model import Definitions, Facts

OWNER_CHANGED = "owner.changed"
TIMER_PREFIX = "timer:"
OWNER_MARK = "_owner"


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

    @property
    def ownership(self) -> OwnershipPolicy:
        return self._ownership

    def facts(
        self, state: TicketState, trigger: TicketEvent, now: datetime, context: Context
    ) -> Facts:
        name = trigger_name(trigger)
        return Facts(state, trigger, now, context, self.defs, self._ownership, name)

    def candidates(self, facts: Facts) -> tuple[Rule, ...]:
        """Enabled rules listening to this trigger (plus ``owner.changed`` when it applies)."""
        rules = self._by_trigger.get(facts.trigger, ())
        if self.owner_changed(facts):
            extra = [r for r in self._by_trigger.get(OWNER_CHANGED, ()) if r not in rules]
            rules = (*rules, *extra)
        return rules

    @staticmethod
    def owner_changed(facts: Facts) -> bool:
        owner = facts.owner_id
        return owner is not None and facts.state.marks.get(OWNER_MARK) != owner

    def evaluate(
        self, state: TicketState, trigger: TicketEvent, now: datetime, context: Context
    ) -> Plan:
        facts = self.facts(state, trigger, now, context)
        plan = Plan()
        # A fired timer is already gone from ``state.timers`` (the pipeline drops it, and
        # drops stale ones before we are called); a rule may set it again.
        for rule in self.candidates(facts):
            self._run(rule, facts, plan)
        if self.owner_changed(facts):
            plan.marks[OWNER_MARK] = facts.owner_id
        plan.timers_cleared -= set(plan.timers_set)
        return plan

    def matches(self, rule: Rule, facts: Facts) -> tuple[bool, str]:
        try:
            return evaluate_all(rule.conditions, facts)
        except RulesError:
            raise
        except Exception as exc:
            raise RuleFailed([f"{self.source}:{rule.line}: rule {rule.name!r}: {exc}"]) from exc

    def _run(self, rule: Rule, facts: Facts, plan: Plan) -> None:
        ok, why = self.matches(rule, facts)
        if not ok:
            return
        due = facts.event.at if facts.event.type is EventType.TIMER_FIRED else None
        emit = Emit(rule.name, facts.event.key, facts, self.scope, due=due)
        try:
            for _, run in rule.actions:
                run(facts, emit)
        except RulesError:
            raise
        except Exception as exc:
            raise RuleFailed([f"{self.source}:{rule.line}: rule {rule.name!r}: {exc}"]) from exc
        plan.extend(emit.plan)
        plan.notes.append(f"{rule.name}: {why}")

    # --- template scope -----------------------------------------------------------------
    def scope(self, emit: Emit, due: datetime | None) -> dict[str, Any]:
        f = emit.facts
        s = f.state
        calendar = self.defs.calendar(None)

        def local(dt: datetime | None) -> str | None:
            if dt is None:
                return None
            zone = calendar.tz if calendar else UTC
            return dt.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")

        owner = s.owner
        last_update = s.last_customer_update_at or s.created_at
        age = humanize((f.now - s.created_at).total_seconds()) if s.created_at else None
        actor = f.actor
        comment = f.event.comment
        timer_name = f.event.field if f.event.type is EventType.TIMER_FIRED else None
        in_group = humanize((f.now - s.groups[-1].at).total_seconds()) if s.groups else None
        return {
            "ticket": {
                "id": s.ticket,
                "key": s.key,
                "connector": s.connector,
                "url": s.register("field:url"),
                "status": s.status.value if s.status else None,
                "priority": f.priority,
                "raw_priority": s.priority,
                "group": f.group_alias,
                "group_id": s.group,
                "group_name": self._group_name(f.group_alias),
                "assignee": s.assignee,
                "assignee_name": s.assignee_name,
                "requester": s.requester,
                "summary": s.register("summary"),
                "type": s.register("type"),
                "tags": list(s.tags),
                "created_at": local(s.created_at),
                "age": age,
            },
            "owner": {
                "id": owner.id if owner else None,
                "name": owner.name if owner else None,
                "display": (owner.name or owner.id) if owner else "nobody",
                "kind": owner.kind if owner else None,
                "since": local(owner.since) if owner else None,
                "team": self.defs.group_alias(s.connector, f.owner_team) or f.owner_team,
            },
            "timer": {
                "name": timer_name,
                "due": due.isoformat() if due else None,
                "due_local": local(due),
            },
            "event": {
                "type": f.event.type.value,
                "key": f.event.key,
                "at": f.event.at.isoformat(),
                "actor": actor.id if actor else None,
                "actor_name": actor.name if actor else None,
                "actor_kind": f.actor_kind.value,
            },
            "comment": {
                "body": comment.body if comment else "",
                "public": comment.public if comment else False,
                "author": comment.author.id if comment and comment.author else None,
                "chars": len(comment.body) if comment else 0,
            },
            "rule": emit.rule,
            "now": f.now.isoformat(),
            "now_local": local(f.now),
            "due": due.isoformat() if due else None,
            "due_local": local(due),
            "overdue_by": humanize((f.now - due).total_seconds()) if due and f.now > due else "0m",
            "since_update": humanize((f.now - last_update).total_seconds())
            if last_update
            else None,
            "age": age,
            "in_group_for": in_group,
            "escalation": self._escalation_text(s, f.now),
            "workload": f.context.workload.get(owner.id, 0) if owner else 0,
            "lead": f.lead,
            "backup": f.backup,
            "agent": f.agent,
            "marks": {**f.marks, **f.written},
            "timers": {name: local(at) for name, at in s.timers.items()},
        }

    def _group_name(self, alias: str | None) -> str | None:
        group = self.defs.groups.get(alias) if alias else None
        return (group.name or group.alias) if group else alias

    def _escalation_text(self, state: TicketState, now: datetime) -> str:
        parts = []
        for seg in escalation_path(state, self._ownership):
            end = seg.left_at or now
            name = self.defs.group_alias(state.connector, seg.group) or seg.group
            picked = "picked up" if seg.picked_up_at else "not picked up"
            parts.append(f"{name} {humanize((end - seg.entered_at).total_seconds())} ({picked})")
        return " → ".join(parts) or "none"
