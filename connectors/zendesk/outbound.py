"""Write-back and reconcile: ``perform`` and ``open_tickets`` over a :data:`~.http.Send`.

``perform`` sends, in this order and only what is needed: (with ``check_existing``, when a note
is among the actions) the ticket's latest comments, the one batched ticket update (and a second
one holding only a public reply when an internal note is due too: an update carries one
comment, see :mod:`.plan`), then each task. Any failure raises (retryable or permanent, decided
by the shared table) carrying, in ``landed``, the outcomes of what reached the tool before it;
the job marks those done and retries the rest with ``check_existing``: the ``tco:<id>`` markers
(``ref tco:<id>`` on a public reply) make it skip what landed, and tags, assignments, fields,
followers and statuses are safe to set twice. Only the newest page of comments (100) is
searched for markers, which is where an earlier attempt's note lies.

When the update changes tags, the ticket is read first (``GET /api/v2/tickets/{id}.json``, a
read: it spends no Update Ticket budget) and the update carries the whole new list with
``safe_update: true`` and ``updated_stamp`` = the ticket's ``updated_at``. Zendesk answers 409
when someone changed the ticket meanwhile; the ticket is then read again and the list
recomputed, so a tag set by someone else in between is never lost. When the tags are already
as wanted and nothing else is due, no update is sent at all. Agents the read shows already
following the ticket are not put as followers again.

``open_tickets`` uses Export Search Results (``/api/v2/search/export.json?query=type:ticket
status<solved``, cursor pages via ``links.next``) rather than the Search API, which stops at
1,000 results, or incremental export, which walks every ticket ever created to find the few
open ones. The search index lags new tickets by a few minutes, which reconcile can afford.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from tco_bridge.actions import Action, ActionKind
from tco_bridge.connector import Outcome, TicketRecord
from tco_bridge.errors import ConnectorError, PermanentApiError, RetryableApiError, TicketApiError
from tco_bridge.events import Snapshot

from .formats import canonical_status, lower, optional_enum, parse_timestamp, text
from .http import ApiRequest, ApiResponse, Send
from .plan import Plan, Update, build_plan, markers_in, with_tags
from .settings import ZendeskSettings
from .tasks import create_task

CONNECTOR = "zendesk"
OPEN_QUERY = "type:ticket status<solved"
SHOW_MANY = 100  # ids per Show Many Tickets call, Zendesk's limit
#: Zendesk's 422 answer to any update of a closed ticket (RecordInvalid, details.status).
CLOSED_REFUSAL = "closed prevents ticket update"
CLOSED = "not written: the ticket is closed, and Zendesk takes no update on a closed ticket"


def perform(
    send: Send, settings: ZendeskSettings, actions: Sequence[Action], *, check_existing: bool
) -> list[Outcome]:
    if not actions:
        return []
    ticket = _one_ticket(actions)
    if not settings.coalesce and len(actions) > 1:
        return [
            outcome
            for action in actions
            for outcome in perform(send, settings, [action], check_existing=check_existing)
        ]
    # Markers only exist where an earlier attempt wrote a note: no note, nothing to look up.
    has_note = any(a.kind is ActionKind.NOTE for a in actions)
    done = _marked(send, ticket) if check_existing and has_note else set()
    outcomes = {
        a.id: Outcome(a.id, ok=True, skipped=True, detail="already in the ticket (tco marker)")
        for a in actions
        if a.id in done
    }
    plan = build_plan(
        [a for a in actions if a.id not in done],
        owner_field=settings.owner_field_id,
        bot=settings.bot_user_id,
    )
    outcomes.update({i: Outcome(i, ok=False, detail=why) for i, why in plan.rejected.items()})
    try:
        _send_updates(send, ticket, plan, outcomes)
        for task in plan.tasks:
            outcomes[task.id] = create_task(send, task, settings.kb_article)
    except TicketApiError as exc:
        # What landed before the failure is reported with it: a retry sends only the rest.
        exc.landed = [o for o in outcomes.values() if o.ok]
        raise
    return [outcomes[a.id] for a in actions]


def write_cost(settings: ZendeskSettings, actions: Sequence[Action]) -> dict[str, int]:
    """What performing ``actions`` spends of each budget in ``WRITE_LIMITS``: Update Ticket
    calls, and requests in all (a tag change reads the ticket first; a task costs a search and
    a create; a re-run's comment read and a 409's re-read are not counted). Lets the
    write-back layer pace by real calls, not by action count."""
    plan = build_plan(actions, owner_field=settings.owner_field_id, bot=settings.bot_user_id)
    updates = len(plan.updates)
    reads = sum(u.changes_tags for u in plan.updates)
    return {"ticket_update": updates, "api": updates + reads + 2 * len(plan.tasks)}


def _one_ticket(actions: Sequence[Action]) -> str:
    tickets = {a.ticket for a in actions}
    if len(tickets) != 1:
        raise ConnectorError(
            CONNECTOR, f"perform() takes one ticket's actions, got {sorted(tickets)}"
        )
    return tickets.pop()


def _marked(send: Send, ticket: str) -> set[str]:
    """Action ids whose ``tco:`` marker is in the ticket's newest comments."""
    answer = send(
        ApiRequest("GET", f"/api/v2/tickets/{ticket}/comments.json", params={"sort_order": "desc"})
    )
    found: set[str] = set()
    for comment in _objects(answer.data.get("comments")):
        for key in ("body", "plain_body"):
            found |= markers_in(str(comment.get(key) or ""))
    return found


