"""POST /webhooks/<connector>: verify, parse, dedupe, queue, answer 202 — in milliseconds."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import redis
from flask import Blueprint, Response, jsonify, request

from .. import jsonbody
from ..errors import DeliveryError, PayloadTooLarge, UnknownConnector
from ..prometheus import count_webhook
from ..receiver import require_json
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
