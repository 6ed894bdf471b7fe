"""The local data folder of ``make run`` (``TCO_DATA_DIR``, default ``data/``).

It holds the private Redis (``redis/``, its AOF), the sandbox's SQLite file, the Prometheus
files of the running processes (``prometheus/``), the first console user's ``admin.token``,
``demo.clock`` under ``run --demo`` (``democlock``) and ``redis.url``: the address of the
private Redis while ``make run`` is up. Every ``tco-bridge`` command run with ``REDIS_URL``
unset looks there, so ``tco-bridge metrics`` in a second terminal finds the running bridge.

``tco-bridge sandbox reset`` (``make reset``, :mod:`tco_bridge.cli.sandbox`) empties the
folder's private data so the README's sandbox story starts again from ``SBX-1``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

import redis

from .config import Settings
from .errors import ConfigError

URL_FILE = "redis.url"
PRIVATE_DIRS = ("redis", "prometheus")


def write_private(path: Path, text: str) -> Path:
    """Write a file other commands read, atomically (never seen half written) and readable by
    its owner only (a Redis URL may carry a password)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    tmp.chmod(0o600)
    os.replace(tmp, path)
    return path


def publish_url(data_dir: Path, url: str) -> Path:
    """Leave the private Redis's URL where other commands look."""
    return write_private(data_dir / URL_FILE, url + "\n")


def published_url(data_dir: Path) -> str | None:
    try:
        return (data_dir / URL_FILE).read_text().strip() or None
    except OSError:
        return None


def withdraw_url(data_dir: Path, url: str) -> None:
    """Remove the URL file if it still names ``url`` (a newer ``make run`` may own it)."""
    if published_url(data_dir) == url:
        with contextlib.suppress(OSError):
            (data_dir / URL_FILE).unlink()


def answers(url: str, timeout: float = 1.0) -> bool:
    client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


def locate_redis(settings: Settings) -> str:
    """``REDIS_URL``, else the URL a running ``make run`` published in the data folder."""
    if settings.redis_url:
        return settings.redis_url
    url = published_url(settings.data_dir)
    where = settings.data_dir / URL_FILE
    if url is None:
        raise ConfigError(
            f"REDIS_URL is not set and no running bridge was found ({where} does not exist): "
            "start one with `make run` in this folder (or set TCO_DATA_DIR to its data folder), "
            "or set REDIS_URL"
        )
    if not answers(url):
        raise ConfigError(
            f"REDIS_URL is not set and the bridge that left {where} is not running "
            f"({url} does not answer): start it with `make run`, or set REDIS_URL"
        )
    return url


def sandbox_files(settings: Settings) -> list[Path]:
    from connectors.sandbox.settings import SandboxSettings

    db = SandboxSettings.from_env(settings.env).db_path
    return [db, *(db.with_name(db.name + s) for s in ("-wal", "-shm", "-journal"))]


def reset(settings: Settings) -> list[Path]:
    """Remove the sandbox's tickets and the private Redis's data; returns what was removed.

    Refuses while the bridge that owns the folder runs: its processes hold these files open.
    """
    url = published_url(settings.data_dir)
    if url is not None and answers(url):
        raise ConfigError(
            f"the bridge is running on this data folder ({settings.data_dir / URL_FILE} "
            f"names {url}): stop `make run` first, then reset"
        )
    targets = [*sandbox_files(settings), settings.data_dir / URL_FILE]
    targets += [settings.data_dir / name for name in PRIVATE_DIRS]
    removed = []
    for path in targets:
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
        else:
            continue
        removed.append(path)
    return removed
