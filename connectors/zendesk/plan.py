"""Actions → the fewest Zendesk requests, as plain data (no I/O).

Update Ticket is capped at 100 requests a minute per account, so everything the ticket update
accepts goes into ONE ``PUT /api/v2/tickets/{id}.json``:

* NOTE → ``comment: {body, public: false}``; several notes share one comment. Mentions are
  written into the text as ``@Name (Zendesk user <id>)``: API comments have no mention markup
  that notifies, so agents see their name and admins can notify with a trigger on the note.
  Zendesk has no group mention either: a ``group:<id>`` mention is written as ``group <id>``.
  With a bot user configured the note gets ``author_id`` = bot, so its own notes come back as
  ``bridge`` events and trigger nothing.
* NOTE with ``extra["public"]`` → a public reply, ``comment: {body, public: true}``. An update
  holds one comment, so a public reply never shares it with an internal note: when both are
  due, the internal note rides in the update and the replies follow in a second update that
  holds only their comment. A reply's text carries no mention line (the requester is notified
  by the reply itself, and user ids are not for customers).
* ASSIGN → ``assignee_id`` / ``group_id``; with ``extra["unassign"]`` → ``assignee_id: null``
  (and ``group_id`` when a group is given). SET_FIELD → ``custom_fields``
  (``custom_field:<id>`` or a bare id) or one of a few standard fields; SET_OWNER in field mode
  → ``custom_fields``; TRANSITION → ``status`` (canonical → Zendesk: on_hold → hold,
  resolved → solved).

Mentions alone notify nobody, so the agents an internal note mentions (not groups, not the
bot) are made **followers** in the same update, ``followers: [{"user_id", "action": "put"}]``,
each once: Zendesk e-mails followers about every comment, and the note is that comment.

When an internal note is in the update, the comment's last lines are ``tco:<action id>`` for
every action in the update, so a retry can see that the whole update already landed. A public
reply is read by the customer, so it carries only its own reference, one last line
``ref tco:<action id>`` per reply; the other changes of an update that carries a reply and no
internal note are not marked, and a retry sets them again, which is harmless.

Tags join the same update too. ``tags`` there replaces the whole list (``additional_tags`` and
``remove_tags`` exist only on the asynchronous Update Many), so the plan keeps what to add and
remove (ADD_LABEL, REMOVE_LABEL, SET_OWNER in tag mode: ``tco_owner_<id>`` added, the previous
owner's removed) and :func:`with_tags` computes the list from the ticket's current tags at send
time, guarded by ``safe_update`` + ``updated_stamp`` (see :mod:`.outbound`). CREATE_TASK is
left to :mod:`.tasks`. An action that cannot be expressed (no text, unknown field or status) is
rejected with a reason and sends nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tco_bridge.actions import Action, ActionKind

from .formats import CANONICAL_TO_ZENDESK, api_id

OWNER_TAG_PREFIX = "tco_owner_"
MARKER_PREFIX = "tco:"
REPLY_MARKER_PREFIX = "ref tco:"
MARKER = re.compile(r"(?m)^\s*(?:ref\s+)?tco:(\S+)\s*$")
GROUP_PREFIX = "group:"
STANDARD_FIELDS = frozenset({"priority", "type", "subject", "due_at", "external_id"})


@dataclass
class Update:
    """One ``PUT /api/v2/tickets/{id}.json``: its ``ticket`` body, the actions it carries, and
    those whose result is the comment it creates."""

    body: dict[str, Any]
    ids: list[str]
    comment_ids: list[str]
    #: Tags to add and remove: the update's ``tags`` are computed from the current ones.
    tags_add: list[str] = field(default_factory=list)
    tags_remove: list[str] = field(default_factory=list)

    @property
    def changes_tags(self) -> bool:
        return bool(self.tags_add or self.tags_remove)


@dataclass
class Plan:
    """What to send for one ticket; each part lists the actions it carries."""

    update: dict[str, Any] = field(default_factory=dict)
    update_ids: list[str] = field(default_factory=list)
    notes: list[Action] = field(default_factory=list)
    replies: list[Action] = field(default_factory=list)
    updates: list[Update] = field(default_factory=list)
    tags_add: list[str] = field(default_factory=list)
    tags_remove: list[str] = field(default_factory=list)
    followers: list[str] = field(default_factory=list)
    tasks: list[Action] = field(default_factory=list)
    rejected: dict[str, str] = field(default_factory=dict)


def owner_tag(user_id: str) -> str:
    return f"{OWNER_TAG_PREFIX}{user_id}"


def markers_in(text: str) -> set[str]:
    """Action ids marked in a comment body (one ``tco:<id>`` or ``ref tco:<id>`` per line)."""
    return set(MARKER.findall(text))


def build_plan(actions: Sequence[Action], *, owner_field: str | None, bot: str | None) -> Plan:
    plan = Plan()
    for action in actions:
        reason = _add(plan, action, owner_field, bot)
        if reason:
            plan.rejected[action.id] = reason
    _updates(plan, bot)
    return plan


def is_public(action: Action) -> bool:
    return bool(action.extra.get("public"))


def _updates(plan: Plan, bot: str | None) -> None:
    """The update (fields, tags, followers + internal note, or + replies), then the replies'
    own update when an internal note took the first one's comment."""
    notes = [n.id for n in plan.notes]
    replies = [r.id for r in plan.replies]
    if plan.notes:
        plan.update["comment"] = _comment(plan, bot)
    elif plan.replies:
        plan.update["comment"] = _reply(plan.replies, bot)
        notes, replies = replies, []
        plan.update_ids += notes
    if plan.followers:
        plan.update["followers"] = [{"user_id": api_id(u), "action": "put"} for u in plan.followers]
    if plan.update or plan.tags_add or plan.tags_remove:
        plan.updates.append(
            Update(plan.update, plan.update_ids, notes, plan.tags_add, plan.tags_remove)
        )
    if replies:
        plan.updates.append(Update({"comment": _reply(plan.replies, bot)}, replies, replies))


