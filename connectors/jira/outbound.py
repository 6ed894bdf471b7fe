"""Carry out write-back actions on one Jira issue.

One handler per :class:`ActionKind`, each a few REST calls through :class:`Transport`:

- ``note``: internal note, or public reply when ``extra["public"]``, with mentions (a
  ``group:<id>`` mention becomes the text ``(group: <id>)``) and an id marker (``notes.py``).
- ``assign``: ``PUT /rest/api/2/issue/{key}/assignee`` with ``accountId`` (Cloud) or ``name``
  (DC); ``extra["unassign"]`` clears the assignee with ``{"accountId": null}`` (Cloud) or
  ``{"name": null}`` (DC). A ``group`` goes to ``TCO_JIRA_GROUP_FIELD`` (custom select field or
  components), after the assignee change or in the issue's one edit (below). The library's
  ``assign_issue`` is not used: its user search turns any failure (a 429 included) into a
  status-less error, and it asks the server which deployment it is.
- ``set_field`` / ``add_label`` / ``remove_label``: ``PUT /rest/api/2/issue/{key}``. Several
  of these, ``set_owner`` and an ``assign``'s group move due on one issue at one moment go in
  ONE edit (``fields`` and ``update.labels`` merged): Jira's per-issue write limit counts
  calls, not fields (the assignee keeps its endpoint, which needs no edit screen). A note
  written as a restricted (or public) v2 comment rides in that edit too
  (``update.comment: [{"add": {body, visibility}}]``) on a first attempt; a JSM comment keeps
  its own request, since its internal visibility belongs to the JSM request API, and a retry
  writes notes on their own after looking for their markers.
- ``transition``: the configured transition name for the canonical status, else the first
  transition leading to a status that maps to it; when none is available and the issue is
  already in that status the action is a no-op, else a ``PermanentApiError`` lists what is.
- ``create_task``: find-or-create, then link (``tasks.py``).
- ``set_owner``: a user-picker custom field or a ``tco-owner-<id>`` label.

Only notes and tasks need ``check_existing``: the other writes set a state (again, harmlessly).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from tco_bridge.actions import Action, ActionKind
from tco_bridge.connector import Outcome
from tco_bridge.errors import PermanentApiError, TicketApiError
from tco_bridge.events import Status

from .directory import Directory
from .notes import edit_comment, find_note, is_public, issue_path, write_note
from .payload import Json, obj, text
from .settings import JiraSettings
from .statuses import canonical_status
from .tasks import create_task
from .transport import CONNECTOR, Transport

_LABEL_UNSAFE = re.compile(r"[^A-Za-z0-9_.:-]")


def owner_label(user: str) -> str:
    """Labels cannot hold spaces; keep ids readable, replace anything unusual."""
    return "tco-owner-" + _LABEL_UNSAFE.sub("_", user)


class Writer:
    """Performs actions; ``check_existing`` makes notes look for their marker first."""

    def __init__(self, settings: JiraSettings, transport: Transport, directory: Directory) -> None:
        self._settings = settings
        self._transport = transport
        self._directory = directory
        self._handlers: Mapping[ActionKind, Callable[[Action, bool], Outcome]] = {
            ActionKind.NOTE: self._note,
            ActionKind.ASSIGN: self._assign,
            ActionKind.SET_FIELD: self._set_field,
            ActionKind.ADD_LABEL: self._add_label,
            ActionKind.REMOVE_LABEL: self._remove_label,
            ActionKind.TRANSITION: self._transition,
            ActionKind.CREATE_TASK: self._create_task,
            ActionKind.SET_OWNER: self._set_owner,
        }

    def perform(self, actions: Sequence[Action], check_existing: bool) -> list[Outcome]:
        done: dict[int, Outcome] = {}
        # A retry looks for each note's marker first, so notes ride in an edit only the first
        # time; a restricted or public comment can, a JSM internal one cannot.
        fold = not check_existing
        edits = [i for i, a in enumerate(actions) if self._edit_part(a, fold) is not None]
        moved: dict[int, str] = {}  # assignments whose group move rode in the edit
        try:
            if self._settings.coalesce and len(edits) > 1:
                together = self._edit_together([actions[i] for i in edits], fold)
                for i, outcome in zip(edits, together, strict=True):
                    if actions[i].kind is ActionKind.ASSIGN:
                        moved[i] = outcome.detail  # done once its assignee call lands too
                    else:
                        done[i] = outcome
            for i, action in enumerate(actions):
                if i in moved:
                    done[i] = self._assign(action, check_existing, in_edit=moved[i])
                elif i not in done:
                    done[i] = self._handlers[action.kind](action, check_existing)
        except TicketApiError as exc:
            # What landed before the failure is reported with it: a retry sends only the rest.
            exc.landed = [o for o in done.values() if o.ok]
            raise
        return [done[i] for i in range(len(actions))]

    def _edit_together(self, edits: list[Action], fold: bool) -> list[Outcome]:
        """One ``PUT /issue/{key}`` for every field and label edit (and comment that can ride
        along) due at this moment."""
        fields: Json = {}
        update: dict[str, list[Json]] = {}
        for action in edits:
            part = self._edit_part(action, fold) or {}
            fields.update(part.get("fields", {}))
            for name, ops in part.get("update", {}).items():
                update.setdefault(name, []).extend(ops)
        body: Json = {"fields": fields} if fields else {}
        if update:
            body["update"] = update
        if body:
            self._edit(edits[0].ticket, body)
        detail = f"one edit of {len(edits)} changes"
        return [Outcome(a.id, True, f"{self._done(a)} ({detail})") for a in edits]

    def _edit_part(self, action: Action, fold_notes: bool = False) -> Json | None:
        """What ``action`` changes through the issue edit, or None when it is no valid edit."""
        if action.kind is ActionKind.NOTE and fold_notes and action.text:
            comment = edit_comment(self._settings, self._directory, action)
            return {"update": {"comment": [comment]}} if comment else None
        if action.kind is ActionKind.ASSIGN:
            return self._group_part(action)
        if action.kind not in EDITS:
            return None
        if action.kind is ActionKind.SET_FIELD:
            return {"fields": {action.field: action.value}} if action.field else None
        if action.kind is ActionKind.ADD_LABEL:
            return {"update": {"labels": [{"add": action.label}]}} if action.label else None
        if action.kind is ActionKind.REMOVE_LABEL:
            return {"update": {"labels": [{"remove": action.label}]}} if action.label else None
        if action.kind is ActionKind.SET_OWNER:
            return self._owner_part(action)
        return None

    def _group_part(self, action: Action) -> Json | None:
        """An assignment's group move as an edit (the assignee has its own endpoint)."""
        if not action.group or self._settings.group_field == "project":
            return None  # no group, or one the REST API cannot move (refused on its own)
        return {"fields": self._group_value(action.group)}

    def _done(self, action: Action) -> str:
        if action.kind is ActionKind.ASSIGN:
            return f"group {action.group}"
        if action.kind is ActionKind.NOTE:
            return f"{'public reply' if is_public(action) else 'note'} written"
        if action.kind is ActionKind.SET_FIELD:
            return f"set {action.field}"
        if action.kind is ActionKind.SET_OWNER:
            return f"owner {action.owner or '-'} mirrored to {self._owner_target(action)}"
        verb = "added" if action.kind is ActionKind.ADD_LABEL else "removed"
        return f"label {action.label} {verb}"

    # --- helpers -----------------------------------------------------------------------
    def _user(self, user: str) -> Json:
        return {"accountId": user} if self._settings.is_cloud else {"name": user}

    def _edit(self, key: str, body: Json) -> None:
        self._transport.call("PUT", issue_path(key), body=body)

    def _labels(self, key: str, ops: list[Json]) -> None:
        self._edit(key, {"update": {"labels": ops}})

    # --- handlers ----------------------------------------------------------------------
    def _note(self, action: Action, check_existing: bool) -> Outcome:
        what = "public reply" if is_public(action) else "note"
        if check_existing:
            found = find_note(self._transport, action.ticket, action.id)
            if found is not None:
                return Outcome(action.id, True, f"{what} already written", found, skipped=True)
        comment_id = write_note(self._transport, self._settings, self._directory, action)
        return Outcome(action.id, True, f"{what} written", comment_id)

    def _assign(self, action: Action, _: bool, in_edit: str | None = None) -> Outcome:
        """The assignee, then the group move (``in_edit``: it rode in the one edit, so done)."""
        done: list[str] = []
        path = f"{issue_path(action.ticket)}/assignee"
        if action.extra.get("unassign"):
            nobody: Json = {"accountId": None} if self._settings.is_cloud else {"name": None}
            self._transport.call("PUT", path, body=nobody)
            done.append("unassigned")
        elif action.assignee:
            self._transport.call("PUT", path, body=self._user(action.assignee))
            done.append(f"assignee {action.assignee}")
        if in_edit is not None:
            done.append(in_edit)
        elif action.group:
            self._edit(action.ticket, {"fields": self._group_value(action.group)})
            done.append(f"group {action.group}")
        return Outcome(action.id, True, ", ".join(done) or "nothing to assign")

    def _group_value(self, group: str) -> Json:
        where = self._settings.group_field
        if where == "components":
            return {"components": [{"name": group}]}
        if where == "project":
            raise PermanentApiError(
                CONNECTOR,
                "TCO_JIRA_GROUP_FIELD=project: moving an issue between projects is not possible "
                "through the REST API; configure a group custom field",
            )
        return {where: {"value": group}}

    def _set_field(self, action: Action, _: bool) -> Outcome:
        if not action.field:
            raise PermanentApiError(CONNECTOR, f"set_field action {action.id} names no field")
        return self._edit_alone(action)

    def _add_label(self, action: Action, _: bool) -> Outcome:
        self._labels(action.ticket, [{"add": action.label}])
        return Outcome(action.id, True, self._done(action))

    def _remove_label(self, action: Action, _: bool) -> Outcome:
        self._labels(action.ticket, [{"remove": action.label}])
        return Outcome(action.id, True, self._done(action))

    def _edit_alone(self, action: Action) -> Outcome:
        part = self._edit_part(action)
        if part:
            self._edit(action.ticket, part)
        return Outcome(action.id, True, self._done(action))

    def _create_task(self, action: Action, _: bool) -> Outcome:
        return create_task(self._transport, self._settings, action)

    def _set_owner(self, action: Action, _: bool) -> Outcome:
        return self._edit_alone(action)

    def _owner_target(self, action: Action) -> str:
        return action.field or self._settings.owner_field

    def _owner_part(self, action: Action) -> Json:
        """A ``tco-owner-<id>`` label (the previous owner's removed), or the user-picker field
        with the user in the deployment's form (accountId on Cloud, name on DC)."""
        target = self._owner_target(action)
        if target != "label":
            return {"fields": {target: self._user(action.owner) if action.owner else None}}
        ops: list[Json] = []
        if action.previous_owner and action.previous_owner != action.owner:
            ops.append({"remove": owner_label(action.previous_owner)})
        if action.owner:
            ops.append({"add": owner_label(action.owner)})
        return {"update": {"labels": ops}} if ops else {}

    # --- transitions -------------------------------------------------------------------
    def _transition(self, action: Action, _: bool) -> Outcome:
        wanted = self._wanted_status(action)
        path = f"{issue_path(action.ticket)}/transitions"
        available = [
            obj(t) for t in obj(self._transport.call("GET", path)).get("transitions") or []
        ]
        chosen = self._choose(available, wanted)
        if chosen is None:
            if self._current_status(action.ticket) == wanted:
                return Outcome(action.id, True, f"already {wanted.value}", skipped=True)
            names = ", ".join(repr(text(t.get("name"))) for t in available) or "none"
            raise PermanentApiError(
                CONNECTOR,
                f"no transition to {wanted.value!r} on {action.ticket} "
                f"(looked for {self._settings.transitions.get(wanted.value)!r}); "
                f"available: {names}",
            )
        self._transport.call("POST", path, body={"transition": {"id": text(chosen.get("id"))}})
        return Outcome(action.id, True, f"transitioned with {text(chosen.get('name'))!r}")

    def _wanted_status(self, action: Action) -> Status:
        try:
            return Status(action.status or "")
        except ValueError:
            raise PermanentApiError(
                CONNECTOR, f"transition action {action.id}: {action.status!r} is not a status"
            ) from None

    def _choose(self, available: list[Json], wanted: Status) -> Json | None:
        name = self._settings.transitions.get(wanted.value)
        if name is not None:
            return next((t for t in available if _same(t.get("name"), name)), None)
        return next((t for t in available if self._leads_to(t) == wanted), None)

    def _leads_to(self, transition: Json) -> Status | None:
        to = obj(transition.get("to"))
        category = obj(to.get("statusCategory")).get("key")
        return canonical_status(text(to.get("name")), category, self._settings.status_map)

    def _current_status(self, key: str) -> Status | None:
        issue = obj(self._transport.call("GET", issue_path(key), params={"fields": "status"}))
        status = obj(obj(issue.get("fields")).get("status"))
        category = obj(status.get("statusCategory")).get("key")
        return canonical_status(text(status.get("name")), category, self._settings.status_map)


EDITS = frozenset(
    {ActionKind.SET_FIELD, ActionKind.ADD_LABEL, ActionKind.REMOVE_LABEL, ActionKind.SET_OWNER}
)


def _same(a: Any, b: str) -> bool:
    return isinstance(a, str) and a.casefold() == b.casefold()
