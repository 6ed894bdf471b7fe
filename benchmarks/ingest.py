"""Webhook ingest: the real receiver against a bare Flask endpoint, same gunicorn settings.

Both are driven by wrk with a signed, real-size Jira payload (the Cloud issue-created fixture),
16 connections, 10 s each (best of two alternating runs each, as the machine drifts); every
request carries a fresh delivery id, so verification, parsing,
dedupe and the stream append all run. Target: ratio >= 0.5 and p99 <= 25 ms.

    python benchmarks/ingest.py [--seconds 10]
"""

from __future__ import annotations

import argparse
import hashlib
import hmac

from common import ROOT, gunicorn, private_redis, wrk

SECRET = "bench-secret"
FIXTURE = ROOT / "tests/fixtures/webhooks/jira/jira_cloud_issue_created__dangersvn.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2, help="alternating runs; best of each")
    args = parser.parse_args()
    body = FIXTURE.read_bytes()
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    with private_redis() as redis_server:
        env = {
            "REDIS_URL": redis_server.url,
            "TCO_CONNECTORS": "jira",
            "TCO_JIRA_WEBHOOK_SECRET": SECRET,
            "TCO_LOG_LEVEL": "WARNING",
        }
        bares, reals = [], []
        for _ in range(args.rounds):  # alternate, so drift in the machine hits both alike
            with gunicorn("benchmarks.bare_app:app", env) as url:
                bares.append(wrk(url, "/webhooks/jira", body, signature, args.seconds))
            with gunicorn("wsgi:app", env) as url:
                reals.append(wrk(url, "/webhooks/jira", body, signature, args.seconds))
        bare = max(bares, key=lambda load: load.requests_per_s)
        real = max(reals, key=lambda load: load.requests_per_s)
    print(
        f"payload: {len(body)} bytes, 16 connections, {args.seconds}s per run, gunicorn -w 2, "
        f"best of {args.rounds} alternating runs each"
    )
    print(f"{'':18}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'non-2xx':>10}")
    for name, load in (("bare Flask 202", bare), ("tco-bridge ingest", real)):
        print(
            f"{name:18}{load.requests_per_s:10.0f}{load.p50_ms:10.2f}{load.p99_ms:10.2f}"
            f"{load.non_2xx:10d}"
        )
    ratio = real.requests_per_s / bare.requests_per_s
    verdict = "meets" if ratio >= 0.5 and real.p99_ms <= 25 else "MISSES"
    print(f"ratio ingest/bare: {ratio:.2f} (target >= 0.50, p99 <= 25 ms: {verdict})")


if __name__ == "__main__":
    main()
