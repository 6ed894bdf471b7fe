"""Write-back end to end: outbox → RQ (real queue, in-process SimpleWorker) → HTTP connector.

The ticket tool is faked at the HTTP layer with ``responses``; every stub must fire. Delayed
jobs are released by RQ's own scheduler, run by the worker in burst mode; to reach a retry due
in minutes without waiting, the scheduler's clock (``rq.scheduler.current_timestamp``) is moved
forward, so what runs is exactly what RQ would run at that time.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar

import pytest
import redis
import requests
import responses
import rq.scheduler
from click.testing import CliRunner
from responses import RequestsMock
from rq import SimpleWorker
from rq.registry import ScheduledJobRegistry
from rq.serializers import JSONSerializer

from tco_bridge import failed, keys, outbox, retry, telemetry, writeback
from tco_bridge.actions import Action, ActionKind, action_id
from tco_bridge.cli.failed import failed_group
from tco_bridge.config import Settings
from tco_bridge.connector import ConnectorBase, Delivery, Outcome, TicketRecord
from tco_bridge.retry import raise_for_response, transport_error
from tco_bridge.runtime import Runtime, current, install

API = "https://tool.example.test/api"
TOKEN = "tok-9f8e7d6c5b4a-very-secret"
POST_RE = re.compile(rf"{re.escape(API)}/tickets/[^/]+/actions")
MARK_RE = re.compile(rf"{re.escape(API)}/tickets/[^/]+/marks/[^/]+")


class ToolConnector(ConnectorBase):
    """A small HTTP connector: one POST per action, a GET per action to find its trace."""

    name: ClassVar[str] = "tool"
    write_limits: ClassVar[Mapping[str, str]] = {"account": "1000/second"}

    def __init__(self, token: str) -> None:
        self.token = token
        self.webhook_secret: str | None = None
        self.bot_account: str | None = "bridge-bot"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ToolConnector:
        return cls(env["TCO_TOOL_API_TOKEN"])

    def verify(self, headers: Mapping[str, str], body: bytes, now: datetime) -> None:
        return None

    def parse(self, headers: Mapping[str, str], body: bytes) -> Delivery:
        return Delivery(None, [])

    def perform(self, actions: Sequence[Action], *, check_existing: bool = False) -> list[Outcome]:
        return [self._one(a, check_existing) for a in actions]

    def _one(self, action: Action, check_existing: bool) -> Outcome:
        auth = {"Authorization": f"Bearer {self.token}"}
        if check_existing:
            path = f"/tickets/{action.ticket}/marks/{action.id}"
            found = self._call("GET", path, auth, None)
            if found is not None:
                return Outcome(action.id, True, "already there", skipped=True)
        path = f"/tickets/{action.ticket}/actions"
        body = {"id": action.id, "kind": action.kind.value, "text": action.text}
        answer = self._call("POST", path, auth, body)
        return Outcome(action.id, True, "posted", remote_id=str((answer or {}).get("id")))

    def _call(
        self, method: str, path: str, auth: dict[str, str], body: Any
    ) -> dict[str, Any] | None:
        try:
            r = requests.request(method, API + path, json=body, headers=auth, timeout=5)
        except requests.RequestException as exc:
            raise transport_error(self.name, f"{method} {path}", exc) from None
        if method == "GET" and r.status_code == 404:
            return None
        raise_for_response(self.name, r.status_code, r.headers, f"{method} {path}", r.text)
        data: dict[str, Any] = r.json()
        return data

    def open_tickets(self) -> Iterator[TicketRecord]:
        return iter(())


class FakeTool:
    """The tool's API: answers POSTs from a script (then 201), remembers what was written."""

    def __init__(
        self, *answers: tuple[int, dict[str, str]], limit: int | None = None, lost: bool = False
    ) -> None:
        self.answers = list(answers)
        self.lost = lost  # failures happen after the write landed (a proxy's 504, a timeout)
        self.limit = limit  # answer 429 past ``limit`` writes in a second, like a real tool
        self.posts: list[tuple[float, str]] = []
        self.written: list[str] = []
        self.statuses: list[int] = []
        self.lock = threading.Lock()

    def post(self, request: Any) -> tuple[int, dict[str, str], str]:
        action = json.loads(request.body)["id"]
        now = time.time()
        with self.lock:
            self.posts.append((now, action))
            status, headers = self.answers.pop(0) if self.answers else (201, {})
            if self.limit is not None:
                # 50 ms slack: the limiter stamps a call a moment before the request leaves
                recent = [t for t, _ in self.posts if t > now - 1.0 + 0.05]
                if len(recent) > self.limit:
                    status, headers = 429, {"Retry-After": "1"}
            self.statuses.append(status)
            if self.lost:
                self.written.append(action)
            if status >= 300:  # a careless tool that echoes the request's credentials
                echo = {"error": "no", "echo": request.headers.get("Authorization")}
                return status, headers, json.dumps(echo)
            if not self.lost:
                self.written.append(action)
            return status, headers, json.dumps({"id": len(self.written)})

    def mark(self, request: Any) -> tuple[int, dict[str, str], str]:
        action = request.url.rsplit("/", 1)[1]
        found = action in self.written
        return (200, {}, "{}") if found else (404, {}, "{}")

    def install(self, mock: RequestsMock, *, marks: bool = False) -> None:
        mock.add_callback(responses.POST, POST_RE, callback=self.post)
        if marks:
            mock.add_callback(responses.GET, MARK_RE, callback=self.mark)


