"""Every process starts whatever the order and timing of its peers (issue 9, point 4).

A Procfile runner starts web, workers and clock at the same moment; with the sandbox they all
open one SQLite file, fresh or existing. Switching a fresh file to WAL used to fail at once
with "database is locked" in one start of four.
"""

from __future__ import annotations

import multiprocessing
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from faults_kit import processes, wait_for

from connectors.sandbox.db import Database
from tco_bridge.embedded_redis import EmbeddedRedis, free_port

pytestmark = pytest.mark.slow


def _open(path: str, barrier: Any, results: Any) -> None:
    barrier.wait()
    try:
        Database(Path(path)).generated_secret()
        results.put("ok")
    except Exception as exc:  # reported to the test, which fails on it
        results.put(repr(exc))


def test_many_processes_open_a_fresh_sandbox_file_at_once(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("fork")
    outcomes: list[str] = []
    secrets: set[str] = set()
    for round_ in range(6):
        path = tmp_path / f"round{round_}" / "sandbox.sqlite"
        barrier, results = ctx.Barrier(6), ctx.Queue()
        procs = [ctx.Process(target=_open, args=(str(path), barrier, results)) for _ in range(6)]
        for proc in procs:
            proc.start()
        outcomes += [results.get(timeout=60) for _ in procs]
        for proc in procs:
            proc.join(timeout=30)
        db = Database(path)
        secrets.add(db.generated_secret())
        db.close()
    assert outcomes == ["ok"] * 36
    assert len(secrets) == 6  # one secret per file, whoever created it


def _ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


@pytest.mark.parametrize("data", ["fresh", "existing", "redis-last"])
def test_web_workers_and_clock_started_together_all_come_up(tmp_path: Path, data: str) -> None:
    """All at once on a fresh or an existing data folder; or before Redis itself is up: they
    wait for it (one line) instead of exiting."""
    folder = tmp_path / "data"
    if data == "existing":  # a data folder a previous run left behind
        db = Database(folder / "sandbox.sqlite")
        db.generated_secret()
        db.close()
    port = free_port()
    server = EmbeddedRedis(tmp_path / "redis")
    if data != "redis-last":
        server.start()
    try:
        env = {
            "REDIS_URL": server.url,
            "TCO_CONNECTORS": "sandbox",
            "TCO_DATA_DIR": str(folder),
            "TCO_SANDBOX_DB": str(folder / "sandbox.sqlite"),
            "PORT": str(port),
        }
        with processes(env, tmp_path) as procs:
            for name, role in [("w1", "worker"), ("w2", "worker"), ("clock", "clock")]:
                procs.start(name, role)
            procs.start("web", "web", "--workers", "1")
            if data == "redis-last":
                wait_for(lambda: "waiting for it" in procs.log("clock"), 60, "the clock to wait")
                assert all(code is None for code in procs.alive().values()), procs.alive()
                server.start()
            wait_for(lambda: _ready(port), 60, "/readyz to answer 200", step=0.3)
            assert all(code is None for code in procs.alive().values()), procs.alive()
    finally:
        server.stop()
    assert (folder / "sandbox.sqlite").exists()