def _send_updates(send: Send, ticket: str, plan: Plan, outcomes: dict[str, Outcome]) -> None:
    """The ticket update, then (when an internal note and a public reply are both due) the
    update holding the reply: one comment per update. Each update's outcomes are recorded as
    it lands."""
    path = f"/api/v2/tickets/{ticket}.json"
    for update in plan.updates:
        try:
            answer = _put(send, path, update)
        except PermanentApiError as exc:
            if not (exc.status == 422 and CLOSED_REFUSAL in str(exc)):
                raise
            # Closed is final in Zendesk: no update will ever land, so retrying or parking
            # for an admin helps nobody. Reported, and shown on the ticket's timeline.
            for action_id in update.ids:
                outcomes[action_id] = Outcome(action_id, ok=True, skipped=True, detail=CLOSED)
            continue
        comment_id = _comment_id(answer) if answer is not None else None
        detail = f"PUT {path}" if answer is not None else "tags already as wanted"
        for action_id in update.ids:
            remote_id = comment_id if action_id in update.comment_ids else None
            outcomes[action_id] = Outcome(action_id, ok=True, detail=detail, remote_id=remote_id)


#: Reads and retries of one tag-changing update before giving up for now (a retryable error:
#: the write-back job tries again later).
CONFLICT_ATTEMPTS = 3


def _put(send: Send, path: str, update: Update) -> ApiResponse | None:
    """Send one update; with tags, as a safe update recomputed on each 409. None: nothing
    needed sending (the tags were already as wanted and nothing else was due)."""
    if not update.changes_tags:
        return send(ApiRequest("PUT", path, body={"ticket": update.body}))
    for _ in range(CONFLICT_ATTEMPTS):
        found = send(ApiRequest("GET", path)).data.get("ticket")
        current: Mapping[str, Any] = found if isinstance(found, dict) else {}
        tags = with_tags(update, [str(t) for t in current.get("tags") or []])
        body = _without_followers(dict(update.body), current.get("follower_ids") or [])
        if tags != list(current.get("tags") or []):
            body.update(tags=tags, safe_update=True, updated_stamp=current.get("updated_at"))
        if not body:
            return None
        try:
            return send(ApiRequest("PUT", path, body={"ticket": body}))
        except PermanentApiError as exc:
            if exc.status != 409:
                raise
    raise RetryableApiError(
        CONNECTOR, f"PUT {path}: the ticket kept changing ({CONFLICT_ATTEMPTS} conflicts)"
    )