# --- fixtures and helpers ----------------------------------------------------------------------
@pytest.fixture
def make_rt(redis_url: str, redis_client: redis.Redis) -> Iterator[Callable[..., Runtime]]:
    built: list[Runtime] = []

    def build(connector: Any = None, **options: Any) -> Runtime:
        env = {"TCO_TOOL_API_TOKEN": TOKEN}
        settings = Settings(queue="wbtest", env=env, **options)
        conn = connector or ToolConnector.from_env(env)
        rt = Runtime(settings=settings, redis_url=redis_url, connectors={"tool": conn})
        install(rt)
        built.append(rt)
        return rt

    yield build
    install(None)
    for rt in built:
        rt.redis.close()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[float], None]:
    """Move RQ's scheduler clock ``seconds`` ahead of real time."""

    def ahead(seconds: float) -> None:
        monkeypatch.setattr(rq.scheduler, "current_timestamp", lambda: int(time.time() + seconds))

    return ahead


def action(ticket: str = "T-1", rule: str = "nudge", trigger: str = "t1", **kw: Any) -> Action:
    kw.setdefault("kind", ActionKind.NOTE)
    kw.setdefault("text", "Please update the customer")
    aid = action_id("tool", ticket, rule, trigger)
    return Action(id=aid, connector="tool", ticket=ticket, rule=rule, **kw)


def push(rt: Runtime, *actions: Action) -> dict[str, Any]:
    """What the drain worker does after committing a batch."""
    group = {
        "connector": actions[0].connector,
        "ticket": actions[0].ticket,
        "actions": [a.to_json() for a in actions],
    }
    rt.redis.rpush(keys.OUTBOX, json.dumps(group))
    return group


def work(rt: Runtime) -> None:
    worker = SimpleWorker([rt.queue], connection=rt.redis, serializer=JSONSerializer)
    worker.work(burst=True, with_scheduler=True)


def scheduled(rt: Runtime) -> list[tuple[str, float]]:
    registry = ScheduledJobRegistry(queue=rt.queue)
    raw = rt.redis.zrange(registry.key, 0, -1, withscores=True)
    return [(k.decode(), score) for k, score in raw]


def scheduled_kwargs(rt: Runtime) -> dict[str, Any]:
    (job_id, _), *_ = scheduled(rt)
    job = rt.queue.fetch_job(job_id)
    assert job is not None
    kwargs: dict[str, Any] = job.kwargs
    return kwargs


def counted(result: str, kind: str = "note") -> float:
    return telemetry.value(
        current().redis, telemetry.WRITEBACK_ACTIONS, connector="tool", kind=kind, result=result
    )


