"""One write transaction on the sandbox: every change is written together with the webhook
describing it.

Each mutating method of :class:`Tx` applies the change and, in the same transaction, appends
the delivery to the event log and the outbox, so a change and its webhook are never
separated: either both exist or neither does. Sending happens after commit (see
:mod:`.outbox`), so a bridge that is down never blocks or undoes a change.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from datetime import datetime
from typing import Any

from . import webhook
from .errors import InvalidRequest, TicketNotFound, check_choice
from .model import PRIORITIES, STATUSES, TYPES, Person, ticket_id, ticket_number
from .rows import Json, snapshot, task_id

#: Attribute → (column, webhook event, allowed values or None for any text).
_ATTRIBUTES: dict[str, tuple[str, str, tuple[str, ...] | None]] = {
    "assignee": ("assignee", "ticket.assigned", None),
    "group": ("grp", "ticket.group_changed", None),
    "status": ("status", "ticket.status_changed", STATUSES),
    "priority": ("priority", "ticket.priority_changed", PRIORITIES),
    "type": ("type", "ticket.field_changed", TYPES),
}


class Tx:
    """One write transaction on the store (see the module docstring)."""

    def __init__(self, conn: sqlite3.Connection, now: datetime) -> None:
        self.conn = conn
        self.now = now
        self.stamp = now.isoformat()

    # --- tickets ---------------------------------------------------------------------------

    def ticket(self, ticket: str) -> sqlite3.Row:
        number = ticket_number(ticket)
        row: sqlite3.Row | None = None
        if number is not None:
            row = self.conn.execute(
                "SELECT * FROM tickets WHERE n = ? AND deleted = 0", (number,)
            ).fetchone()
        if row is None:
            raise TicketNotFound(ticket)
        return row

    def create_ticket(
        self,
        actor: Person,
        subject: str,
        requester: Person,
        priority: str,
        group: str | None,
        type_: str | None = None,
    ) -> str:
        check_choice("priority", priority, PRIORITIES)
        if type_ is not None:
            check_choice("type", type_, TYPES)
        cursor = self.conn.execute(
            "INSERT INTO tickets (subject, requester, requester_name, status, priority, grp,"
            " type, created_at, updated_at) VALUES (?, ?, ?, 'new', ?, ?, ?, ?, ?)",
            (subject, requester.id, requester.name, priority, group, type_, self.stamp, self.stamp),
        )
        assert cursor.lastrowid is not None
        ticket = ticket_id(cursor.lastrowid)
        self._emit("ticket.created", ticket, actor)
        return ticket

    def update(self, ticket: str, actor: Person, attribute: str, value: str | None) -> bool:
        """Set assignee, group, status or priority; ``False`` (and no webhook) when unchanged."""
        column, event, allowed = _ATTRIBUTES[attribute]
        if allowed is not None:
            check_choice(attribute, value or "", allowed)
        row = self.ticket(ticket)
        before = row[column]
        if before == value:
            return False
        self._set(row["n"], column, value)
        self._emit(event, ticket, actor, change={"field": attribute, "from": before, "to": value})
        return True

    def set_field(self, ticket: str, actor: Person, name: str, value: Any) -> bool:
        row = self.ticket(ticket)
        fields: Json = json.loads(row["fields"])
        before = fields.get(name)
        if name in fields and before == value:
            return False
        fields[name] = value
        self._set(row["n"], "fields", json.dumps(fields, sort_keys=True))
        self._emit("ticket.field_changed", ticket, actor, change=_change(name, before, value))
        return True

    def set_labels(self, ticket: str, actor: Person, add: list[str], remove: list[str]) -> bool:
        row = self.ticket(ticket)
        before: list[str] = json.loads(row["labels"])
        after = [x for x in before if x not in remove]
        after += [x for x in dict.fromkeys(add) if x not in after]
        if after == before:
            return False
        self._set(row["n"], "labels", json.dumps(after))
        self._emit("ticket.field_changed", ticket, actor, change=_change("labels", before, after))
        return True

    def delete(self, ticket: str, actor: Person) -> None:
        row = self.ticket(ticket)
        self._emit("ticket.deleted", ticket, actor)  # the snapshot as it was
        self._set(row["n"], "deleted", 1)

    def _set(self, number: int, column: str, value: Any) -> None:
        self.conn.execute(
            f"UPDATE tickets SET {column} = ?, updated_at = ? WHERE n = ?",
            (value, self.stamp, number),
        )

    # --- comments and tasks ------------------------------------------------------------------

    def add_comment(
        self,
        ticket: str,
        author: Person,
        body: str,
        *,
        public: bool,
        mentions: tuple[str, ...] = (),
        action_id: str | None = None,
    ) -> str:
        row = self.ticket(ticket)
        cursor = self.conn.execute(
            "INSERT INTO comments (ticket_n, author, author_name, role, body, public, mentions,"
            " action_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (row["n"], author.id, author.name, author.role, body, int(public),
             json.dumps(list(mentions)), action_id, self.stamp),
        )  # fmt: skip
        self._set(row["n"], "updated_at", self.stamp)
        comment_id = str(cursor.lastrowid)
        comment: Json = {"id": comment_id, "body": body, "public": public}
        comment["author"] = author.to_json()
        if mentions:
            comment["mentions"] = list(mentions)
        self._emit("comment.added", ticket, author, comment=comment)
        return comment_id

    def task_for_action(self, action_id: str) -> str | None:
        row = self.conn.execute("SELECT id FROM tasks WHERE action_id = ?", (action_id,)).fetchone()
        return task_id(row["id"]) if row else None

    def add_task(self, ticket: str, actor: Person, task: Json, action_id: str | None) -> str:
        row = self.ticket(ticket)
        cursor = self.conn.execute(
            "INSERT INTO tasks (ticket_n, kind, summary, description, assignee, action_id,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (row["n"], task["kind"], task["summary"], task.get("description") or "",
             task.get("assignee"), action_id, self.stamp),
        )  # fmt: skip
        assert cursor.lastrowid is not None
        self._set(row["n"], "updated_at", self.stamp)
        created = task_id(cursor.lastrowid)
        self._emit(webhook.TASK_CREATED, ticket, actor, change=_change("tasks", None, created))
        return created

    # --- idempotency -------------------------------------------------------------------------

    def performed(self, action_id: str) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.conn.execute(
            "SELECT * FROM performed WHERE action_id = ?", (action_id,)
        ).fetchone()
        return row

    def mark_performed(
        self, action_id: str, ticket: str, kind: str, remote_id: str | None, detail: str
    ) -> None:
        self.conn.execute(
            "INSERT INTO performed (action_id, ticket, kind, remote_id, detail, at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (action_id, ticket, kind, remote_id, detail, self.stamp),
        )

    # --- the webhook of each change ----------------------------------------------------------

    def _emit(
        self,
        event: str,
        ticket: str,
        actor: Person,
        *,
        change: Json | None = None,
        comment: Json | None = None,
    ) -> None:
        delivery = str(uuid.uuid4())
        cursor = self.conn.execute(
            "INSERT INTO event_log (delivery, event, ticket, at, body) VALUES (?, ?, ?, ?, x'')",
            (delivery, event, ticket, self.stamp),
        )
        assert cursor.lastrowid is not None
        body = webhook.build_body(
            event=event,
            delivery=delivery,
            sequence=cursor.lastrowid,
            at=self.now,
            actor=actor,
            ticket=snapshot(self.conn, self._row(ticket)),
            change=change,
            comment=comment,
        )
        self.conn.execute("UPDATE event_log SET body = ? WHERE seq = ?", (body, cursor.lastrowid))
        self.conn.execute("INSERT INTO outbox (seq) VALUES (?)", (cursor.lastrowid,))

    def _row(self, ticket: str) -> sqlite3.Row:
        row: sqlite3.Row | None = self.conn.execute(
            "SELECT * FROM tickets WHERE n = ?", (ticket_number(ticket),)
        ).fetchone()
        assert row is not None
        return row


def _change(field: str, before: Any, after: Any) -> Json:
    return {"field": field, "from": before, "to": after}


__all__ = ["InvalidRequest", "TicketNotFound", "Tx", "check_choice"]