def with_tags(update: Update, current: Sequence[str]) -> list[str]:
    """The ticket's tag list after ``update``: current tags kept (whoever set them), the
    update's additions appended, its removals dropped."""
    tags = [t for t in current if t not in update.tags_remove]
    tags += [t for t in update.tags_add if t not in tags]
    return tags


TAG_MIRRORS = frozenset({"tag", "tags", "label", "labels"})


def owner_target(action: Action, default: str | None) -> str | None:
    """Where to mirror the owner: the rules file's ``owner_field`` when it names one
    (``action.field``), else ``TCO_ZENDESK_OWNER_FIELD``. None means a tag."""
    if action.field is None:
        return default
    return None if action.field.lower() in TAG_MIRRORS else action.field


def _add(plan: Plan, action: Action, owner_field: str | None, bot: str | None) -> str | None:
    """Put one action into the plan; return why it cannot be, if so."""
    if action.kind is ActionKind.CREATE_TASK:
        if action.task is None:
            return "create_task needs a task"
        plan.tasks.append(action)
        return None
    if action.kind in (ActionKind.ADD_LABEL, ActionKind.REMOVE_LABEL):
        return _label(plan, action)
    if action.kind is ActionKind.SET_OWNER:
        owner_field = owner_target(action, owner_field)
        if owner_field is None:
            return _owner_tags(plan, action)
    reason = _update_part(plan.update, action, owner_field)
    if reason is None and action.kind is ActionKind.NOTE and is_public(action):
        plan.replies.append(action)
    elif reason is None:
        plan.update_ids.append(action.id)
        if action.kind is ActionKind.NOTE:
            plan.notes.append(action)
            _follow(plan, action, bot)
    return reason


def _follow(plan: Plan, note: Action, bot: str | None) -> None:
    """The agents a note mentions follow the ticket: Zendesk e-mails them the note."""
    for user in note.mention:
        if not user.startswith(GROUP_PREFIX) and user != bot:
            _append_once(plan.followers, user)


