"""A strict Jira stand-in for tests: answers the REST calls the connector makes, in Jira's
shapes, and refuses what a real Jira refuses instead of accepting anything.

Refusals, each as Jira answers them (``errorMessages`` / ``errors``):

* a user in the wrong form for the deployment (``accountId`` on Data Center, ``name`` on
  Cloud) in an assignment or a user-picker field → 400;
* an Atlassian Document Format body sent to REST v2 (v2 takes wiki-markup strings) → 400;
* a transition id the issue does not offer → 400;
* a JSM comment (``/rest/servicedeskapi/request/{key}/comment``) on an issue of a project that
  is not a service desk, or on a service desk's issue that is no customer request (an agent's
  Task, a Sub-task: ``not_requests``) → 404;
* anything about a deleted issue (``deleted``) → 404;
* a restricted comment whose role is not one of the project's roles → 400.

It also serves what the directory reads: ``/rest/api/2/field``, ``/rest/api/2/user?key=``
and ``/rest/api/2/project/{key}``. Every request is recorded; ``calls(kind)`` filters them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import responses

Reply = tuple[int, dict[str, str], str]


@dataclass
class Issue:
    key: str
    status: str = "Open"
    fields: dict[str, Any] = field(default_factory=dict)
    labels: list[str] = field(default_factory=list)
    comments: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Call:
    method: str
    path: str
    body: Any
    status: int


class JiraStandIn:
    """One Jira site: ``cloud`` or Data Center, its service-desk projects, users, fields."""

    def __init__(
        self,
        url: str,
        *,
        cloud: bool,
        service_desks: frozenset[str] = frozenset({"SUP"}),
        users: dict[str, str] | None = None,  # DC user key → username
        custom_fields: dict[str, str] | None = None,  # id → display name
        roles: frozenset[str] = frozenset({"Developers", "Service Desk Team"}),
        user_fields: frozenset[str] = frozenset(),  # user-picker custom fields
    ) -> None:
        self.url = url.rstrip("/")
        self.cloud = cloud
        self.service_desks = service_desks
        self.users = users or {}
        self.custom_fields = custom_fields or {}
        self.roles = roles
        self.user_fields = user_fields
        self._body: Any = None
        self.issues: dict[str, Issue] = {}
        self.deleted: set[str] = set()  # issue keys that answer 404
        self.not_requests: set[str] = set()  # service-desk issues without a request type
        self.calls: list[Call] = []
        self._ids = iter(range(50_000, 10**9))

    def install(self, mock: responses.RequestsMock) -> None:
        for method in ("GET", "POST", "PUT", "DELETE"):
            mock.add_callback(method, re.compile(re.escape(self.url) + r"/.*"), self._route)

    def issue(self, key: str) -> Issue:
        return self.issues.setdefault(key, Issue(key))

    def made(self, method: str, pattern: str) -> list[Call]:
        """Calls that landed (2xx) with this method and a path matching ``pattern``."""
        return [
            c
            for c in self.calls
            if c.method == method and re.fullmatch(pattern, c.path) and c.status < 300
        ]

    def notified(self, body: str) -> set[str]:
        """Who this deployment notifies for a comment body: wiki mentions in its own form only
        (``[~accountid:<id>]`` on Cloud, ``[~username]`` on Data Center)."""
        if self.cloud:
            return set(re.findall(r"\[~accountid:([^\]]+)\]", body))
        return {m for m in re.findall(r"\[~([^\]]+)\]", body) if ":" not in m}

    def writes(self) -> list[Call]:
        return [c for c in self.calls if c.method != "GET" and c.status < 300]

    # --- routing -------------------------------------------------------------------------
    def _route(self, request: Any) -> Reply:
        parts = urlsplit(request.url)
        path, query = parts.path, parse_qs(parts.query)
        body = json.loads(request.body) if request.body else None
        routes = [
            ("GET", r"/rest/api/2/field", lambda m: self._fields()),
            ("GET", r"/rest/api/2/user", lambda m: self._user(query)),
            ("GET", r"/rest/api/2/project/([^/]+)", lambda m: self._project(m.group(1))),
            ("POST", r"/rest/servicedeskapi/request/([^/]+)/comment", self._jsm_comment),
            ("GET", r"/rest/api/2/issue/([^/]+)/comment", self._list_comments),
            ("POST", r"/rest/api/2/issue/([^/]+)/comment", self._comment),
            ("PUT", r"/rest/api/2/issue/([^/]+)/assignee", self._assign),
            ("GET", r"/rest/api/2/issue/([^/]+)/transitions", self._transitions),
            ("POST", r"/rest/api/2/issue/([^/]+)/transitions", self._transition),
            ("PUT", r"/rest/api/2/issue/([^/]+)", self._edit),
        ]
        reply: Reply = _error(404, f"no route for {request.method} {path}")
        for method, pattern, handler in routes:
            match = re.fullmatch(pattern, path)
            if request.method == method and match:
                self._body = body
                gone = "/issue/" in pattern and match.group(1) in self.deleted
                reply = _error(404, "Issue Does Not Exist") if gone else handler(match)
                break
        self.calls.append(Call(request.method, path, body, reply[0]))
        return reply

    # --- directory ----------------------------------------------------------------------
    def _fields(self) -> Reply:
        system = [{"id": "summary", "name": "Summary", "custom": False}]
        custom = [{"id": i, "name": n, "custom": True} for i, n in self.custom_fields.items()]
        return _ok(system + custom)

    def _user(self, query: dict[str, list[str]]) -> Reply:
        key = (query.get("key") or [""])[0]
        if self.cloud or key not in self.users:
            return _error(404, f"The user with the key '{key}' does not exist")
        return _ok({"key": key, "name": self.users[key], "displayName": self.users[key]})

    def _project(self, key: str) -> Reply:
        kind = "service_desk" if key in self.service_desks else "software"
        return _ok({"key": key, "projectTypeKey": kind})

    # --- comments -----------------------------------------------------------------------
    def _jsm_comment(self, match: re.Match[str]) -> Reply:
        key = match.group(1)
        if key in self.deleted or key.rpartition("-")[0] not in self.service_desks:
            return _error(404, f"Request '{key}' does not exist or is not a service desk issue")
        if key in self.not_requests:
            return _error(404, "Either you don't have access to this request type, or it doesn't "
                          "exist.")  # fmt: skip
        if not isinstance(self._body.get("body"), str):
            return _error(400, "body: the comment body must be a string")
        return self._add_comment(key, {"jsdPublic": bool(self._body.get("public"))})

    def _comment_problem(self, comment: dict[str, Any]) -> str | None:
        """Why Jira would refuse this v2 comment (None: it would take it)."""
        if not isinstance(comment.get("body"), str):
            return "comment: Operation value must be a string (ADF needs REST v3)"
        visibility = comment.get("visibility") or {}
        if visibility.get("type") == "role" and visibility.get("value") not in self.roles:
            return f"You are currently not a member of the project role: {visibility}"
        return None

    def _comment(self, match: re.Match[str]) -> Reply:
        problem = self._comment_problem(self._body)
        if problem:
            return _error(400, problem)
        kept = {k: self._body[k] for k in ("visibility", "properties") if self._body.get(k)}
        return self._add_comment(match.group(1), kept)

    def _add_comment(self, key: str, extra: dict[str, Any]) -> Reply:
        comment = {"id": str(next(self._ids)), "body": self._body["body"], **extra}
        self.issue(key).comments.append(comment)
        return _ok(comment, 201)

    def _list_comments(self, match: re.Match[str]) -> Reply:
        comments = list(reversed(self.issue(match.group(1)).comments))
        return _ok({"comments": comments, "total": len(comments)})

    # --- edits ---------------------------------------------------------------------------
    def _user_error(self, value: Any) -> str | None:
        """Why ``value`` is not a user in this deployment's form (None: it is)."""
        if value is None:
            return None
        wanted, wrong = ("accountId", "name") if self.cloud else ("name", "accountId")
        if not isinstance(value, dict) or wanted not in value or wrong in value:
            return f"expected a user given by '{wanted}' on this deployment, got {value!r}"
        return None

    def _assign(self, match: re.Match[str]) -> Reply:
        problem = self._user_error(self._body if any(self._body.values()) else None)
        if problem:
            return _error(400, problem, field="assignee")
        self.issue(match.group(1)).fields["assignee"] = self._body
        return 204, {}, ""

    def _edit(self, match: re.Match[str]) -> Reply:
        issue = self.issue(match.group(1))
        for op in (self._body.get("update") or {}).get("comment", []):  # Jira checks first
            problem = self._comment_problem(op.get("add") or {})
            if problem:
                return _error(400, problem, field="comment")
        for name, value in (self._body.get("fields") or {}).items():
            if name in self.user_fields:
                problem = self._user_error(value)
                if problem:
                    return _error(400, problem, field=name)
            issue.fields[name] = value
        for op in (self._body.get("update") or {}).get("comment", []):
            issue.comments.append({"id": str(next(self._ids)), **op["add"]})
        for op in (self._body.get("update") or {}).get("labels", []):
            if "add" in op and op["add"] not in issue.labels:
                issue.labels.append(op["add"])
            if "remove" in op and op["remove"] in issue.labels:
                issue.labels.remove(op["remove"])
        return 204, {}, ""

    # --- transitions ---------------------------------------------------------------------
    TRANSITIONS = {
        "11": ("Resolve", "Resolved", "done"),
        "21": ("Reopen", "Open", "indeterminate"),
        "31": ("Close", "Closed", "done"),
    }

    def _transitions(self, match: re.Match[str]) -> Reply:
        offered = [
            {"id": i, "name": n, "to": {"name": s, "statusCategory": {"key": c}}}
            for i, (n, s, c) in self.TRANSITIONS.items()
        ]
        return _ok({"transitions": offered})

    def _transition(self, match: re.Match[str]) -> Reply:
        wanted = str((self._body.get("transition") or {}).get("id"))
        if wanted not in self.TRANSITIONS:
            return _error(400, f"Transition id '{wanted}' is not valid for this issue.")
        self.issue(match.group(1)).status = self.TRANSITIONS[wanted][1]
        return 204, {}, ""


def _ok(data: Any, status: int = 200) -> Reply:
    return status, {"Content-Type": "application/json"}, json.dumps(data)


def _error(status: int, message: str, field: str | None = None) -> Reply:
    body = {
        "errorMessages": [] if field else [message],
        "errors": {field: message} if field else {},
    }
    return status, {"Content-Type": "application/json"}, json.dumps(body)
