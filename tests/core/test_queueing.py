"""The one-round-trip ingest: dedupe, append, raise the flag; and it heals itself."""

from __future__ import annotations

from typing import Any

import redis

from tco_bridge import keys


def test_push_dedupes_and_asks_for_one_drain_per_shard(make_runtime: Any) -> None:
    events = make_runtime().events
    first = events.push("jira", "d1", "jira:SUP-1", [{"e": 1}], "t")
    second = events.push("jira", "d2", "jira:SUP-1", [{"e": 2}], "t")
    again = events.push("jira", "d1", "jira:SUP-1", [{"e": 1}], "t")
    assert (first.duplicate, first.drain_needed) == (False, True)
    assert (second.duplicate, second.drain_needed) == (False, False)  # flag already up
    assert again.duplicate
    assert events.client.xlen(keys.stream(first.shard)) == 2
    assert events.queue.count == 1  # one drain job queued for the shard


def test_push_survives_a_script_flush_and_a_dropped_connection(
    make_runtime: Any, redis_client: redis.Redis
) -> None:
    events = make_runtime().events
    events.push("jira", "d1", "jira:SUP-2", [{"e": 1}], "t")
    redis_client.script_flush()  # e.g. Redis restarted: the script is gone
    assert not events.push("jira", "d2", "jira:SUP-2", [{"e": 2}], "t").duplicate
    redis_client.client_kill_filter(_type="normal", skipme=True)  # every other connection
    assert not events.push("jira", "d3", "jira:SUP-2", [{"e": 3}], "t").duplicate
    assert events.push("jira", "d3", "jira:SUP-2", [{"e": 3}], "t").duplicate
    shard = keys.shard_of("jira:SUP-2", events.shards)
    assert redis_client.xlen(keys.stream(shard)) == 3
