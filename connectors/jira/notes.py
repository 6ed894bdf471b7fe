"""Notes: the internal nudge that mentions whoever must act, and the public reply.

An internal note is a JSM internal comment (``POST /rest/servicedeskapi/request/{key}/comment``
with ``public: false``) or, on Jira Software, a comment restricted to a role or group
(``POST /rest/api/2/issue/{key}/comment`` with ``visibility``). With ``jsm``, an issue of a
project that is not a service desk has no JSM request (the endpoint answers 404): the
connector then asks once whether the project is a service desk (cached per project, see
``directory.py``) and, when it is not, writes the note as a comment restricted to
``TCO_JIRA_RESTRICTED_NOTE`` (a public reply as a plain comment) instead of parking it. A
service desk's issue that is no customer request (an agent's Task, a Sub-task) has no JSM
request either: its note is a platform comment carrying JSM's own internal mark, the property
``sd.public.comment = {"internal": true}``, and the issue is remembered (``directory.py``) so
its next notes go there straight away. A deleted issue answers 404 there too, and is parked.
A NOTE action with ``extra["public"]`` is a public reply to the requester instead: a JSM
comment with ``public: true`` when ``TCO_JIRA_INTERNAL_NOTE`` is ``jsm``, else a plain, unrestricted
``POST /rest/api/2/issue/{key}/comment`` with only ``body``.

Mentions use wiki markup: ``[~accountid:<id>]`` on Cloud, ``[~<username>]`` on Data Center.
Wiki markup has no group mention, so a ``group:<id>`` entry is written as text,
``(group: <id>)``; the id is the group field's value, i.e. the group's display name.

Every note ends with a marker carrying ``tco:<action id>`` so a retried job can find a note an
earlier attempt wrote before failing, and skip writing it twice. On an internal note it is a
subscript, ``~tco:<id>~``. A public reply is read by the customer, so its marker is a small
grey reference, ``{color:#97a0af}~ref tco:<id>~{color}``: it still travels in the same request
as the text (a separate trace, such as a comment property, would need a second request and
could be lost between the two), and ``find_note`` finds either form by the ``tco:<id>`` text.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from tco_bridge.actions import Action
from tco_bridge.errors import PermanentApiError

from .directory import Directory, project_of
from .payload import Json, body_text, obj, text
from .settings import InternalNote, JiraSettings
from .transport import Transport

#: How many recent comments are searched for a marker on a retry.
RECENT_COMMENTS = 50
#: How the rules name a group in ``Action.mention``.
GROUP_PREFIX = "group:"


def marker(action_id: str) -> str:
    return f"tco:{action_id}"


def is_public(action: Action) -> bool:
    return bool(action.extra.get("public"))


def mention(target: str, *, cloud: bool) -> str:
    """A user mention in wiki markup; a ``group:<id>`` target as plain text naming the group."""
    if target.startswith(GROUP_PREFIX):
        return f"(group: {target.removeprefix(GROUP_PREFIX)})"
    return f"[~accountid:{target}]" if cloud else f"[~{target}]"


def note_body(action: Action, *, cloud: bool) -> str:
    """Internal notes: mentions first (so notifications show who must act), the text, then
    the marker. Public replies go to the customer: no mentions, no user ids, a small marker."""
    if is_public(action):
        trailer = f"{{color:#97a0af}}~ref {marker(action.id)}~{{color}}"
        return f"{action.text or ''}\n\n{trailer}"
    mentions = " ".join(mention(target, cloud=cloud) for target in action.mention)
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


def write_note(
    transport: Transport, settings: JiraSettings, directory: Directory, action: Action
) -> str | None:
    """Write the note (internal, or a public reply); return the new comment's id."""
    body = note_body(action, cloud=settings.is_cloud)
    public = is_public(action)
    style = settings.internal_note
    if style.kind == "jsm" and directory.known_desk(project_of(action.ticket)) is False:
        style = settings.restricted_note
    comment: Json | None = None
    if style.kind == "jsm" and directory.is_request(action.ticket):
        path = f"/rest/servicedeskapi/request/{quote(action.ticket, safe='')}/comment"
        try:
            created = transport.call("POST", path, body={"body": body, "public": public})
            return text(obj(created).get("id"))
        except PermanentApiError as exc:
            if exc.status != 404:
                raise
        if directory.is_service_desk(project_of(action.ticket)):
            directory.not_a_request(action.ticket)
        else:
            style = settings.restricted_note
    if style.kind == "jsm":  # a service desk's issue without a customer request
        comment = {"body": body, "properties": [jsm_mark(internal=not public)]}
    else:
        comment = comment_body(body, None if public else style)
    created = transport.call("POST", f"{issue_path(action.ticket)}/comment", body=comment)
    return text(obj(created).get("id"))


def jsm_mark(*, internal: bool) -> Json:
    """JSM's own mark of a comment's audience, as the platform comment API takes it."""
    return {"key": "sd.public.comment", "value": {"internal": internal}}


def edit_comment(settings: JiraSettings, directory: Directory, action: Action) -> Json | None:
    """The note as an issue edit's ``update.comment`` operation, when it can ride in an edit
    and keep its visibility: a restricted (or public) v2 comment. A JSM comment cannot (its
    visibility belongs to the JSM request API), so None on a service desk with ``jsm``."""
    style = settings.internal_note
    if style.kind == "jsm":
        if directory.known_desk(project_of(action.ticket)) is not False:
            return None
        style = settings.restricted_note
    body = note_body(action, cloud=settings.is_cloud)
    return {"add": comment_body(body, None if is_public(action) else style)}


def comment_body(body: str, restricted_to: InternalNote | None) -> dict[str, Any]:
    """A v2 comment: the wiki-markup body, restricted to a role or group when internal."""
    payload: dict[str, Any] = {"body": body}
    if restricted_to is not None:
        payload["visibility"] = {"type": restricted_to.kind, "value": restricted_to.name}
    return payload
