"""Linked tasks (KB article, support-notes review, follow-up) created in a task project.

A task is labelled with the action id, and a search for that label always runs first: a job
retried after the create reached Jira (or a replayed event) reuses the task instead of making a
second one. The link to the ticket is made only when the task does not already have it, so a
retry after "created but not linked" completes the work. Cloud's search is eventually
consistent, so a retry within seconds of a create could still miss it: RQ's backoff covers
that window.
"""

from __future__ import annotations

from tco_bridge.actions import Action
from tco_bridge.connector import Outcome
from tco_bridge.errors import PermanentApiError

from .payload import Json, obj, text
from .search import search
from .settings import JiraSettings
from .transport import CONNECTOR, Transport


def _jql_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _find(transport: Transport, settings: JiraSettings, action_id: str) -> Json | None:
    project = _jql_string(settings.task_project or "")
    jql = f"project = {project} AND labels = {_jql_string(action_id)}"
    hits = search(transport, jql, ["issuelinks"], cloud=settings.is_cloud, page_size=1)
    return next(hits, None)


def _linked_to(task: Json, ticket: str) -> bool:
    for link in obj(task.get("fields")).get("issuelinks") or []:
        for side in ("inwardIssue", "outwardIssue"):
            if text(obj(obj(link).get(side)).get("key")) == ticket:
                return True
    return False


def _fields(settings: JiraSettings, action: Action) -> Json:
    task = action.task
    assert task is not None  # checked by the caller
    fields: Json = {
        "project": {"key": settings.task_project},
        "issuetype": {"name": settings.task_issuetype},
        "summary": task.summary,
        "labels": [action.id, f"tco-{task.kind}"],
    }
    if task.description:
        fields["description"] = task.description
    if task.assignee and not task.assignee.startswith("group:"):  # Jira assigns people only
        key = "accountId" if settings.is_cloud else "name"
        fields["assignee"] = {key: task.assignee}
    return fields


def _link(transport: Transport, settings: JiraSettings, ticket: str, task_key: str) -> None:
    body = {
        "type": {"name": settings.link_type},
        "inwardIssue": {"key": ticket},
        "outwardIssue": {"key": task_key},
    }
    transport.call("POST", "/rest/api/2/issueLink", body=body)


def create_task(transport: Transport, settings: JiraSettings, action: Action) -> Outcome:
    """Find or create the task for ``action``, then make sure it is linked to the ticket."""
    if action.task is None:
        raise PermanentApiError(CONNECTOR, f"create_task action {action.id} has no task")
    if not settings.task_project:
        raise PermanentApiError(CONNECTOR, "TCO_JIRA_TASK_PROJECT is not set: cannot create tasks")
    existing = _find(transport, settings, action.id)
    if existing is not None:
        key = text(existing.get("key")) or ""
        if not _linked_to(existing, action.ticket):
            _link(transport, settings, action.ticket, key)
        return Outcome(action.id, ok=True, detail=f"task {key} exists", remote_id=key, skipped=True)
    created = obj(
        transport.call("POST", "/rest/api/2/issue", body={"fields": _fields(settings, action)})
    )
    key = text(created.get("key")) or ""
    _link(transport, settings, action.ticket, key)
    return Outcome(action.id, ok=True, detail=f"created task {key}", remote_id=key)