def _without_followers(body: dict[str, Any], following: list[Any]) -> dict[str, Any]:
    """Leave out who already follows the ticket (known when it was read for its tags)."""
    already = {str(f) for f in following}
    wanted = [f for f in body.get("followers", []) if str(f["user_id"]) not in already]
    body.pop("followers", None)
    return {**body, "followers": wanted} if wanted else body


def _comment_id(answer: ApiResponse) -> str | None:
    """The id of the comment the update created, from the audit Zendesk returns."""
    audit = answer.data.get("audit")
    events = audit.get("events") if isinstance(audit, dict) else None
    for event in _objects(events):
        if event.get("type") == "Comment":
            return text(event.get("id"))
    return None


def open_tickets(send: Send) -> Iterator[TicketRecord]:
    request: ApiRequest | None = ApiRequest(
        "GET",
        "/api/v2/search/export.json",
        params={"query": OPEN_QUERY, "filter[type]": "ticket", "page[size]": "100"},
    )
    while request is not None:
        answer = send(request)
        for ticket in _objects(answer.data.get("results")):
            yield record_from_rest(ticket)
        request = _next_page(answer.data)


def refresh_tickets(send: Send, ids: Sequence[str]) -> Iterator[TicketRecord]:
    """Each ticket as Zendesk shows it now, any status (Show Many Tickets, up to 100 ids a
    call); a ticket Zendesk no longer has is simply not in the answer."""
    numeric = [i for i in ids if i.isdigit()]
    for start in range(0, len(numeric), SHOW_MANY):
        batch = ",".join(numeric[start : start + SHOW_MANY])
        answer = send(ApiRequest("GET", "/api/v2/tickets/show_many.json", params={"ids": batch}))
        for ticket in _objects(answer.data.get("tickets")):
            yield record_from_rest(ticket)


def _next_page(data: Mapping[str, Any]) -> ApiRequest | None:
    meta, links = data.get("meta"), data.get("links")
    more = isinstance(meta, dict) and meta.get("has_more") is True
    link = links.get("next") if isinstance(links, dict) else None
    return ApiRequest("GET", link) if more and isinstance(link, str) and link else None


def record_from_rest(ticket: Mapping[str, Any]) -> TicketRecord:
    """A REST ticket (integer ids, lower-case enums) as a reconcile record."""
    ticket_id = text(ticket.get("id"))
    if ticket_id is None:
        raise ConnectorError(CONNECTOR, "a search result has no ticket id")
    return TicketRecord(
        ticket=ticket_id,
        snapshot=snapshot_from_rest(ticket),
        updated_at=_time(ticket.get("updated_at")) or datetime.now(UTC),
    )


def snapshot_from_rest(ticket: Mapping[str, Any]) -> Snapshot:
    via = ticket.get("via")
    fields: dict[str, Any] = {
        "brand_id": text(ticket.get("brand_id")),
        "form_id": text(ticket.get("ticket_form_id")),
        "organization_id": text(ticket.get("organization_id")),
        "via_channel": text(via.get("channel")) if isinstance(via, dict) else None,
        "custom_status": text(ticket.get("custom_status_id")),
    }
    for custom in _objects(ticket.get("custom_fields")):
        fields[f"custom_field:{text(custom.get('id'))}"] = custom.get("value")
    return Snapshot(
        status=canonical_status(ticket.get("status")),
        raw_status=lower(ticket.get("status")),
        priority=optional_enum(ticket.get("priority")),
        assignee=text(ticket.get("assignee_id")),
        group=text(ticket.get("group_id")),
        requester=text(ticket.get("requester_id")),
        type=optional_enum(ticket.get("type")),
        summary=text(ticket.get("subject")),
        tags=tuple(str(t) for t in ticket.get("tags") or ()),
        created_at=_time(ticket.get("created_at")),
        fields=fields,
    )


def _time(value: Any) -> datetime | None:
    try:
        return parse_timestamp(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _objects(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []
