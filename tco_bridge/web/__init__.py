"""The Flask app, one blueprint per job: ``webhooks`` (the receiver, with its WSGI fast path),
``api`` (the read API) and ``agents`` (away and back), both behind ``auth`` (a bearer token, or
loopback only), ``health`` (``/healthz``, ``/readyz``), ``scrape`` (``/metrics`` for
Prometheus), ``signin`` (console users' sessions and roles) and ``console/`` (the pages);
``context`` gives a request the process's runtime."""

from __future__ import annotations

import logging
from typing import Any

import redis
from flask import Flask, jsonify, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException, ServiceUnavailable

from ..config import Settings
from ..rules_source import RulesNotLoaded
from ..runtime import Runtime
from . import agents, api, health, scrape, signin, webhooks
from .console import bp as console_bp

log = logging.getLogger(__name__)

REDIS_RETRY_AFTER_S = 5  # a Redis restart with AOF takes a few seconds


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> Flask:
    """App factory. Settings are read here, once; nothing reads the environment later."""
    if runtime is None:
        runtime = Runtime.build(settings or Settings.from_env())
    app = Flask("tco_bridge")
    app.config["MAX_CONTENT_LENGTH"] = runtime.settings.max_body_bytes
    app.extensions["tco"] = runtime
    app.register_blueprint(webhooks.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(agents.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(scrape.bp)
    signin.init_app(app)
    app.register_blueprint(console_bp)
    app.add_url_rule("/", "root", lambda: redirect(url_for("console.home")))
    for connector in runtime.connectors.values():
        # A connector may bring pages of its own (the sandbox's ticket API does).
        pages = connector.web_blueprint()
        if pages is not None:
            app.register_blueprint(pages)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Any:
        """Every HTTP error answers JSON with a reason; console pages answer HTML."""
        if request.path.startswith(("/console", "/login")):
            page = render_template("error.html", code=exc.code, reason=exc.description)
            return page, exc.code or 500
        response = jsonify(error=exc.name, reason=exc.description)
        response.status_code = exc.code or 500
        return response

    @app.errorhandler(RulesNotLoaded)
    def _no_rules(exc: RulesNotLoaded) -> Any:
        """A page that needs the rules, in a worker that booted while the file was invalid:
        503 naming the file's errors (the webhook path needs no rules and keeps working)."""
        return _http_error(ServiceUnavailable(f"no rules loaded: {'; '.join(exc.messages)}"))

    @app.errorhandler(redis.RedisError)
    def _redis_down(exc: redis.RedisError) -> Any:
        """Redis unreachable (restarting, failing over): every route that needs it answers
        503 with Retry-After, so senders deliver again later; one warning line per request."""
        log.warning("Redis unavailable, answering 503: %s", type(exc).__name__)
        response = jsonify(error=503, reason="event store unavailable; retry later")
        response.status_code = 503
        response.headers["Retry-After"] = str(REDIS_RETRY_AFTER_S)
        return response

    app.wsgi_app = webhooks.FastPath(app)  # type: ignore[method-assign]
    return app
