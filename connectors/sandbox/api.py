"""The sandbox's own ticket API: JSON in and out, so a newcomer can play with curl.

It stands in for the agent's and the customer's screens of a real ticket tool: create a
ticket, reply, assign, change status or priority, and read the ticket back with the bridge's
nudges among its comments. Every change emits a webhook (see :mod:`.store`).

There is no authentication: the sandbox is for trying tco-bridge out, never for production,
and these routes exist only when the sandbox connector is enabled. Bad input answers 400 with
a reason, an unknown ticket 404; a busy database 503, never a 500.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from flask import Blueprint, jsonify, request
from werkzeug.wrappers import Response

from .model import PRIORITIES, STATUSES, TYPES, Person
from .outbox import Outbox
from .store import InvalidRequest, Store, TicketNotFound, Tx, check_choice

Json = dict[str, Any]
REOPENED_BY_REQUESTER = ("pending", "resolved")
SYSTEM = Person("sandbox", "system", "Sandbox")


def build_blueprint(store: Store, outbox: Outbox, after_change: Callable[[], None]) -> Blueprint:
    """Routes under ``/sandbox``; ``after_change`` sends the webhooks a request produced."""
    bp = Blueprint("sandbox", __name__, url_prefix="/sandbox")

    def change(ticket: str | None, apply: Callable[[Tx], str | None], status: int = 200) -> Any:
        with store.transaction() as tx:
            ticket = apply(tx) or ticket
        after_change()
        assert ticket is not None
        return jsonify(store.ticket(ticket)), status

    @bp.post("/tickets")
    def create() -> Any:
        return change(None, lambda tx: _create(tx, _body()), 201)

    @bp.get("/tickets")
    def index() -> Any:
        status = request.args.get("status")
        if status is not None:
            check_choice("status", status, STATUSES)
        return jsonify(tickets=store.tickets(status=status))

    @bp.get("/tickets/<ticket>")
    def show(ticket: str) -> Any:
        return jsonify(store.ticket(ticket))

    @bp.post("/tickets/<ticket>/comments")
    def comment(ticket: str) -> Any:
        return change(ticket, lambda tx: _comment(tx, ticket, _body()), 201)

    @bp.post("/tickets/<ticket>/assign")
    def assign(ticket: str) -> Any:
        return change(ticket, lambda tx: _assign(tx, ticket, _body()))

    @bp.post("/tickets/<ticket>/status")
    def status(ticket: str) -> Any:
        return change(ticket, lambda tx: _status(tx, ticket, _body()))

    @bp.post("/tickets/<ticket>/priority")
    def priority(ticket: str) -> Any:
        return change(ticket, lambda tx: _priority(tx, ticket, _body()))

    @bp.post("/tickets/<ticket>/type")
    def type_(ticket: str) -> Any:
        return change(ticket, lambda tx: _type(tx, ticket, _body()))

    @bp.post("/tickets/<ticket>/fields")
    def field(ticket: str) -> Any:
        return change(ticket, lambda tx: _field(tx, ticket, _body()))

    @bp.post("/tickets/<ticket>/labels")
    def labels(ticket: str) -> Any:
        return change(ticket, lambda tx: _labels(tx, ticket, _body()))

    @bp.delete("/tickets/<ticket>")
    def delete(ticket: str) -> Any:
        data = _body(optional=True)
        with store.transaction() as tx:
            actor = _person(data, "actor", roles=("agent", "system"), default=None)
            tx.delete(ticket, actor or SYSTEM)
        after_change()
        return jsonify(deleted=ticket)

    @bp.get("/outbox")
    def pending() -> Any:
        return jsonify(pending=outbox.pending())

    @bp.post("/outbox/resend")
    def resend() -> Any:
        return jsonify(sent=outbox.flush(), pending=len(outbox.pending()))

    bp.register_error_handler(InvalidRequest, lambda e: _error(400, e.reason))
    bp.register_error_handler(TicketNotFound, lambda e: _error(404, f"no ticket {e.ticket!r}"))
    bp.register_error_handler(sqlite3.Error, lambda e: _error(503, "sandbox store busy; retry"))
    return bp


# --- one function per change ------------------------------------------------------------------


def _create(tx: Tx, data: Json) -> str:
    requester = Person(_text(data, "requester"), "requester", _text(data, "requester_name", None))
    actor = _person(data, "actor", roles=("agent", "requester"), default=None) or requester
    ticket = tx.create_ticket(
        actor,
        _text(data, "subject"),
        requester,
        check_choice("priority", _text(data, "priority", "normal"), PRIORITIES),
        _text(data, "group", None),
        _text(data, "type", None),
    )
    description = _text(data, "description", None)
    if description:
        tx.add_comment(ticket, actor, description, public=True)
    return ticket


def _comment(tx: Tx, ticket: str, data: Json) -> None:
    author = _person(data, "author", roles=("agent", "requester"), default="agent")
    public = data.get("public", True)
    if not isinstance(public, bool):
        raise InvalidRequest("'public' must be true or false")
    if author.role == "requester" and not public:
        raise InvalidRequest("a requester's comment is always public")
    tx.add_comment(ticket, author, _text(data, "body"), public=public)
    if author.role == "requester" and tx.ticket(ticket)["status"] in REOPENED_BY_REQUESTER:
        tx.update(ticket, author, "status", "open")  # a customer reply reopens, as in real tools


def _assign(tx: Tx, ticket: str, data: Json) -> None:
    actor = _person(data, "actor", roles=("agent", "system"), default="agent")
    names = [k for k in ("assignee", "group") if k in data]
    if not names:
        raise InvalidRequest("give 'assignee' and/or 'group' (null to clear)")
    tx.ticket(ticket)  # 404 before any other check
    for name in names:
        tx.update(ticket, actor, name, _text(data, name, None))


def _status(tx: Tx, ticket: str, data: Json) -> None:
    actor = _person(data, "actor", roles=("agent", "requester", "system"), default="agent")
    tx.update(ticket, actor, "status", check_choice("status", _text(data, "status"), STATUSES))


def _priority(tx: Tx, ticket: str, data: Json) -> None:
    actor = _person(data, "actor", roles=("agent", "system"), default="agent")
    value = check_choice("priority", _text(data, "priority"), PRIORITIES)
    tx.update(ticket, actor, "priority", value)


def _type(tx: Tx, ticket: str, data: Json) -> None:
    actor = _person(data, "actor", roles=("agent", "system"), default="agent")
    tx.update(ticket, actor, "type", check_choice("type", _text(data, "type"), TYPES))


def _field(tx: Tx, ticket: str, data: Json) -> None:
    actor = _person(data, "actor", roles=("agent", "system"), default="agent")
    if "value" not in data:
        raise InvalidRequest("give the field's 'value' (null to clear)")
    tx.set_field(ticket, actor, _text(data, "field"), data["value"])


def _labels(tx: Tx, ticket: str, data: Json) -> None:
    actor = _person(data, "actor", roles=("agent", "system"), default="agent")
    tx.set_labels(ticket, actor, add=_words(data, "add"), remove=_words(data, "remove"))


# --- reading the request ------------------------------------------------------------------


def _body(*, optional: bool = False) -> Json:
    data = request.get_json(silent=True)
    if data is None and optional and not request.get_data():
        return {}
    if not isinstance(data, dict):
        raise InvalidRequest("the body must be a JSON object (Content-Type: application/json)")
    return data


_REQUIRED = object()


def _text(data: Json, key: str, default: Any = _REQUIRED) -> Any:
    value = data.get(key)
    if value is None or value == "":
        if default is _REQUIRED:
            raise InvalidRequest(f"'{key}' is required")
        return default
    if not isinstance(value, str):
        raise InvalidRequest(f"'{key}' must be text")
    return value.strip() or default


def _person(data: Json, key: str, *, roles: tuple[str, ...], default: str | None) -> Any:
    """``key`` names the person; ``role`` (default ``default``) says which side they are on.

    With ``default=None`` the person is optional and ``None`` comes back when not given.
    """
    who = _text(data, key, None if default is None else _REQUIRED)
    if who is None:
        return None
    role = _text(data, "role", default or roles[0])
    check_choice("role", role, roles)
    return Person(who, role, _text(data, f"{key}_name", None))


def _words(data: Json, key: str) -> list[str]:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) and _label(v) for v in value):
        raise InvalidRequest(f"'{key}' must be a list of labels (words without spaces)")
    return [v.strip() for v in value]


def _label(value: str) -> bool:
    return bool(value.strip()) and len(value.split()) == 1


def _error(status: int, reason: str) -> tuple[Response, int]:
    return jsonify(error=status, reason=reason), status
