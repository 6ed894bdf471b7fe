"""Sandbox connector settings, read once from the environment at start-up.

===============================  ==============================================================
variable                         meaning (default)
===============================  ==============================================================
``TCO_SANDBOX_DB``               the SQLite file holding the sandbox's tickets; its folder is
                                 created (``<TCO_DATA_DIR or data>/sandbox.sqlite``)
``TCO_SANDBOX_WEBHOOK_SECRET``   HMAC secret of the sandbox's webhooks (generated once per
                                 database and kept in it, so all processes agree)
``TCO_SANDBOX_BOT_ACCOUNT``      the bridge's own sandbox account: its events are marked
                                 ``bridge`` (loop guard) (``tco-bridge``)
``TCO_SANDBOX_WEBHOOK_URL``      where the sandbox POSTs its webhooks
                                 (``http://127.0.0.1:<PORT or 8000>/webhooks/sandbox``)
``TCO_SANDBOX_WEBHOOK_TIMEOUT``  seconds one webhook POST may take (``2``)
===============================  ==============================================================

The sandbox is the connector a newcomer gets with nothing configured, so every setting has a
default that works on a laptop: ``make run`` verifies signed webhooks without anyone choosing
a secret, because every process of one installation reads the same generated secret from the
shared database file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tco_bridge.errors import ConfigError

PREFIX = "TCO_SANDBOX_"
DEFAULT_BOT = "tco-bridge"
DEFAULT_TIMEOUT = 2.0


@dataclass(frozen=True, slots=True)
class SandboxSettings:
    """Typed settings; the secret is kept out of ``repr`` so it never reaches a log line."""

    db_path: Path = Path("data") / "sandbox.sqlite"
    #: ``None``: use the secret generated and stored in the database.
    webhook_secret: str | None = field(default=None, repr=False)
    bot_account: str = DEFAULT_BOT
    webhook_url: str = "http://127.0.0.1:8000/webhooks/sandbox"
    timeout: float = DEFAULT_TIMEOUT

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SandboxSettings:
        def get(key: str) -> str | None:
            return (env.get(PREFIX + key) or "").strip() or None

        data_dir = Path((env.get("TCO_DATA_DIR") or "").strip() or "data")
        port = (env.get("PORT") or "").strip() or "8000"
        return cls(
            db_path=Path(get("DB") or data_dir / "sandbox.sqlite"),
            webhook_secret=get("WEBHOOK_SECRET"),
            bot_account=get("BOT_ACCOUNT") or DEFAULT_BOT,
            webhook_url=get("WEBHOOK_URL") or f"http://127.0.0.1:{port}/webhooks/sandbox",
            timeout=_seconds(get("WEBHOOK_TIMEOUT")),
        )


def _seconds(raw: str | None) -> float:
    if raw is None:
        return DEFAULT_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if value <= 0:
        raise ConfigError(f"{PREFIX}WEBHOOK_TIMEOUT={raw!r} must be a positive number of seconds")
    return value
