"""The failed registry and its CLI: parked groups are listed, shown, replayed and purged."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import redis
from click.testing import CliRunner

from tco_bridge import failed, redaction
from tco_bridge.cli.failed import failed_group
from tco_bridge.config import Settings
from tco_bridge.errors import PermanentApiError
from tco_bridge.runtime import Runtime

SECRET = "zd-api-token-0123456789"


@pytest.fixture
def rt(redis_url: str, redis_client: redis.Redis) -> Iterator[Runtime]:
    settings = Settings(queue="failedtest", env={"TCO_ZENDESK_API_TOKEN": SECRET})
    runtime = Runtime(settings=settings, redis_url=redis_url, connectors={})
    yield runtime
    runtime.redis.close()


def park(rt: Runtime, group: str, ticket: str = "42") -> failed.Parked:
    actions = [{"id": f"{group}-a", "connector": "zendesk", "ticket": ticket, "kind": "note"}]
    error = PermanentApiError(
        "zendesk", f"PUT /api/v2/tickets/{ticket}.json answered 403", status=403
    )
    return failed.park(
        rt,
        group=group,
        connector="zendesk",
        ticket=ticket,
        actions=actions,
        attempts=1,
        error=error,
    )


def cli(rt: Runtime, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(failed_group, list(args), obj=rt)
    return result.exit_code, result.output


def test_list_shows_a_table_and_json(rt: Runtime) -> None:
    park(rt, "g1")
    park(rt, "g2", ticket="43")
    code, out = cli(rt, "list")
    assert code == 0
    header, *rows = out.splitlines()
    assert header.split()[:4] == ["ID", "CONNECTOR", "TICKET", "ACTIONS"]
    assert [r.split()[0] for r in rows] == ["g2", "g1"]  # most recent first
    assert "PermanentApiError: [zendesk] PUT /api/v2/tickets/43.json" in rows[0]
    code, out = cli(rt, "list", "--json")
    records = json.loads(out)
    assert [r["id"] for r in records] == ["g2", "g1"] and records[0]["status"] == 403


def test_list_says_when_nothing_is_parked(rt: Runtime) -> None:
    assert cli(rt, "list") == (0, "No parked write-backs.\n")


def test_show_one_group(rt: Runtime) -> None:
    park(rt, "g1")
    code, out = cli(rt, "show", "g1")
    assert code == 0
    assert (
        "ticket:        zendesk:42" in out
        and "error:         PermanentApiError (status 403)" in out
    )
    assert "g1-a note" in out
    assert json.loads(cli(rt, "show", "g1", "--json")[1])["attempts"] == 1
    code, out = cli(rt, "show", "nope")
    assert code == 1 and "no parked write-back 'nope'" in out


def test_parking_again_keeps_the_first_failure_time(rt: Runtime) -> None:
    first = park(rt, "g1")
    again = park(rt, "g1")
    assert again.first_failed == first.first_failed and again.last_failed >= first.last_failed
    assert len(failed.all_parked(rt)) == 1


def test_purge_one_or_all(rt: Runtime) -> None:
    for group in ("g1", "g2", "g3"):
        park(rt, group)
    assert cli(rt, "purge", "g1") == (0, "Purged g1.\n")
    assert cli(rt, "purge", "g1")[0] == 1
    assert cli(rt, "purge", "--all") == (0, "Purged 2 parked write-back(s).\n")
    assert failed.all_parked(rt) == []


def test_retry_all_queues_every_group_with_attempts_reset(rt: Runtime) -> None:
    park(rt, "g1")
    park(rt, "g2")
    assert cli(rt, "retry", "--all") == (0, "Queued 2 parked write-back(s) again.\n")
    assert failed.all_parked(rt) == []
    jobs = [rt.queue.fetch_job(j) for j in rt.queue.job_ids]
    assert sorted(j.kwargs["group"] for j in jobs if j) == ["g1", "g2"]
    assert {j.kwargs["attempt"] for j in jobs if j} == {1}


def test_retry_of_an_unknown_group_fails(rt: Runtime) -> None:
    code, out = cli(rt, "retry", "nope")
    assert code == 1 and "no parked write-back 'nope'" in out


@pytest.mark.parametrize("args", [["retry"], ["purge"], ["retry", "g1", "--all"]])
def test_one_id_or_all_is_required(rt: Runtime, args: list[str]) -> None:
    code, out = cli(rt, *args)
    assert code == 2 and "give one group ID or --all" in out


def test_messages_are_stored_without_secrets(rt: Runtime) -> None:
    error = RuntimeError(f"GET https://me@x.test:{SECRET}@x.test/ failed with {SECRET}")
    record = failed.park(
        rt, group="g", connector="zendesk", ticket="1", actions=[], attempts=2, error=error
    )
    assert SECRET not in record.message
    assert SECRET not in json.dumps(failed.all_parked(rt)[0].to_json())
    assert record.error_type == "RuntimeError" and record.status is None


def test_redact_replaces_secrets_and_url_credentials() -> None:
    text = "https://bot:pw@tool.test/x?key=abcdef and abcdef"
    assert redaction.redact(text, ["abcdef"]) == "https://***@tool.test/x?key=*** and ***"
