"""The ``escalation_targets`` section and the target actions: strict loading, with file:line
errors like every other section."""

from __future__ import annotations

import textwrap

import pytest

from tco_bridge.errors import RulesError
from tco_bridge.rules import load_rules_text

BASE = """\
priorities: {names: [P1, P2]}
groups:
  service_desk: {ids: {zendesk: "100"}, lead: {zendesk: "9"}}
  l2_network: {ids: {zendesk: "101"}, lead: {zendesk: "8"}}
fields: {eta: {zendesk: "555"}}
ownership: {frontline_groups: [service_desk], fallback: [frontline_lead]}
calendars:
  office: {timezone: Europe/Berlin, hours: {mon: "09:00-17:00"}}
"""


def errors(text: str) -> list[str]:
    with pytest.raises(RulesError) as err:
        load_rules_text(BASE + textwrap.dedent(text), "r.yaml")
    return err.value.messages


def test_loader_reports_bad_targets_with_file_and_line() -> None:
    assert errors(
        """
        escalation_targets:
          warn_at: 120%
          eta_field: etaa
          groups:
            l9_*: {response: 1h}
            service_desk: {response: 1h}
            l2_network: {response: 2bh}
        rules: []
        """
    ) == [
        "r.yaml:11: escalation_targets.warn_at: expected a share of the target like 80% or 0.8, "
        "got '120%'",
        "r.yaml:12: escalation_targets.eta_field: field alias 'etaa' is not one of: eta",
        "r.yaml:14: escalation_targets.groups.l9_*: 'l9_*' names no group (groups: "
        "service_desk, l2_network); use a group alias or a pattern such as l2_*",
        "r.yaml:15: escalation_targets.groups.service_desk: 'service_desk' is a front-line "
        "group; targets are for escalation groups",
        "r.yaml:16: escalation_targets.groups.l2_network: business durations need a calendar "
        "(set calendar or default_calendar)",
    ]


def test_target_actions_need_their_section() -> None:
    assert errors(
        """
        rules:
          - {name: a, on: group.changed, do: [{arm_targets: true}, {watch_eta: true}]}
        """
    ) == [
        "r.yaml:11: rules[0].do[0].arm_targets: arm_targets needs escalation_targets with at "
        "least one group",
        "r.yaml:11: rules[0].do[1].watch_eta: watch_eta needs escalation_targets.eta_field",
    ]


def test_a_pattern_with_per_priority_targets_loads() -> None:
    rules = load_rules_text(
        BASE
        + textwrap.dedent(
            """
            escalation_targets:
              warn_at: 0.5
              eta_field: eta
              groups:
                "l2_*": {calendar: office, response: {P1: 30m, P2: 2bh}}
            rules:
              - {name: a, on: group.changed, do: [{arm_targets: true}]}
              - {name: b, on: timer:target_response_warn, do: [{add_label: x}]}
            """
        ),
        "r.yaml",
    )
    targets = rules.defs.targets
    assert targets.warn_at == 0.5 and targets.eta_field == "eta"
    entry = targets.for_group("l2_network")
    assert entry is not None and entry.resolution is None
    assert targets.for_group("service_desk") is None
