"""Internal notes: the nudge that mentions whoever must act.

A note is a JSM internal comment (``POST /rest/servicedeskapi/request/{key}/comment`` with
``public: false``) or, on Jira Software, a comment restricted to a role or group
(``POST /rest/api/2/issue/{key}/comment`` with ``visibility``). Mentions use wiki markup:
``[~accountid:<id>]`` on Cloud, ``[~<username>]`` on Data Center.

Every note ends with a small marker ``tco:<action id>`` (rendered as subscript) so a retried
job can find a note an earlier attempt wrote before failing, and skip writing it twice.
"""

from __future__ import annotations

from urllib.parse import quote

from tco_bridge.actions import Action

from .payload import body_text, obj, text
from .settings import JiraSettings
from .transport import Transport

#: How many recent comments are searched for a marker on a retry.
RECENT_COMMENTS = 50


def marker(action_id: str) -> str:
    return f"tco:{action_id}"


def mention(user: str, *, cloud: bool) -> str:
    return f"[~accountid:{user}]" if cloud else f"[~{user}]"


def note_body(action: Action, *, cloud: bool) -> str:
    """Mentions first (so notifications show who must act), the text, then the marker."""
    mentions = " ".join(mention(user, cloud=cloud) for user in action.mention)
    lead = f"{mentions} " if mentions else ""
    return f"{lead}{action.text or ''}\n\n~{marker(action.id)}~"


def issue_path(key: str) -> str:
    return f"/rest/api/2/issue/{quote(key, safe='')}"


def find_note(transport: Transport, key: str, action_id: str) -> str | None:
    """The id of a recent comment carrying this action's marker, if any."""
    params = {"orderBy": "-created", "maxResults": RECENT_COMMENTS}
    page = obj(transport.call("GET", f"{issue_path(key)}/comment", params=params))
    wanted = marker(action_id)
    for comment in page.get("comments") or []:
        if wanted in body_text(obj(comment).get("body")):
            return text(obj(comment).get("id"))
    return None


def write_note(transport: Transport, settings: JiraSettings, action: Action) -> str | None:
    """Write the note; return the new comment's id."""
    body = note_body(action, cloud=settings.is_cloud)
    style = settings.internal_note
    if style.kind == "jsm":
        path = f"/rest/servicedeskapi/request/{quote(action.ticket, safe='')}/comment"
        created = transport.call("POST", path, body={"body": body, "public": False})
    else:
        payload = {"body": body, "visibility": {"type": style.kind, "value": style.name}}
        created = transport.call("POST", f"{issue_path(action.ticket)}/comment", body=payload)
    return text(obj(created).get("id"))
