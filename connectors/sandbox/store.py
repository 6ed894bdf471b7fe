"""The sandbox's tickets: write transactions and read queries on its SQLite file.

Writes go through :class:`.changes.Tx` (each change with its webhook, in one transaction);
reads turn rows into the JSON the API shows (:mod:`.rows`); refusals are :mod:`.errors`.
The names those modules define are importable from here too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

from .changes import Tx
from .db import Database
from .errors import InvalidRequest, TicketNotFound, check_choice
from .model import OPEN_STATUSES
from .rows import Json, comment_json, snapshot, task_id, task_json

__all__ = [
    "InvalidRequest",
    "Json",
    "Store",
    "TicketNotFound",
    "Tx",
    "check_choice",
    "snapshot",
    "task_id",
]


class Store:
    """The sandbox's tickets: write transactions (:class:`Tx`) and read queries."""

    def __init__(self, db: Database, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.clock = clock

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        with self.db.write() as conn:
            yield Tx(conn, self.clock())

    def ticket(self, ticket: str) -> Json:
        """One ticket with its comments and tasks, as ``GET /sandbox/tickets/<id>`` shows it."""
        with self.db.read() as conn:
            row = Tx(conn, self.clock()).ticket(ticket)
            found = snapshot(conn, row)
            found["comments"] = [
                comment_json(c)
                for c in conn.execute(
                    "SELECT * FROM comments WHERE ticket_n = ? ORDER BY id", (row["n"],)
                )
            ]
            found["tasks"] = [
                task_json(t)
                for t in conn.execute(
                    "SELECT * FROM tasks WHERE ticket_n = ? ORDER BY id", (row["n"],)
                )
            ]
        return found  # fmt: skip

    def tickets(self, *, status: str | None = None, open_only: bool = False) -> list[Json]:
        return list(self.iter_tickets(status=status, open_only=open_only))

    def iter_tickets(
        self, *, status: str | None = None, open_only: bool = False, page: int = 100
    ) -> Iterator[Json]:
        """Tickets in id order, a page per read so a long listing never holds a transaction."""
        where, args = "deleted = 0 AND n > ?", []
        if status is not None:
            where, args = where + " AND status = ?", [status]
        if open_only:
            where += f" AND status IN ({','.join('?' * len(OPEN_STATUSES))})"
            args += list(OPEN_STATUSES)
        last = 0
        while True:
            with self.db.read() as conn:
                rows = conn.execute(
                    f"SELECT * FROM tickets WHERE {where} ORDER BY n LIMIT ?",
                    (last, *args, page),
                ).fetchall()
                found = [snapshot(conn, r) for r in rows]
            yield from found
            if len(rows) < page:
                return
            last = rows[-1]["n"]
