"""Jira webhook signatures: ``X-Hub-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>``.

A pure function of (lower-cased headers, raw body bytes, secret). The HMAC is computed over the
bytes as received, never over re-serialised JSON, and compared in constant time. Missing,
malformed and mismatching signatures are distinct errors so an admin can tell a webhook without
a secret from a webhook with the wrong one. Messages never include the secret or the digest.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping

from tco_bridge.errors import SignatureError

HEADER = "x-hub-signature"
_FORMAT = re.compile(r"^sha256=([0-9a-fA-F]{64})$")


def sign(secret: str, body: bytes) -> str:
    """The header value Jira sends for ``body`` (used by tests and the replay CLI)."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(headers: Mapping[str, str], body: bytes, secret: str) -> None:
    """Raise :class:`SignatureError` unless ``body`` carries a valid signature for ``secret``."""
    value = headers.get(HEADER)
    if value is None or not value.strip():
        raise SignatureError("missing X-Hub-Signature header: is a secret set on the Jira webhook?")
    match = _FORMAT.match(value.strip())
    if match is None:
        raise SignatureError("malformed X-Hub-Signature header: expected 'sha256=<64 hex digits>'")
    # One C call (hmac.digest) and a comparison of raw bytes: the hot path of every delivery.
    expected = hmac.digest(secret.encode(), body, "sha256")
    if not hmac.compare_digest(bytes.fromhex(match.group(1)), expected):
        raise SignatureError("X-Hub-Signature does not match the body and the configured secret")
