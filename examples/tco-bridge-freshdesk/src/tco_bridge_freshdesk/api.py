"""Freshdesk REST API v2: the one HTTP seam, the write-back, and reconcile's listing.

:class:`Transport` is the only code that does HTTP (basic auth: API key, password ``X``). Every
answer goes through the shared retry table (:mod:`tco_bridge.retry`); errors carry the method
and path only and are raised ``from None``, so no library text (URLs, headers) rides along.

Write-back, one action at a time (Freshdesk has no batched update of a note with fields):

* NOTE → ``POST /api/v2/tickets/{id}/notes {"body", "private": true}``; the body ends with a
  ``tco:<action id>`` line. With ``check_existing`` the ticket's conversations are read first
  and a note carrying that line is not written again. Mentions are written into the text: a
  user as ``@agent <id>``, a ``group:<id>`` entry as ``group <id>`` (Freshdesk cannot notify a
  group from a note, and a group is never written as a user).
* NOTE with ``extra["public"]`` → a public reply to the requester, ``POST
  /api/v2/tickets/{id}/reply {"body"}``: the text and a small ``<small>ref tco:<id></small>``
  line, no mention (the requester is notified by the reply itself; user ids are not for
  customers). ``check_existing`` finds it by the same ``tco:<id>`` text.
* ASSIGN / TRANSITION / SET_FIELD → ``PUT /api/v2/tickets/{id}`` (``responder_id``,
  ``group_id``, ``status``, ``custom_fields``): setting a state twice is harmless. ASSIGN with
  ``extra["unassign"]`` sends ``responder_id: null`` (and ``group_id`` when a group is given):
  the ticket goes back to the group's queue.
* ADD_LABEL / REMOVE_LABEL / SET_OWNER → tags. ``tags`` in an update *replaces* the list, so the
  ticket is read and the merged list written, and nothing is sent when nothing changes.
* CREATE_TASK → a follow-up ticket tagged with the action id, after a search for that tag
  (``GET /api/v2/search/tickets?query="tag:'<id>'"``). Freshdesk has no idempotency key, and its
  search index lags a little: a retry within that lag could create a second ticket.

``open_tickets`` lists ``GET /api/v2/tickets?updated_since=…&order_by=updated_at`` pages
(``Link: <…>; rel="next"``), keeping tickets that are neither resolved nor closed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import requests

from tco_bridge.actions import Action, ActionKind
from tco_bridge.connector import Outcome, TicketRecord
from tco_bridge.errors import PermanentApiError
from tco_bridge.events import Snapshot, Status
from tco_bridge.retry import raise_for_response, transport_error

from .settings import FreshdeskSettings
from .webhook import CONNECTOR, canonical_status

MARKER = re.compile(r"tco:(tco-[0-9a-f]+)")
GROUP_PREFIX = "group:"
CANONICAL_TO_ID = {"new": 2, "open": 2, "pending": 3, "on_hold": 7, "resolved": 4, "closed": 5}
STANDARD_FIELDS = frozenset({"priority", "type", "due_by", "subject"})
Json = dict[str, Any]


class Answer:
    """A 2xx answer: its JSON (``{}``/``[]`` when empty) and the next page link, if any."""

    def __init__(self, data: Any, next_url: str | None = None) -> None:
        self.data = data
        self.next_url = next_url


class Transport:
    def __init__(self, settings: FreshdeskSettings, session: requests.Session | None = None):
        self._settings = settings
        self._session = session or requests.Session()

    def __repr__(self) -> str:
        return f"Transport({self._settings.base_url!r})"

    def __call__(
        self, method: str, path: str, *, params: Mapping[str, Any] | None = None, body: Any = None
    ) -> Answer:
        base, key = self._settings.base_url, self._settings.api_key
        if not base or not key:
            raise PermanentApiError(
                CONNECTOR, "write-back needs TCO_FRESHDESK_DOMAIN (or _URL) and _API_KEY"
            )
        what = f"{method} {path.split('?', 1)[0].removeprefix(base)}"
        url = path if path.startswith(base + "/") else base + path
        failure: Exception | None = None
        try:
            answer = self._session.request(
                method,
                url,
                params=params,
                json=body,
                auth=(key, "X"),
                timeout=self._settings.timeout,
            )
        except requests.RequestException as exc:
            failure = exc
        if failure is not None:
            raise transport_error(CONNECTOR, what, failure) from None
        excerpt = answer.text[:300].replace(key, "***")
        raise_for_response(CONNECTOR, answer.status_code, answer.headers, what, excerpt)
        try:
            data = answer.json() if answer.content else {}
        except ValueError:
            data = {}
        return Answer(data, answer.links.get("next", {}).get("url"))


Send = Callable[..., Answer]


class Writer:
    def __init__(self, settings: FreshdeskSettings, send: Send) -> None:
        self._settings = settings
        self._send = send
        self._handlers: Mapping[ActionKind, Callable[[Action, bool], Outcome]] = {
            ActionKind.NOTE: self._note,
            ActionKind.ASSIGN: self._assign,
            ActionKind.SET_FIELD: self._set_field,
            ActionKind.TRANSITION: self._transition,
            ActionKind.ADD_LABEL: self._tags,
            ActionKind.REMOVE_LABEL: self._tags,
            ActionKind.SET_OWNER: self._tags,
            ActionKind.CREATE_TASK: self._task,
        }

    def perform(self, actions: Sequence[Action], check_existing: bool) -> list[Outcome]:
        return [self._handlers[a.kind](a, check_existing) for a in actions]

    def _path(self, action: Action, tail: str = "") -> str:
        if not action.ticket.isdigit():
            raise PermanentApiError(CONNECTOR, f"{action.ticket!r} is not a Freshdesk ticket id")
        return f"/api/v2/tickets/{action.ticket}{tail}"

    def _update(self, action: Action, body: Json, detail: str) -> Outcome:
        self._send("PUT", self._path(action), body=body)
        return Outcome(action.id, True, detail)

    # --- notes ---------------------------------------------------------------------------
    def _note(self, action: Action, check_existing: bool) -> Outcome:
        public = bool(action.extra.get("public"))
        what = "public reply" if public else "note"
        if check_existing and action.id in self._marked(action):
            return Outcome(action.id, True, f"{what} already written", skipped=True)
        text = f"<div>{_escape(action.text or '')}</div>"
        if public:
            body = f"{text}<p><small>ref tco:{action.id}</small></p>"
            sent = self._send("POST", self._path(action, "/reply"), body={"body": body})
        else:
            mentions = "".join(f"<p>{_escape(_mention(m))}</p>" for m in action.mention)
            body = f"{text}{mentions}<p>tco:{action.id}</p>"
            sent = self._send(
                "POST", self._path(action, "/notes"), body={"body": body, "private": True}
            )
        remote = sent.data.get("id") if isinstance(sent.data, dict) else None
        detail = "public reply sent" if public else "private note added"
        return Outcome(action.id, True, detail, str(remote) if remote else None)

    def _marked(self, action: Action) -> set[str]:
        found: set[str] = set()
        url: str | None = self._path(action, "/conversations")
        params: Mapping[str, Any] | None = {"per_page": 100}
        while url:
            page = self._send("GET", url, params=params)
            for item in page.data if isinstance(page.data, list) else []:
                text = f"{item.get('body_text') or ''} {item.get('body') or ''}"
                found.update(MARKER.findall(text))
            url, params = page.next_url, None
        return found

    # --- fields --------------------------------------------------------------------------
    def _assign(self, action: Action, _: bool) -> Outcome:
        body: Json = {}
        unassign = bool(action.extra.get("unassign"))
        if unassign:
            body["responder_id"] = None
        elif action.assignee is not None:
            body["responder_id"] = _number(action.assignee, "assignee")
        if action.group is not None:
            body["group_id"] = _number(action.group, "group")
        if not body:
            return Outcome(action.id, False, "assign needs an assignee or a group")
        return self._update(action, body, "unassigned" if unassign else "assigned")

    def _transition(self, action: Action, _: bool) -> Outcome:
        status = CANONICAL_TO_ID.get(action.status or "")
        if status is None:
            return Outcome(action.id, False, f"no Freshdesk status for {action.status!r}")
        return self._update(action, {"status": status}, f"status {action.status}")

    def _set_field(self, action: Action, _: bool) -> Outcome:
        name = action.field or ""
        if name.startswith("cf_"):
            return self._update(action, {"custom_fields": {name: action.value}}, f"set {name}")
        if name in STANDARD_FIELDS:
            return self._update(action, {name: action.value}, f"set {name}")
        return Outcome(action.id, False, f"field {name!r} is neither cf_<name> nor standard")

    # --- tags ----------------------------------------------------------------------------
    def _tags(self, action: Action, _: bool) -> Outcome:
        add, remove = _tag_changes(action)
        if not add and not remove:
            return Outcome(action.id, False, f"{action.kind.value} needs a label or an owner")
        ticket = self._send("GET", self._path(action)).data
        current = [str(t) for t in (ticket.get("tags") or [])] if isinstance(ticket, dict) else []
        wanted = [t for t in current if t not in remove] + [t for t in add if t not in current]
        if wanted == current:
            return Outcome(action.id, True, "tags already so", skipped=True)
        return self._update(action, {"tags": wanted}, f"tags +{add} -{remove}")

    # --- tasks ---------------------------------------------------------------------------
    def _task(self, action: Action, _: bool) -> Outcome:
        task = action.task
        if task is None:
            return Outcome(action.id, False, "create_task needs a task")
        query = {"query": f"\"tag:'{action.id}'\""}
        found = self._send("GET", "/api/v2/search/tickets", params=query).data
        results = found.get("results") if isinstance(found, dict) else None
        if results:
            existing = str(results[0].get("id"))
            return Outcome(action.id, True, f"task #{existing} exists", existing, skipped=True)
        requester = self._settings.task_requester
        if not requester:
            raise PermanentApiError(CONNECTOR, "TCO_FRESHDESK_TASK_REQUESTER is not set")
        body: Json = {
            "subject": task.summary,
            "description": f"<div>{_escape(task.description)}</div>"
            f"<p>Follow-up of #{action.ticket}</p><p>tco:{action.id}</p>",
            "email": requester,
            "status": 2,
            "priority": 1,
            "tags": [action.id, "tco-task", f"tco-task-{task.kind}"],
        }
        if task.assignee:
            body["responder_id"] = _number(task.assignee, "task assignee")
        created = self._send("POST", "/api/v2/tickets", body=body).data
        remote = str(created.get("id")) if isinstance(created, dict) else None
        return Outcome(action.id, True, "follow-up ticket created", remote)


def open_tickets(send: Send) -> Iterator[TicketRecord]:
    params: Mapping[str, Any] | None = {
        "updated_since": "2000-01-01T00:00:00Z",
        "order_by": "updated_at",
        "order_type": "asc",
        "per_page": 100,
    }
    url: str | None = "/api/v2/tickets"
    while url:
        page = send("GET", url, params=params)
        for ticket in page.data if isinstance(page.data, list) else []:
            record = _record(ticket)
            if record.snapshot.status not in (Status.RESOLVED, Status.CLOSED):
                yield record
        url, params = page.next_url, None


def _record(ticket: Json) -> TicketRecord:
    raw, status = canonical_status(ticket.get("status"))
    updated = ticket.get("updated_at")
    snapshot = Snapshot(
        status=status,
        raw_status=raw,
        priority=str(ticket["priority"]) if ticket.get("priority") is not None else None,
        assignee=_id(ticket.get("responder_id")),
        group=_id(ticket.get("group_id")),
        requester=_id(ticket.get("requester_id")),
        summary=ticket.get("subject"),
        tags=tuple(str(t) for t in ticket.get("tags") or ()),
    )
    when = datetime.fromisoformat(updated.replace("Z", "+00:00")) if updated else None
    return TicketRecord(str(ticket.get("id")), snapshot, when or datetime.now(UTC))


def _tag_changes(action: Action) -> tuple[list[str], list[str]]:
    if action.kind is ActionKind.ADD_LABEL:
        return ([action.label] if action.label else []), []
    if action.kind is ActionKind.REMOVE_LABEL:
        return [], ([action.label] if action.label else [])
    add = [f"tco-owner-{action.owner}"] if action.owner else []
    old = action.previous_owner
    return add, ([f"tco-owner-{old}"] if old and old != action.owner else [])


def _id(value: Any) -> str | None:
    return None if value is None else str(value)


def _number(value: str, what: str) -> int:
    if not value.isdigit():
        raise PermanentApiError(CONNECTOR, f"{what} {value!r} is not a Freshdesk id")
    return int(value)


def _mention(target: str) -> str:
    """A user as ``@agent <id>``; a ``group:<id>`` entry names the group, never as a user."""
    if target.startswith(GROUP_PREFIX):
        return f"group {target.removeprefix(GROUP_PREFIX)}"
    return f"@agent {target}"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
