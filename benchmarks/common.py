"""Shared parts of the benchmarks: a private Redis, gunicorn servers, the wrk load driver.

Every benchmark prints its figure next to a baseline measured in the same run on the same
machine, because absolute numbers on shared machines are noise; the ratio is the result.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tco_bridge.embedded_redis import EmbeddedRedis, free_port  # noqa: E402


@contextmanager
def private_redis() -> Iterator[EmbeddedRedis]:
    server = EmbeddedRedis(None).start()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class Served:
    """A running gunicorn: its URL, and after it stopped, its workers' CPU seconds."""

    url: str
    cpu_s: float = 0.0


@contextmanager
def gunicorn(app: str, env: dict[str, str], workers: int = 2) -> Iterator[Served]:
    """Run ``gunicorn app`` on a free port with the given settings; yields it, and once it has
    stopped, ``cpu_s`` holds the CPU its workers spent after start-up (gunicorn_cpu.py)."""
    port = free_port()
    with tempfile.TemporaryDirectory() as cpu_dir:
        args = [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--config",
            "python:benchmarks.gunicorn_cpu",
            app,
        ]
        run_env = {**os.environ, **env, "BENCH_CPU_DIR": cpu_dir, "PYTHONPATH": _pythonpath()}
        proc = subprocess.Popen(args, cwd=ROOT, env=run_env)
        served = Served(f"http://127.0.0.1:{port}")
        try:
            _wait_up(served.url + "/healthz", proc)
            yield served
        finally:
            proc.terminate()
            proc.wait(timeout=20)
            reports = [json.loads(p.read_text()) for p in Path(cpu_dir).glob("*.json")]
            served.cpu_s = sum(r["cpu"] for r in reports)


def _pythonpath() -> str:
    """The checkout first, so gunicorn imports this tree's code whether or not it is installed."""
    return os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)


def _wait_up(url: str, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server at {url} did not come up")


@dataclass
class Load:
    requests: int
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    errors: int


_WRK_LUA = """
local counter = 0
local thread_id = 0
local threads = {}
function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end
wrk.method = "POST"
wrk.body = io.open(os.getenv("BENCH_BODY")):read("*a")
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Hub-Signature"] = os.getenv("BENCH_SIGNATURE")
request = function()
  counter = counter + 1
  wrk.headers["X-Atlassian-Webhook-Identifier"] = "bench-" .. tid .. "-" .. counter
  return wrk.format(nil, os.getenv("BENCH_PATH"))
end
"""


def wrk(
    url: str,
    path: str,
    body: bytes,
    signature: str,
    seconds: int = 10,
    connections: int = 16,
    threads: int = 2,
) -> Load:
    """Drive ``url+path`` with wrk: signed POSTs, a fresh delivery id on every request."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed for this benchmark: apt-get install wrk")
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp, "post.lua")
        script.write_text(_WRK_LUA)
        body_file = Path(tmp, "body.json")
        body_file.write_bytes(body)
        env = {
            **os.environ,
            "BENCH_BODY": str(body_file),
            "BENCH_SIGNATURE": signature,
            "BENCH_PATH": path,
        }
        out = subprocess.run(
            [
                "wrk",
                "-t",
                str(threads),
                "-c",
                str(connections),
                "-d",
                f"{seconds}s",
                "--latency",
                "-s",
                str(script),
                url,
            ],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        ).stdout
    return _parse_wrk(out)


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def _parse_wrk(out: str) -> Load:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    total = re.search(r"(\d+) requests in", out)
    return Load(
        requests=int(total.group(1)) if total else 0,
        requests_per_s=rps,
        p50_ms=_ms(*p50.groups()) if p50 else float("nan"),
        p99_ms=_ms(*p99.groups()) if p99 else float("nan"),
        non_2xx=int(non2xx.group(1)) if non2xx else 0,
        errors=sum(int(g) for g in errors.groups()) if errors else 0,
    )
