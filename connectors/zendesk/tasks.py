"""CREATE_TASK: a follow-up ticket or a Help Center draft, never two for one action.

Follow-up mode (default): first ``GET /api/v2/search.json?query=type:ticket tags:<action id>``
(covers retries long after the first attempt; the index lags a few minutes), then
``POST /api/v2/tickets.json`` with ``Idempotency-Key: <action id>`` (covers the quick retry the
index cannot see yet). Zendesk answers a replayed key with ``x-idempotency-lookup: hit`` and the
first ticket, reported as ``skipped``. The new ticket is tagged with the action id and
``tco_task``, assigned to ``task.assignee``, starts with a private comment, and names the source
ticket in ``via_followup_source_id`` (Zendesk links it only when the source is closed and
ignores it otherwise, so the comment also says ``Follow-up of #<id>``).

Article mode: first ``GET /api/v2/help_center/{locale}/articles.json?label_names=<action id>``
and reuse a draft carrying that label (filtered here too, in case a plan ignores the filter),
else ``POST /api/v2/help_center/{locale}/sections/{section}/articles.json`` with a draft
labelled with the action id. The owner is named in the body rather than set as ``author_id``,
which Zendesk accepts only for users with Guide permissions.
"""

from __future__ import annotations

import html
from typing import Any

from tco_bridge.actions import Action, TaskSpec
from tco_bridge.connector import Outcome

from .formats import api_id, text
from .http import ApiRequest, Send
from .plan import GROUP_PREFIX, MARKER_PREFIX
from .settings import ArticleTarget

TASK_TAG = "tco_task"


def create_task(send: Send, action: Action, target: ArticleTarget | None) -> Outcome:
    task = action.task
    assert task is not None  # plan.build_plan rejects tasks without a spec
    if target is None:
        return _followup(send, action, task)
    return _article(send, action, task, target)


def _followup(send: Send, action: Action, task: TaskSpec) -> Outcome:
    found = send(
        ApiRequest("GET", "/api/v2/search.json", params={"query": f"type:ticket tags:{action.id}"})
    ).data.get("results")
    existing = _first_id(found if isinstance(found, list) else [])
    if existing:
        return _exists(action, existing, f"follow-up ticket #{existing}")
    answer = send(
        ApiRequest(
            "POST",
            "/api/v2/tickets.json",
            body={"ticket": followup_ticket(action, task)},
            headers={"Idempotency-Key": action.id},
        )
    )
    ticket = answer.data.get("ticket")
    remote = text(ticket.get("id")) if isinstance(ticket, dict) else None
    replayed = answer.headers.get("x-idempotency-lookup", "").lower() == "hit"
    detail = "Zendesk replayed the earlier create" if replayed else "follow-up ticket created"
    return Outcome(action.id, ok=True, skipped=replayed, remote_id=remote, detail=detail)


def _exists(action: Action, remote_id: str, what: str) -> Outcome:
    """An earlier attempt created it (found by the action id it carries): nothing to send."""
    return Outcome(
        action.id, ok=True, skipped=True, remote_id=remote_id, detail=f"{what} already exists"
    )


def followup_ticket(action: Action, task: TaskSpec) -> dict[str, Any]:
    """The ``ticket`` object of the follow-up create."""
    body = "\n\n".join(
        part
        for part in (
            task.description,
            f"Follow-up of #{action.ticket}.",
            f"{MARKER_PREFIX}{action.id}",
        )
        if part
    )
    ticket: dict[str, Any] = {
        "subject": task.summary,
        "comment": {"body": body, "public": False},
        "via_followup_source_id": api_id(action.ticket),
        "tags": [action.id, TASK_TAG, f"{TASK_TAG}_{task.kind}"],
    }
    if task.assignee and task.assignee.startswith(GROUP_PREFIX):  # a team owns the contact
        ticket["group_id"] = api_id(task.assignee.removeprefix(GROUP_PREFIX))
    elif task.assignee:
        ticket["assignee_id"] = api_id(task.assignee)
    return ticket


def _article(send: Send, action: Action, task: TaskSpec, target: ArticleTarget) -> Outcome:
    listed = send(
        ApiRequest(
            "GET",
            f"/api/v2/help_center/{target.locale}/articles.json",
            params={"label_names": action.id},
        )
    ).data.get("articles")
    labelled = [
        a
        for a in (listed if isinstance(listed, list) else [])
        if isinstance(a, dict) and action.id in (a.get("label_names") or ())
    ]
    existing = _first_id(labelled)
    if existing:
        return _exists(action, existing, f"draft article {existing}")
    answer = send(
        ApiRequest(
            "POST",
            f"/api/v2/help_center/{target.locale}/sections/{target.section_id}/articles.json",
            body={"article": draft_article(action, task, target)},
        )
    )
    article = answer.data.get("article")
    remote = text(article.get("id")) if isinstance(article, dict) else None
    return Outcome(action.id, ok=True, remote_id=remote, detail="draft article created")


def draft_article(action: Action, task: TaskSpec, target: ArticleTarget) -> dict[str, Any]:
    """The ``article`` object of the draft create (HTML body, escaped)."""
    paragraphs = [task.description, f"Source ticket: #{action.ticket}"]
    if task.assignee:
        paragraphs.append(f"Owner: Zendesk user {task.assignee}")
    article: dict[str, Any] = {
        "title": task.summary,
        "body": "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs if p),
        "locale": target.locale,
        "draft": True,
        "label_names": [action.id],
    }
    if target.permission_group_id:
        article["permission_group_id"] = int(target.permission_group_id)
        article["user_segment_id"] = None
    return article


def _first_id(items: list[Any]) -> str | None:
    for item in items:
        if isinstance(item, dict) and text(item.get("id")):
            return text(item.get("id"))
    return None
