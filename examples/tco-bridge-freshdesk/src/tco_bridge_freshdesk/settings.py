"""Freshdesk connector settings, read once from the environment at start-up.

=================================  ======================================================  =======
variable                           meaning                                                 default
=================================  ======================================================  =======
``TCO_FRESHDESK_DOMAIN``           ``acme`` for ``https://acme.freshdesk.com``             none
``TCO_FRESHDESK_URL``              the full origin instead (wins over the domain)          none
``TCO_FRESHDESK_API_KEY``          the bridge agent's API key (basic auth, password X);    none
                                   secret
``TCO_FRESHDESK_WEBHOOK_SECRET``   the webhook secret (see ``webhook.py``); secret         none
``TCO_FRESHDESK_WEBHOOK_AUTH``     ``hmac`` (signed body) or ``token`` (static header)     hmac
``TCO_FRESHDESK_BOT_AGENT_ID``     the bridge's own agent id: its events are ``bridge``    none
``TCO_FRESHDESK_TASK_REQUESTER``   e-mail that files follow-up tickets (CREATE_TASK)       none
``TCO_FRESHDESK_TIMEOUT``          seconds per REST request                                10
=================================  ======================================================  =======
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from tco_bridge.errors import ConfigError

PREFIX = "TCO_FRESHDESK_"
_DOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_URL = re.compile(r"^https://[a-z0-9.-]+(:\d+)?$")


@dataclass(frozen=True, slots=True)
class FreshdeskSettings:
    """Typed settings; secrets stay out of ``repr``."""

    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    webhook_secret: str | None = field(default=None, repr=False)
    webhook_auth: Literal["hmac", "token"] = "hmac"
    bot_agent_id: str | None = None
    task_requester: str | None = None
    timeout: float = 10.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> FreshdeskSettings:
        def get(key: str) -> str | None:
            return (env.get(PREFIX + key) or "").strip() or None

        auth = (get("WEBHOOK_AUTH") or "hmac").lower()
        if auth not in ("hmac", "token"):
            raise ConfigError(f"{PREFIX}WEBHOOK_AUTH={auth!r}: use 'hmac' or 'token'")
        bot = get("BOT_AGENT_ID")
        if bot is not None and not bot.isdigit():
            raise ConfigError(f"{PREFIX}BOT_AGENT_ID={bot!r} must be a numeric agent id")
        return cls(
            base_url=_base_url(get("URL"), get("DOMAIN")),
            api_key=get("API_KEY"),
            webhook_secret=get("WEBHOOK_SECRET"),
            webhook_auth="token" if auth == "token" else "hmac",
            bot_agent_id=bot,
            task_requester=get("TASK_REQUESTER"),
            timeout=_seconds(get("TIMEOUT")),
        )


def _base_url(url: str | None, domain: str | None) -> str | None:
    if url:
        cleaned = url.rstrip("/").lower()
        if not _URL.match(cleaned):
            raise ConfigError(f"{PREFIX}URL={url!r} is not an https origin")
        return cleaned
    if domain:
        if not _DOMAIN.match(domain.lower()):
            raise ConfigError(f"{PREFIX}DOMAIN={domain!r} is not a Freshdesk domain")
        return f"https://{domain.lower()}.freshdesk.com"
    return None


def _seconds(value: str | None) -> float:
    try:
        seconds = float(value) if value is not None else 10.0
    except ValueError:
        seconds = -1.0
    if seconds <= 0:
        raise ConfigError(f"{PREFIX}TIMEOUT={value!r} must be a positive number of seconds")
    return seconds
