"""Everything a process needs, built once from Settings at start-up and passed down.

The web app holds one; RQ jobs reach their process's runtime through :func:`current`, which
builds it from the environment on first use (an RQ job has no other way in) and never again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

import redis
from rq import Queue

from . import connector as connector_registry
from . import democlock
from .config import DEMO_START, Settings
from .connector import Connector
from .errors import ConfigError, UnknownConnector
from .plan import Rulebook
from .queueing import EventQueue
from .ratelimit import declared_limits, override_from_env
from .receiver import Receiver
from .rules_source import RulesNotLoaded, RulesSource

log = logging.getLogger(__name__)

#: Set by ``run`` and ``web`` for the processes they start, once their own start-up warnings
#: (demo clock, unsigned webhooks) are given: a bridge warns once, not once per process.
ANNOUNCED = "TCO_STARTUP_WARNED"
#: Set by ``web`` for gunicorn's workers once it has loaded the rules itself: a worker that
#: gunicorn restarts while the file is broken boots without rules (``/readyz`` says why)
#: instead of refusing to boot, which would stop the whole web tier (see ``rules_source``).
RULES_CHECKED = "TCO_RULES_CHECKED"


def _startup_warning(settings: Settings, message: str, *args: object) -> None:
    log.log(logging.DEBUG if settings.env.get(ANNOUNCED) else logging.WARNING, message, *args)


@dataclass
class Runtime:
    settings: Settings
    redis_url: str
    connectors: dict[str, Connector] = field(default_factory=dict)
    #: Write limits set in the environment (``TCO_<NAME>_WRITE_LIMITS``), over the declared.
    limit_overrides: dict[str, Mapping[str, str]] = field(default_factory=dict)
    #: The time source for drain jobs and the clock; tests and simulations may move it.
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    @classmethod
    def build(cls, settings: Settings, redis_url: str | None = None) -> Runtime:
        url = redis_url or settings.redis_url
        if not url:
            raise ConfigError("REDIS_URL is not set (use `make run` for a private Redis)")
        demo = democlock.parse(settings.demo_speed, settings.demo_start)
        env = {**settings.env, DEMO_START: demo.pinned} if demo else settings.env
        built = {name: connector_registry.build(name, env) for name in settings.connectors}
        overrides = {name: override_from_env(name, settings.env) for name in built}
        runtime = cls(
            settings=settings,
            redis_url=url,
            connectors=built,
            limit_overrides={name: limits for name, limits in overrides.items() if limits},
        )
        if demo is not None:
            runtime.now = demo
            _startup_warning(
                settings, "demo clock: %gx real time, started at %s", demo.speed, demo.start
            )
        try:
            runtime.rules_source.current()  # invalid rules stop the start-up, naming file:line
        except RulesNotLoaded:
            pass  # a supervised worker: logged, and /readyz reports it until the file is fixed
        if settings.record_path is not None:
            _check_writable(settings.record_path)
        if settings.allow_unsigned:
            _startup_warning(
                settings,
                "TCO_ALLOW_UNSIGNED is on: webhooks without a configured secret are accepted "
                "UNSIGNED. Anyone who can reach this bridge can forge ticket events.",
            )
        return runtime

    @cached_property
    def redis(self) -> redis.Redis:
        return redis.Redis.from_url(self.redis_url)

    @cached_property
    def queue(self) -> Queue:
        from rq.serializers import JSONSerializer

        return Queue(self.settings.queue, connection=self.redis, serializer=JSONSerializer)

    @cached_property
    def events(self) -> EventQueue:
        return EventQueue(self.redis, self.queue, self.settings.shards, self.settings.dedupe_ttl)

    @cached_property
    def receiver(self) -> Receiver:
        return Receiver(
            self.connectors,
            self.events,
            allow_unsigned=self.settings.allow_unsigned,
            record_path=self.settings.record_path,
        )

    @cached_property
    def rules_source(self) -> RulesSource:
        checked = bool(self.settings.env.get(RULES_CHECKED))
        return RulesSource(self.settings.rules_path, required=not checked)

    @property
    def rules(self) -> Rulebook:
        return self.rules_source.current()

    def write_limits(self, name: str) -> Mapping[str, str]:
        """The budgets writes through connector ``name`` fit in (see ``ratelimit``)."""
        return self.limit_overrides.get(name) or declared_limits(self.connector(name))

    def connector(self, name: str) -> Connector:
        try:
            return self.connectors[name]
        except KeyError:
            raise UnknownConnector(name) from None


def _check_writable(path: Path) -> None:
    """The recording is appended to on the webhook path: find out now if it cannot be."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a"):
            pass
    except OSError as exc:
        raise ConfigError(f"TCO_RECORD_FILE={str(path)!r} cannot be written: {exc}") from None


_current: Runtime | None = None
_lock = threading.Lock()


def current() -> Runtime:
    """This process's runtime, built from the environment the first time it is needed."""
    global _current
    with _lock:
        if _current is None:
            _current = Runtime.build(Settings.from_env())
        return _current


def install(runtime: Runtime | None) -> None:
    """Set (or clear) this process's runtime: worker start-up and tests."""
    global _current
    with _lock:
        _current = runtime
