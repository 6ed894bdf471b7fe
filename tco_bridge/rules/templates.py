"""Message templates: Jinja2 with ``StrictUndefined``, checked against a documented scope.

Every template (named under ``templates:`` or inline ``text:``) is compiled once at load.
Its free variables, and the attributes it reads from the structured ones (``ticket.id``,
``owner.name``...), must belong to :data:`SCOPE`; anything else is a load error, so a typo
never reaches a customer's ticket as an empty string.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jinja2
from jinja2 import meta, nodes
from jinja2.runtime import Context

#: Variable → allowed attributes (None: a plain value). docs/rules.md documents each.
SCOPE: dict[str, frozenset[str] | None] = {
    "ticket": frozenset(
        {
            "id",
            "key",
            "connector",
            "url",
            "status",
            "priority",
            "raw_priority",
            "group",
            "group_id",
            "group_name",
            "assignee",
            "assignee_name",
            "requester",
            "summary",
            "type",
            "tags",
            "created_at",
            "age",
        }
    ),
    "owner": frozenset({"id", "name", "display", "kind", "since", "team"}),
    "timer": frozenset({"name", "due", "due_local"}),
    "event": frozenset({"type", "key", "at", "actor", "actor_name", "actor_kind"}),
    "comment": frozenset({"body", "public", "author", "chars"}),
    "rule": None,
    "now": None,
    "now_local": None,
    "due": None,
    "due_local": None,
    "overdue_by": None,
    "since_update": None,
    "age": None,
    "in_group_for": None,
    "escalation": None,
    "workload": None,
    "lead": None,
    "previous_owner": None,
    "backup": None,
    "agent": None,
    "marks": None,
    "timers": None,
    "stay": frozenset(
        {
            "group",
            "entered",
            "priority",
            "target",
            "due",
            "response",
            "response_due",
            "resolution",
            "resolution_due",
        }
    ),
    "eta": None,
}

ENV = jinja2.Environment(
    undefined=jinja2.StrictUndefined,
    autoescape=False,
    keep_trailing_newline=False,
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True, slots=True)
class Text:
    """A compiled template and the scope variables it reads (only those are computed)."""

    template: jinja2.Template
    names: frozenset[str]
    source: str


class TemplateProblem(ValueError):
    """A template does not compile or reads outside the scope."""


def compile_template(text: str) -> Text:
    """Compile and check ``text``; raise :class:`TemplateProblem` with the reason."""
    try:
        tree = ENV.parse(text)
    except jinja2.TemplateSyntaxError as exc:
        message = f"template syntax error: {exc.message} (template line {exc.lineno})"
        raise TemplateProblem(message) from None
    allowed = ", ".join(sorted(SCOPE))
    names = meta.find_undeclared_variables(tree)
    for name in sorted(names):
        if name not in SCOPE:
            raise TemplateProblem(f"unknown template variable {name!r} (allowed: {allowed})")
    for node in tree.find_all(nodes.Getattr):
        if isinstance(node.node, nodes.Name) and node.node.ctx == "load":
            attrs = SCOPE.get(node.node.name)
            if attrs is not None and node.attr not in attrs:
                raise TemplateProblem(
                    f"unknown template variable '{node.node.name}.{node.attr}' "
                    f"(allowed: {', '.join(sorted(attrs))})"
                )
    return Text(ENV.from_string(tree), frozenset(names), text)


def render(text: Text, scope: dict[str, Any]) -> str:
    """Render with the scope as the whole context: the scope is checked at load to hold every
    name a template reads, so neither Jinja's per-render copy of its globals nor the set of
    their names (``Template.new_context``: half the cost of a short note) is needed."""
    template = text.template
    context = Context(ENV, scope, template.name, template.blocks)
    return "".join(template.root_render_func(context)).strip()
