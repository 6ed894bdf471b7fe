"""The one seam through which the Jira connector talks HTTP.

It uses the ``jira`` library's authenticated session (basic auth with an API token on Cloud,
a bearer personal access token on Data Center), built lazily on the first call so that a
connector without ``TCO_JIRA_URL`` still parses webhooks.

Retries: the client is built with ``max_retries=0``, ``get_server_info=False`` and a timeout.
The library's own ``ResilientSession`` would otherwise retry 429/503 and connection errors for
every method, POST included, sleeping up to 60 s inside the call: a retried POST can write a
second comment, and a sleeping job ties up an RQ worker. Instead every failure is classified
once by :mod:`tco_bridge.retry` and the RQ job is retried with backoff (honouring Retry-After),
re-running with ``check_existing`` so writes stay idempotent. ``get_server_info=False`` avoids
an extra request per job; the deployment comes from settings instead.

Secrets: ``JIRAError.__str__`` prints request headers (the ``Authorization`` header among
them) and library exceptions may carry URLs, so errors are rebuilt from the status, the
request's method and path, and Jira's own error text, and raised ``from None``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NoReturn

import requests

from tco_bridge.errors import PermanentApiError
from tco_bridge.retry import raise_for_response, transport_error

from .settings import JiraSettings

if TYPE_CHECKING:  # imported lazily: the web process, which only parses, never loads it
    from jira import JIRA

CONNECTOR = "jira"


class Transport:
    """``call(method, path, ...)`` → parsed JSON, or a ``TicketApiError``."""

    def __init__(self, settings: JiraSettings) -> None:
        self._settings = settings
        self._jira: JIRA | None = None

    def __repr__(self) -> str:
        return f"Transport(url={self._settings.url!r})"

    def call(
        self,
        method: str,
        path: str,
        *,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> Any:
        """Send one request; ``path`` starts with ``/rest/``. Returns JSON or ``None``."""
        from jira import JIRAError

        what = f"{method} {path}"
        session = self._client()._session
        data = json.dumps(body) if body is not None else None
        failure: Exception | None = None
        try:
            response = session.request(
                method, f"{self._settings.url}{path}", data=data, params=params
            )
        except (JIRAError, requests.RequestException) as exc:
            failure = exc  # raised below, outside this block, so no exception context leaks
        if failure is not None:
            self._fail(failure, what)
        return self._json(response, what)

    @staticmethod
    def _json(response: requests.Response, what: str) -> Any:
        """A 2xx body as JSON (``None`` when empty, e.g. 204); HTML here means a proxy or a
        login page answered instead of Jira: an admin must look."""
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            pass
        raise PermanentApiError(CONNECTOR, f"{what} answered {response.status_code} without JSON")

    def _fail(self, exc: Exception, what: str) -> NoReturn:
        """Classify through the shared retry table; a failure without a status is transport."""
        from jira import JIRAError

        if isinstance(exc, JIRAError) and exc.status_code is not None:
            headers = dict(exc.response.headers) if exc.response is not None else {}
            raise_for_response(CONNECTOR, exc.status_code, headers, what, self._scrub(exc.text))
        raise transport_error(CONNECTOR, what, exc)

    def _scrub(self, message: str | None) -> str:
        """Jira's error text, with any configured secret blanked out (belt and braces)."""
        out = message or ""
        for secret in (self._settings.api_token, self._settings.webhook_secret):
            if secret:
                out = out.replace(secret, "***")
        return out

    def _client(self) -> JIRA:
        if self._jira is None:
            self._jira = self._build()
        return self._jira

    def _build(self) -> JIRA:
        from jira import JIRA

        s = self._settings
        if not s.url:
            raise PermanentApiError(CONNECTOR, "TCO_JIRA_URL is not set: cannot write to Jira")
        if not s.api_token:
            raise PermanentApiError(CONNECTOR, "TCO_JIRA_API_TOKEN is not set")
        common: dict[str, Any] = {"get_server_info": False, "max_retries": 0, "timeout": s.timeout}
        if s.is_cloud:
            if not s.user:
                raise PermanentApiError(CONNECTOR, "TCO_JIRA_USER is not set (Cloud e-mail)")
            return JIRA(server=s.url, basic_auth=(s.user, s.api_token), **common)
        return JIRA(server=s.url, token_auth=s.api_token, **common)
