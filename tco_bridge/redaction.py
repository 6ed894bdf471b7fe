"""Secrets out of every text the bridge keeps or logs about a write-back.

A tool's error can quote the request that failed, URL and all; before such a text reaches a
log line or a parked record (:mod:`tco_bridge.failed`), :func:`redact` replaces every secret
the process knows (:func:`secrets_of`) and any ``user:password@`` in a URL with ``***``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .runtime import Runtime

_SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|PRIVATE|CREDENTIAL|AUTH", re.I)
_URL_USERINFO = re.compile(r"(\b[a-z][a-z0-9+.-]*://)[^/\s@]+@", re.I)


def secrets_of(rt: Runtime) -> list[str]:
    """Values that must never reach a log line or a parked record."""
    found = [v for k, v in rt.settings.env.items() if _SECRET_NAME.search(k) and len(v) >= 4]
    found += [rt.settings.api_token or ""]
    for conn in rt.connectors.values():
        found.append(conn.webhook_secret or "")
    return sorted({s for s in found if len(s) >= 4}, key=len, reverse=True)


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret and any ``user:password@`` in a URL replaced by ``***``."""
    for secret in secrets:
        text = text.replace(secret, "***")
    return _URL_USERINFO.sub(r"\1***@", text)
