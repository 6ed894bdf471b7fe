"""Retry or give up: decided once, for every connector.

    2xx                        → ok
    429, 5xx, timeout, refused → RetryableApiError (honours Retry-After / X-RateLimit-Reset)
    any other status           → PermanentApiError (parked for an admin)

Connectors call :func:`raise_for_response` on every response and :func:`transport_error` when
the HTTP call itself failed, so the table lives in one place and is tested once per connector.
The write-back job asks :func:`delay` when to try a retryable failure again.
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime

from .errors import PermanentApiError, RetryableApiError

BACKOFF_BASE_S = 10.0
BACKOFF_CAP_S = 15 * 60.0
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


def delay(attempt: int, retry_after: float | None) -> float:
    """Seconds before attempt ``attempt + 1``.

    When the tool said when (``Retry-After``), that, plus a little jitter (a tenth of it, at
    most 2 s) so jobs refused together do not come back together: the write lands as soon as
    the tool allows. Otherwise exponential backoff (10 s, 20 s, 40 s, ... capped at 15 min)
    with jitter in its upper half.
    """
    if retry_after is not None and retry_after > 0:
        return retry_after + random.uniform(0, min(2.0, retry_after / 10))
    backoff = min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2.0 ** min(attempt - 1, 32))
    return backoff * random.uniform(0.5, 1.0)
