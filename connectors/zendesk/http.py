"""The one place where the Zendesk connector talks HTTP.

Everything outbound is built as an :class:`ApiRequest` and handed to a ``send`` callable, so a
rate limiter (or a test) can wrap or replace that single seam. :class:`Transport` is the real
one, on ``requests``: it adds basic auth (``email/token:apitoken``) and the timeout, and turns
every failure into the shared retry table (:mod:`tco_bridge.retry`). Error messages carry the
method and path only; the credentials travel in the ``Authorization`` header and never in a
URL or message.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests

from tco_bridge.errors import PermanentApiError
from tco_bridge.retry import raise_for_response, transport_error

CONNECTOR = "zendesk"


@dataclass(frozen=True, slots=True)
class ApiRequest:
    """One REST call. ``path`` is ``/api/v2/...`` or a pagination link on the same host."""

    method: str
    path: str
    params: Mapping[str, str] = field(default_factory=dict)
    body: Mapping[str, Any] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def what(self) -> str:
        """Method and path for messages (no query string, no host)."""
        return f"{self.method} {urlsplit(self.path).path}"


@dataclass(frozen=True, slots=True)
class ApiResponse:
    status: int
    headers: Mapping[str, str]
    data: dict[str, Any]


Send = Callable[[ApiRequest], ApiResponse]


class Transport:
    """``requests``-backed :data:`Send` for one Zendesk account."""

    def __init__(
        self,
        base_url: str,
        email: str,
        api_token: str,
        timeout: float,
        session: requests.Session | None = None,
    ) -> None:
        self._base = base_url.rstrip("/")
        self._auth = (f"{email}/token", api_token)
        self._timeout = timeout
        self._session = session or requests.Session()

    def __repr__(self) -> str:
        return f"Transport({self._base!r})"

    def __call__(self, request: ApiRequest) -> ApiResponse:
        url = self._url(request)
        try:
            answer = self._session.request(
                request.method,
                url,
                params=dict(request.params) or None,
                json=request.body,
                headers={"Accept": "application/json", **request.headers},
                auth=self._auth,
                timeout=self._timeout,
            )
        # `from None`: the requests exception's text carries the URL and may carry credentials,
        # and a chained cause is printed with every traceback.
        except (requests.Timeout, requests.ConnectionError) as exc:
            raise transport_error(CONNECTOR, request.what, exc) from None
        except requests.RequestException as exc:
            raise PermanentApiError(
                CONNECTOR, f"{request.what} failed: {type(exc).__name__}"
            ) from None
        raise_for_response(
            CONNECTOR, answer.status_code, answer.headers, request.what, answer.text[:300]
        )
        return ApiResponse(answer.status_code, answer.headers, _json(answer.text))

    def _url(self, request: ApiRequest) -> str:
        """Join a path to the base URL; follow absolute links only to our own host.

        Pagination links are absolute. Refusing other hosts keeps the credentials from ever
        being sent anywhere but the configured account.
        """
        if not request.path.startswith(("http://", "https://")):
            return self._base + request.path
        target, own = urlsplit(request.path), urlsplit(self._base)
        if (target.scheme, target.netloc) != (own.scheme, own.netloc):
            raise PermanentApiError(
                CONNECTOR, f"refusing to follow a link to another host: {target.netloc}"
            )
        return request.path


def _json(body: str) -> dict[str, Any]:
    """The answer's JSON object, or ``{}`` for an empty or non-object body."""
    try:
        data = json.loads(body) if body.strip() else {}
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