def _update_part(update: dict[str, Any], action: Action, owner_field: str | None) -> str | None:
    """Merge what ``action`` changes into the ticket update body."""
    kind = action.kind
    if kind is ActionKind.NOTE:
        return None if action.text else "a note needs text"
    if kind is ActionKind.ASSIGN:
        return _assign(update, action)
    if kind is ActionKind.TRANSITION:
        status = CANONICAL_TO_ZENDESK.get((action.status or "").lower())
        if status is None:
            return f"no Zendesk status for {action.status!r}"
        update["status"] = status
        return None
    if kind is ActionKind.SET_FIELD:
        return _set_field(update, action.field or "", action.value)
    if kind is ActionKind.SET_OWNER and owner_field is not None:
        return _set_field(update, owner_field, action.owner)
    return f"action kind {kind.value!r} is not supported by the Zendesk connector"


def _assign(update: dict[str, Any], action: Action) -> str | None:
    if action.extra.get("unassign"):
        update["assignee_id"] = None
        if action.group:
            update["group_id"] = api_id(action.group)
        return None
    if action.assignee is None and action.group is None:
        return "assign needs an assignee or a group"
    if action.assignee is not None:
        update["assignee_id"] = api_id(action.assignee) if action.assignee else None
    if action.group is not None:
        update["group_id"] = api_id(action.group) if action.group else None
    return None


def _set_field(update: dict[str, Any], name: str, value: Any) -> str | None:
    field_id = name.removeprefix("custom_field:")
    if field_id.isdigit():
        update.setdefault("custom_fields", []).append({"id": int(field_id), "value": value})
        return None
    if name in STANDARD_FIELDS:
        update[name] = value
        return None
    return f"field {name!r} is neither custom_field:<id> nor one of {sorted(STANDARD_FIELDS)}"


def _label(plan: Plan, action: Action) -> str | None:
    if not action.label:
        return f"{action.kind.value} needs a label"
    target = plan.tags_add if action.kind is ActionKind.ADD_LABEL else plan.tags_remove
    _append_once(target, action.label)
    plan.update_ids.append(action.id)
    return None


def _owner_tags(plan: Plan, action: Action) -> str | None:
    if action.owner is None and action.previous_owner is None:
        return "set_owner needs an owner or a previous owner"
    if action.owner:
        _append_once(plan.tags_add, owner_tag(action.owner))
    if action.previous_owner and action.previous_owner != action.owner:
        _append_once(plan.tags_remove, owner_tag(action.previous_owner))
    plan.update_ids.append(action.id)
    return None


def _append_once(items: list[str], item: str) -> None:
    if item not in items:
        items.append(item)


def _comment(plan: Plan, bot: str | None) -> dict[str, Any]:
    texts = [note_text(note) for note in plan.notes]
    markers = "\n".join(f"{MARKER_PREFIX}{action_id}" for action_id in plan.update_ids)
    return _authored({"body": "\n\n".join(texts) + "\n\n" + markers, "public": False}, bot)


def _reply(replies: list[Action], bot: str | None) -> dict[str, Any]:
    """The public comment: the replies' texts, then one ``ref tco:<id>`` line each."""
    texts = [reply.text or "" for reply in replies]
    refs = "\n".join(f"{REPLY_MARKER_PREFIX}{reply.id}" for reply in replies)
    return _authored({"body": "\n\n".join(texts) + "\n\n" + refs, "public": True}, bot)


def _authored(comment: dict[str, Any], bot: str | None) -> dict[str, Any]:
    if bot:
        comment["author_id"] = api_id(bot)
    return comment


def note_text(note: Action) -> str:
    """The note's text plus a line naming each mentioned user by name (when known) and id, and
    each mentioned ``group:<id>`` as ``group <id>``."""
    if not note.mention:
        return note.text or ""
    names = [_mention(user, note) for user in note.mention]
    return f"{note.text}\n{', '.join(names)}"


def _mention(user: str, note: Action) -> str:
    if user.startswith(GROUP_PREFIX):
        return f"group {user.removeprefix(GROUP_PREFIX)}"
    if user == note.owner and note.owner_name:
        return f"@{note.owner_name} (Zendesk user {user})"
    return f"@Zendesk user {user}"
