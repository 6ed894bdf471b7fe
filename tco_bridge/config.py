"""Settings, read once at start-up from environment variables (12-factor).

The key names of the bridge's own settings live here. The rest of tco-bridge reads settings from the
mapping :meth:`Settings.from_env` captured, not from ``os.environ``: connectors read their own
``TCO_<NAME>_*`` keys from it in their ``from_env``, and ``ratelimit`` reads
``TCO_<NAME>_WRITE_LIMITS``. Only process plumbing touches ``os.environ`` itself:
``cli.processes`` hands it on, with the markers ``runtime`` reads, to the processes it starts,
and ``prometheus``'s gunicorn hook checks ``PROMETHEUS_MULTIPROC_DIR`` where prometheus-client
reads it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ConfigError

REDIS_URL = "REDIS_URL"
HOST = "HOST"
PORT = "PORT"
RULES = "TCO_RULES"
CONNECTORS = "TCO_CONNECTORS"
ALLOW_UNSIGNED = "TCO_ALLOW_UNSIGNED"
API_TOKEN = "TCO_API_TOKEN"
METRICS_TOKEN = "TCO_METRICS_TOKEN"
PROMETHEUS_DIR = "PROMETHEUS_MULTIPROC_DIR"
MAX_BODY_BYTES = "TCO_MAX_BODY_BYTES"
RECORD_FILE = "TCO_RECORD_FILE"
SHARDS = "TCO_SHARDS"
DEDUPE_TTL = "TCO_DEDUPE_TTL"
SHADOW = "TCO_SHADOW"
DATA_DIR = "TCO_DATA_DIR"
LOG_LEVEL = "TCO_LOG_LEVEL"
QUEUE = "TCO_QUEUE"
BATCH_SIZE = "TCO_BATCH_SIZE"
WRITE_RETRIES = "TCO_WRITE_RETRIES"
RECONCILE_INTERVAL = "TCO_RECONCILE_INTERVAL"
RETENTION_DAYS = "TCO_RETENTION_DAYS"
SETTLE_SECONDS = "TCO_SETTLE_SECONDS"
LEASE_SECONDS = "TCO_LEASE_SECONDS"
WEBHOOK_FAST_PATH = "TCO_WEBHOOK_FAST_PATH"
SECRET_KEY = "TCO_SECRET_KEY"
SECURE_COOKIES = "TCO_SECURE_COOKIES"
DEMO_SPEED = "TCO_DEMO_SPEED"
DEMO_START = "TCO_DEMO_START"

DEFAULT_RULES = Path(__file__).resolve().parent.parent / "rules" / "default.yaml"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _flag(env: Mapping[str, str], key: str, default: bool = False) -> bool:
    value = env.get(key, "").strip().lower()
    if key not in env:
        return default
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"{key}={value!r} is not a yes/no value (use 1/0, true/false, yes/no)")


def _int(env: Mapping[str, str], key: str, default: int, minimum: int = 1) -> int:
    raw = env.get(key)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{key}={raw!r} is not a whole number") from None
    if value < minimum:
        raise ConfigError(f"{key}={value} must be at least {minimum}")
    return value


def _default_connectors(env: Mapping[str, str]) -> tuple[str, ...]:
    """Real tools that have settings; the sandbox when none has."""
    found = tuple(
        name
        for name in ("jira", "zendesk")
        if any(env.get(f"TCO_{name.upper()}_{k}") for k in ("URL", "WEBHOOK_SECRET", "SUBDOMAIN"))
    )
    return found or ("sandbox",)


@dataclass(frozen=True)
class Settings:
    redis_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    rules_path: Path = DEFAULT_RULES
    connectors: tuple[str, ...] = ("sandbox",)
    allow_unsigned: bool = False
    api_token: str | None = field(default=None, repr=False)
    #: Bearer token that may read /metrics (and nothing else).
    metrics_token: str | None = field(default=None, repr=False)
    #: prometheus-client's multiprocess folder (set up by ``tco-bridge web``).
    prometheus_dir: Path | None = None
    max_body_bytes: int = 1024 * 1024
    record_path: Path | None = None
    shards: int = 8
    dedupe_ttl: int = 3 * 24 * 3600
    shadow: bool = False
    data_dir: Path = Path("data")
    log_level: str = "INFO"
    queue: str = "tco"
    #: Events read and committed together by a drain. Larger batches spread the batch's fixed
    #: Redis round trips over more events (benchmarks/README.md, third round: 400 drains about
    #: a fifth faster than 100); a batch is work of a few tens of milliseconds even at 400.
    batch_size: int = 400
    write_retries: int = 8
    #: Seconds between scheduled reconcile runs of every connector; 0 = only on demand.
    reconcile_interval: int = 0
    #: Days a closed (or deleted) ticket's state is kept for metrics and late events.
    retention_days: int = 180
    #: Seconds a ticket's fresh events wait, counted from the tool's timestamp (or arrival,
    #: if earlier), so stragglers of the same moment are evaluated with them, in order.
    settle_seconds: int = 3
    #: Lifetime of a running job's lease and locks (renewed at a fifth of it): how soon the
    #: work of a killed worker is taken up again (``lease.py``).
    lease_seconds: int = 15
    #: Accepted webhook deliveries are answered by ``web/webhooks.py``'s WSGI fast path, in
    #: front of Flask; off, every delivery goes through the Flask view (same answers).
    webhook_fast_path: bool = True
    #: Signs the console's session cookies; unset: a random key kept in Redis.
    secret_key: str | None = field(default=None, repr=False)
    #: The console is served over HTTPS (a proxy in front): its cookie is sent only there.
    secure_cookies: bool = False
    #: Demo clock (``democlock``): bridge seconds per real second, and where it started.
    demo_speed: str | None = None
    demo_start: str | None = None
    #: The captured environment, for connectors' own keys. Never printed.
    env: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        connectors = tuple(
            c.strip() for c in env.get(CONNECTORS, "").split(",") if c.strip()
        ) or _default_connectors(env)
        record = env.get(RECORD_FILE, "").strip()
        return cls(
            redis_url=env.get(REDIS_URL) or None,
            host=env.get(HOST, "127.0.0.1"),
            port=_int(env, PORT, 8000),
            rules_path=Path(env.get(RULES) or DEFAULT_RULES),
            connectors=connectors,
            allow_unsigned=_flag(env, ALLOW_UNSIGNED),
            api_token=env.get(API_TOKEN) or None,
            metrics_token=env.get(METRICS_TOKEN) or None,
            prometheus_dir=Path(env[PROMETHEUS_DIR]) if env.get(PROMETHEUS_DIR) else None,
            max_body_bytes=_int(env, MAX_BODY_BYTES, 1024 * 1024),
            record_path=Path(record) if record else None,
            shards=_int(env, SHARDS, 8),
            dedupe_ttl=_int(env, DEDUPE_TTL, 3 * 24 * 3600),
            shadow=_flag(env, SHADOW),
            data_dir=Path(env.get(DATA_DIR) or "data"),
            log_level=env.get(LOG_LEVEL, "INFO").upper(),
            queue=env.get(QUEUE) or "tco",
            batch_size=_int(env, BATCH_SIZE, 400),
            write_retries=_int(env, WRITE_RETRIES, 8, minimum=0),
            reconcile_interval=_int(env, RECONCILE_INTERVAL, 0, minimum=0),
            retention_days=_int(env, RETENTION_DAYS, 180),
            settle_seconds=_int(env, SETTLE_SECONDS, 3, minimum=0),
            lease_seconds=_int(env, LEASE_SECONDS, 15, minimum=2),
            webhook_fast_path=_flag(env, WEBHOOK_FAST_PATH, default=True),
            secret_key=env.get(SECRET_KEY) or None,
            secure_cookies=_flag(env, SECURE_COOKIES),
            demo_speed=env.get(DEMO_SPEED) or None,
            demo_start=env.get(DEMO_START) or None,
            env=env,
        )


def debug_requested(env: Mapping[str, str] | None = None) -> bool:
    """``TCO_LOG_LEVEL=DEBUG``: show tracebacks instead of one-line failures."""
    source = os.environ if env is None else env
    return source.get(LOG_LEVEL, "").strip().upper() == "DEBUG"
