"""The ticket store on a real Redis: the one reader and writer of ``keys.ticket(...)``."""

from __future__ import annotations

import redis

from tco_bridge import keys, ticket_store
from tco_bridge.state import evolve, new_state
from tco_bridge.state_codec import decode


def saved(client: redis.Redis, connector: str, ticket: str, retain: int | None = None) -> None:
    pipe = client.pipeline(transaction=True)
    ticket_store.stage(pipe, evolve(new_state(connector, ticket), marks={"name": ticket}), retain)
    pipe.execute()


def test_a_staged_state_reads_back_and_expires_only_when_asked(
    redis_client: redis.Redis,
) -> None:
    saved(redis_client, "zendesk", "1")
    saved(redis_client, "zendesk", "2", retain=60)
    state = ticket_store.load(redis_client, "zendesk", "1")
    assert state is not None and (state.connector, state.ticket) == ("zendesk", "1")
    assert state.marks == {"name": "1"}
    assert redis_client.ttl(keys.ticket("zendesk", "1")) == -1
    assert 0 < redis_client.ttl(keys.ticket("zendesk", "2")) <= 60
    assert ticket_store.load(redis_client, "zendesk", "3") is None
    assert ticket_store.load(redis_client, "jira", "1") is None


def test_load_many_skips_unknown_tickets_and_keeps_the_order(redis_client: redis.Redis) -> None:
    for ticket in ("1", "2", "3"):
        saved(redis_client, "jira", ticket)
    states = ticket_store.load_many(redis_client, "jira", ["3", "9", "1"])
    assert [s.ticket for s in states] == ["3", "1"]
    assert ticket_store.load_many(redis_client, "jira", []) == []


def test_read_batch_answers_each_tickets_state_and_history_still_encoded(
    redis_client: redis.Redis,
) -> None:
    pipe = redis_client.pipeline(transaction=True)
    ticket_store.stage(pipe, new_state("zendesk", "1"), 60, history=b"[]")
    pipe.execute()
    assert 0 < redis_client.ttl(keys.history("zendesk", "1")) <= 60
    redis_client.set(keys.ticket("jira", "SD-1"), b"not a state")  # the drain judges it
    pairs = ticket_store.read_batch(redis_client, ["zendesk:1", "jira:SD-1", "jira:SD-2"])
    (state, history), (odd, no_history), (none, none_history) = pairs
    assert state is not None and decode(state).ticket == "1" and history == b"[]"
    assert odd == b"not a state" and no_history is None
    assert none is None and none_history is None
    assert ticket_store.read_batch(redis_client, []) == []


def test_iter_states_reads_every_state_of_a_connector_or_all(redis_client: redis.Redis) -> None:
    for n in range(1, 1203):  # more than two SCAN batches
        saved(redis_client, "zendesk", str(n))
    saved(redis_client, "jira", "SD-1")
    assert len({s.ticket for s in ticket_store.iter_states(redis_client, "zendesk")}) == 1202
    assert [s.ticket for s in ticket_store.iter_states(redis_client, "jira")] == ["SD-1"]
    assert sum(1 for _ in ticket_store.iter_states(redis_client)) == 1203
