"""A small kit for end-to-end practice stories: real Redis, real RQ worker, real clock, and a
Zendesk faked at the HTTP layer that records every write the connector sends.

A :class:`Story` owns a runtime, the Flask test client and a virtual clock (``rt.now``). Agents
and the customer act on a :class:`ZTicket` kept by :class:`FakeZendesk`; each action becomes a
signed event-subscription webhook built from the real fixture shapes (``payloads.py``), POSTed
to ``/webhooks/zendesk``, and drained by an in-process ``rq.SimpleWorker``. Moving the clock
fires timers in time order through ``Clock(rt).tick()``. The fake applies the bridge's writes
to its ticket (status, assignee, group, tags), so later webhooks carry what Zendesk would, and
:meth:`Story.echo` sends back what Zendesk would say about the bridge's own writes (authored by
the bot user).
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import payloads as p
import responses
from rq import SimpleWorker
from webhook_kit import BASE_ENV, zendesk_signed

from tco_bridge import keys
from tco_bridge.clock import Clock
from tco_bridge.failed import FAILED
from tco_bridge.timers import TimerStore
from tco_bridge.web import create_app
from tco_bridge.writeback import JOB, enqueue_group

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_RULES = ROOT / "rules" / "default.yaml"
BASE = "https://acme.zendesk.com"

# Monday 5 January 2026, 09:00 in Berlin (08:00 UTC): a plain business day.
T0 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)

BOT = BASE_ENV["TCO_ZENDESK_BOT_USER_ID"]
CUSTOMER = "8447388090101"  # not payloads.Z_CUSTOMER: that id is the Service Desk lead's
ALICE = p.Z_ANNA  # front-line agent
BOB = "8447388090555"  # front-line agent, Alice's backup
ERIN = p.Z_ENGINEER  # L2 network engineer
FRONTLINE = p.Z_FRONTLINE  # rules/default.yaml: service_desk
L2 = "8447320466431"  # rules/default.yaml: l2_network
LEAD_SD = "8447388090001"  # lead of service_desk
LEAD_L2 = "8447388090002"
NAMES = {
    ALICE: "Alice Agent",
    BOB: "Bob Backup",
    ERIN: "Erin Engineer",
    CUSTOMER: "Carol Customer",
    BOT: "tco-bridge",
}

_MENTION = re.compile(r"Zendesk user (\d+)")


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


def days(n: float) -> timedelta:
    return timedelta(days=n)


def rules_with(tmp_path: Path, *changes: tuple[str, str]) -> str:
    """A copy of rules/default.yaml with exact text replacements (each must match once)."""
    text = DEFAULT_RULES.read_text()
    for old, new in changes:
        assert text.count(old) == 1, f"expected exactly one {old!r} in default.yaml"
        text = text.replace(old, new)
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    return str(path)


# --- the fake ticket tool --------------------------------------------------------------------


@dataclass
class ZTicket:
    """What Zendesk knows about a ticket (REST spellings: new/open/pending/hold/solved/closed)."""

    id: str
    created_at: datetime
    subject: str = "VPN drops every hour"
    status: str = "new"
    priority: str | None = "normal"
    type: str | None = "incident"
    group: str | None = FRONTLINE
    assignee: str | None = None
    requester: str = CUSTOMER
    tags: list[str] = field(default_factory=list)
    followers: list[str] = field(default_factory=list)
    version: int = 0  # bumped by every update: what ``updated_at`` stands for


@dataclass(frozen=True)
class Write:
    method: str
    path: str
    body: Any
    ticket: str | None
    before: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Note:
    """One note or reply as it reached Zendesk: text, mentioned ids, public or not."""

    ticket: str
    text: str
    mentions: tuple[str, ...]
    public: bool


def parse_comment(ticket: str, comment: dict[str, Any]) -> list[Note]:
    """Split a comment the connector wrote into its notes (the last block holds markers)."""
    blocks = str(comment["body"]).split("\n\n")
    assert all(
        re.fullmatch(r"(ref )?tco:tco-[0-9a-f]{20}", line) for line in blocks[-1].splitlines()
    ), f"comment does not end with its markers: {comment['body']!r}"
    notes = []
    for block in blocks[:-1]:
        lines = block.split("\n")
        mentions: tuple[str, ...] = ()
        last = lines[-1]
        if len(lines) > 1 and (last.startswith("@") or last.startswith("group ")):
            found = []
            for part in last.split(", "):
                match = _MENTION.search(part)
                found.append(match.group(1) if match else "group:" + part.removeprefix("group "))
            mentions, lines = tuple(found), lines[:-1]
        notes.append(Note(ticket, "\n".join(lines), mentions, bool(comment.get("public"))))
    return notes


_NOT_FIELDS = frozenset({"comment", "followers", "tags", "safe_update", "updated_stamp"})


class FakeZendesk:
    """Answers the connector's REST calls in Zendesk's shapes and records every write."""

    def __init__(self) -> None:
        self.tickets: dict[str, ZTicket] = {}
        self.writes: list[Write] = []
        self.reads: list[tuple[str, str]] = []
        self.unexpected: list[str] = []
        self.comments: dict[str, list[dict[str, Any]]] = {}
        self.created_by_key: dict[str, str] = {}
        self.created_at_write: dict[int, str] = {}  # index in writes → new ticket id
        self.conflicts = 0  # safe updates refused with 409
        #: Per internal note written: (ticket, comment body, followers then). Zendesk e-mails
        #: a ticket's followers about every comment, public or private: they hear of it.
        self.emailed: list[tuple[str, str, tuple[str, ...]]] = []
        self._ids = itertools.count(9001)

    def install(self, mock: responses.RequestsMock) -> None:
        # One callback per method: ``responses`` drops the first of several matching entries
        # after one use, so routes are matched here instead.
        for method in ("GET", "POST", "PUT", "DELETE", "PATCH"):
            mock.add_callback(method, re.compile(".*"), callback=self._route)

    def _route(self, request: Any) -> tuple[int, dict[str, str], str]:
        api = re.escape(BASE) + "/api/v2"
        routes = [
            ("PUT", api + r"/tickets/(\d+)\.json", self._update),
            ("GET", api + r"/tickets/(\d+)\.json", self._show),
            ("PUT", api + r"/tickets/(\d+)/tags\.json", self._tags),
            ("DELETE", api + r"/tickets/(\d+)/tags\.json", self._tags),
            ("GET", api + r"/tickets/(\d+)/comments\.json(\?.*)?", self._comments),
            ("GET", api + r"/search\.json(\?.*)?", self._search),
            ("POST", api + r"/tickets\.json", self._create),
        ]
        for method, pattern, handler in routes:
            if request.method == method and re.fullmatch(pattern, request.url):
                return handler(request)
        return self._refuse(request)

    # --- views of what reached the tool --------------------------------------------------
    def since(self, mark: int) -> list[Write]:
        return self.writes[mark:]

    def notes(self, ticket: str | None = None, since: int = 0) -> list[Note]:
        out = []
        for w in self.writes[since:]:
            comment = w.body.get("ticket", {}).get("comment") if w.method == "PUT" else None
            if w.path.endswith(f"/tickets/{w.ticket}.json") and comment:
                out += parse_comment(str(w.ticket), comment)
        return [n for n in out if ticket is None or n.ticket == ticket]

    def updates(self, ticket: str, since: int = 0) -> list[dict[str, Any]]:
        """Ticket update bodies without their comment, followers and tags (status, assignee,
        group, fields); see ``notified`` and ``tag_changes`` for those."""
        path = f"/api/v2/tickets/{ticket}.json"
        out = []
        for w in self.writes[since:]:
            if w.method == "PUT" and w.path == path:
                body = {k: v for k, v in w.body["ticket"].items() if k not in _NOT_FIELDS}
                if body:
                    out.append(body)
        return out

    def tag_changes(self, ticket: str, since: int = 0) -> list[tuple[str, list[str]]]:
        """Tags added (``+``) and removed (``-``) by each update that sent a tag list."""
        path = f"/api/v2/tickets/{ticket}.json"
        out: list[tuple[str, list[str]]] = []
        for w in self.writes[since:]:
            if w.method != "PUT" or w.path != path or "tags" not in w.body["ticket"]:
                continue
            before, after = w.before["tags"], w.body["ticket"]["tags"]
            added = [t for t in after if t not in before]
            removed = [t for t in before if t not in after]
            out += [("+", added)] if added else []
            out += [("-", removed)] if removed else []
        return out

    def notified(self, ticket: str) -> list[tuple[str, set[str]]]:
        """Each internal note on ``ticket`` (its text) and the agents Zendesk e-mails it to."""
        out = []
        for ticket_id, body, followers in self.emailed:
            if ticket_id == ticket:
                for note in parse_comment(ticket, {"body": body, "public": False}):
                    out.append((note.text, set(followers)))
        return out

    def followers(self, ticket: str, since: int = 0) -> list[str]:
        """Users made followers of the ticket, in the order the updates named them."""
        path = f"/api/v2/tickets/{ticket}.json"
        return [
            str(f["user_id"])
            for w in self.writes[since:]
            if w.method == "PUT" and w.path == path
            for f in w.body["ticket"].get("followers", [])
        ]

    def tasks(self, since: int = 0) -> list[dict[str, Any]]:
        return [
            w.body["ticket"]
            for w in self.writes[since:]
            if w.method == "POST" and w.path == "/api/v2/tickets.json"
        ]

    # --- handlers ------------------------------------------------------------------------
    def _record(self, request: Any, ticket: str | None, before: dict[str, Any]) -> Write:
        body = json.loads(request.body) if request.body else None
        path = urlsplit(request.url).path
        write = Write(request.method, path, body, ticket, before)
        self.writes.append(write)
        return write

    def _show(self, request: Any) -> tuple[int, dict[str, str], str]:
        ticket_id = re.search(r"/tickets/(\d+)\.json", request.url).group(1)  # type: ignore[union-attr]
        self.reads.append(("GET", urlsplit(request.url).path))
        t = self.tickets[ticket_id]
        followers = [int(f) for f in t.followers]
        answer = {"id": int(ticket_id), "status": t.status, "tags": t.tags,
                  "follower_ids": followers, "updated_at": _version(t)}  # fmt: skip
        return 200, {}, json.dumps({"ticket": answer})

    def _update(self, request: Any) -> tuple[int, dict[str, str], str]:
        ticket_id = re.search(r"/tickets/(\d+)\.json", request.url).group(1)  # type: ignore[union-attr]
        t = self.tickets[ticket_id]
        changes = json.loads(request.body)["ticket"]
        if changes.get("safe_update") and changes.get("updated_stamp") != _version(t):
            self.conflicts += 1
            return 409, {}, json.dumps({"error": "UpdateConflict"})
        before = {"status": t.status, "assignee_id": t.assignee, "group_id": t.group,
                  "tags": list(t.tags)}  # fmt: skip
        self._record(request, ticket_id, before)
        t.version += 1
        if "status" in changes:
            t.status = changes["status"]
        if "assignee_id" in changes:
            t.assignee = None if changes["assignee_id"] is None else str(changes["assignee_id"])
        if "group_id" in changes:
            t.group = None if changes["group_id"] is None else str(changes["group_id"])
        if "tags" in changes:
            t.tags = list(changes["tags"])
        for follower in changes.get("followers", []):
            if str(follower["user_id"]) not in t.followers:
                t.followers.append(str(follower["user_id"]))
        events = []
        if "comment" in changes:
            comment_id = next(self._ids)
            stored = {"id": comment_id, "type": "Comment", **changes["comment"]}
            self.comments.setdefault(ticket_id, []).append(stored)
            events.append({"id": comment_id, "type": "Comment", "public": stored["public"]})
            if not stored["public"]:
                self.emailed.append((ticket_id, stored["body"], tuple(t.followers)))
        answer = {
            "ticket": {"id": int(ticket_id), "status": t.status, "tags": t.tags},
            "audit": {"id": next(self._ids), "ticket_id": int(ticket_id), "events": events},
        }
        return 200, {}, json.dumps(answer)

    def _tags(self, request: Any) -> tuple[int, dict[str, str], str]:
        ticket_id = re.search(r"/tickets/(\d+)/tags", request.url).group(1)  # type: ignore[union-attr]
        t = self.tickets[ticket_id]
        write = self._record(request, ticket_id, {"tags": list(t.tags)})
        if request.method == "PUT":
            t.tags += [tag for tag in write.body["tags"] if tag not in t.tags]
        else:
            t.tags = [tag for tag in t.tags if tag not in write.body["tags"]]
        return 200, {}, json.dumps({"tags": t.tags})

    def _comments(self, request: Any) -> tuple[int, dict[str, str], str]:
        ticket_id = re.search(r"/tickets/(\d+)/comments", request.url).group(1)  # type: ignore[union-attr]
        self.reads.append(("GET", urlsplit(request.url).path))
        newest_first = list(reversed(self.comments.get(ticket_id, [])))
        return 200, {}, json.dumps({"comments": newest_first, "next_page": None})

    def _search(self, request: Any) -> tuple[int, dict[str, str], str]:
        query = parse_qs(urlsplit(request.url).query).get("query", [""])[0]
        self.reads.append(("GET", f"search {query}"))
        tag = query.removeprefix("type:ticket tags:")
        found = [
            {"id": int(t.id), "subject": t.subject, "tags": t.tags}
            for t in self.tickets.values()
            if tag in t.tags
        ]
        return 200, {}, json.dumps({"results": found, "count": len(found), "next_page": None})

    def _create(self, request: Any) -> tuple[int, dict[str, str], str]:
        key = request.headers.get("Idempotency-Key", "")
        if key in self.created_by_key:
            self.reads.append(("POST", "replayed create"))
            answer = {"ticket": {"id": int(self.created_by_key[key])}}
            return 201, {"x-idempotency-lookup": "hit"}, json.dumps(answer)
        write = self._record(request, None, {})
        spec = write.body["ticket"]
        new_id = str(next(self._ids))
        self.created_by_key[key] = new_id
        self.created_at_write[len(self.writes) - 1] = new_id
        self.tickets[new_id] = ZTicket(
            id=new_id,
            created_at=T0,
            subject=spec["subject"],
            status="new",
            priority=None,
            type="task",
            group=None,
            assignee=str(spec.get("assignee_id")) if spec.get("assignee_id") else None,
            requester=BOT,
            tags=list(spec.get("tags", [])),
        )
        return 201, {}, json.dumps({"ticket": {"id": int(new_id), "subject": spec["subject"]}})

    def _refuse(self, request: Any) -> tuple[int, dict[str, str], str]:
        self.unexpected.append(f"{request.method} {request.url}")
        return 404, {}, json.dumps({"error": "RecordNotFound", "description": "Not found"})


# --- the story -------------------------------------------------------------------------------


def _version(t: ZTicket) -> str:
    """The ticket's ``updated_at`` as the fake reports it: one second per update."""
    return _iso(t.created_at + timedelta(seconds=t.version))


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000000000Z")


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Worker(SimpleWorker):
    """RQ's in-process worker without its remote-control channel: ``unsubscribe`` joins the
    pubsub thread with a one-second timeout, which would cost a second per burst here. Jobs
    are dequeued, run and recorded exactly as by ``SimpleWorker``."""

    def subscribe(self) -> None:
        pass

    def unsubscribe(self) -> None:
        pass


class Story:
    """One or more tickets lived through the real stack on a virtual clock."""

    def __init__(self, rt: Any, fake: FakeZendesk, start: datetime = T0) -> None:
        self.rt = rt
        self.fake = fake
        self.now = start
        rt.now = lambda: self.now
        self.client = create_app(runtime=rt).test_client()
        self.timers = TimerStore(rt.redis, rt.settings.shards)
        self.delivered: list[bytes] = []
        self.groups: list[dict[str, Any]] = []
        self._echoed = 0
        self._replaying = False
        self._events = itertools.count(1)
        self._spy_writebacks()

    def _spy_writebacks(self) -> None:
        """Remember every write-back group queued, so :meth:`replay` can run them again."""
        queue = self.rt.queue
        enqueue = queue.enqueue

        def spy(f: Any, *args: Any, **kwargs: Any) -> Any:
            if f == JOB and not self._replaying and kwargs.get("kwargs", {}).get("attempt") == 1:
                self.groups.append(kwargs["kwargs"])
            return enqueue(f, *args, **kwargs)

        queue.enqueue = spy

    # --- what people do in Zendesk ----------------------------------------------------------
    def create(
        self,
        ticket: str,
        at: datetime | None = None,
        *,
        priority: str | None = "normal",
        type: str | None = "incident",
        tags: tuple[str, ...] = (),
    ) -> dict[str, Any]:
        at = at or self.now
        t = ZTicket(ticket, at, priority=priority, type=type, tags=list(tags))
        self.fake.tickets[ticket] = t
        return self.deliver(self._payload(t, p.zendesk_created(ticket), "created", at, CUSTOMER))

    def comment(
        self, ticket: str, at: datetime, author: str, body: str, *, public: bool = True
    ) -> None:
        t = self.fake.tickets[ticket]
        cid = str(next(self._events) + 70000)
        base = p.zendesk_comment(ticket, "-", cid, author, 0, public)
        staff = author != t.requester
        base["event"]["comment"].update(body=body, is_public=public)
        base["event"]["comment"]["author"] = {
            "id": author,
            "is_staff": staff,
            "name": NAMES.get(author, "Someone"),
        }
        self.deliver(self._payload(t, base, "comment_added", at, author))
        if staff and public and t.status == "new":  # Zendesk opens a new ticket on a reply
            self.status(ticket, at, "open", author)

    def group(self, ticket: str, at: datetime, group: str, actor: str = ALICE) -> None:
        t = self.fake.tickets[ticket]
        change = {"previous": {"id": t.group}, "current": {"id": group}}
        t.group = group
        base = p.zendesk_group_change(ticket, "-", 0)
        self.deliver(self._payload(t, base, "group_assignment_changed", at, actor, change))

    def assign(self, ticket: str, at: datetime, assignee: str | None, actor: str = ALICE) -> None:
        t = self.fake.tickets[ticket]
        change = {"previous": {"id": t.assignee}, "current": {"id": assignee}}
        t.assignee = assignee
        base = p.zendesk_assignee_change(ticket, "-", 0)
        self.deliver(self._payload(t, base, "agent_assignment_changed", at, actor, change))

    def status(self, ticket: str, at: datetime, status: str, actor: str = ALICE) -> None:
        t = self.fake.tickets[ticket]
        change = {"previous": t.status.upper(), "current": status.upper()}
        t.status = status
        base = p.zendesk_created(ticket)
        self.deliver(self._payload(t, base, "status_changed", at, actor, change))

    # --- plumbing ---------------------------------------------------------------------------
    def _payload(
        self,
        t: ZTicket,
        data: dict[str, Any],
        kind: str,
        at: datetime,
        actor: str,
        change: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The fixture envelope with this ticket's current ``detail`` (as Zendesk sends it)."""
        data["id"] = f"zd-{t.id}-{next(self._events):04d}"
        data["type"] = f"zen:event-type:ticket.{kind}"
        data["time"] = _stamp(at)
        data["detail"].update(
            id=t.id,
            actor_id=actor,
            requester_id=t.requester,
            submitter_id=t.requester,
            assignee_id=t.assignee,
            group_id=t.group,
            status=t.status.upper(),
            priority=t.priority.upper() if t.priority else None,
            type=t.type.upper() if t.type else None,
            tags=list(t.tags),
            subject=t.subject,
            created_at=_iso(t.created_at),
            updated_at=_iso(at),
        )
        if change is not None:
            data["event"] = change
        return data

    def deliver(self, payload: dict[str, Any]) -> dict[str, Any]:
        """POST a signed webhook at its own time (the clock moves there first), then drain."""
        at = datetime.fromisoformat(payload["time"][:19] + "+00:00")
        if at > self.now:
            self.advance(at)
        raw = json.dumps(payload).encode()
        answer = self._post(raw)
        assert answer["status"] == "accepted", answer
        self.delivered.append(raw)
        self.work()
        return answer

    def _post(self, raw: bytes) -> dict[str, Any]:
        response = self.client.post("/webhooks/zendesk", data=raw, headers=zendesk_signed(raw))
        assert response.status_code == 202, response.json
        answer: dict[str, Any] = response.json
        return answer

    def work(self) -> None:
        """Run the RQ worker in burst until nothing is queued, then check nothing went wrong."""
        for _ in range(100):
            if self.rt.queue.count == 0 and not self.rt.redis.llen(keys.OUTBOX):
                break
            worker = Worker(
                [self.rt.queue], connection=self.rt.redis, serializer=self.rt.queue.serializer
            )
            worker.work(burst=True, with_scheduler=False)
        self.check()

    def check(self) -> None:
        assert not self.fake.unexpected, f"unexpected requests: {self.fake.unexpected}"
        parked = self.rt.redis.hvals(FAILED)
        assert not parked, f"parked write-backs: {parked}"
        assert self.rt.queue.failed_job_registry.count == 0, "an RQ job failed"
        assert self.rt.queue.scheduled_job_registry.count == 0, "a write-back was deferred"
        assert self.rt.queue.count == 0

    def tick(self) -> None:
        """One clock pass at the current virtual time, repeated while timers fall due now."""
        while True:
            Clock(self.rt).tick()
            self.work()
            nxt = self.timers.next_due()
            if nxt is None or nxt > self.now:
                return

    def advance(self, to: datetime | timedelta) -> None:
        """Move the clock to ``to``, firing every timer on the way at its due time."""
        target = self.now + to if isinstance(to, timedelta) else to
        while (nxt := self.timers.next_due()) is not None and nxt <= target:
            self.now = max(self.now, nxt)
            self.tick()
        self.now = max(self.now, target)
        self.tick()

    def view(self, ticket: str) -> dict[str, Any]:
        response = self.client.get(f"/tickets/zendesk/{ticket}")
        assert response.status_code == 200, response.json
        view: dict[str, Any] = response.json
        return view

    # --- presence -------------------------------------------------------------------------
    def away(
        self, agent: str, backup: str | None = None, until: datetime | None = None
    ) -> list[str]:
        body = {"backup": backup, "until": until.isoformat() if until else None}
        self.advance(timedelta(seconds=1))  # marked after what happened so far, not at its instant
        response = self.client.post(f"/agents/zendesk/{agent}/away", json=body)
        assert response.status_code == 202, response.json
        self.work()
        told: list[str] = response.json["tickets_told"]
        return told

    def back(self, agent: str) -> list[str]:
        self.advance(timedelta(seconds=1))
        response = self.client.delete(f"/agents/zendesk/{agent}/away")
        assert response.status_code == 202, response.json
        self.work()
        told: list[str] = response.json["tickets_told"]
        return told

    # --- the bridge's own writes come back, deliveries repeat -------------------------------
    def echo(self) -> int:
        """Deliver what Zendesk reports about the bridge's writes, authored by the bot user."""
        sent = 0
        for index in range(self._echoed, len(self.fake.writes)):
            for kind, t, change, comment in self._echo_events(index):
                base = p.zendesk_created(t.id)
                if comment is not None:
                    base = p.zendesk_comment(t.id, "-", str(comment["id"]), BOT, 0, False)
                    base["event"]["comment"].update(
                        body=comment["body"], is_public=comment["public"]
                    )
                    base["event"]["comment"]["author"] = {
                        "id": BOT,
                        "is_staff": True,
                        "name": NAMES[BOT],
                    }
                self.deliver(self._payload(t, base, kind, self.now, BOT, change))
                sent += 1
        self._echoed = len(self.fake.writes)
        return sent

    def _echo_events(self, index: int) -> Iterator[tuple[str, ZTicket, Any, Any]]:
        w = self.fake.writes[index]
        if w.method == "POST":
            yield "created", self.fake.tickets[self.fake.created_at_write[index]], None, None
            return
        t = self.fake.tickets[str(w.ticket)]
        changes = w.body["ticket"]
        if "tags" in changes:
            before, after = w.before["tags"], changes["tags"]
            added = [tag for tag in after if tag not in before]
            removed = [tag for tag in before if tag not in after]
            yield "tags_changed", t, {"tags_added": added, "tags_removed": removed}, None
        if "comment" in changes:
            stored = self.fake.comments[t.id][-1]
            comment = next(
                (c for c in self.fake.comments[t.id] if c["body"] == changes["comment"]["body"]),
                stored,
            )
            yield "comment_added", t, None, comment
        if "status" in changes:
            prev = {"previous": w.before["status"].upper(), "current": changes["status"].upper()}
            yield "status_changed", t, prev, None
        if "assignee_id" in changes:
            prev = {"previous": {"id": w.before["assignee_id"]}, "current": {"id": t.assignee}}
            yield "agent_assignment_changed", t, prev, None
        if "group_id" in changes:
            prev = {"previous": {"id": w.before["group_id"]}, "current": {"id": t.group}}
            yield "group_assignment_changed", t, prev, None

    def replay(self) -> None:
        """Deliver every webhook again (the receiver's dedupe answers), then again after the
        dedupe window (the state's own dedupe answers), run every write-back group again (done
        markers answer), and run the worker and the clock once more."""
        for raw in self.delivered:
            assert self._post(raw)["status"] == "duplicate"
        for name in self.rt.redis.scan_iter(match=keys.PREFIX + ":dedupe:*"):
            self.rt.redis.delete(name)
        for raw in self.delivered:
            assert self._post(raw)["status"] == "accepted"
        self.work()
        self._replaying = True
        try:
            for group in self.groups:
                enqueue_group(self.rt, group["connector"], group["ticket"], group["actions"])
            self.work()
        finally:
            self._replaying = False
        for shard in range(self.rt.settings.shards):
            self.rt.events.enqueue_drain(shard)
        self.tick()

    def assert_settled(self, *tickets: str) -> None:
        """The bridge's echo writes nothing and moves no ownership (it may bring the state in
        line with what the bridge itself did to the ticket); after it, every kind of
        repetition changes nothing and writes nothing."""
        writes = list(self.fake.writes)
        owners = {t: (self.view(t)["owner"], self.view(t)["touches"]) for t in tickets}
        self.echo()
        assert self.fake.writes == writes, [
            (w.method, w.path, w.body) for w in self.fake.writes[len(writes) :]
        ]
        assert {t: (self.view(t)["owner"], self.view(t)["touches"]) for t in tickets} == owners
        fields = ("owner", "assignee", "group", "status", "timers", "touches", "escalation_path")
        before = {t: {k: self.view(t)[k] for k in fields} for t in tickets}
        self.replay()
        assert self.fake.writes == writes, [
            (w.method, w.path, w.body) for w in self.fake.writes[len(writes) :]
        ]
        for t in tickets:
            assert {k: self.view(t)[k] for k in fields} == before[t]


@contextmanager
def story_on(rt: Any, start: datetime = T0) -> Iterator[Story]:
    fake = FakeZendesk()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake.install(mock)
        yield Story(rt, fake, start)
