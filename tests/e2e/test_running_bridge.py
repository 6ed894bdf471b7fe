"""The web process as deployed: `tco-bridge web` (gunicorn, two workers) on a real port."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families
from webhook_kit import JIRA_SECRET, jira_signed

from tco_bridge.config import DEFAULT_RULES
from tco_bridge.embedded_redis import free_port
from tco_bridge.prometheus import MULTIPROC_ENV as MULTIPROC

FIXTURES = Path(__file__).parents[1] / "fixtures/webhooks/jira"


@dataclass
class Bridge:
    url: str
    rules: Path
    data: Path
    pid: int = 0  # gunicorn's master (``tco-bridge web`` execs it)

    def get(self, path: str) -> requests.Response:
        return requests.get(self.url + path, timeout=5)


@pytest.fixture(scope="module")
def bridge(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bridge]:
    data = tmp_path_factory.mktemp("bridge")
    rules = data / "rules.yaml"
    rules.write_text(DEFAULT_RULES.read_text())
    port = free_port()
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "PORT": str(port),
        "TCO_RULES": str(rules),
        "TCO_DATA_DIR": str(data),
        "TCO_CONNECTORS": "sandbox,jira",
        "TCO_JIRA_WEBHOOK_SECRET": JIRA_SECRET,
        "TCO_SANDBOX_DB": str(data / "sandbox.sqlite"),
        "TCO_LOG_LEVEL": "WARNING",
        "HOME": str(data),  # where gunicorn 27 would put its control socket by default
    }
    env.pop(MULTIPROC, None)
    env.pop("XDG_RUNTIME_DIR", None)
    found = Bridge(f"http://127.0.0.1:{port}", rules, data)
    log = data / "web.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "tco_bridge.cli", "web", "--workers", "2"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for(lambda: found.get("/healthz").status_code == 200, 60, process, log)
            found.pid = process.pid
            yield found
        finally:
            process.terminate()
            process.wait(timeout=30)


def wait_for(check: Any, seconds: float, process: Any = None, log: Path | None = None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise AssertionError(f"the bridge exited: {log.read_text() if log else ''}")
        try:
            if check():
                return
        except requests.RequestException:  # not listening yet, or a worker still booting
            pass
        time.sleep(0.2)
    raise AssertionError(f"not true within {seconds}s")


def rules_checks(bridge: Bridge, answers: int = 6) -> set[str]:
    """The rules check as several answers give it (either gunicorn worker may answer)."""
    return {bridge.get("/readyz").json()["checks"]["rules"] for _ in range(answers)}


def test_the_web_process_opens_no_gunicorn_control_socket(bridge: Bridge) -> None:
    """gunicorn 27's control socket has one default path per user: two bridges on a machine
    would take it from each other, and the bridge has no use for it."""
    assert bridge.get("/healthz").status_code == 200
    assert not (bridge.data / ".gunicorn").exists()


def test_readyz_reports_a_rules_file_broken_under_the_running_bridge(bridge: Bridge) -> None:
    assert rules_checks(bridge) == {"ok"}
    good = bridge.rules.read_text()
    bridge.rules.write_text(good.replace("model: individual", "model: feudal"))
    wait_for(lambda: all("feudal" in c for c in rules_checks(bridge)), 20)
    [check] = rules_checks(bridge)
    assert check.startswith(f"last reload failed: {bridge.rules}:")
    assert bridge.get("/readyz").status_code == 503  # also not ready: no worker in this test

    bridge.rules.write_text(good)
    wait_for(lambda: rules_checks(bridge) == {"ok"}, 20)


def gunicorn_workers(master: int) -> set[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return {int(pid) for pid in children}


def test_a_worker_restarted_while_the_rules_are_broken_boots_and_says_so(bridge: Bridge) -> None:
    """gunicorn restarts a worker whenever one dies or times out. One that refused to boot
    because the rules file is broken at that moment would make gunicorn stop the whole web
    tier; instead it boots without rules, says so, and takes the file once it is fixed."""
    workers = gunicorn_workers(bridge.pid)
    assert len(workers) == 2
    good = bridge.rules.read_text()
    bridge.rules.write_text(good.replace("model: individual", "model: feudal"))
    try:
        os.kill(min(workers), signal.SIGKILL)
        wait_for(lambda: len(gunicorn_workers(bridge.pid) - workers) == 1, 30)
        # the new worker: no rules; the old one: its last good rules, and the failed reload
        wait_for(
            lambda: (
                {c.split(":")[0] for c in rules_checks(bridge, 10)}
                == {"not loaded, the rules file is invalid", "last reload failed"}
            ),
            30,
        )
        assert all("feudal" in c for c in rules_checks(bridge, 10))
        body = (FIXTURES / "jira_cloud_issue_created__dangersvn.json").read_bytes()
        for n in range(8):  # whichever worker answers: the webhook path needs no rules
            headers = {**jira_signed(body), "X-Atlassian-Webhook-Identifier": f"broken-{n}"}
            answer = requests.post(
                bridge.url + "/webhooks/jira", data=body, headers=headers, timeout=10
            )
            assert answer.status_code == 202, answer.text
        assert bridge.get("/readyz").status_code == 503
    finally:
        bridge.rules.write_text(good)
    wait_for(lambda: rules_checks(bridge, 10) == {"ok"}, 30)
    assert len(gunicorn_workers(bridge.pid)) == 2


def accepted_webhooks(bridge: Bridge) -> float:
    answer = bridge.get("/metrics")
    assert answer.status_code == 200
    return sum(
        s.value
        for family in text_string_to_metric_families(answer.text)
        for s in family.samples
        if s.name == "tco_webhooks_total"
        and s.labels == {"connector": "jira", "answer": "accepted"}
    )


def test_metrics_add_up_over_gunicorn_workers(bridge: Bridge) -> None:
    body = (FIXTURES / "jira_cloud_issue_created__dangersvn.json").read_bytes()

    def post(n: int) -> int:
        headers = {**jira_signed(body), "X-Atlassian-Webhook-Identifier": f"mp-{n}"}
        answer = requests.post(
            bridge.url + "/webhooks/jira", data=body, headers=headers, timeout=10
        )
        return answer.status_code

    before = accepted_webhooks(bridge)  # other tests of this module post too
    with ThreadPoolExecutor(4) as pool:
        assert set(pool.map(post, range(12))) == {202}
        # every answer, whichever worker gives it, counts all twelve
        assert list(pool.map(lambda _: accepted_webhooks(bridge), range(8))) == [before + 12] * 8
    assert list((bridge.data / "prometheus").glob("counter_*.db"))  # multiprocess mode is on


def test_make_run_leaves_its_redis_where_commands_find_it(tmp_path: Path) -> None:
    """`tco-bridge run` (what `make run` runs) with no REDIS_URL: other commands find it."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", MULTIPROC)}
    env |= {"PORT": str(port), "TCO_DATA_DIR": str(tmp_path), "TCO_CONNECTORS": "sandbox"}
    env |= {"TCO_LOG_LEVEL": "WARNING", "TCO_SANDBOX_DB": "", "TCO_ALLOW_UNSIGNED": "1"}
    url_file = tmp_path / "redis.url"

    def command(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "tco_bridge.cli", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    log = tmp_path / "run.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "tco_bridge.cli", "run"], env=env, stdout=out, stderr=out
        )
        try:
            health = f"http://127.0.0.1:{port}/healthz"
            wait_for(lambda: requests.get(health, timeout=5).ok, 60, process, log)
            assert url_file.read_text().startswith("redis://127.0.0.1:")
            listed = command("failed", "list")
            assert (listed.returncode, listed.stdout) == (0, "No parked write-backs.\n")
            refused = command("sandbox", "reset")
            assert refused.returncode == 1 and "stop `make run` first" in refused.stderr
        finally:
            process.terminate()
            process.wait(timeout=60)
    assert not url_file.exists()  # withdrawn when the bridge stops
    # one warning for the bridge, not one per process (run, web and its workers, worker, clock)
    assert log.read_text().count("TCO_ALLOW_UNSIGNED is on") == 1, log.read_text()
    reset = command("sandbox", "reset")
    assert reset.returncode == 0, reset.stderr
    assert f"removed {tmp_path / 'sandbox.sqlite'}" in reset.stdout.splitlines()
    assert f"removed {tmp_path / 'redis'}" in reset.stdout.splitlines()
    lost = command("failed", "list")
    assert lost.returncode == 1
    assert "no running bridge was found" in lost.stderr and "Traceback" not in lost.stderr
