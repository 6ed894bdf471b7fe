"""What one Jira site names its own way, looked up once and cached per process.

* **Custom field names → ids.** Data Center changelogs name custom fields by display name
  (``"field": "Team", "fieldtype": "custom"``) with no ``fieldId``. Names configured in
  ``TCO_JIRA_FIELDS`` win; others are read from ``GET /rest/api/2/field`` (every field's
  ``id`` and ``name``), once, and read again on a miss, at most every ``REFRESH_S`` seconds,
  so a field added later is found without a restart and an unrelated field cannot make every
  delivery call Jira.
* **Data Center user keys → usernames.** DC changelog ``from``/``to`` carry user keys
  (``JIRAUSER10103``); mentions (``[~username]``), assignments and user-picker fields want the
  username. The delivery's own user objects answer first (see ``inbound``); else
  ``GET /rest/api/2/user?key=<key>``, cached. A key Jira cannot name (a deleted user, an
  error) is asked about again only after ``REFRESH_S``: parsing runs while Jira waits for the
  webhook's answer, so it must not call Jira on every delivery that carries that key.
* **Service-desk projects.** A JSM internal comment exists only on a service-desk project
  (elsewhere ``/rest/servicedeskapi/`` answers 404). ``GET /rest/api/2/project/{key}`` says
  ``projectTypeKey: service_desk``; cached per project. Within one, the issues found to be no
  customer request (the JSM endpoint answered 404) are remembered, the latest ``ISSUES``.

Look-ups are a convenience on the way in: when Jira cannot be asked (no URL or token, an
error), the name or key is kept as it came and the delivery is still parsed. On the way out an
error propagates, classified by the shared retry table like any write-back failure.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import quote

from tco_bridge.errors import TicketApiError

from .payload import obj, text
from .settings import JiraSettings
from .transport import Transport

#: Seconds between two reads of the field list prompted by unknown names.
REFRESH_S = 300.0
#: Service-desk issues remembered as no customer request.
ISSUES = 10_000
SERVICE_DESK = "service_desk"


class Directory:
    """Field ids, usernames and project types of one site, cached."""

    def __init__(
        self,
        settings: JiraSettings,
        transport: Transport,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = settings
        self._transport = transport
        self._clock = clock
        self._fields: dict[str, str] = {}
        self._fields_read_at: float | None = None
        self._users: dict[str, str] = {}
        self._unnamed: dict[str, float] = {}  # key → when Jira could not name it
        self._desks: dict[str, bool] = {}
        self._not_requests: dict[str, None] = {}  # insertion-ordered: the oldest go first

    @property
    def can_ask(self) -> bool:
        return bool(self._settings.url and self._settings.api_token)

    # --- custom fields -------------------------------------------------------------------
    def field_id(self, name: str) -> str | None:
        """The id of the field displayed as ``name`` (case-insensitive), if the site has one."""
        key = name.casefold()
        configured = self._settings.field_names.get(key)
        if configured is not None:
            return configured
        if key not in self._fields and self._may_refresh():
            self._read_fields()
        return self._fields.get(key)

    def _may_refresh(self) -> bool:
        if not self.can_ask:
            return False
        read_at = self._fields_read_at
        return read_at is None or self._clock() - read_at >= REFRESH_S

    def _read_fields(self) -> None:
        self._fields_read_at = self._clock()
        try:
            listed = self._transport.call("GET", "/rest/api/2/field")
        except TicketApiError:
            return
        for field in listed if isinstance(listed, list) else []:
            field_id, name = text(obj(field).get("id")), text(obj(field).get("name"))
            if field_id and name:
                self._fields.setdefault(name.casefold(), field_id)

    # --- users ---------------------------------------------------------------------------
    def username(self, key: str) -> str | None:
        """The username of the DC user with ``key``; None when Jira cannot say."""
        if key in self._users:
            return self._users[key]
        missed_at = self._unnamed.get(key)
        if not self.can_ask or (missed_at is not None and self._clock() - missed_at < REFRESH_S):
            return None
        try:
            user = self._transport.call("GET", "/rest/api/2/user", params={"key": key})
        except TicketApiError:
            user = None
        name = text(obj(user).get("name"))
        if name:
            self._users[key] = name
            self._unnamed.pop(key, None)
        else:
            self._unnamed[key] = self._clock()
        return name

    # --- projects ------------------------------------------------------------------------
    def known_desk(self, project: str) -> bool | None:
        """What is cached about ``project`` (None: not asked yet)."""
        return self._desks.get(project)

    def is_service_desk(self, project: str) -> bool:
        """Whether ``project`` is a Jira Service Management project (raises when Jira cannot
        say: the write-back is retried rather than sent to the wrong endpoint)."""
        if project not in self._desks:
            path = f"/rest/api/2/project/{quote(project, safe='')}"
            answer = obj(self._transport.call("GET", path))
            self._desks[project] = answer.get("projectTypeKey") == SERVICE_DESK
        return self._desks[project]

    def is_request(self, issue_key: str) -> bool:
        """False when ``issue_key`` was found to be no JSM customer request."""
        return issue_key not in self._not_requests

    def not_a_request(self, issue_key: str) -> None:
        self._not_requests[issue_key] = None
        while len(self._not_requests) > ISSUES:
            del self._not_requests[next(iter(self._not_requests))]


def project_of(issue_key: str) -> str:
    """``SUP-12`` → ``SUP``."""
    return issue_key.rpartition("-")[0] or issue_key
