"""Jira webhook → canonical events: a pure function of (lower-cased headers, raw body).

Decisions, so the receiver and the rules can rely on them:

- The ticket id is the **issue key** (``TS-7``), as agents and JQL know it.
- Refused (``UnreadableDelivery``, HTTP 400): a body that is not a JSON object; a body with no
  ``webhookEvent`` ("not a Jira webhook: no webhookEvent"), which is how trimmed test stubs such
  as ``fixtures/webhooks/jira/partial/`` are answered; an issue event whose issue has no key.
- Acknowledged but ignored (``Delivery.ignored``): event types the bridge does not use
  (``worklog_*``, ``issuelink_*``, ``project_*``, ...), ``comment_updated``/``comment_deleted``,
  a ``comment_*`` event without an ``issue`` (Server/DC's stripped copy: the same comment also
  arrives as ``jira:issue_updated``/``issue_commented``), and updates with nothing we use.
- ``jira:issue_created`` yields one ``CREATED`` event. Cloud also attaches a changelog holding
  the initial values; those are already in the snapshot and produce no change events.
- ``jira:issue_updated`` yields one event per changelog item, plus ``COMMENT_ADDED`` when it
  is an ``issue_commented`` update carrying a comment (Server/DC).
- Event keys name the happening, not the delivery, so a duplicate delivery (Cloud retries, DC's
  two webhooks per comment) is applied once: ``comment:<comment id>``,
  ``changelog:<changelog id>:<field>`` (``:<n>`` for a repeated field in one changelog),
  ``created:<issue id>``, ``deleted:<issue key>``.
- ``at`` is the top-level ``timestamp`` (epoch ms), else the comment's or issue's own time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tco_bridge import jsonbody
from tco_bridge.connector import Delivery
from tco_bridge.errors import UnreadableDelivery
from tco_bridge.events import Actor, Comment, EventType, Snapshot, TicketEvent

from .changelog import change_of
from .names import Names, Resolver
from .payload import Json, actor, body_text, from_millis, obj, parse_time, text, user_id
from .settings import JiraSettings
from .snapshot import snapshot

CONNECTOR = "jira"
DELIVERY_HEADER = "x-atlassian-webhook-identifier"


@dataclass(frozen=True, slots=True)
class _Context:
    """What every event of one delivery shares."""

    data: Json
    settings: JiraSettings
    key: str
    issue_id: str
    fields: Json
    at: datetime
    delivery: str
    reporter: str | None
    snapshot: Snapshot | None
    names: Resolver

    def event(self, type_: EventType, key: str, **values: Any) -> TicketEvent:
        return TicketEvent(
            connector=CONNECTOR,
            ticket=self.key,
            type=type_,
            at=self.at,
            key=key,
            delivery=self.delivery,
            actor=self.actor(),
            snapshot=self.snapshot,
            **values,
        )

    def actor(self) -> Actor | None:
        user = self.data.get("user") or obj(self.data.get("comment")).get("author")
        return actor(user, self.reporter, self.settings.bot_account)


def _load(body: bytes) -> Json:
    return jsonbody.read_object(body, "Jira webhook")


def _timestamp(data: Json, fields: Json) -> datetime:
    at = (
        from_millis(data.get("timestamp"))
        or parse_time(obj(data.get("comment")).get("created"))
        or parse_time(fields.get("updated"))
    )
    if at is None:
        raise UnreadableDelivery("no timestamp in the Jira webhook")
    return at


def _context(data: Json, settings: JiraSettings, delivery: str, names: Names | None) -> _Context:
    issue = obj(data.get("issue"))
    key = text(issue.get("key"))
    if key is None:
        raise UnreadableDelivery(f"{data['webhookEvent']} without issue.key")
    fields = obj(issue.get("fields"))
    snap = snapshot(key, fields, settings.group_field, settings.status_map) if fields else None
    return _Context(
        data=data,
        settings=settings,
        key=key,
        issue_id=text(issue.get("id")) or key,
        fields=fields,
        at=_timestamp(data, fields),
        delivery=delivery,
        reporter=user_id(fields.get("reporter")),
        snapshot=snap,
        names=Resolver(data, cloud=settings.is_cloud, names=names),
    )


def _comment(ctx: _Context) -> TicketEvent:
    raw = obj(ctx.data.get("comment"))
    comment_id = text(raw.get("id"))
    if comment_id is None:
        raise UnreadableDelivery(f"{ctx.data['webhookEvent']} without comment.id")
    author = actor(raw.get("author"), ctx.reporter, ctx.settings.bot_account)
    comment = Comment(comment_id, body_text(raw.get("body")), _is_public(raw), author)
    return ctx.event(EventType.COMMENT_ADDED, f"comment:{comment_id}", comment=comment)


def _is_public(raw: Json) -> bool:
    """JSM says ``jsdPublic``; otherwise a ``visibility`` restriction or the JSM comment
    property ``sd.public.comment = {"internal": true}`` makes a comment non-public. A comment
    carrying none of them is public: a plain Jira comment is visible to everyone who can see
    the issue (the README says so to admins)."""
    if isinstance(raw.get("jsdPublic"), bool):
        return bool(raw["jsdPublic"])
    if raw.get("visibility"):
        return False
    for prop in raw.get("properties") or []:
        if obj(prop).get("key") == "sd.public.comment":
            return not obj(obj(prop).get("value")).get("internal", False)
    return True


def _created(ctx: _Context) -> list[TicketEvent]:
    return [ctx.event(EventType.CREATED, f"created:{ctx.issue_id}")]


def _deleted(ctx: _Context) -> list[TicketEvent]:
    return [ctx.event(EventType.DELETED, f"deleted:{ctx.key}")]


def _changes(ctx: _Context) -> list[TicketEvent]:
    changelog = obj(ctx.data.get("changelog"))
    log_id = text(changelog.get("id")) or f"{ctx.issue_id}@{int(ctx.at.timestamp() * 1000)}"
    settings = ctx.settings
    seen: dict[str, int] = {}
    events: list[TicketEvent] = []
    for item in changelog.get("items") or []:
        change = change_of(
            obj(item), ctx.fields, settings.group_field, settings.status_map, ctx.names
        )
        n = seen[change.field] = seen.get(change.field, 0) + 1
        suffix = f":{n}" if n > 1 else ""
        events.append(
            ctx.event(
                change.type,
                f"changelog:{log_id}:{change.field}{suffix}",
                field=change.field,
                before=change.before,
                after=change.after,
                after_name=change.after_name,
            )
        )
    return events


def _updated(ctx: _Context) -> list[TicketEvent]:
    events = _changes(ctx)
    commented = ctx.data.get("issue_event_type_name") == "issue_commented"
    if commented and obj(ctx.data.get("comment")):
        events.append(_comment(ctx))
    return events


def _comment_created(ctx: _Context) -> list[TicketEvent]:
    return [_comment(ctx)]


_HANDLERS: Mapping[str, Callable[[_Context], list[TicketEvent]]] = {
    "jira:issue_created": _created,
    "jira:issue_updated": _updated,
    "jira:issue_deleted": _deleted,
    "comment_created": _comment_created,
}

_IGNORED: Mapping[str, str] = {
    "comment_updated": "comment edits are not used by the bridge",
    "comment_deleted": "comment deletions are not used by the bridge",
}


def parse(
    headers: Mapping[str, str], body: bytes, settings: JiraSettings, names: Names | None = None
) -> Delivery:
    """Turn one Jira webhook delivery into canonical events (see the module docstring).

    ``names`` resolves what a Data Center delivery does not explain itself (custom field
    display names, user keys); without it the delivery alone is used (a pure function)."""
    data = _load(body)
    name = text(data.get("webhookEvent"))
    if name is None:
        raise UnreadableDelivery("not a Jira webhook: no webhookEvent")
    delivery = headers.get(DELIVERY_HEADER) or None
    handler = _HANDLERS.get(name)
    if handler is None:
        reason = _IGNORED.get(name, f"webhookEvent {name!r} is not used by the bridge")
        return Delivery(delivery, [], ignored=reason)
    if name.startswith("comment_") and "issue" not in data:
        return Delivery(delivery, [], ignored=f"{name} without issue (Server/DC duplicate)")
    events = handler(_context(data, settings, delivery or "", names))
    ignored = None if events else f"{name} carried no change the bridge uses"
    return Delivery(delivery, events, ignored=ignored)
