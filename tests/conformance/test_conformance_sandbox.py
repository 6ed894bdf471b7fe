"""The sandbox passes the connector conformance kit.

The sandbox has no remote API (its write-back is a SQLite transaction), so the HTTP retry
table is skipped by ``remote_api = False``; everything else runs against a fresh database per
test, and the convention checks read what was written back from it (``written``). Samples are
real deliveries: the sandbox's own store makes the changes and its outbox hands the signed
webhooks to a recording emitter.
"""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import responses

from connectors.sandbox import SandboxConnector, SandboxSettings
from connectors.sandbox.model import Person
from connectors.sandbox.webhook import sign
from tco_bridge.actions import Action, ActionKind
from tco_bridge.events import EventType
from tco_bridge.testing import ConnectorConformance, Sample, Write

SECRET = "sandbox-conformance-secret"
BOT = "tco-bridge-bot"
CAROL = Person("carol", "requester", "Carol")
ALICE = Person("alice", "agent", "Alice")


class Recorder:
    """An emitter that keeps the deliveries instead of posting them to a bridge."""

    def __init__(self) -> None:
        self.sent: list[tuple[dict[str, str], bytes]] = []

    def __call__(self, headers: Mapping[str, str], body: bytes) -> None:
        self.sent.append((dict(headers), body))


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


def sandbox(db: Path, recorder: Recorder | None = None) -> SandboxConnector:
    env = {"TCO_SANDBOX_DB": str(db), "TCO_SANDBOX_WEBHOOK_SECRET": SECRET}
    env["TCO_SANDBOX_BOT_ACCOUNT"] = BOT
    return SandboxConnector(SandboxSettings.from_env(env), recorder or Recorder(), clock=Clock())


def new_ticket(conn: SandboxConnector, subject: str) -> str:
    with conn.store.transaction() as tx:
        return tx.create_ticket(CAROL, subject, CAROL, "high", "service-desk")


@functools.cache
def deliveries() -> tuple[tuple[dict[str, str], bytes], ...]:
    """ticket.created, an agent's comment and the bot's note, as the sandbox sends them."""
    recorder = Recorder()
    with tempfile.TemporaryDirectory() as folder:
        conn = sandbox(Path(folder) / "samples.sqlite", recorder)
        ticket = new_ticket(conn, "VPN drops")
        with conn.store.transaction() as tx:
            tx.add_comment(ticket, ALICE, "Looking into it", public=True)
        conn.outbox.flush()
        note = Action("tco-sample-note", "sandbox", ticket, ActionKind.NOTE, "r", text="Nudge")
        conn.perform([note])
        conn.close()
    return tuple(recorder.sent)


class TestSandboxConformance(ConnectorConformance):
    name = "sandbox"
    ticket = "SBX-1"
    requester = CAROL.id
    group = "l2"
    remote_api = False

    @pytest.fixture(autouse=True)
    def _database(self, tmp_path: Path) -> Iterator[None]:
        self.db = tmp_path / "sandbox.sqlite"
        self.built: list[SandboxConnector] = []
        setup = sandbox(self.db)
        assert new_ticket(setup, "VPN drops") == self.ticket  # in group service-desk
        setup.close()
        yield
        for conn in self.built:
            conn.close()

    def env(self) -> dict[str, str]:
        return {
            "TCO_SANDBOX_DB": str(self.db),
            "TCO_SANDBOX_WEBHOOK_SECRET": SECRET,
            "TCO_SANDBOX_BOT_ACCOUNT": BOT,
        }

    def build(self) -> SandboxConnector:
        """As the bridge builds it, but webhooks go to a recorder instead of an HTTP POST."""
        conn = SandboxConnector(SandboxSettings.from_env(self.env()), Recorder(), clock=Clock())
        self.built.append(conn)
        return conn

    def sign(self, body: bytes, secret: str, at: datetime) -> dict[str, str]:
        return {"X-Sandbox-Signature": sign(secret, body)}

    def samples(self) -> Sequence[Sample]:
        created, commented, noted = deliveries()
        return [
            Sample("created", created[1], [(EventType.CREATED, "SBX-1#0000000001")], created[0]),
            Sample(
                "agent-comment",
                commented[1],
                [(EventType.COMMENT_ADDED, "SBX-1#0000000002")],
                commented[0],
            ),
            Sample(
                "bot-note",
                noted[1],
                [(EventType.COMMENT_ADDED, "SBX-1#0000000003")],
                noted[0],
                by_bot=True,
            ),
        ]

    def stub_note(self, api: responses.RequestsMock, action: Action, *, written: bool) -> None:
        if written:  # an earlier attempt got through
            assert self.connector.perform([action])[0].ok

    def stub_task(self, api: responses.RequestsMock, action: Action, *, created: bool) -> str:
        if created:  # an earlier attempt got through (or this test's first run did)
            return str(self.connector.perform([action])[0].remote_id)
        return "TASK-1"

    def stub_open_tickets(self, api: responses.RequestsMock) -> list[str]:
        second = new_ticket(self._sandbox(), "Printer on fire")
        return [self.ticket, second]

    def stub_public_reply(self, api: responses.RequestsMock, action: Action) -> None:
        return None  # a comment row, read back by written()

    def stub_unassign(self, api: responses.RequestsMock, action: Action) -> None:
        """Give the ticket an assignee to clear."""
        with self._sandbox().store.transaction() as tx:
            tx.update(self.ticket, ALICE, "assignee", ALICE.id)

    def stub_group_mention(self, api: responses.RequestsMock, action: Action) -> None:
        return None

    def written(self, action: Action) -> Sequence[Write]:
        """The comment rows the action wrote, or the ticket's assignee and group."""
        found = self._sandbox().store.ticket(action.ticket)
        if action.kind is ActionKind.ASSIGN:
            fields = {"assignee": found["assignee"], "group": found["group"]}
            return [Write("UPDATE", f"tickets/{action.ticket}", fields)]
        keep = ("body", "public", "mentions", "action_id")
        return [
            Write("INSERT", "comments", {k: c[k] for k in keep})
            for c in found["comments"]
            if c["action_id"] == action.id
        ]

    def _sandbox(self) -> SandboxConnector:
        assert isinstance(self.connector, SandboxConnector)
        return self.connector
