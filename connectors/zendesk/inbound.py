"""Webhook in: signature check and parse, as pure functions of (headers, body bytes).

Headers are expected with lower-case names (``tco_bridge.connector.lower_headers``). Two kinds
of webhook reach the same endpoint, told apart by the body alone:

* an **event subscription** (the kind we document first): ``type`` starts with
  ``zen:event-type:`` → :mod:`.subscription`;
* a **trigger-connected** webhook whose JSON body is our template (a ``tco_bridge`` key)
  → :mod:`.template`.

Anything else is refused with :class:`UnreadableDelivery` (HTTP 400) and a reason that says
what is missing and where the template is documented. Readable deliveries we do not use
(attachments, CSAT, user and organisation events) come back with ``ignored`` set, so they are
acknowledged with 202: refusals count towards Zendesk's webhook circuit breaker.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timedelta
from typing import Any

from tco_bridge import jsonbody
from tco_bridge.connector import Delivery, Headers
from tco_bridge.errors import SignatureError, UnreadableDelivery
from tco_bridge.events import utc

from . import subscription, template
from .formats import parse_timestamp

SIGNATURE_HEADER = "x-zendesk-webhook-signature"
TIMESTAMP_HEADER = "x-zendesk-webhook-signature-timestamp"


def verify(
    headers: Headers, body: bytes, now: datetime, *, secret: str | None, max_age: float
) -> None:
    """Raise :class:`SignatureError` unless ``body`` carries Zendesk's signature for ``secret``.

    Zendesk signs ``timestamp + raw body`` (no separator) with HMAC-SHA256, the secret used as
    the key as-is, and sends the digest in base64. The timestamp must lie within ``max_age``
    seconds of ``now`` in either direction, so a captured delivery cannot be replayed later.
    """
    if not secret:
        raise SignatureError("no Zendesk webhook secret is configured to verify against")
    signature = headers.get(SIGNATURE_HEADER)
    if not signature:
        raise SignatureError("missing X-Zendesk-Webhook-Signature header")
    stamp = headers.get(TIMESTAMP_HEADER)
    if not stamp:
        raise SignatureError("missing X-Zendesk-Webhook-Signature-Timestamp header")
    _check_freshness(stamp, now, max_age)
    expected = base64.b64encode(
        hmac.new(secret.encode(), stamp.encode() + body, hashlib.sha256).digest()
    )
    if not hmac.compare_digest(expected, signature.strip().encode("utf-8", "replace")):
        raise SignatureError("X-Zendesk-Webhook-Signature does not match the body")


def _check_freshness(stamp: str, now: datetime, max_age: float) -> None:
    try:
        signed_at = parse_timestamp(stamp)
    except ValueError:
        raise SignatureError(
            "X-Zendesk-Webhook-Signature-Timestamp is not an ISO 8601 timestamp"
        ) from None
    skew = abs(utc(now) - signed_at)
    if skew > timedelta(seconds=max_age):
        raise SignatureError(
            f"stale signature: the timestamp is {int(skew.total_seconds())} s away from now "
            f"(allowed: {int(max_age)} s)"
        )


def parse(headers: Headers, body: bytes, *, bot: str | None) -> Delivery:
    """Turn one delivery into canonical events (see the module docstring for the two kinds)."""
    payload = _json_object(body)
    if template.MARKER in payload:
        return template.parse_trigger_body(payload, headers, bot=bot)
    kind = payload.get("type")
    if isinstance(kind, str) and kind.startswith(subscription.EVENT_PREFIX):
        return subscription.parse_event(payload, bot=bot)
    raise UnreadableDelivery(template.explain_unknown_body(payload))


def _json_object(body: bytes) -> dict[str, Any]:
    return jsonbody.read_object(body, "Zendesk webhook")
