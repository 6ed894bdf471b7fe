"""POST /webhooks/<connector>: verify, parse, dedupe, queue, answer 202 — in milliseconds."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import redis
from flask import Blueprint, jsonify, request

from ..connector import lower_headers
from ..errors import DeliveryError, PayloadTooLarge, UnknownConnector
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
        headers = lower_headers(request.headers)
        accepted = rt.receiver.receive(connector, headers, body, datetime.now(UTC))
    except UnknownConnector:
        return _error(404, f"no connector {name!r} is enabled here", known=sorted(rt.connectors))
    except DeliveryError as exc:
        return _error(exc.status, exc.reason)
    except redis.RedisError:
        # Our problem, not the sender's: 503 makes Jira and Zendesk retry the delivery later.
        return _error(503, "event store unavailable; retry later")
    return jsonify(accepted.to_json()), 202


def _error(status: int, reason: str, **extra: Any) -> Any:
    return jsonify(error=status, reason=reason, **extra), status
