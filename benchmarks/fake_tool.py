"""A fake Zendesk for the write-back benchmark: the REST shapes the connector uses, rate-limited.

Speaks what ``connectors/zendesk`` sends (see outbound.py, plan.py, tasks.py):

    GET    /api/v2/tickets/{id}.json             Show Ticket (tags, ``updated_at``)
    PUT    /api/v2/tickets/{id}.json             Update Ticket (comment, fields, status, tags,
                                                 followers; ``safe_update`` answers 409 when
                                                 ``updated_stamp`` is not the ticket's)
    PUT    /api/v2/tickets/{id}/tags.json        add tags
    DELETE /api/v2/tickets/{id}/tags.json        remove tags
    GET    /api/v2/tickets/{id}/comments.json    newest first (retries look for tco: markers)
    GET    /api/v2/search.json                   follow-up look-up by tag (always empty here)
    POST   /api/v2/tickets.json                  follow-up ticket (honours Idempotency-Key)

and, for Jira (Cloud shapes, REST v2 and the JSM request API):

    POST   /rest/servicedeskapi/request/{key}/comment   JSM comment (internal or public)
    POST   /rest/api/2/issue/{key}/comment              comment
    GET    /rest/api/2/issue/{key}/comment              newest first (retries look for markers)
    PUT    /rest/api/2/issue/{key}                      edit: fields, ``update.labels``
    PUT    /rest/api/2/issue/{key}/assignee             assign

Jira requests count against their own window of ``JIRA_PER_MINUTE`` requests (a site's
budget, above the bridge's own 300/minute pace).

and enforces Zendesk's limits of the smallest plan over a sliding window: 200 requests per
minute per account, of which at most 100 Update Ticket calls. The minute can be compressed
(``--window-s``: how many real seconds one Zendesk minute lasts) so a benchmark finishes in
reasonable time. Over a limit it answers 429 with ``Retry-After`` (seconds until the window
frees a slot, fractional because the window is scaled; Zendesk sends whole seconds). Refused
requests do not count against the window. Requests without Basic auth get 401.

``GET /_stats`` returns what happened: requests by kind, 429s sent, writes (PUT/DELETE/POST
that landed) per ticket, and which tickets carry a ``tco_owner_*`` tag. ``POST /_reset``
forgets everything.

    python benchmarks/fake_tool.py [--port 0] [--window-s 60]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter, deque
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ACCOUNT_PER_MINUTE = 200  # Team plan, account-wide
UPDATE_PER_MINUTE = 100  # Update Ticket, per account, every plan
JIRA_PER_MINUTE = 400  # the fake Jira site's budget

TICKET = re.compile(r"^/api/v2/tickets/(\d+)\.json$")
TAGS = re.compile(r"^/api/v2/tickets/(\d+)/tags\.json$")
COMMENTS = re.compile(r"^/api/v2/tickets/(\d+)/comments\.json$")
JIRA_JSM_COMMENT = re.compile(r"^/rest/servicedeskapi/request/([^/]+)/comment$")
JIRA_COMMENTS = re.compile(r"^/rest/api/2/issue/([^/]+)/comment$")
JIRA_ISSUE = re.compile(r"^/rest/api/2/issue/([^/]+)$")
JIRA_ASSIGNEE = re.compile(r"^/rest/api/2/issue/([^/]+)/assignee$")


class Tool:
    """The fake account: tickets, sliding windows and counters, behind one lock."""

    def __init__(self, window_s: float) -> None:
        self.window_s = window_s
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.account: deque[float] = deque()
        self.updates: deque[float] = deque()
        self.jira: deque[float] = deque()
        self.tags: dict[str, set[str]] = {}
        self.versions: Counter[str] = Counter()  # updates per ticket: its ``updated_at``
        self.comments: dict[str, list[dict[str, Any]]] = {}
        self.created: dict[str, int] = {}  # Idempotency-Key → follow-up ticket id
        self.requests: Counter[str] = Counter()
        self.writes: Counter[str] = Counter()
        self.refused: Counter[str] = Counter()
        self.next_id = 900_000

    def admit(self, is_update: bool, is_jira: bool = False) -> float | None:
        """Count the request in the windows; seconds until a slot frees when over a limit."""
        now = time.monotonic()
        for window in (self.account, self.updates, self.jira):
            while window and window[0] <= now - self.window_s:
                window.popleft()
        if is_jira:
            if len(self.jira) >= JIRA_PER_MINUTE:
                return self.jira[0] + self.window_s - now
            self.jira.append(now)
            return None
        if len(self.account) >= ACCOUNT_PER_MINUTE:
            return self.account[0] + self.window_s - now
        if is_update and len(self.updates) >= UPDATE_PER_MINUTE:
            return self.updates[0] + self.window_s - now
        self.account.append(now)
        if is_update:
            self.updates.append(now)
        return None

    def stats(self) -> dict[str, Any]:
        return {
            "window_s": self.window_s,
            "requests": dict(self.requests),
            "refused_429": sum(self.refused.values()),
            "refused_by_kind": dict(self.refused),
            "writes_by_ticket": dict(self.writes),
            "owner_tagged": sorted(
                t
                for t, tags in self.tags.items()
                if any(x.startswith(("tco_owner_", "tco-owner-")) for x in tags)
            ),
            "followups": len(self.created),
        }


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # one response is headers + body in two writes
    tool: Tool

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return None

    def do_GET(self) -> None:
        self._handle("GET")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def _handle(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw.strip() else {}
        path = urlsplit(self.path).path
        tool = self.tool
        if path == "/_stats":
            with tool.lock:
                return self._send(200, tool.stats())
        if path == "/_reset":
            with tool.lock:
                tool.reset()
            return self._send(200, {"ok": True})
        if not (self.headers.get("Authorization") or "").startswith("Basic "):
            return self._send(401, {"error": "Couldn't authenticate you"})
        kind, ticket = _route(method, path)
        if kind is None:
            return self._send(404, {"error": "InvalidEndpoint"})
        with tool.lock:
            tool.requests[kind] += 1
            wait = tool.admit(kind == "update_ticket", kind.startswith("jira_"))
            if wait is not None:
                tool.refused[kind] += 1
                return self._send(
                    429,
                    {"error": "APIRateLimitExceeded"},
                    {"Retry-After": f"{max(wait, 0.01):.2f}"},
                )
            status, answer = _apply(tool, kind, ticket, body, self.headers)
            if method != "GET" and status < 300 and ticket:
                tool.writes[ticket] += 1
        return self._send(status, answer)

    def _send(
        self, status: int, data: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        payload = b"" if status == 204 else json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)


def _route(method: str, path: str) -> tuple[str | None, str]:
    if path.startswith("/rest/"):
        return _jira_route(method, path)
    if (m := TICKET.match(path)) and method == "PUT":
        return "update_ticket", m.group(1)
    if (m := TICKET.match(path)) and method == "GET":
        return "show_ticket", m.group(1)
    if (m := TAGS.match(path)) and method in ("PUT", "DELETE"):
        return ("add_tags" if method == "PUT" else "remove_tags"), m.group(1)
    if (m := COMMENTS.match(path)) and method == "GET":
        return "list_comments", m.group(1)
    if path == "/api/v2/search.json" and method == "GET":
        return "search", ""
    if path == "/api/v2/tickets.json" and method == "POST":
        return "create_ticket", ""
    return None, ""


def _jira_route(method: str, path: str) -> tuple[str | None, str]:
    if (m := JIRA_JSM_COMMENT.match(path)) and method == "POST":
        return "jira_comment", m.group(1)
    if (m := JIRA_COMMENTS.match(path)) and method in ("GET", "POST"):
        return ("jira_list_comments" if method == "GET" else "jira_comment"), m.group(1)
    if (m := JIRA_ASSIGNEE.match(path)) and method == "PUT":
        return "jira_assign", m.group(1)
    if (m := JIRA_ISSUE.match(path)) and method == "PUT":
        return "jira_edit", m.group(1)
    return None, ""


def _apply_jira(tool: Tool, kind: str, key: str, body: dict[str, Any]) -> tuple[int, Any]:
    if kind == "jira_comment":
        tool.next_id += 1
        stored = {"id": str(tool.next_id), "body": body.get("body", "")}
        tool.comments.setdefault(key, []).append(stored)
        return 201, stored
    if kind == "jira_list_comments":
        return 200, {"comments": list(reversed(tool.comments.get(key, [])))}
    if kind == "jira_edit":
        labels = tool.tags.setdefault(key, set())
        for op in (body.get("update") or {}).get("labels", []):
            labels |= {op["add"]} if "add" in op else set()
            labels -= {op["remove"]} if "remove" in op else set()
        return 204, {}
    return 204, {}  # jira_assign


def _apply(
    tool: Tool, kind: str, ticket: str, body: dict[str, Any], headers: Any
) -> tuple[int, dict[str, Any]]:
    if kind.startswith("jira_"):
        return _apply_jira(tool, kind, ticket, body)
    if kind == "show_ticket":
        tags = sorted(tool.tags.get(ticket, ()))
        return 200, {
            "ticket": {"id": int(ticket), "tags": tags, "updated_at": _stamp(tool, ticket)}
        }
    if kind == "update_ticket":
        update = body.get("ticket") or {}
        if update.get("safe_update") and update.get("updated_stamp") != _stamp(tool, ticket):
            return 409, {"error": "UpdateConflict"}
        tool.versions[ticket] += 1
        if "tags" in update:
            tool.tags[ticket] = set(update["tags"])
        events: list[dict[str, Any]] = []
        comment = update.get("comment")
        if isinstance(comment, dict):
            tool.next_id += 1
            stored = {"id": tool.next_id, "body": comment.get("body", ""), **comment}
            tool.comments.setdefault(ticket, []).append(stored)
            events.append({"type": "Comment", "id": tool.next_id})
        return 200, {"ticket": {"id": int(ticket), **update}, "audit": {"events": events}}
    if kind in ("add_tags", "remove_tags"):
        tags = tool.tags.setdefault(ticket, set())
        change = set(body.get("tags") or ())
        tags |= change if kind == "add_tags" else set()
        tags -= change if kind == "remove_tags" else set()
        return 200, {"tags": sorted(tags)}
    if kind == "list_comments":
        return 200, {"comments": list(reversed(tool.comments.get(ticket, []))), "next_page": None}
    if kind == "search":
        return 200, {"results": [], "count": 0}
    key = headers.get("Idempotency-Key") or ""
    if key not in tool.created:
        tool.next_id += 1
        tool.created[key] = tool.next_id
    return 201, {"ticket": {"id": tool.created[key], **(body.get("ticket") or {})}}


def _stamp(tool: Tool, ticket: str) -> str:
    return f"2026-01-01T00:00:00Z+{tool.versions[ticket]}"


def serve(port: int, window_s: float) -> None:
    handler = type("BoundHandler", (Handler,), {"tool": Tool(window_s)})
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.daemon_threads = True
    print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


@contextmanager
def running(window_s: float) -> Iterator[str]:
    """Run the fake in a subprocess on a free loopback port; yields its base URL."""
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__)), "--port", "0", "--window-s", str(window_s)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        if not url.startswith("http://"):
            raise RuntimeError("the fake ticket tool did not start")
        stats(url)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def stats(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url + "/_stats", timeout=10) as answer:
        data: dict[str, Any] = json.loads(answer.read())
        return data


def reset(url: str) -> None:
    request = urllib.request.Request(url + "/_reset", method="POST", data=b"")
    with urllib.request.urlopen(request, timeout=10):
        pass


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--port", type=int, default=0, help="0: a free port (printed)")
    parser.add_argument(
        "--window-s", type=float, default=60.0, help="real seconds one Zendesk minute lasts"
    )
    args = parser.parse_args()
    serve(args.port, args.window_s)


if __name__ == "__main__":
    main()
