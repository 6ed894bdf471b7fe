"""Strict loading: one test per exact error message, and all errors reported together."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tco_bridge.errors import RulesError
from tco_bridge.rules import load_rules, load_rules_text

BASE = """\
priorities:
  names: [P1, P2]
  map:
    zendesk: {urgent: P1, normal: P2}
groups:
  service_desk: {ids: {zendesk: "100"}, lead: {zendesk: "9"}}
calendars:
  office:
    timezone: Europe/Berlin
    hours: {mon: "09:00-17:00", tue: "09:00-17:00"}
default_calendar: office
templates:
  hello: "Hi {{ owner.display }}"
"""


def errors(extra: str, base: str = BASE) -> list[str]:
    with pytest.raises(RulesError) as err:
        load_rules_text(base + textwrap.dedent(extra), "r.yaml")
    return err.value.messages


def rule(body: str) -> str:
    return "rules:\n  - name: r1\n" + textwrap.indent(textwrap.dedent(body), "    ")


def test_default_rules_load() -> None:
    rules = load_rules(Path(__file__).resolve().parents[2] / "rules" / "default.yaml")
    assert len(rules.rules) >= 30


def test_minimal_file_loads() -> None:
    rules = load_rules_text(BASE + rule("on: ticket.created\ndo:\n  - add_label: x\n"), "r.yaml")
    assert [r.name for r in rules.rules] == ["r1"]


def test_unknown_top_level_key() -> None:
    assert errors("rulez: []\nrules: []\n") == [
        "r.yaml:14: key 'rulez' is not allowed here (allowed: version, ownership, groups, "
        "fields, priorities, calendars, default_calendar, durations, escalation_targets, "
        "templates, rules)"
    ]


def test_unknown_key_in_a_rule() -> None:
    assert errors(rule("on: ticket.created\nwhen: {statuss: open}\ndo: [{add_label: x}]\n")) == [
        "r.yaml:17: rules[0].when: key 'statuss' is not allowed here (allowed: status, priority, "
        "group, type, author, tags_any, tags_all, tags_none, escalated, picked_up, has_owner, "
        "has_assignee, owner_is_actor, owner_is_agent, resolved_by_owner, owner_away, has_backup, "
        "owner_changed, comment_public, handed_over, owner_workload_above, owner_workload_crosses, "
        "timer_set, marked, "
        "not_marked, mark_below, mark_at_least, fields_set, fields_empty, field_equals, "
        "comment_matches, reply_is, notes_below_bar, older_than, newer_than, any, not)"
    ]


def test_bad_duration() -> None:
    extra = rule("on: ticket.created\ndo:\n  - set_timer: {name: t, after: 15x}\n")
    assert errors(extra) == [
        "r.yaml:18: rules[0].do[0].set_timer.after: bad duration '15x' "
        "(a whole number and a unit: s, m, h, d, w, bm, bh, bd)"
    ]


def test_unknown_template_variable() -> None:
    base = BASE.replace("{{ owner.display }}", "{{ ownr }}")
    assert errors(rule("on: ticket.created\ndo: [{add_label: x}]\n"), base) == [
        "r.yaml:13: templates.hello: unknown template variable 'ownr' (allowed: age, agent, "
        "backup, comment, due, due_local, escalation, eta, event, in_group_for, lead, marks, now, "
        "now_local, overdue_by, owner, previous_owner, rule, since_update, stay, ticket, timer, "
        "timers, workload)"
    ]


def test_unknown_template_attribute_inline() -> None:
    extra = rule("on: ticket.created\ndo:\n  - nudge: {to: owner, text: '{{ ticket.prio }}'}\n")
    [message] = errors(extra)
    assert message.startswith(
        "r.yaml:18: rules[0].do[0].nudge.text: unknown template variable 'ticket.prio' "
        "(allowed: age, assignee, assignee_name, connector,"
    )


def test_undefined_template() -> None:
    extra = rule("on: ticket.created\ndo:\n  - nudge: {to: owner, template: helo}\n")
    assert errors(extra) == [
        "r.yaml:18: rules[0].do[0].nudge.template: template 'helo' is not defined (defined: hello)"
    ]


def test_undefined_calendar() -> None:
    extra = rule("on: ticket.created\ndo:\n  - set_timer: {name: t, after: 1bd, calendar: ofice}\n")
    assert errors(extra) == [
        "r.yaml:18: rules[0].do[0].set_timer.calendar: calendar 'ofice' is not one of: office"
    ]
    assert errors(
        "default_calendar: home\nrules: []\n", BASE.replace("default_calendar: office\n", "")
    ) == ["r.yaml:13: default_calendar: calendar 'home' is not one of: office"]


def test_undefined_group() -> None:
    extra = rule("on: group.changed\nwhen: {group: l2}\ndo: [{add_label: x}]\n")
    assert errors(extra) == [
        "r.yaml:17: rules[0].when.group: group 'l2' is not one of: service_desk"
    ]


def test_bad_enum_value_lists_allowed_values() -> None:
    extra = rule("on: status.changed\nwhen: {status: [open, solved]}\ndo: [{add_label: x}]\n")
    assert errors(extra) == [
        "r.yaml:17: rules[0].when.status[1]: status 'solved' is not one of: "
        "closed, new, on_hold, open, pending, resolved"
    ]


def test_unknown_trigger_and_timer_never_set() -> None:
    extra = rule("on: [comment.add, 'timer:nope']\ndo: [{add_label: x}]\n")
    assert errors(extra) == [
        "r.yaml:16: rules[0].on[0]: trigger 'comment.add' is not one of: ticket.created, "
        "comment.added, assignee.changed, group.changed, status.changed, priority.changed, "
        "field.changed, ticket.deleted, agent.away, agent.back, owner.changed, owner.released, "
        "timer:<name>",
        "r.yaml:16: rules[0].on[1]: timer 'nope' is never set by a rule (set: none)",
    ]


def test_per_priority_map_must_cover_every_priority() -> None:
    extra = rule("on: ticket.created\ndo:\n  - set_timer: {name: t, after: {P1: 1h, P9: 2h}}\n")
    assert errors(extra) == [
        "r.yaml:18: rules[0].do[0].set_timer.after: key 'P9' is not allowed here (allowed: P1, P2)",
        "r.yaml:18: rules[0].do[0].set_timer.after: missing priorities P2 "
        "(every priority needs a value)",
    ]


def test_bad_time_zone_country_and_hours() -> None:
    base = BASE.replace("Europe/Berlin", "Europe/Berln").replace(
        'tue: "09:00-17:00"}', 'tue: "9-5"}\n    holidays: {country: DE, subdivision: XX}'
    )
    messages = errors(rule("on: ticket.created\ndo: [{add_label: x}]\n"), base)
    assert messages[0] == (
        "r.yaml:9: calendars.office.timezone: unknown time zone 'Europe/Berln' "
        "(an IANA name like Europe/Berlin)"
    )
    assert messages[1] == "r.yaml:10: calendars.office.hours.tue: bad time '9' (expected HH:MM)"
    assert messages[2].startswith(
        "r.yaml:11: calendars.office.holidays.subdivision: "
        "subdivision 'XX' is not one of: Augsburg, BB, BE,"
    )


def test_unknown_connector() -> None:
    base = BASE.replace("zendesk: {urgent", "zendsk: {urgent")
    [message] = errors(rule("on: ticket.created\ndo: [{add_label: x}]\n"), base)
    assert message.startswith("r.yaml:4: priorities.map.zendsk: connector 'zendsk' is not one of:")
    assert "jira" in message and "zendesk" in message


def test_several_errors_are_reported_together_with_file_and_line() -> None:
    extra = rule(
        """\
        on: ticket.created
        enabled: maybe
        when: {priority: P7}
        do:
          - nudge: {to: [owner, boss], template: hello}
          - transition: reopened
        """
    )
    assert errors(extra) == [
        "r.yaml:17: rules[0].enabled: expected true or false, got str 'maybe'",
        "r.yaml:18: rules[0].when.priority: priority 'P7' is not one of: P1, P2",
        "r.yaml:20: rules[0].do[0].nudge.to[1]: target 'boss' is not one of: actor, agent, "
        "assignee, backup, frontline_lead, group, group_lead, lead, owner, owner_team, peer, "
        "requester",
        "r.yaml:21: rules[0].do[1].transition: status 'reopened' is not one of: closed, new, "
        "on_hold, open, pending, resolved",
    ]


def test_yaml_syntax_error_names_the_line() -> None:
    with pytest.raises(RulesError) as err:
        load_rules_text("rules:\n  - name: [unclosed\n", "r.yaml")
    assert err.value.messages[0].startswith("r.yaml:3: invalid YAML:")


def test_duplicate_rule_names() -> None:
    extra = (
        "rules:\n"
        "  - {name: a, on: ticket.created, do: [{add_label: x}]}\n"
        "  - {name: a, on: ticket.created, do: [{add_label: y}]}\n"
    )
    assert errors(extra) == ["r.yaml:16: rules[1].name: duplicate rule name 'a' (first at line 15)"]


def test_missing_file() -> None:
    with pytest.raises(RulesError, match="cannot read the rules file"):
        load_rules("/nonexistent/rules.yaml")


def test_a_rule_that_can_address_nobody_is_refused_without_fallback() -> None:
    nudge = rule("on: ticket.created\ndo:\n  - nudge: {to: [owner, group], template: hello}\n")
    assert errors("ownership: {fallback: none}\n" + nudge) == [
        "r.yaml:19: rules[0].do[0].nudge: owner, group may be missing on a ticket, with no "
        "fallback to address instead: set ownership.fallback (e.g. frontline_lead, with a lead "
        "for every front-line group)"
    ]
    # the default fallback (the front-line lead) exists: every group here names its lead
    assert load_rules_text(BASE + nudge, "r.yaml").ownership.fallback == ("frontline_lead",)
    # ... but not when a front-line group has no lead for a connector it serves
    leadless = BASE.replace(', lead: {zendesk: "9"}', "")
    [message] = errors(nudge, leadless)
    assert message.startswith("r.yaml:18: rules[0].do[0].nudge: owner, group may be missing")
    task = rule(
        "on: ticket.created\ndo:\n  - create_task: {kind: kb, summary: s, assignee: owner}\n"
    )
    [message] = errors("ownership: {fallback: []}\n" + task)
    assert "rules[0].do[0].create_task.assignee: owner may be missing" in message
    reply = rule("on: ticket.created\ndo:\n  - nudge: {to: [owner, requester], text: hi}\n")
    load_rules_text(BASE + "ownership: {fallback: none}\n" + reply, "r.yaml")  # reaches someone
