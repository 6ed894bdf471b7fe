"""The rules engine: a strict YAML rule language for the TCO practices, evaluated purely.

Modules, smallest first:

* ``durations``  — ``15m``, ``4h``, ``2d``, ``1bd``, ``4bh`` → :class:`Duration`
* ``calendar``   — :class:`BusinessCalendar`: business-time arithmetic (tz, hours, holidays)
* ``yamlsrc``    — ruamel round-trip nodes that remember file and line, and the error list
* ``templates``  — Jinja2 environment, the documented template scope and its checker
* ``model``      — name tables (groups, fields, priorities, calendars) and per-evaluation Facts
* ``conditions`` — compiled conditions that say why they did (not) match
* ``actions``    — compiled actions that turn a match into write-backs, timers and marks
* ``loader``     — the strict loader: YAML file → :class:`RuleSet` or ``RulesError``
* ``engine``     — :class:`RuleSet`, the ``Rulebook`` the pipeline calls
* ``explain``    — per-rule match report for one event
* ``reload``     — :class:`RulesHolder`: reload on change, keep the last good rules
* ``tco_bridge.cli.rules`` — the ``tco-bridge rules check|explain|test`` command
"""

from __future__ import annotations

from .engine import RuleSet
from .loader import load_rules, load_rules_text

__all__ = ["RuleSet", "load_rules", "load_rules_text"]