def is_done(rt: Runtime, a: Action) -> bool:
    return bool(rt.redis.exists(keys.done(a.id)))


# --- tests ---------------------------------------------------------------------------------------
def test_success_marks_done_and_a_replay_writes_nothing(make_rt: Callable[..., Runtime]) -> None:
    rt = make_rt()
    note = action()
    tool = FakeTool()
    performed, skipped = counted("performed"), counted("skipped")
    with RequestsMock(assert_all_requests_are_fired=True) as mock:
        tool.install(mock)
        push(rt, note)
        assert outbox.dispatch_outbox(rt) == 1
        work(rt)
        assert tool.written == [note.id]
        assert is_done(rt, note)
        push(rt, note)  # the same group again, e.g. a replayed event
        assert outbox.dispatch_outbox(rt) == 1
        work(rt)
    assert len(tool.posts) == 1
    assert (counted("performed"), counted("skipped")) == (performed + 1, skipped + 1)
    assert rt.redis.llen(keys.OUTBOX) == 0
    assert rt.redis.zcard(outbox.CLAIMED) == 0


def test_dispatch_twice_queues_a_group_once(make_rt: Callable[..., Runtime]) -> None:
    rt = make_rt()
    note = action()
    push(rt, note)
    push(rt, note)
    assert outbox.dispatch_outbox(rt) == 1
    push(rt, note)
    assert outbox.dispatch_outbox(rt) == 0
    assert rt.queue.count == 1
    assert rt.queue.job_ids == [outbox.group_id("tool", "T-1", [note.id])]


