"""Every process starts whatever the order and timing of its peers (issue 9, point 4).

A Procfile runner starts web, workers and clock at the same moment; with the sandbox they all
open one SQLite file, fresh or existing. Switching a fresh file to WAL used to fail at once
with "database is locked" in one start of four.
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import urllib.request
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import redis
from faults_kit import Processes, processes, wait_for

from connectors.sandbox.db import Database
from tco_bridge import keys
from tco_bridge.embedded_redis import EmbeddedRedis, free_port

pytestmark = pytest.mark.slow

#: Six rounds catch a one-in-four start-up race nine times in ten; ``make fuzz`` runs 20.
ROUNDS = int(os.environ.get("TCO_STARTUP_ROUNDS", "6"))
ROLES: list[tuple[str, ...]] = [
    ("w1", "worker"),
    ("w2", "worker"),
    ("clock", "clock"),
    ("web", "web", "--workers", "1"),
]


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


def _all_up(procs: Processes, client: redis.Redis, port: int) -> bool:
    """/readyz answers 200, both workers have registered and the clock has beaten; a process
    that exited fails the test at once."""
    exited = {name: code for name, code in procs.alive().items() if code is not None}
    assert not exited, exited
    if not _ready(port):
        return False
    return client.scard("rq:workers") == 2 and bool(client.exists(keys.heartbeat("clock")))


def test_web_workers_and_clock_started_together_come_up_every_time(tmp_path: Path) -> None:
    """ROUNDS starts of all four processes at the same moment, as a Procfile runner does,
    alternating a fresh data folder and the one the previous start left behind."""
    server = EmbeddedRedis(tmp_path / "redis").start()
    client = redis.Redis.from_url(server.url)
    webs: list[subprocess.Popen[bytes]] = []  # stopping while the next round starts
    try:
        for round_ in range(ROUNDS):
            client.flushall()
            folder = tmp_path / f"data{round_ - round_ % 2}"  # odd rounds: the existing one
            assert folder.exists() == bool(round_ % 2)
            port = free_port()
            logs = tmp_path / f"logs{round_}"
            logs.mkdir()
            with processes({**_env(server.url, folder), "PORT": str(port)}, logs) as procs:
                procs.start_many(ROLES)
                wait_for(partial(_all_up, procs, client, port), 60, "all four up", step=0.1)
                assert all(code is None for code in procs.alive().values()), procs.alive()
                for name in ("w1", "w2", "clock"):  # at once: the next round flushes Redis
                    procs.kill(name)
                webs.append(procs.running.pop("web"))
                webs[-1].terminate()  # gunicorn stops gracefully, in the background
            assert (folder / "sandbox.sqlite").exists()
    finally:
        for web in webs:
            web.terminate()
            web.wait(timeout=30)
        client.close()
        server.stop()


def _env(redis_url: str, folder: Path) -> dict[str, str]:
    return {
        "REDIS_URL": redis_url,
        "TCO_CONNECTORS": "sandbox",
        "TCO_DATA_DIR": str(folder),
        "TCO_SANDBOX_DB": str(folder / "sandbox.sqlite"),
    }


def test_web_workers_and_clock_started_before_redis_wait_for_it(tmp_path: Path) -> None:
    """Before Redis itself is up: they wait for it (one line) instead of exiting."""
    folder = tmp_path / "data"
    port = free_port()
    server = EmbeddedRedis(tmp_path / "redis")
    try:
        env = {**_env(server.url, folder), "PORT": str(port)}
        with processes(env, tmp_path) as procs:
            procs.start_many(ROLES)
            wait_for(lambda: "waiting for it" in procs.log("clock"), 60, "the clock to wait")
            assert all(code is None for code in procs.alive().values()), procs.alive()
            server.start()
            wait_for(lambda: _ready(port), 60, "/readyz to answer 200", step=0.3)
            assert all(code is None for code in procs.alive().values()), procs.alive()
    finally:
        server.stop()
    assert (folder / "sandbox.sqlite").exists()
