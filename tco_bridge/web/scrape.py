"""``GET /metrics``: the bridge's operational metrics for Prometheus (``prometheus.py``).

Access: ``Authorization: Bearer <TCO_METRICS_TOKEN>`` (a token that reads metrics and nothing
else, for the scrape config) or the read API's ``TCO_API_TOKEN``; with neither configured,
loopback clients only, like the read API.
"""

from __future__ import annotations

import hmac
from typing import Any

from flask import Blueprint, Response, request
from prometheus_client import CONTENT_TYPE_LATEST

from ..prometheus import render
from .auth import _deny, _is_loopback
from .context import runtime

bp = Blueprint("scrape", __name__)


@bp.get("/metrics")
def metrics() -> Any:
    rt = runtime()
    tokens = [t for t in (rt.settings.metrics_token, rt.settings.api_token) if t]
    if tokens:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not any(
            hmac.compare_digest(given.encode(), t.encode()) for t in tokens
        ):
            return _deny("a valid 'Authorization: Bearer <TCO_METRICS_TOKEN>' header is required")
    elif not _is_loopback(request.remote_addr):
        return _deny("no TCO_METRICS_TOKEN is configured, so only loopback clients may scrape")
    body = render(rt, str(rt.settings.prometheus_dir) if rt.settings.prometheus_dir else None)
    return Response(body, mimetype=CONTENT_TYPE_LATEST)
