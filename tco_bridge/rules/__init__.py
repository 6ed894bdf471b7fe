"""The rules engine: a strict YAML rule language for the TCO practices, evaluated purely.

Modules, in the order a rules file meets them:

* ``durations``  — ``15m``, ``4h``, ``2d``, ``1bd``, ``4bh`` → :class:`Duration`
* ``calendar``   — :class:`BusinessCalendar`: business-time arithmetic (tz, hours, holidays)
* ``yamlsrc``    — ruamel round-trip nodes that remember file and line, and the error list
* ``templates``  — Jinja2 environment, the documented template scope and its checker
* ``model``      — name tables (groups, fields, priorities, calendars) and per-evaluation Facts
* loading, one module per section: ``loader`` (the strict loader: YAML file →
  :class:`RuleSet` or ``RulesError``; priorities, groups, fields, durations, templates),
  ``connector_values`` (values per connector), ``calendar_section``, ``ownership_section``,
  ``targets_section`` (``escalation_targets``), ``rules_section`` (the rules themselves)
* conditions, compiled once, each saying why it did (not) match: ``checks`` (what a
  condition is, how reasons are worded), ``conditions`` (the table of names, ``any``/``not``),
  ``value_conditions`` (status, priority, group, type, author, tags, fields),
  ``flag_conditions`` (yes/no tests), ``comment_conditions`` (pattern, reply verdict, notes
  bar), ``memory_conditions`` (timers, marks, workload, elapsed time); ``replies`` reads a
  reply as confirmed, rejected or neither
* actions, compiled once, turning a match into write-backs, timers and marks: ``emit`` (what a
  running action writes into), ``recipients`` (target names → ids, fallback), ``actions``
  (the table of names), ``note_actions`` (notes, nudges, replies), ``owner_actions``
  (assignment and owner changes), ``ticket_actions`` (fields, labels, transitions, tasks),
  ``timer_actions`` (timers, cadence and their deadline notes), ``mark_actions`` (marks),
  ``target_actions`` with ``targets`` (escalation-group response and resolution targets)
* ``engine``     — :class:`RuleSet`, the ``Rulebook`` the pipeline calls
* ``scope``      — the template variables, each computed only when a template names it
* ``explain``    — per-rule match report for one event
* ``ruletest``   — rule tests: given events, expected plans
* ``reload``     — :class:`RulesHolder`: reload on change, keep the last good rules
* ``tco_bridge.cli.rules`` — the ``tco-bridge rules check|explain|test|failures`` command
"""

from __future__ import annotations

from .engine import RuleSet
from .loader import load_rules, load_rules_text

__all__ = ["RuleSet", "load_rules", "load_rules_text"]
