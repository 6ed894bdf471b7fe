"""The retry classification every connector shares (see :mod:`tco_bridge.retry`), as the
cases the kit plays against a connector."""

from __future__ import annotations

from collections.abc import Sequence

import requests

from ..errors import PermanentApiError, RetryableApiError
from .cases import Reply, RetryCase


def leaky(kind: type[Exception], secrets: Sequence[str]) -> Exception:
    """A transport failure whose text carries credentials, as a URL with userinfo would."""
    joined = ":".join(secrets) or "no-secret"
    return kind(f"HTTPSConnectionPool(host='{joined}@tool.example'): Max retries exceeded")


#: The retry classification every connector shares (see :mod:`tco_bridge.retry`).
#: Transport errors are filled in per connector so their text can carry its secrets.
RETRY_TABLE: tuple[RetryCase, ...] = (
    RetryCase("2xx", Reply(), None),
    RetryCase("429-retry-after", Reply(429, {"Retry-After": "17"}), RetryableApiError, 17.0),
    RetryCase("500", Reply(500), RetryableApiError),
    RetryCase("502", Reply(502), RetryableApiError),
    RetryCase("503", Reply(503), RetryableApiError),
    RetryCase("503-retry-after", Reply(503, {"Retry-After": "5"}), RetryableApiError, 5.0),
    RetryCase("400", Reply(400), PermanentApiError),
    RetryCase("401", Reply(401), PermanentApiError),
    RetryCase("403", Reply(403), PermanentApiError),
    RetryCase("404", Reply(404), PermanentApiError),
    RetryCase("422", Reply(422), PermanentApiError),
)
TRANSPORT_FAILURES: tuple[tuple[str, type[Exception]], ...] = (
    ("read-timeout", requests.ReadTimeout),
    ("connect-timeout", requests.ConnectTimeout),
    ("connection-refused", requests.ConnectionError),
)
FAILURE_IDS = [c.id for c in RETRY_TABLE if c.raises] + [n for n, _ in TRANSPORT_FAILURES]
ALL_IDS = [c.id for c in RETRY_TABLE] + [n for n, _ in TRANSPORT_FAILURES]
