"""Shared test fixtures: a real Redis server for the whole run, flushed before each test.

``TCO_TEST_REDIS_URL`` points the suite at an existing server (a database it may flush);
otherwise a private redis-server is started. A test that needs Redis never skips.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

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
