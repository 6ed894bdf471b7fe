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

from ..contact_owner import set_owner_override
from ..errors import RulesError
from ..escalation import escalation_path
from ..events import EventType, TicketEvent
from ..ownership import OwnershipPolicy
from ..plan import Context, Plan
from ..state import TicketState
from .actions import Emit, Run
from .conditions import Condition, evaluate_all
from .durations import humanize
from .model import Definitions, Facts
from .target_actions import eta_of, stay_scope

OWNER_CHANGED = "owner.changed"
#: The announced owner is gone and nobody replaced them (model ``none``: a reopen gives the
#: contact to the next free agent).
OWNER_RELEASED = "owner.released"
TIMER_PREFIX = "timer:"
OWNER_MARK = "_owner"
OWNER_NAME_MARK = "_owner_name"


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
        for implied, applies in (
            (OWNER_CHANGED, self.owner_changed),
            (OWNER_RELEASED, self.owner_released),
        ):
            if applies(facts):
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
        plan = Plan()
        # A fired timer is already gone from ``state.timers`` (the pipeline drops it, and
        # drops stale ones before we are called); a rule may set it again.
        for rule in self.candidates(facts):
            self._run(rule, facts, plan)
        if self.owner_changed(facts) or self.owner_released(facts):
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
    def scope(self, emit: Emit, due: datetime | None, names: frozenset[str]) -> dict[str, Any]:
        """The template variables in ``names`` (only those are computed)."""
        view = _ScopeView(self, emit, due)
        return {name: getattr(view, name)() for name in names}

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


class _ScopeView:
    """Computes each template variable on demand (docs/rules.md documents them)."""

    def __init__(self, rules: RuleSet, emit: Emit, due: datetime | None) -> None:
        self.r = rules
        self.f = emit.facts
        self.s = emit.facts.state
        self.emit = emit
        self.due_at = due
        calendar = rules.defs.calendar(None)
        self.zone = calendar.tz if calendar else UTC

    def local(self, dt: datetime | None) -> str | None:
        return dt.astimezone(self.zone).strftime("%Y-%m-%d %H:%M %Z") if dt else None

    def _since(self, dt: datetime | None) -> str | None:
        return humanize((self.f.now - dt).total_seconds()) if dt else None

    def ticket(self) -> _TicketView:
        return _TicketView(self)

    def owner(self) -> _OwnerView:
        return _OwnerView(self)

    def timer(self) -> dict[str, Any]:
        event = self.f.event
        name = event.field if event.type is EventType.TIMER_FIRED else None
        return {"name": name, "due": self.due(), "due_local": self.due_local()}

    def event(self) -> dict[str, Any]:
        f = self.f
        actor = f.actor
        return {
            "type": f.event.type.value,
            "key": f.event.key,
            "at": f.event.at.isoformat(),
            "actor": actor.id if actor else None,
            "actor_name": actor.name if actor else None,
            "actor_kind": f.actor_kind.value,
        }

    def comment(self) -> dict[str, Any]:
        comment = self.f.event.comment
        return {
            "body": comment.body if comment else "",
            "public": comment.public if comment else False,
            "author": comment.author.id if comment and comment.author else None,
            "chars": len(comment.body) if comment else 0,
        }

    def rule(self) -> str:
        return self.emit.rule

    def now(self) -> str:
        return self.f.now.isoformat()

    def now_local(self) -> str | None:
        return self.local(self.f.now)

    def due(self) -> str | None:
        return self.due_at.isoformat() if self.due_at else None

    def due_local(self) -> str | None:
        return self.local(self.due_at)

    def overdue_by(self) -> str:
        due, now = self.due_at, self.f.now
        return humanize((now - due).total_seconds()) if due and now > due else "0m"

    def since_update(self) -> str | None:
        return self._since(self.s.last_customer_update_at or self.s.created_at)

    def age(self) -> str | None:
        return self._since(self.s.created_at)

    def in_group_for(self) -> str | None:
        return self._since(self.s.groups[-1].at) if self.s.groups else None

    def escalation(self) -> str:
        return self.r._escalation_text(self.s, self.f.now)

    def workload(self) -> int:
        owner = self.s.owner
        return self.f.context.workload.get(owner.id, 0) if owner else 0

    def lead(self) -> str | None:
        return self.f.lead

    def previous_owner(self) -> str | None:
        """The owner the rules announced before this change, by name (None: there was none)."""
        value = self.f.marks.get(OWNER_NAME_MARK) or self.f.marks.get(OWNER_MARK)
        return str(value) if value is not None else None

    def backup(self) -> str | None:
        return self.f.backup

    def agent(self) -> str | None:
        return self.f.agent

    def marks(self) -> dict[str, Any]:
        return {**self.f.marks, **self.f.written}

    def timers(self) -> dict[str, str | None]:
        return {name: self.local(at) for name, at in self.s.timers.items()}

    def stay(self) -> dict[str, Any]:
        return stay_scope(self.f, self.local)

    def eta(self) -> str | None:
        return self.local(eta_of(self.f))


class _TicketView:
    """``ticket`` in templates: each attribute computed when a template reads it."""

    __slots__ = ("_v",)

    def __init__(self, view: _ScopeView) -> None:
        self._v = view

    id = property(lambda self: self._v.s.ticket)
    key = property(lambda self: self._v.s.key)
    connector = property(lambda self: self._v.s.connector)
    url = property(lambda self: self._v.s.register("field:url"))
    status = property(lambda self: self._v.s.status.value if self._v.s.status else None)
    priority = property(lambda self: self._v.f.priority)
    raw_priority = property(lambda self: self._v.s.priority)
    group = property(lambda self: self._v.f.group_alias)
    group_id = property(lambda self: self._v.s.group)
    group_name = property(lambda self: self._v.r._group_name(self._v.f.group_alias))
    assignee = property(lambda self: self._v.s.assignee)
    assignee_name = property(lambda self: self._v.s.assignee_name)
    requester = property(lambda self: self._v.s.requester)
    summary = property(lambda self: self._v.s.register("summary"))
    type = property(lambda self: self._v.s.register("type"))
    tags = property(lambda self: list(self._v.s.tags))
    created_at = property(lambda self: self._v.local(self._v.s.created_at))
    age = property(lambda self: self._v.age())


class _OwnerView:
    """``owner`` in templates (``display``: the name, else the id, else "no contact owner yet")."""

    __slots__ = ("_v",)

    def __init__(self, view: _ScopeView) -> None:
        self._v = view

    id = property(lambda self: self._v.s.owner.id if self._v.s.owner else None)
    name = property(lambda self: self._v.s.owner.name if self._v.s.owner else None)
    kind = property(lambda self: self._v.s.owner.kind if self._v.s.owner else None)
    since = property(lambda self: self._v.local(self._v.s.owner.since) if self._v.s.owner else None)

    @property
    def display(self) -> str:
        owner = self._v.s.owner
        return (owner.name or owner.id) if owner else "no contact owner yet"

    @property
    def team(self) -> str | None:
        f = self._v.f
        return self._v.r.defs.group_alias(f.connector, f.owner_team) or f.owner_team