def test_dispatch_from_several_processes_queues_each_group_once(
    make_rt: Callable[..., Runtime], redis_url: str
) -> None:
    rt = make_rt()
    for n in range(60):
        push(rt, action(ticket=f"T-{n}"))
    counts: list[int] = []

    def one() -> None:
        other = Runtime(settings=rt.settings, redis_url=redis_url, connectors=rt.connectors)
        counts.append(outbox.dispatch_outbox(other))
        other.redis.close()

    threads = [threading.Thread(target=one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(counts) == 60
    assert rt.queue.count == 60


def test_a_dispatcher_that_died_after_claiming_loses_nothing(
    make_rt: Callable[..., Runtime],
) -> None:
    rt = make_rt()
    note = action()
    group = json.dumps({"connector": "tool", "ticket": "T-1", "actions": [note.to_json()]})
    rt.redis.zadd(outbox.CLAIMED, {group: time.time() - outbox.CLAIM_STALE_S - 1})
    assert outbox.dispatch_outbox(rt) == 1
    assert rt.redis.zcard(outbox.CLAIMED) == 0


def test_429_waits_at_least_retry_after_then_succeeds(
    make_rt: Callable[..., Runtime], clock: Callable[[float], None]
) -> None:
    rt = make_rt()
    note = action()
    tool = FakeTool((429, {"Retry-After": "7"}))
    retried = counted("retried")
    with RequestsMock(assert_all_requests_are_fired=True) as mock:
        tool.install(mock, marks=True)
        push(rt, note)
        outbox.dispatch_outbox(rt)
        before = time.time()
        work(rt)
        [(_, due)] = scheduled(rt)
        assert due >= int(before + 7)
        assert scheduled_kwargs(rt)["attempt"] == 2
        clock(max(0.0, due - time.time() - 2))  # 2 s before it is due: nothing runs
        work(rt)
        assert len(tool.posts) == 1
        clock(3600)
        work(rt)
    assert tool.statuses == [429, 201]
    assert counted("retried") == retried + 1
    assert tool.written == [note.id]
    assert scheduled(rt) == []
    assert is_done(rt, note)


def test_503_is_retried_with_a_check_for_an_earlier_write(
    make_rt: Callable[..., Runtime], clock: Callable[[float], None]
) -> None:
    rt = make_rt()
    note = action()
    tool = FakeTool((503, {}))
    with RequestsMock(assert_all_requests_are_fired=True) as mock:
        tool.install(mock, marks=True)  # the retry must look for the note first
        push(rt, note)
        outbox.dispatch_outbox(rt)
        work(rt)
        assert len(scheduled(rt)) == 1
        clock(3600)
        work(rt)
    assert tool.statuses == [503, 201]
    assert tool.written == [note.id]


def test_a_write_that_landed_before_its_failure_is_not_written_again(
    make_rt: Callable[..., Runtime], clock: Callable[[float], None]
) -> None:
    rt = make_rt()
    note = action()
    tool = FakeTool((504, {}), lost=True)
    with RequestsMock(assert_all_requests_are_fired=True) as mock:
        tool.install(mock, marks=True)
        push(rt, note)
        outbox.dispatch_outbox(rt)
        work(rt)
        clock(3600)
        work(rt)
    assert tool.statuses == [504]  # the retry found the note and did not post again
    assert tool.written == [note.id]
    assert is_done(rt, note)


def test_400_is_parked_at_once_and_failed_retry_replays_it_once(
    make_rt: Callable[..., Runtime], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    rt = make_rt()
    note = action()
    tool = FakeTool((400, {}))
    with RequestsMock(assert_all_requests_are_fired=True) as mock:
        tool.install(mock, marks=True)
        push(rt, note)
        outbox.dispatch_outbox(rt)
        work(rt)
        assert scheduled(rt) == [] and rt.queue.count == 0
        [parked] = failed.all_parked(rt)
        assert parked.status == 400 and parked.error_type == "PermanentApiError"
        assert parked.attempts == 1 and [a["id"] for a in parked.actions] == [note.id]
        assert "POST /tickets/T-1/actions answered 400" in parked.message
        runner = CliRunner()
        listing = runner.invoke(failed_group, ["list"], obj=rt)
        assert listing.exit_code == 0 and parked.id in listing.output
        replay = runner.invoke(failed_group, ["retry", parked.id], obj=rt)
        assert replay.exit_code == 0, replay.output
        work(rt)
    assert tool.statuses == [400, 201]
    assert tool.written == [note.id]
    assert failed.all_parked(rt) == []
    assert TOKEN not in parked.message and "***" in parked.message
    assert TOKEN not in caplog.text


def test_retries_run_out_then_the_group_is_parked(
    make_rt: Callable[..., Runtime], clock: Callable[[float], None]
) -> None:
    rt = make_rt(write_retries=2)
    note = action()
    tool = FakeTool((503, {}), (502, {}), (504, {}))
    parked_before = counted("parked")
    with RequestsMock(assert_all_requests_are_fired=True) as mock:
        tool.install(mock, marks=True)
        push(rt, note)
        outbox.dispatch_outbox(rt)
        for _ in range(4):
            work(rt)
            clock(3600 * 24)
    assert tool.statuses == [503, 502, 504]
    [parked] = failed.all_parked(rt)
    assert parked.attempts == 3 and parked.status == 504
    assert counted("parked") == parked_before + 1
    assert parked.first_failed < parked.last_failed
    assert not is_done(rt, note)


def test_partial_success_marks_what_landed(
    make_rt: Callable[..., Runtime], clock: Callable[[float], None]
) -> None:
    rt = make_rt()
    first, second, third = (action(trigger=f"t{n}") for n in range(3))
    tool = FakeTool((201, {}), (503, {}))
    with RequestsMock(assert_all_requests_are_fired=True) as mock:
        tool.install(mock, marks=True)
        push(rt, first, second, third)
        outbox.dispatch_outbox(rt)
        work(rt)
        assert is_done(rt, first) and not is_done(rt, second)
        left = [a["id"] for a in scheduled_kwargs(rt)["actions"]]
        assert left == [second.id, third.id]
        clock(3600)
        work(rt)
    assert tool.written == [first.id, second.id, third.id]
    assert all(is_done(rt, a) for a in (first, second, third))


def test_a_batching_connector_gets_the_group_in_one_call_and_retries_find_what_landed(
    make_rt: Callable[..., Runtime], clock: Callable[[float], None]
) -> None:
    calls: list[tuple[list[str], bool]] = []

    class Batching(ToolConnector):
        batch_writes: ClassVar[bool] = True

        def perform(
            self, actions: Sequence[Action], *, check_existing: bool = False
        ) -> list[Outcome]:
            calls.append(([a.id for a in actions], check_existing))
            return super().perform(actions, check_existing=check_existing)

    rt = make_rt(connector=Batching(TOKEN))
    first, second = action(trigger="t1"), action(trigger="t2")
    tool = FakeTool((201, {}), (503, {}))
    with RequestsMock(assert_all_requests_are_fired=True) as mock:
        tool.install(mock, marks=True)
        push(rt, first, second)
        outbox.dispatch_outbox(rt)
        work(rt)
        assert not is_done(rt, first)  # the call raised: its outcomes are unknown
        clock(3600)
        work(rt)
    assert calls == [([first.id, second.id], False), ([first.id, second.id], True)]
    assert tool.written == [first.id, second.id]


def test_a_refusal_mid_group_parks_only_what_is_left(make_rt: Callable[..., Runtime]) -> None:
    rt = make_rt()
    first, second, third = (action(trigger=f"t{n}") for n in range(3))
    tool = FakeTool((201, {}), (422, {}))
    with RequestsMock(assert_all_requests_are_fired=True) as mock:
        tool.install(mock)
        push(rt, first, second, third)
        outbox.dispatch_outbox(rt)
        work(rt)
    [parked] = failed.all_parked(rt)
    assert [a["id"] for a in parked.actions] == [second.id, third.id]
    assert is_done(rt, first)


def test_shadow_mode_calls_nothing_and_records_what_it_would_do(
    make_rt: Callable[..., Runtime], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="tco_bridge")
    rt = make_rt(shadow=True)
    note = action(mention=("agent-7",))
    assign = action(trigger="t2", kind=ActionKind.ASSIGN, text=None, assignee="agent-9")
    with RequestsMock(assert_all_requests_are_fired=True):  # no stub: any HTTP call fails
        push(rt, note, assign)
        outbox.dispatch_outbox(rt)
        work(rt)
    entries = [json.loads(e) for e in rt.redis.lrange(keys.SHADOW, 0, -1)]
    assert {(e["kind"], e["ticket"], e["rule"]) for e in entries} == {
        ("note", "T-1", "nudge"),
        ("assign", "T-1", "nudge"),
    }
    assert any("assignee=agent-9" in e["target"] for e in entries)
    assert "shadow: would assign on tool:T-1 (rule nudge): assignee=agent-9" in caplog.text
    assert not is_done(rt, note) and failed.all_parked(rt) == []


def test_rate_limit_keeps_the_tool_under_its_limit(
    make_rt: Callable[..., Runtime], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ToolConnector, "write_limits", {"account": "5/second"})
    rt = make_rt()
    notes = [action(ticket=f"T-{n}") for n in range(20)]
    tool = FakeTool(limit=5)
    deadline = time.time() + 30
    with RequestsMock(assert_all_requests_are_fired=True) as mock:
        tool.install(mock)
        for note in notes:
            push(rt, note)
        assert outbox.dispatch_outbox(rt) == 20
        while len(tool.written) < 20 and time.time() < deadline:
            work(rt)
            time.sleep(0.1)
    assert 429 not in tool.statuses
    assert sorted(tool.written) == sorted(n.id for n in notes)
    stamps = [t for t, _ in tool.posts]
    assert max(sum(1 for s in stamps if t - 0.95 < s <= t) for t in stamps) <= 5
    assert stamps[-1] - stamps[0] >= 3.0  # 20 writes at 5 a second


def test_a_connector_bug_is_parked_with_its_type_and_no_secret(
    make_rt: Callable[..., Runtime], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    class Broken(ToolConnector):
        def perform(
            self, actions: Sequence[Action], *, check_existing: bool = False
        ) -> list[Outcome]:
            raise KeyError(f"https://bot:{self.token}@tool.example.test/ {self.token}")

    rt = make_rt(connector=Broken(TOKEN))
    push(rt, action())
    outbox.dispatch_outbox(rt)
    work(rt)
    [parked] = failed.all_parked(rt)
    assert parked.error_type == "KeyError" and parked.status is None
    assert TOKEN not in parked.message and "https://***@tool.example.test" in parked.message
    assert TOKEN not in caplog.text
    assert TOKEN not in json.dumps([p.to_json() for p in failed.all_parked(rt)])


def test_unreadable_write_limits_park_the_group(
    make_rt: Callable[..., Runtime], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ToolConnector, "write_limits", {"account": "plenty"})
    rt = make_rt()
    push(rt, action())
    outbox.dispatch_outbox(rt)
    with RequestsMock(assert_all_requests_are_fired=True):
        work(rt)
    [parked] = failed.all_parked(rt)
    assert parked.error_type == "ConfigError" and "write_limits['account']" in parked.message


def test_an_unknown_connector_is_parked(make_rt: Callable[..., Runtime]) -> None:
    rt = make_rt()
    ghost = Action(id="tco-ghost", connector="ghost", ticket="9", kind=ActionKind.NOTE, rule="r")
    push(rt, ghost)
    outbox.dispatch_outbox(rt)
    work(rt)
    [parked] = failed.all_parked(rt)
    assert parked.connector == "ghost" and parked.error_type == "UnknownConnector"


def test_a_busy_ticket_waits_without_using_an_attempt(make_rt: Callable[..., Runtime]) -> None:
    rt = make_rt()
    rt.redis.set(keys.write_lock("tool", "T-1"), "another-job", px=60_000)
    push(rt, action())
    outbox.dispatch_outbox(rt)
    with RequestsMock(assert_all_requests_are_fired=True):
        work(rt)
    assert scheduled_kwargs(rt)["attempt"] == 1


def test_retry_delay_honours_retry_after_and_caps_backoff() -> None:
    assert 7.0 <= retry.delay(1, 7.0) <= 7.7  # the tool said when: then, not later
    assert 5.0 <= retry.delay(1, None) <= 10.0
    assert retry.delay(40, None) <= retry.BACKOFF_CAP_S
    assert 3600.0 <= retry.delay(40, 3600.0) <= 3602.0


def test_a_write_held_by_the_limit_is_logged_and_shown_on_the_ticket(
    make_rt: Callable[..., Runtime],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from tco_bridge.state import new_state
    from tco_bridge.state_codec import encode
    from tco_bridge.web import create_app

    monkeypatch.setattr(ToolConnector, "write_limits", {"ticket": "1/minute"})
    rt = make_rt()
    rt.redis.set(keys.ticket("tool", "T-1"), encode(new_state("tool", "T-1")))
    first, second = action(rule="pickup", trigger="a"), action(rule="cadence", trigger="b")
    api = create_app(runtime=rt).test_client()
    tool = FakeTool()
    with RequestsMock(assert_all_requests_are_fired=True) as mock, caplog.at_level("INFO"):
        tool.install(mock)
        push(rt, first)
        outbox.dispatch_outbox(rt)
        work(rt)
        assert api.get("/tickets/tool/T-1").get_json()["write_back_held"] is None
        push(rt, second)
        outbox.dispatch_outbox(rt)
        work(rt)
    assert tool.written == [first.id]
    shown = api.get("/tickets/tool/T-1").get_json()["write_back_held"]
    assert shown["reason"] == "rate_limit"
    assert shown["actions"] == [{"id": second.id, "kind": "note", "rule": "cadence"}]
    assert shown["until"] > shown["since"]
    [held_line] = [r for r in caplog.records if "held" in r.getMessage()]
    assert held_line.levelname == "INFO"
    assert "tool:T-1 (rules cadence) held" in held_line.getMessage()

    monkeypatch.setattr(ToolConnector, "write_limits", {"ticket": "100/minute"})
    with RequestsMock(assert_all_requests_are_fired=True) as mock:
        tool.install(mock)
        writeback.perform_group("tool", "T-1", [second.to_json()], attempt=1)
    assert tool.written == [first.id, second.id]
    assert api.get("/tickets/tool/T-1").get_json()["write_back_held"] is None
