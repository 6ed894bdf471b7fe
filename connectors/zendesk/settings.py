"""Zendesk connector settings, read once from the environment at start-up.

=================================  ==================================================  ========
variable                           meaning                                             default
=================================  ==================================================  ========
``TCO_ZENDESK_URL``                ``https://<subdomain>.zendesk.com`` (wins over the  none
                                   subdomain when both are set)
``TCO_ZENDESK_SUBDOMAIN``          the ``<subdomain>`` alone, when no URL is given     none
``TCO_ZENDESK_EMAIL``              agent e-mail of the API token (basic auth           none
                                   ``email/token:apitoken``)
``TCO_ZENDESK_API_TOKEN``          the API token (secret)                              none
``TCO_ZENDESK_WEBHOOK_SECRET``     the webhook's signing secret (secret)               none
``TCO_ZENDESK_SIGNATURE_MAX_AGE``  replay window in seconds around the signature       300
                                   timestamp (both directions)
``TCO_ZENDESK_BOT_USER_ID``        the bridge's own Zendesk user id: its events are    none
                                   recorded as ``bridge`` and trigger no rule; notes
                                   are written with it as ``author_id``
``TCO_ZENDESK_OWNER_FIELD``        owner mirror: a ticket custom field id, or ``tag``  ``tag``
                                   (tag ``tco_owner_<user id>``)
``TCO_ZENDESK_KB``                 KB tasks: ``followup`` (a follow-up ticket) or      followup
                                   ``article:<locale>:<section id>[:<permission
                                   group id>]`` (a Help Center draft)
``TCO_ZENDESK_TIMEOUT``            seconds per REST request                            10
``TCO_ZENDESK_COALESCE``           ``0`` sends one request per action instead of one   1
                                   update per ticket (the write-back benchmark's
                                   comparison; not for production)
=================================  ==================================================  ========

Without a URL (or without e-mail and token) the connector still builds, so webhooks are
verified and parsed; write-back then fails with a :class:`ConnectorError` that names the
missing variables. Zendesk currently requires ``permission_group_id`` when it creates an
article: give the optional fourth part of ``TCO_ZENDESK_KB`` unless your account accepts
articles without one (drafts are then created with ``user_segment_id: null``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from tco_bridge.errors import ConfigError

PREFIX = "TCO_ZENDESK_"
_SUBDOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]*$")
# https only, except plain http on loopback (a local stand-in of the API, e.g. the benchmarks').
_URL = re.compile(r"^(https://[a-z0-9.-]+|http://(127\.0\.0\.1|localhost))(:\d+)?$")
_DIGITS = re.compile(r"^\d+$")
_LOCALE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})*$")


@dataclass(frozen=True, slots=True)
class ArticleTarget:
    """Where KB tasks become Help Center drafts."""

    locale: str
    section_id: str
    permission_group_id: str | None = None


@dataclass(frozen=True, slots=True)
class ZendeskSettings:
    """Typed settings; secrets are left out of ``repr`` so they never reach a log line."""

    base_url: str | None = None
    email: str | None = None
    api_token: str | None = field(default=None, repr=False)
    webhook_secret: str | None = field(default=None, repr=False)
    signature_max_age: int = 300
    bot_user_id: str | None = None
    owner_field_id: str | None = None  # None: mirror the owner as a tag
    kb_article: ArticleTarget | None = None  # None: KB tasks are follow-up tickets
    timeout: float = 10.0
    coalesce: bool = True

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ZendeskSettings:
        get = _reader(env)
        email, token = get("EMAIL"), get("API_TOKEN")
        if bool(email) != bool(token):
            raise ConfigError(f"{PREFIX}EMAIL and {PREFIX}API_TOKEN must be set together")
        return cls(
            base_url=_base_url(get("URL"), get("SUBDOMAIN")),
            email=email,
            api_token=token,
            webhook_secret=get("WEBHOOK_SECRET"),
            signature_max_age=int(_number("SIGNATURE_MAX_AGE", get("SIGNATURE_MAX_AGE"), 300)),
            bot_user_id=_digits("BOT_USER_ID", get("BOT_USER_ID")),
            owner_field_id=_owner_field(get("OWNER_FIELD")),
            kb_article=_kb(get("KB")),
            timeout=_number("TIMEOUT", get("TIMEOUT"), 10.0),
            coalesce=(get("COALESCE") or "1") != "0",
        )

    def missing_for_api(self) -> list[str]:
        """Variables write-back still needs (empty when the REST API can be used)."""
        missing = [] if self.base_url else [f"{PREFIX}URL or {PREFIX}SUBDOMAIN"]
        if not (self.email and self.api_token):
            missing.append(f"{PREFIX}EMAIL and {PREFIX}API_TOKEN")
        return missing


def _reader(env: Mapping[str, str]) -> Callable[[str], str | None]:
    """Look up ``TCO_ZENDESK_<key>``; blank counts as unset."""

    def get(key: str) -> str | None:
        value = env.get(PREFIX + key, "").strip()
        return value or None

    return get


def _base_url(url: str | None, subdomain: str | None) -> str | None:
    if url:
        cleaned = url.rstrip("/").lower()
        if not _URL.match(cleaned):
            raise ConfigError(
                f"{PREFIX}URL={url!r} is not an https origin like https://acme.zendesk.com"
            )
        return cleaned
    if subdomain:
        cleaned = subdomain.lower()
        if not _SUBDOMAIN.match(cleaned):
            raise ConfigError(f"{PREFIX}SUBDOMAIN={subdomain!r} is not a Zendesk subdomain")
        return f"https://{cleaned}.zendesk.com"
    return None


def _number(key: str, value: str | None, default: float) -> float:
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if number <= 0:
        raise ConfigError(f"{PREFIX}{key}={value!r} must be a positive number of seconds")
    return number


def _digits(key: str, value: str | None) -> str | None:
    if value is not None and not _DIGITS.match(value):
        raise ConfigError(f"{PREFIX}{key}={value!r} must be a numeric Zendesk id")
    return value


def _owner_field(value: str | None) -> str | None:
    if value is None or value.lower() == "tag":
        return None
    if not _DIGITS.match(value):
        raise ConfigError(f"{PREFIX}OWNER_FIELD={value!r}: use 'tag' or a custom field id")
    return value


def _kb(value: str | None) -> ArticleTarget | None:
    if value is None or value.lower() == "followup":
        return None
    parts = value.split(":")
    if parts[0].lower() != "article" or len(parts) not in (3, 4):
        raise ConfigError(
            f"{PREFIX}KB={value!r}: use 'followup' or "
            "'article:<locale>:<section id>[:<permission group id>]'"
        )
    locale, section = parts[1].lower(), parts[2]
    group = parts[3] if len(parts) == 4 else None
    if not _LOCALE.match(locale) or not _DIGITS.match(section) or not _DIGITS.match(group or "0"):
        raise ConfigError(
            f"{PREFIX}KB={value!r}: the locale looks like en-us and the ids are numbers"
        )
    return ArticleTarget(locale, section, group)
