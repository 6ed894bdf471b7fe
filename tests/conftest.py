"""Shared test fixtures: a real Redis server for the whole run, flushed before each test.

``TCO_TEST_REDIS_URL`` points the suite at an existing server (a database it may flush);
otherwise a private redis-server is started. A test that needs Redis never skips.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from webhook_kit import BASE_ENV

from tco_bridge.embedded_redis import EmbeddedRedis

# Real webhook payloads from public projects and vendor docs; SOURCES.md says where each is from.
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "webhooks"


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    given = os.environ.get("TCO_TEST_REDIS_URL")
    if given:
        yield given
        return
    server = EmbeddedRedis(None).start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    try:
        yield client
    finally:
        client.close()


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    assert FIXTURES.is_dir(), f"webhook fixtures not found at {FIXTURES}"
    return FIXTURES


@pytest.fixture
def make_runtime(redis_client: redis.Redis, redis_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Build a Runtime on the test Redis from an environment (BASE_ENV plus overrides)."""
    from tco_bridge.config import Settings
    from tco_bridge.runtime import Runtime, install

    made = []

    def make(**overrides: str):  # type: ignore[no-untyped-def]
        env = {**BASE_ENV, "TCO_DATA_DIR": str(tmp_path), **overrides}
        env = {k: v for k, v in env.items() if v is not None}
        runtime = Runtime.build(Settings.from_env(env), redis_url)
        install(runtime)
        made.append(runtime)
        return runtime

    yield make
    install(None)


_real_getaddrinfo = socket.getaddrinfo


def _loopback_only(host: Any, *args: Any, **kwargs: Any) -> Any:
    """Tests talk to this machine only: the ticket tools are faked at the HTTP layer."""
    name = host.decode() if isinstance(host, bytes) else str(host)
    if name in ("localhost", "::1") or name.startswith("127."):
        return _real_getaddrinfo(host, *args, **kwargs)
    raise OSError(f"network access from a test: {name!r} (fake it with responses)")


@pytest.fixture(autouse=True, scope="session")
def _no_network() -> Iterator[None]:
    socket.getaddrinfo = _loopback_only
    try:
        yield
    finally:
        socket.getaddrinfo = _real_getaddrinfo
