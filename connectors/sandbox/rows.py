"""Sandbox rows as JSON: the ticket snapshot every webhook and the API carry, its comments and
its tasks."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from .model import ticket_id

Json = dict[str, Any]


def task_id(number: int) -> str:
    return f"TASK-{number}"


def snapshot(conn: sqlite3.Connection, row: sqlite3.Row) -> Json:
    """The full ticket as webhooks and the API show it."""
    tasks = conn.execute("SELECT id FROM tasks WHERE ticket_n = ? ORDER BY id", (row["n"],))
    return {
        "id": ticket_id(row["n"]),
        "subject": row["subject"],
        "requester": row["requester"],
        "requester_name": row["requester_name"],
        "status": row["status"],
        "priority": row["priority"],
        "assignee": row["assignee"],
        "group": row["grp"],
        "type": row["type"],
        "labels": json.loads(row["labels"]),
        "fields": json.loads(row["fields"]),
        "tasks": [task_id(t["id"]) for t in tasks],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


# snapshot, comment_json and task_json share a shape (a row's columns as keys), not logic.


def comment_json(row: sqlite3.Row) -> Json:
    return {
        "id": str(row["id"]),
        "author": {"id": row["author"], "name": row["author_name"] or row["author"]},
        "role": row["role"],
        "body": row["body"],
        "public": bool(row["public"]),
        "mentions": json.loads(row["mentions"]),
        "action_id": row["action_id"],
        "created_at": row["created_at"],
    }


def task_json(row: sqlite3.Row) -> Json:
    return {
        "id": task_id(row["id"]),
        "kind": row["kind"],
        "summary": row["summary"],
        "description": row["description"],
        "assignee": row["assignee"],
        "status": row["status"],
        "action_id": row["action_id"],
        "created_at": row["created_at"],
    }
