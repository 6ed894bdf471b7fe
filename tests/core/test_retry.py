"""The shared retry table and Retry-After parsing."""

from __future__ import annotations

import pytest

from tco_bridge.errors import PermanentApiError, RetryableApiError
from tco_bridge.retry import raise_for_response, retry_after_seconds, transport_error

NOW = 1_767_600_000.0  # 2026-01-05 08:00:00 UTC


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "7"}, 7.0),
        ({"retry-after": " 2.5 "}, 2.5),
        ({"Retry-After": "Mon, 05 Jan 2026 08:00:30 GMT"}, 30.0),
        ({"Retry-After": "Mon, 05 Jan 2026 07:00:00 GMT"}, 0.0),  # in the past: now
        ({"Retry-After": "soon"}, None),
        ({"X-RateLimit-Reset": str(NOW + 12)}, 12.0),
        ({"X-RateLimit-Reset": "2026-01-05T08:01:00Z"}, 60.0),
        ({"X-RateLimit-Reset": "whenever"}, None),
        ({}, None),
    ],
)
def test_retry_after(headers: dict[str, str], expected: float | None) -> None:
    assert retry_after_seconds(headers, now=NOW) == expected


@pytest.mark.parametrize("status", [200, 201, 204])
def test_2xx_is_fine(status: int) -> None:
    raise_for_response("jira", status, {}, "PUT /x")


@pytest.mark.parametrize("status", [408, 425, 429, 500, 502, 503, 504, 599])
def test_retryable_statuses(status: int) -> None:
    with pytest.raises(RetryableApiError) as info:
        raise_for_response("jira", status, {"Retry-After": "3"}, "PUT /x", "busy")
    assert (info.value.status, info.value.retry_after) == (status, 3.0)
    assert "PUT /x answered" in str(info.value) and "busy" in str(info.value)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422])
def test_other_4xx_is_permanent(status: int) -> None:
    with pytest.raises(PermanentApiError) as info:
        raise_for_response("zendesk", status, {}, "POST /y", "x" * 1000)
    assert info.value.connector == "zendesk" and len(str(info.value)) < 400


def test_transport_errors_keep_only_the_type() -> None:
    error = transport_error("jira", "GET /z", OSError("https://user:secret@host/ refused"))
    assert isinstance(error, RetryableApiError)
    assert "secret" not in str(error) and "OSError" in str(error)
