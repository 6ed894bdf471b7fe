"""What running a rule's actions writes into: :class:`Emit`, and what compiling them may
reference: :class:`Library`.

Every action compiler (``*_actions.py``) returns a :data:`Run`; the engine calls each with the
facts and the rule's ``Emit``, which hands out write-backs with deterministic ids and renders
templates on demand.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..actions import Action, ActionKind, action_id
from ..plan import Plan
from .model import Definitions, Facts
from .templates import Text, render
from .yamlsrc import Node, Source

Scope = Callable[["Emit", datetime | None, frozenset[str]], dict[str, Any]]


@dataclass(slots=True)
class Emit:
    """What one matching rule produces for one trigger."""

    rule: str
    trigger_key: str
    facts: Facts
    scope: Scope
    plan: Plan = field(default_factory=Plan)
    count: int = 0
    due: datetime | None = None  # of the timer that fired, or the last timer this rule set

    def action(self, kind: ActionKind, *, once: bool = False, **fields: Any) -> Action:
        state = self.facts.state
        connector, ticket, rule = state.connector, state.ticket, self.rule
        trigger = "once" if once else self.trigger_key
        if self.count and not once:
            trigger = f"{trigger}#{self.count}"
        self.count += 1
        action_ = Action(
            action_id(connector, ticket, rule, trigger), connector, ticket, kind, rule, **fields
        )
        self.plan.actions.append(action_)
        return action_

    def text(self, template: Text) -> str:
        return render(template, self.scope(self, self.due, template.names))

    def mark(self, name: str, value: Any) -> None:
        self.plan.marks[name] = value
        self.facts.written[name] = value


Run = Callable[[Facts, Emit], None]


Compiler = Callable[[Source, Node, "Library"], Run | None]


@dataclass(frozen=True)
class Library:
    """What action compilation may reference: definitions and named templates."""

    defs: Definitions
    templates: dict[str, Text]
    #: Timer names some ``set_timer`` sets (``timer:<name>`` triggers must name one).
    timers: set[str] = field(default_factory=set)
    #: ``ownership.fallback``: who an action addresses when its targets are missing.
    fallback: tuple[str, ...] = ()
    #: Targets that exist on every ticket (``requester``; the leads when every front-line
    #: group names one).
    present: frozenset[str] = frozenset({"requester"})
