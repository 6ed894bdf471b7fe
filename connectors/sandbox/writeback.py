"""The bridge's actions, applied to the sandbox store as its bot account.

Each action runs in its own write transaction together with a row in ``performed`` keyed by
the action id, so a second run of the same action (a retried job, a replay) finds that row
and writes nothing: ``Outcome(skipped=True)``. Every change it makes emits a webhook authored
by the bot account, which the bridge then marks ``bridge`` and never acts on: the loop guard,
exercised end to end.

Rule conventions: a NOTE with ``extra["public"]`` is a public comment by the bot (a reply the
requester sees), else an internal one; mentions are stored as given, ``group:<id>`` entries
included (the sandbox has no user directory to resolve them against). The action id is kept in
the comment's ``action_id`` column and the ``performed`` table, never in the text. An ASSIGN
with ``extra["unassign"]`` sets the assignee to none (and the group, when one is given).
"""

from __future__ import annotations

from collections.abc import Callable

from tco_bridge.actions import Action, ActionKind
from tco_bridge.connector import Outcome

from .model import STATUSES, Person, owner_label
from .store import InvalidRequest, Tx, check_choice

#: ``owner_field`` values (from the rules) that mean "mirror the owner as a label".
LABEL_MIRRORS = frozenset({"label", "labels", "tag", "tags"})


def perform(tx: Tx, action: Action, bot: Person) -> Outcome:
    """Apply one action unless its id was already performed."""
    done = tx.performed(action.id)
    if done is not None:
        return Outcome(action.id, True, "already done", done["remote_id"], skipped=True)
    outcome = _HANDLERS[action.kind](tx, action, bot)
    tx.mark_performed(
        action.id, action.ticket, action.kind.value, outcome.remote_id, outcome.detail
    )
    return outcome


def _note(tx: Tx, action: Action, bot: Person) -> Outcome:
    text = _required(action, "text", action.text)
    public = bool(action.extra.get("public"))
    # Groups cannot be notified: they are named in the text. A public reply mentions no one.
    groups = [m.removeprefix("group:") for m in action.mention if m.startswith("group:")]
    users = () if public else tuple(m for m in action.mention if not m.startswith("group:"))
    if groups and not public:
        text = f"{text} (group: {', '.join(groups)})"
    comment = tx.add_comment(
        action.ticket, bot, text, public=public, mentions=users, action_id=action.id
    )
    return Outcome(
        action.id, True, "public reply added" if public else "internal note added", comment
    )


def _assign(tx: Tx, action: Action, bot: Person) -> Outcome:
    unassign = bool(action.extra.get("unassign"))
    if action.assignee is None and action.group is None and not unassign:
        raise InvalidRequest(f"assign action {action.id} names neither an assignee nor a group")
    changed = []
    if unassign and tx.update(action.ticket, bot, "assignee", None):
        changed.append("assignee=none")
    assignee = None if unassign else action.assignee
    for attribute, value in (("assignee", assignee), ("group", action.group)):
        if value is not None and tx.update(action.ticket, bot, attribute, value):
            changed.append(f"{attribute}={value}")
    return Outcome(action.id, True, _said(changed, "already assigned so"))


def _set_field(tx: Tx, action: Action, bot: Person) -> Outcome:
    field = _required(action, "field", action.field)
    changed = tx.set_field(action.ticket, bot, field, action.value)
    return Outcome(
        action.id, True, f"{field} set" if changed else f"{field} already had that value"
    )


def _add_label(tx: Tx, action: Action, bot: Person) -> Outcome:
    label = _required(action, "label", action.label)
    changed = tx.set_labels(action.ticket, bot, add=[label], remove=[])
    return Outcome(action.id, True, f"label {label} " + ("added" if changed else "already there"))


def _remove_label(tx: Tx, action: Action, bot: Person) -> Outcome:
    label = _required(action, "label", action.label)
    changed = tx.set_labels(action.ticket, bot, add=[], remove=[label])
    return Outcome(action.id, True, f"label {label} " + ("removed" if changed else "was not there"))


def _transition(tx: Tx, action: Action, bot: Person) -> Outcome:
    status = check_choice("status", _required(action, "status", action.status), STATUSES)
    changed = tx.update(action.ticket, bot, "status", status)
    return Outcome(action.id, True, f"status {status}" + ("" if changed else " already"))


def _create_task(tx: Tx, action: Action, bot: Person) -> Outcome:
    task = action.task
    if task is None:
        raise InvalidRequest(f"create_task action {action.id} has no task")
    existing = tx.task_for_action(action.id)
    if existing is not None:
        return Outcome(action.id, True, "task already exists", existing, skipped=True)
    spec: dict[str, str | None] = {"kind": task.kind, "summary": task.summary}
    spec.update(description=task.description, assignee=task.assignee)
    created = tx.add_task(action.ticket, bot, spec, action.id)
    return Outcome(action.id, True, f"{task.kind} task created", created)


def _set_owner(tx: Tx, action: Action, bot: Person) -> Outcome:
    """Mirror the owner; no owner (a contact released in model ``none``) clears the mirror."""
    owner = action.owner
    if owner is None:
        _required(action, "owner or previous_owner", action.previous_owner)
    if action.field and action.field.lower() not in LABEL_MIRRORS:
        changed = tx.set_field(action.ticket, bot, action.field, owner)
        detail = f"owner {owner or '-'} in {action.field}" + ("" if changed else " already")
        return Outcome(action.id, True, detail)
    remove = [owner_label(action.previous_owner)] if action.previous_owner else []
    add = [owner_label(owner)] if owner else []
    changed = tx.set_labels(action.ticket, bot, add=add, remove=[x for x in remove if x not in add])
    if add:
        return Outcome(
            action.id, True, f"owner label {add[0]}" + ("" if changed else " already set")
        )
    return Outcome(
        action.id, True, f"owner label {remove[0]} " + ("removed" if changed else "was not there")
    )


def _required(action: Action, name: str, value: str | None) -> str:
    if not value:
        raise InvalidRequest(f"{action.kind.value} action {action.id} has no {name}")
    return value


def _said(changes: list[str], otherwise: str) -> str:
    return ", ".join(changes) if changes else otherwise


_HANDLERS: dict[ActionKind, Callable[[Tx, Action, Person], Outcome]] = {
    ActionKind.NOTE: _note,
    ActionKind.ASSIGN: _assign,
    ActionKind.SET_FIELD: _set_field,
    ActionKind.ADD_LABEL: _add_label,
    ActionKind.REMOVE_LABEL: _remove_label,
    ActionKind.TRANSITION: _transition,
    ActionKind.CREATE_TASK: _create_task,
    ActionKind.SET_OWNER: _set_owner,
}
