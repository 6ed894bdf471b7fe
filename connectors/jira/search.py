"""JQL search with paging, for task de-duplication and reconcile.

Jira Cloud removed ``/rest/api/2/search`` (offset paging) in 2025 in favour of
``/rest/api/2/search/jql``, which pages with ``nextPageToken``; Data Center keeps
``/rest/api/2/search`` with ``startAt``/``maxResults``. Both are read lazily, a page at a time,
so a caller that needs one hit makes one request.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .payload import Json, obj
from .transport import Transport


def search(
    transport: Transport, jql: str, fields: list[str], *, cloud: bool, page_size: int = 50
) -> Iterator[Json]:
    """Every issue matching ``jql``, with ``fields``."""
    if cloud:
        return _cloud(transport, jql, ",".join(fields), page_size)
    return _datacenter(transport, jql, ",".join(fields), page_size)


def _issues(page: Any) -> list[Json]:
    return [obj(issue) for issue in obj(page).get("issues") or []]


def _cloud(transport: Transport, jql: str, fields: str, size: int) -> Iterator[Json]:
    token: str | None = None
    seen: set[str] = set()
    while True:
        params: dict[str, Any] = {"jql": jql, "fields": fields, "maxResults": size}
        if token:
            params["nextPageToken"] = token
        page = obj(transport.call("GET", "/rest/api/2/search/jql", params=params))
        yield from _issues(page)
        token = page.get("nextPageToken")
        if not token or page.get("isLast") is True or token in seen:
            return  # a repeated token would page forever: stop rather than loop
        seen.add(token)


def _datacenter(transport: Transport, jql: str, fields: str, size: int) -> Iterator[Json]:
    start = 0
    while True:
        params = {"jql": jql, "fields": fields, "startAt": start, "maxResults": size}
        page = obj(transport.call("GET", "/rest/api/2/search", params=params))
        issues = _issues(page)
        yield from issues
        start += len(issues)
        total = page.get("total")
        if not issues or (isinstance(total, int) and start >= total):
            return
