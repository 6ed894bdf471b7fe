"""What the fault tests share: a stand-in Zendesk that can fail or hold requests on cue, real
bridge processes, and a private Redis (AOF on) the test can restart.

The stand-in is the benchmark's fake Zendesk (``benchmarks/fake_tool.py``: the REST shapes the
connector sends, comments with their ``tco:`` markers, tags, follow-ups by Idempotency-Key)
served from a thread of the test, with a fault plan in front of it: the n-th request of a
kind can be answered 429/503 without landing, or held (landing once released), so a test can
kill a worker while that request is in flight. ``landed`` counts the requests that reached the
fake, by kind: what a real Zendesk would have applied.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from benchmarks.fake_tool import Handler, Tool, _route
from tco_bridge import keys
from tco_bridge.actions import Action, ActionKind, TaskSpec, action_id
from tco_bridge.embedded_redis import EmbeddedRedis

ROOT = Path(__file__).resolve().parents[2]
TICKET = "4242"
ZENDESK_ENV = {
    "TCO_CONNECTORS": "zendesk",
    "TCO_ZENDESK_EMAIL": "bridge@acme.test",
    "TCO_ZENDESK_API_TOKEN": "zendesk-api-token-never-logged",
    "TCO_ZENDESK_WEBHOOK_SECRET": "zendesk-webhook-secret-for-tests",
    "TCO_ZENDESK_BOT_USER_ID": "900",
    "TCO_LOG_LEVEL": "INFO",
}


@dataclass
class Fault:
    kind: str  # a request kind of the fake: show_ticket, update_ticket, search, ...
    nth: int = 1  # the n-th request of that kind (1 = the first)
    status: int | None = None  # answer this without landing; None: hold, then land
    retry_after: str = "1"


@dataclass
class FaultPlan:
    faults: list[Fault] = field(default_factory=list)
    seen: Counter[str] = field(default_factory=Counter)
    answered: list[tuple[str, int]] = field(default_factory=list)  # faults sent: kind, status
    held: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, kind: str) -> Fault | None:
        with self.lock:
            self.seen[kind] += 1
            for fault in self.faults:
                if fault.kind == kind and fault.nth == self.seen[kind]:
                    return fault
        return None


class StandIn:
    """The fake Zendesk on a loopback port, with a fault plan."""

    def __init__(self) -> None:
        self.tool = Tool(window_s=60.0)
        self.plan = FaultPlan()
        plan = self.plan

        class Faulty(Handler):
            tool = self.tool

            def _handle(self, method: str) -> None:
                kind, _ = _route(method, urlsplit(self.path).path)
                fault = plan.take(kind) if kind else None
                if fault is not None and fault.status is None:
                    plan.held.set()
                    plan.release.wait(60)  # then land: the tool got it, whoever asked died
                elif fault is not None and fault.status is not None:
                    self.rfile.read(int(self.headers.get("Content-Length") or 0))
                    with plan.lock:
                        plan.answered.append((kind or "", fault.status))
                    headers = {"Retry-After": fault.retry_after}
                    return self._send(fault.status, {"error": "injected"}, headers)
                super()._handle(method)

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a client killed mid-request: expected here

        self.server = Server(("127.0.0.1", 0), Faulty)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> StandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.plan.release.set()
        self.server.shutdown()
        self.server.server_close()

    def landed(self) -> Counter[str]:
        with self.tool.lock:
            return Counter(self.tool.requests)

    def comments(self, ticket: str = TICKET) -> list[str]:
        with self.tool.lock:
            return [str(c.get("body", "")) for c in self.tool.comments.get(ticket, [])]

    def tags(self, ticket: str = TICKET) -> set[str]:
        with self.tool.lock:
            return set(self.tool.tags.get(ticket, set()))


def group_actions(ticket: str = TICKET, trigger: str = "t1", note: bool = True) -> list[Action]:
    """One write-back group touching every request kind: an internal note, a tag added, a tag
    removed, the owner's tag, a field and a status (one Update Ticket, after reading the
    ticket's tags) and a follow-up ticket (a search, then a create). Without the note, the
    update carries no comment, so no marker a retry could find: only done markers count."""

    def make(kind: ActionKind, rule: str, **kw: Any) -> Action:
        aid = action_id("zendesk", ticket, rule, trigger)
        return Action(id=aid, connector="zendesk", ticket=ticket, kind=kind, rule=rule, **kw)

    nudge = make(ActionKind.NOTE, "nudge", text="Anna, the customer is waiting", mention=("501",))
    return [nudge] * note + [
        make(ActionKind.ADD_LABEL, "flag", label="tco_escalated"),
        make(ActionKind.REMOVE_LABEL, "unflag", label="awaiting_confirmation"),
        make(ActionKind.SET_OWNER, "owner", owner="501", field="tag"),
        make(ActionKind.SET_FIELD, "prio", field="priority", value="high"),
        make(ActionKind.TRANSITION, "reopen", status="open"),
        make(
            ActionKind.CREATE_TASK,
            "review",
            task=TaskSpec(kind="followup", summary="Review the support notes", assignee="501"),
        ),
    ]


def push_group(client: Any, actions: list[Action]) -> None:
    group = {
        "connector": actions[0].connector,
        "ticket": actions[0].ticket,
        "actions": [a.to_json() for a in actions],
    }
    client.rpush(keys.OUTBOX, json.dumps(group))


def assert_each_action_landed_once(stand_in: StandIn, actions: list[Action]) -> None:
    """The note, tags, owner, field and status travel in one Update Ticket, the follow-up in one
    create: one request of each reached the tool, so nothing was sent again after it landed
    (a field or a status has no trace to look for: only its done marker keeps it from being
    sent twice)."""
    landed = stand_in.landed()
    notes = [c for c in stand_in.comments() if any(a.id in c for a in actions)]
    assert len(notes) == any(a.kind is ActionKind.NOTE for a in actions), stand_in.comments()
    assert landed["update_ticket"] == 1, landed
    assert landed["create_ticket"] == 1, landed
    assert len(stand_in.tool.created) == 1
    tags = stand_in.tags()
    assert {"tco_escalated", "tco_owner_501"} <= tags and "awaiting_confirmation" not in tags


def wait_for(check: Callable[[], Any], timeout: float, what: str, step: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout}s for {what}")
        time.sleep(step)


# --- real processes ----------------------------------------------------------------------------
class Processes:
    """Bridge processes (``python -m tco_bridge.cli <role>``) with their logs, stopped at exit."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = {**os.environ, **env}
        self.logs = logs
        self.running: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        with (self.logs / f"{name}.log").open("ab") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "tco_bridge.cli", *args],
                env=self.env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.running[name] = proc
        return proc

    def start_many(self, roles: list[tuple[str, ...]]) -> None:
        """Start ``(name, *args)`` each, at the same moment (as a Procfile runner does)."""
        for name, *args in roles:
            self.start(name, *args)

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")

    def kill(self, name: str) -> None:
        proc = self.running.pop(name)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)

    def alive(self) -> dict[str, int | None]:
        return {name: proc.poll() for name, proc in self.running.items()}

    def stop_all(self) -> None:
        for proc in self.running.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.running.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        self.running.clear()


@contextmanager
def processes(env: dict[str, str], logs: Path) -> Iterator[Processes]:
    procs = Processes(env, logs)
    try:
        yield procs
    finally:
        procs.stop_all()


@contextmanager
def private_redis(data_dir: Path) -> Iterator[EmbeddedRedis]:
    """A redis-server of the test's own, AOF on, that the test may restart on the same port."""
    server = EmbeddedRedis(data_dir, persist=True).start()
    try:
        yield server
    finally:
        server.stop()


def restart(server: EmbeddedRedis, down_s: float = 1.0) -> None:
    """Stop Redis (SIGTERM: the AOF is flushed), stay down ``down_s``, start it again."""
    server.stop()
    time.sleep(down_s)
    server.start()
