"""Retry or give up: decided once, for every connector.

    2xx                        → ok
    429, 5xx, timeout, refused → RetryableApiError (honours Retry-After / X-RateLimit-Reset)
    any other status           → PermanentApiError (parked for an admin)

Connectors call :func:`raise_for_response` on every response and :func:`transport_error` when
the HTTP call itself failed, so the table lives in one place and is tested once per connector.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime

from .errors import PermanentApiError, RetryableApiError

RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


def is_retryable(status: int) -> bool:
    return status in RETRYABLE_STATUSES or status >= 500


def retry_after_seconds(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds to wait, from ``Retry-After`` (seconds or HTTP date) or ``X-RateLimit-Reset``."""
    lowered = {k.lower(): v for k, v in headers.items()}
    value = lowered.get("retry-after")
    if value:
        value = value.strip()
        try:
            return max(0.0, float(value))
        except ValueError:
            try:
                when = parsedate_to_datetime(value).timestamp()
            except (TypeError, ValueError):
                return None
            return max(0.0, when - (now if now is not None else time.time()))
    reset = lowered.get("x-ratelimit-reset")
    if reset:
        try:  # Jira sends an ISO timestamp; some tools send epoch seconds
            return max(0.0, float(reset) - (now if now is not None else time.time()))
        except ValueError:
            from datetime import datetime

            try:
                when = datetime.fromisoformat(reset.replace("Z", "+00:00")).timestamp()
            except ValueError:
                return None
            return max(0.0, when - (now if now is not None else time.time()))
    return None


def raise_for_response(
    connector: str, status: int, headers: Mapping[str, str], what: str, body_excerpt: str = ""
) -> None:
    """Raise the right error for a non-2xx answer; return quietly on 2xx.

    ``what`` names the request (method and path, never the credentials); ``body_excerpt`` is a
    short piece of the tool's answer to help the admin.
    """
    if 200 <= status < 300:
        return
    excerpt = body_excerpt[:300]
    message = f"{what} answered {status}" + (f": {excerpt}" if excerpt else "")
    if is_retryable(status):
        raise RetryableApiError(
            connector, message, status=status, retry_after=retry_after_seconds(headers)
        )
    raise PermanentApiError(connector, message, status=status)


def transport_error(connector: str, what: str, exc: BaseException) -> RetryableApiError:
    """A timeout or connection failure: worth retrying. Only the exception type is kept, as
    exception texts can carry URLs with credentials in them."""
    return RetryableApiError(connector, f"{what} failed: {type(exc).__name__}")
