"""Browser tests: a real bridge (``tco-bridge run --demo``: web under gunicorn, worker, clock,
sandbox) on the test Redis, driven by Playwright through Debian's Chromium.

Playwright's own browser download is not used (nor reachable here): the tests launch the
``chromium`` package's binary. Without it they fail, never skip: install it with
``apt-get install -y chromium`` (``.ci/run`` does).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from browser_kit import Bridge

CHROMIUM = os.environ.get("TCO_CHROMIUM", "/usr/bin/chromium")
DEMO_SPEED = "600"  # ten bridge minutes a real second: an urgent ticket's story in ~10 s


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def bridge(redis_client: Any, redis_url: str, tmp_path: Path) -> Iterator[Bridge]:
    port = _free_port()
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "PORT": str(port),
        "TCO_CONNECTORS": "sandbox",
        "TCO_DATA_DIR": str(tmp_path),
        "TCO_SANDBOX_DB": str(tmp_path / "sandbox.sqlite"),
    }
    log = tmp_path / "bridge.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tco_bridge.cli", "run", "--demo", DEMO_SPEED],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_ready(url, proc, log)
        token = (tmp_path / "admin.token").read_text().strip()
        beside = {k: env[k] for k in ("REDIS_URL", "TCO_CONNECTORS", "TCO_DATA_DIR")}
        yield Bridge(url, token, log, {**beside, "TCO_SANDBOX_DB": env["TCO_SANDBOX_DB"]})
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the bridge exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
        try:
            if requests.get(f"{url}/readyz", timeout=5).status_code == 200:
                return
        except requests.RequestException:  # not listening yet, or busy starting
            pass
        time.sleep(0.2)
    pytest.fail(f"the bridge was not ready within 60 s:\n{log.read_text()[-3000:]}")


@pytest.fixture
def browser() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: apt-get install -y chromium "
            "(or set TCO_CHROMIUM). The browser tests never skip."
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()
