"""The sandbox's SQLite file: schema, connections and transactions.

The web process and every worker process open the same file, so:

* WAL mode lets readers work while one process writes;
* each thread of each process gets its own connection (sqlite3 connections must not cross
  threads, and must never be used on both sides of a ``fork``: a forking RQ worker would
  otherwise share the parent's file locks);
* switching a file to WAL takes an exclusive lock, and SQLite answers "database is locked" at
  once, without its busy handler, while another process holds one (several processes starting
  at the same moment on a fresh file): the switch is retried until ``BUSY_TIMEOUT_MS``;
* every write runs in ``BEGIN IMMEDIATE``, taking the write lock up front, so a
  read-then-write (an idempotency check, the next ticket number) cannot interleave with
  another process's; ``busy_timeout`` makes the loser wait instead of failing.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BUSY_TIMEOUT_MS = 10_000

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS tickets (
        n INTEGER PRIMARY KEY AUTOINCREMENT,
        subject TEXT NOT NULL,
        requester TEXT NOT NULL,
        requester_name TEXT,
        status TEXT NOT NULL,
        priority TEXT NOT NULL,
        assignee TEXT,
        grp TEXT,
        type TEXT,
        labels TEXT NOT NULL DEFAULT '[]',
        fields TEXT NOT NULL DEFAULT '{}',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        deleted INTEGER NOT NULL DEFAULT 0)""",
    """CREATE TABLE IF NOT EXISTS comments (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        ticket_n INTEGER NOT NULL REFERENCES tickets(n),
        author TEXT NOT NULL,
        author_name TEXT,
        role TEXT NOT NULL,
        body TEXT NOT NULL,
        public INTEGER NOT NULL,
        mentions TEXT NOT NULL DEFAULT '[]',
        action_id TEXT,
        created_at TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS comments_by_ticket ON comments (ticket_n, id)",
    """CREATE TABLE IF NOT EXISTS tasks (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        ticket_n INTEGER NOT NULL REFERENCES tickets(n),
        kind TEXT NOT NULL,
        summary TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        assignee TEXT,
        status TEXT NOT NULL DEFAULT 'open',
        action_id TEXT UNIQUE,
        created_at TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS tasks_by_ticket ON tasks (ticket_n, id)",
    """CREATE TABLE IF NOT EXISTS performed (
        action_id TEXT PRIMARY KEY,
        ticket TEXT NOT NULL,
        kind TEXT NOT NULL,
        remote_id TEXT,
        detail TEXT NOT NULL DEFAULT '',
        at TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS event_log (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        delivery TEXT NOT NULL UNIQUE,
        event TEXT NOT NULL,
        ticket TEXT NOT NULL,
        at TEXT NOT NULL,
        body BLOB NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS outbox (
        seq INTEGER PRIMARY KEY REFERENCES event_log(seq),
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        last_attempt_at TEXT)""",
)


class Database:
    """One SQLite file, one connection per thread and process."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        # Connections inherited through fork are parked here, never used or closed: closing
        # one in the child could drop the WAL the parent still relies on.
        self._inherited: list[sqlite3.Connection] = []
        with self.write() as conn:
            for statement in SCHEMA:
                conn.execute(statement)
            columns = {row["name"] for row in conn.execute("PRAGMA table_info(tickets)")}
            if "type" not in columns:  # a sandbox file from before tickets had a type
                conn.execute("ALTER TABLE tickets ADD COLUMN type TEXT")

    def connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid == os.getpid():
            return conn
        if conn is not None:
            self._inherited.append(conn)
        conn = self._connect()
        self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=True
        )
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        _switch_to_wal(conn)
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        return conn

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction holding the write lock from its first statement."""
        conn = self.connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: one consistent view across several queries."""
        conn = self.connection()
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            conn.execute("COMMIT")

    def generated_secret(self) -> str:
        """The installation's webhook secret, created by whichever process asks first."""
        with self.write() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('webhook_secret', ?)",
                (secrets.token_hex(32),),
            )
            row = conn.execute("SELECT value FROM meta WHERE key = 'webhook_secret'").fetchone()
        return str(row["value"])

    def close(self) -> None:
        """Close this thread's connection (tests, shutdown)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid == os.getpid():
            conn.close()
        self._local.conn = None


def _switch_to_wal(conn: sqlite3.Connection) -> None:
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    delay = 0.005
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(0.2, delay * 2)
