"""Read-API access: a bearer token, or loopback only when no token is configured.

Ticket data is not public. Webhooks are authenticated by their signatures instead, and the
health checks stay open for load balancers.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from functools import wraps
from ipaddress import ip_address
from typing import Any, TypeVar

from flask import jsonify, request

from .context import runtime

F = TypeVar("F", bound=Callable[..., Any])


def _is_loopback(addr: str | None) -> bool:
    try:
        return addr is not None and ip_address(addr).is_loopback
    except ValueError:
        return False


def require_reader(view: F) -> F:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        token = runtime().settings.api_token
        if token:
            given = request.headers.get("Authorization", "")
            scheme, _, value = given.partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(
                value.encode(), token.encode()
            ):
                return _deny("a valid 'Authorization: Bearer <TCO_API_TOKEN>' header is required")
        elif not _is_loopback(request.remote_addr):
            return _deny("no TCO_API_TOKEN is configured, so only loopback clients may read")
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def _deny(reason: str) -> Any:
    response = jsonify(error=401, reason=reason)
    response.status_code = 401
    response.headers["WWW-Authenticate"] = 'Bearer realm="tco-bridge"'
    return response
