"""POST /webhooks/<connector>: verify, parse, dedupe, queue, answer 202 — in milliseconds.

Two ways in, one receiver: the Flask view, and :class:`FastPath`, a WSGI layer in front of
the app that answers an acceptable delivery straight from the environ. Flask's request
context, session, routing and response objects cost more CPU than verifying, parsing and
queueing a 9 KB delivery (benchmarks/README.md has the profile); whatever is not a plain
success (an error, a Redis outage, a recording) goes on to the view, which answers it.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import redis
from flask import Blueprint, Flask, Response, jsonify, request

from .. import jsonbody
from ..errors import DeliveryError, PayloadTooLarge, UnknownConnector
from ..prometheus import count_webhook
from ..receiver import require_json
from ..runtime import Runtime
from .context import runtime

bp = Blueprint("webhooks", __name__)


@bp.post("/webhooks/<name>")
def receive(name: str) -> Any:
    rt = runtime()
    try:
        connector = rt.connector(name)
        limit = rt.settings.max_body_bytes
        if request.content_length is not None and request.content_length > limit:
            raise PayloadTooLarge(f"body is {request.content_length} bytes; the limit is {limit}")
        require_json(request.content_type)
        refused = request.environ.pop(REFUSED, None)
        if refused is not None:
            raise refused  # the fast path already tried this delivery: answer for it, once
        body = request.get_data(cache=False)
        headers = headers_of(request.environ)
        accepted = rt.receiver.receive(connector, headers, body, datetime.now(UTC))
    except UnknownConnector:
        count_webhook("unknown", 404)  # not the name: anyone could fill the label set
        return _error(404, f"no connector {name!r} is enabled here", known=sorted(rt.connectors))
    except DeliveryError as exc:
        count_webhook(name, exc.status)
        return _error(exc.status, exc.reason)
    except redis.RedisError:
        # Our problem, not the sender's: the app answers 503 with Retry-After
        # (web/__init__.py), and Jira and Zendesk deliver again later.
        count_webhook(name, 503)
        raise
    count_webhook(name, accepted.status)
    return Response(jsonbody.dumps(accepted.to_json()), 202, mimetype="application/json")


def headers_of(environ: dict[str, Any]) -> dict[str, str]:
    """Request headers with lower-case names, read straight from the WSGI environ: several
    times cheaper than iterating werkzeug's header view, on the one path that must be fast."""
    headers = {
        key[5:].replace("_", "-").lower(): value
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            headers[key.replace("_", "-").lower()] = environ[key]
    return headers


def _error(status: int, reason: str, **extra: Any) -> Any:
    return jsonify(error=status, reason=reason, **extra), status


PREFIX = "/webhooks/"
_ACCEPTED = "202 ACCEPTED"
REFUSED = "tco.webhook.refused"  # environ key: why the fast path did not accept a delivery


class FastPath:
    """WSGI middleware: a signed, readable POST to a known connector is verified, parsed,
    deduped and queued by the same :class:`~tco_bridge.receiver.Receiver`, and answered 202
    without Flask. Anything else reaches the view untouched, or, when the receiver refused it
    (a ``DeliveryError`` raised before anything was queued, or a Redis error), with its body
    put back and the refusal in the environ: the view answers that refusal as usual, counted
    once, without verifying or trying Redis a second time.
    Recording mode always takes the view, so a delivery is never recorded twice; with
    ``TCO_WEBHOOK_FAST_PATH=0`` every request does (to compare, or to rule the layer out)."""

    def __init__(self, app: Flask) -> None:
        self.wsgi_app = app.wsgi_app
        self.rt: Runtime = app.extensions["tco"]
        self.enabled = self.rt.settings.webhook_fast_path

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        answer = self._accept(environ) if self.enabled else None
        if answer is None:
            return self.wsgi_app(environ, start_response)
        start_response(
            _ACCEPTED, [("Content-Type", "application/json"), ("Content-Length", str(len(answer)))]
        )
        return [answer]

    def _accept(self, environ: dict[str, Any]) -> bytes | None:
        path: str = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD") != "POST" or not path.startswith(PREFIX):
            return None
        rt, name = self.rt, path[len(PREFIX) :]
        connector = rt.connectors.get(name)
        length = environ.get("CONTENT_LENGTH") or ""
        if (
            connector is None
            or rt.receiver.record_path is not None
            or not length.isdigit()
            or int(length) > rt.settings.max_body_bytes
        ):
            return None
        try:
            require_json(environ.get("CONTENT_TYPE"))
        except DeliveryError:
            return None
        body: bytes = environ["wsgi.input"].read(int(length))
        try:
            accepted = rt.receiver.receive(connector, headers_of(environ), body, datetime.now(UTC))
        except (DeliveryError, redis.RedisError) as exc:
            environ[REFUSED] = exc  # the view answers it without verifying or queueing again
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            return None
        count_webhook(name, accepted.status)
        return jsonbody.dumps(accepted.to_json())
