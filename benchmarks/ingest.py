"""Webhook ingest: the real receiver against a bare Flask endpoint, same gunicorn settings.

Both are driven by wrk with a signed, real-size Jira payload (the Cloud issue-created fixture),
16 connections, 10 s each (best of two alternating runs each, as the machine drifts); every
request carries a fresh delivery id, so verification, parsing, dedupe and the stream append
all run. Besides req/s and latency it prints the CPU the gunicorn workers spent per request
(getrusage of each worker, benchmarks/gunicorn_cpu.py), which a busy machine disturbs less.
The bridge runs twice: as deployed, where an accepted delivery is answered by the WSGI fast
path in front of Flask (web/webhooks.py ``FastPath``), and with ``TCO_WEBHOOK_FAST_PATH=0``,
where every delivery goes through the Flask view. Target: ratio >= 0.6 (as deployed) and
p99 no worse than the bare endpoint's plus 25 ms.

    python benchmarks/ingest.py [--seconds 10] [--rounds 2] [--workers 2]
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
from dataclasses import dataclass

from common import ROOT, Load, gunicorn, private_redis, wrk

SECRET = "bench-secret"
FIXTURE = ROOT / "tests/fixtures/webhooks/jira/jira_cloud_issue_created__dangersvn.json"
TARGET = 0.6


@dataclass
class Run:
    load: Load
    cpu_us: float  # worker CPU per request


def signed_body() -> tuple[bytes, str]:
    body = FIXTURE.read_bytes()
    return body, "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()


def env_for(redis_url: str) -> dict[str, str]:
    return {
        "REDIS_URL": redis_url,
        "TCO_CONNECTORS": "jira",
        "TCO_JIRA_WEBHOOK_SECRET": SECRET,
        "TCO_LOG_LEVEL": "WARNING",
    }


def measure(
    app: str, env: dict[str, str], seconds: int, workers: int = 2, connections: int = 16
) -> Run:
    """One wrk run against ``app`` under gunicorn with ``workers`` workers."""
    body, signature = signed_body()
    with gunicorn(app, env, workers) as served:
        load = wrk(served.url, "/webhooks/jira", body, signature, seconds, connections)
    return Run(load, served.cpu_s / max(load.requests, 1) * 1e6)


#: (label, WSGI app, extra environment); the bridge twice: its fast path, and the Flask view
SUBJECTS = (
    ("bare Flask 202", "benchmarks.bare_app:app", {}),
    ("tco-bridge ingest", "wsgi:app", {}),
    ("  fast path off", "wsgi:app", {"TCO_WEBHOOK_FAST_PATH": "0"}),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2, help="alternating runs; best of each")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    args = parser.parse_args()
    runs: dict[str, list[Run]] = {name: [] for name, _, _ in SUBJECTS}
    with private_redis() as redis_server:
        env = env_for(redis_server.url)
        for _ in range(args.rounds):  # alternate, so drift in the machine hits all alike
            for name, app, extra in SUBJECTS:
                runs[name].append(measure(app, {**env, **extra}, args.seconds, args.workers))
    print(
        f"payload: {len(signed_body()[0])} bytes, 16 connections, {args.seconds}s per run, "
        f"gunicorn -w {args.workers}, best of {args.rounds} alternating runs each"
    )
    print(f"{'':18}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'non-2xx':>10}{'CPU µs/req':>12}")
    best = {name: max(r, key=lambda run: run.load.requests_per_s) for name, r in runs.items()}
    cpu = {name: min(run.cpu_us for run in r) for name, r in runs.items()}
    for name, run in best.items():
        load = run.load
        print(
            f"{name:18}{load.requests_per_s:10.0f}{load.p50_ms:10.2f}{load.p99_ms:10.2f}"
            f"{load.non_2xx:10d}{cpu[name]:12.0f}"
        )
    bare_name, real_name, view_name = (name for name, _, _ in SUBJECTS)
    bare, real, view = best[bare_name], best[real_name], best[view_name]
    ratio = real.load.requests_per_s / bare.load.requests_per_s
    verdict = "meets" if ratio >= TARGET and real.load.non_2xx == 0 else "MISSES"
    print(
        f"ratio ingest/bare: {ratio:.2f} (target >= {TARGET:.2f}: {verdict}); "
        f"the bridge adds {cpu[real_name] - cpu[bare_name]:.0f} CPU µs per request "
        "(least of the runs each)"
    )
    print(
        f"fast path off (TCO_WEBHOOK_FAST_PATH=0, every delivery through the Flask view): "
        f"ratio {view.load.requests_per_s / bare.load.requests_per_s:.2f}, "
        f"+{cpu[view_name] - cpu[bare_name]:.0f} CPU µs per request; "
        f"by CPU alone {cpu[bare_name] / cpu[real_name]:.2f} with the fast path, "
        f"{cpu[bare_name] / cpu[view_name]:.2f} without"
    )


if __name__ == "__main__":
    main()
