"""Console sign-in: a signed session cookie, roles, and CSRF protection on every form.

Users and their tokens live in :mod:`tco_bridge.users`. The session cookie holds only the user
name (signed with the app's secret key); the user is read back on every request, so removing a
user or changing their role takes effect at once. Pages ask for a role with
:func:`require_role`: no session redirects to the sign-in page, a role too low answers 403.

Webhooks keep their signatures and the JSON APIs their bearer token; neither uses this.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import redis
from flask import Blueprint, Flask, g, redirect, render_template, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect
from itsdangerous import URLSafeTimedSerializer

from .. import keys
from ..users import User, check_token, get_user
from .context import runtime

F = TypeVar("F", bound=Callable[..., Any])
SECRET_KEY = keys.CONSOLE_SECRET
FIRST_ADMIN_TOKEN = "admin.token"  # in TCO_DATA_DIR, written by `tco-bridge run`

bp = Blueprint("signin", __name__, template_folder="console/templates")
csrf = CSRFProtect()


def init_app(app: Flask) -> None:
    """Session cookie, its flags, and CSRF checked by the console's own hooks (webhooks and
    JSON APIs carry no cookie, so they need none)."""
    app.session_interface = _Sessions()
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="tco_session",
        SESSION_COOKIE_SECURE=app.extensions["tco"].settings.secure_cookies,
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_TIME_LIMIT=None,
    )
    csrf.init_app(app)
    app.register_blueprint(bp)


class _Sessions(SecureCookieSessionInterface):
    """Signed cookies with the key from ``TCO_SECRET_KEY``, else one kept in Redis so every
    web process shares it. Read on first use, so the app starts (and webhooks answer 503)
    while Redis is down."""

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        if not app.secret_key:
            app.secret_key = _secret_key(app.extensions["tco"])
        return super().get_signing_serializer(app)


def _secret_key(rt: Any) -> str | None:
    if rt.settings.secret_key:
        key: str = rt.settings.secret_key
        return key
    try:
        rt.redis.set(SECRET_KEY, secrets.token_hex(32), nx=True)
        raw = rt.redis.get(SECRET_KEY)
    except redis.RedisError:
        return None  # no session this request; the next one tries again
    return raw.decode() if isinstance(raw, bytes) else raw


def current_user() -> User | None:
    """The signed-in user of this request (read once per request)."""
    if "user" not in g:
        name = session.get("user")
        g.user = get_user(runtime().redis, name) if isinstance(name, str) else None
    user: User | None = g.user
    return user


def require_role(role: str) -> Callable[[F], F]:
    """Pages for ``role`` and above; POSTs also need a valid CSRF token."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                return redirect(url_for("signin.login", next=request.full_path.rstrip("?")))
            if not user.may(role):
                page = render_template("denied.html", user=user, role=role)
                return page, 403
            if request.method == "POST":
                csrf.protect()
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorate


def _safe_next(target: str | None) -> str:
    """Only paths on this site: never redirect a signed-in user elsewhere."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return url_for("console.home")
    parts = urlsplit(target)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    error = None
    if request.method == "POST":
        csrf.protect()
        name = request.form.get("name", "").strip()
        user = check_token(runtime().redis, name, request.form.get("token", ""))
        if user is not None:
            session.clear()
            session["user"] = user.name
            return redirect(_safe_next(request.args.get("next")))
        error = "Unknown user or wrong token."
    status = 401 if error else 200
    page = render_template("login.html", error=error, user=None, first=_first_admin_file())
    return page, status


def _first_admin_file() -> Path | None:
    """Where ``make run`` left the first admin's token (``first_admin`` in the CLI), while
    that file and that user are there: a newcomer's first question on this page."""
    rt = runtime()
    path = rt.settings.data_dir / FIRST_ADMIN_TOKEN
    try:
        return path if path.is_file() and get_user(rt.redis, "admin") is not None else None
    except redis.RedisError:
        return None


@bp.post("/logout")
def logout() -> Any:
    if current_user() is not None:
        csrf.protect()  # signing someone out is a change too: no cross-site forms
    session.clear()
    return redirect(url_for("signin.login"))
