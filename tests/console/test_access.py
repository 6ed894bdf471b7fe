"""Every route, called without credentials and with a role too low: 401/403 or the sign-in page.

The only routes open to anyone are listed in OPEN with the reason; a new route that is neither
there nor guarded fails this test.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from console_kit import csrf_of, sign_in

from tco_bridge.users import add_user
from tco_bridge.web import create_app

OPEN = {
    "/healthz": "load balancers",
    "/readyz": "load balancers",
    "/login": "the sign-in page itself",
    "/": "a redirect to /console/, which is guarded",
    "/console/static/<path:filename>": "stylesheet and script",
    "/static/<path:filename>": "Flask's static folder (empty)",
}
#: The sandbox's own ticket API is the stand-in tool's screen: no sign-in by design (docs).
SANDBOX_TOOL = "/sandbox/"
#: Lowest role per console page; a user one rank below must get 403.
CONSOLE_ROLES = {
    "console.home": "agent",
    "console.ticket": "agent",
    "console.sandbox": "agent",
    "console.sandbox_panel": "agent",
    "console.updates": "lead",
    "console.escalations": "lead",
    "console.metrics": "lead",
    "console.metrics_csv": "lead",
    "console.failed_list": "admin",
    "console.failed_retry": "admin",
    "console.failed_purge": "admin",
    "console.failed_retry_all": "admin",
    "console.failed_purge_all": "admin",
}
BELOW = {"lead": "agent", "admin": "lead"}
VALUES = {"connector": "jira", "name": "jira", "table": "owners"}


@pytest.fixture
def app(make_runtime: Any, tmp_path: Any) -> Any:
    rt = make_runtime(
        TCO_CONNECTORS="sandbox,jira,zendesk",
        TCO_API_TOKEN="api-token-for-tests",
        TCO_SANDBOX_DB=str(tmp_path / "sandbox.sqlite"),
        TCO_SANDBOX_WEBHOOK_URL="http://127.0.0.1:9/webhooks/sandbox",
    )
    return create_app(runtime=rt)


def _routes(app: Any) -> list[tuple[str, str, str]]:
    """(endpoint, method, url) for every rule, with placeholders filled in."""
    found = []
    for rule in app.url_map.iter_rules():
        url = re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: VALUES.get(m.group(1), "x"), rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, url))
    return found


def _guarded(status: int, location: str | None) -> bool:
    return status in (401, 403) or (status == 302 and "/login" in (location or ""))


def test_every_route_refuses_a_caller_without_credentials(app: Any) -> None:
    client = app.test_client()
    checked = 0
    for endpoint, method, url in _routes(app):
        template = next(r.rule for r in app.url_map.iter_rules() if r.endpoint == endpoint)
        if template in OPEN or template.startswith(SANDBOX_TOOL):
            continue
        remote = {"REMOTE_ADDR": "10.0.0.7"}
        answer = client.open(url, method=method, environ_base=remote, json={})
        assert _guarded(answer.status_code, answer.headers.get("Location")), (
            f"{method} {url} answered {answer.status_code} without credentials"
        )
        checked += 1
    assert checked >= 20  # webhooks, read and agents APIs, every console page


def test_console_pages_answer_403_to_a_role_too_low(app: Any, redis_client: Any) -> None:
    rules = {r.endpoint: r for r in app.url_map.iter_rules()}
    assert {e for e in rules if e.startswith("console.") and e != "console.static"} == set(
        CONSOLE_ROLES
    )
    for role in ("lead", "admin"):
        client = app.test_client()
        csrf = sign_in(client, redis_client, f"user-{role}", BELOW[role])
        for endpoint, needed in CONSOLE_ROLES.items():
            if needed != role:
                continue
            for method, url in [(m, u) for e, m, u in _routes(app) if e == endpoint]:
                answer = client.open(url, method=method, data={"csrf_token": csrf})
                assert answer.status_code == 403, f"{method} {url} as {BELOW[role]}"
                assert "Not for your role" in answer.get_data(as_text=True)


def test_sign_in_needs_the_right_token_and_a_csrf_token(app: Any, redis_client: Any) -> None:
    client = app.test_client()
    token = add_user(redis_client, "lena", "lead")
    page = client.get("/login").get_data(as_text=True)
    no_csrf = client.post("/login", data={"name": "lena", "token": token})
    assert no_csrf.status_code == 400 and "CSRF" in no_csrf.get_data(as_text=True)
    wrong = client.post(
        "/login", data={"name": "lena", "token": "nope", "csrf_token": csrf_of(page)}
    )
    assert wrong.status_code == 401 and "wrong token" in wrong.get_data(as_text=True)
    ok = client.post(
        "/login?next=//evil.example/x",
        data={"name": "lena", "token": token, "csrf_token": csrf_of(page)},
    )
    assert ok.status_code == 302 and ok.headers["Location"] == "/console/"
    updates = client.get("/console/updates").get_data(as_text=True)
    assert "lena" in updates
    # A form without the CSRF token is refused even when signed in; the one from before the
    # sign-in is no longer valid (a new session, a new token).
    assert client.post("/logout").status_code == 400
    assert client.post("/logout", data={"csrf_token": csrf_of(page)}).status_code == 400
    out = client.post("/logout", data={"csrf_token": csrf_of(updates)})
    assert out.status_code == 302 and client.get("/console/").status_code == 302


def test_removing_a_user_ends_their_session(app: Any, redis_client: Any) -> None:
    from tco_bridge.users import remove_user

    client = app.test_client()
    sign_in(client, redis_client, "anna", "agent")
    assert client.get("/console/").status_code == 200
    remove_user(redis_client, "anna")
    assert client.get("/console/").headers["Location"].startswith("/login")


def test_json_apis_stay_usable_with_the_bearer_token(app: Any) -> None:
    client = app.test_client()
    bearer = {"Authorization": "Bearer api-token-for-tests"}
    assert client.get("/metrics/ownership", headers=bearer).status_code == 200
    assert client.get("/agents/away", headers=bearer).status_code == 200
    assert client.get("/metrics/ownership").status_code == 401


def test_the_sign_in_page_says_where_the_first_admin_token_is(
    make_runtime: Any, tmp_path: Any
) -> None:
    """A newcomer after `make demo` lands on the sign-in page: it names the file that holds
    the first admin's token (never the token), while that file is there."""
    rt = make_runtime(TCO_DATA_DIR=str(tmp_path), TCO_CONNECTORS="sandbox")
    client = create_app(runtime=rt).test_client()
    assert "admin.token" not in client.get("/login").get_data(as_text=True)
    token = add_user(rt.redis, "admin", "admin")
    (tmp_path / "admin.token").write_text(token + "\n")
    page = client.get("/login").get_data(as_text=True)
    where = tmp_path / "admin.token"
    assert f"Sign in as <strong>admin</strong> with the token in <code>{where}</code>" in page
    assert token not in page


@pytest.mark.parametrize("secure", ["0", "1"])
def test_the_session_cookie_is_marked_secure_when_served_over_https(
    make_runtime: Any, redis_client: Any, secure: str
) -> None:
    app = create_app(runtime=make_runtime(TCO_CONNECTORS="sandbox", TCO_SECURE_COOKIES=secure))
    client = app.test_client()
    token = add_user(redis_client, "lena", "lead")
    csrf = csrf_of(client.get("/login").get_data(as_text=True))
    answer = client.post("/login", data={"name": "lena", "token": token, "csrf_token": csrf})
    cookie = next(c for c in answer.headers.getlist("Set-Cookie") if c.startswith("tco_session="))
    assert ("; Secure" in cookie) is (secure == "1"), cookie
    assert "; HttpOnly" in cookie and "SameSite=Lax" in cookie
