"""Console test helpers: create a user and sign a Flask test client in through the form."""

from __future__ import annotations

import re
from typing import Any

from tco_bridge.users import add_user

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(page: str) -> str:
    found = _CSRF.search(page)
    assert found, "the page has no CSRF token"
    return found.group(1)


def sign_in(client: Any, redis: Any, name: str, role: str, agent: str | None = None) -> str:
    """Create ``name`` with ``role`` and sign ``client`` in; returns the CSRF token to post."""
    token = add_user(redis, name, role, agent)
    page = client.get("/login").get_data(as_text=True)
    answer = client.post("/login", data={"name": name, "token": token, "csrf_token": csrf_of(page)})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return csrf_of(client.get("/console/").get_data(as_text=True))
