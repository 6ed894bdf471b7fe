"""Write budgets: declared or default limits, per account and per ticket, in Redis."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

import pytest
import redis

from tco_bridge.connector import ConnectorBase
from tco_bridge.errors import ConfigError
from tco_bridge.ratelimit import DEFAULT_WRITE_LIMITS, WriteLimiter, budgets, declared_limits


class Plain(ConnectorBase):
    """A connector that declares nothing."""


DECLARED: Mapping[str, str] = {"account": "3/minute", "ticket": "2/minute"}


@pytest.fixture
def limiter(redis_url: str, redis_client: redis.Redis) -> Iterator[WriteLimiter]:
    yield WriteLimiter(redis_url, redis_client.connection_pool)


def test_connectors_without_limits_get_the_defaults() -> None:
    assert declared_limits(Plain()) == DEFAULT_WRITE_LIMITS
    found = {(b.scope, b.identifiers) for b in budgets("zendesk", DEFAULT_WRITE_LIMITS, "7")}
    assert found == {("account", ("zendesk", "account")), ("ticket", ("zendesk", "ticket", "7"))}


def test_a_bad_limit_names_the_connector_and_scope() -> None:
    class Bad(ConnectorBase):
        write_limits: ClassVar[Mapping[str, str] | None] = {"account": "lots"}

    limits = declared_limits(Bad())
    with pytest.raises(ConfigError, match=r"connector 'x': write_limits\['account'\] = 'lots'"):
        budgets("x", limits, "1")


def test_ticket_budgets_are_per_ticket_and_account_budgets_shared(
    limiter: WriteLimiter, redis_client: redis.Redis
) -> None:
    conn = DECLARED
    assert limiter.acquire("jira", conn, "A-1") is None
    assert limiter.acquire("jira", conn, "A-1") is None
    wait = limiter.acquire("jira", conn, "A-1")  # the ticket's 2/minute is spent
    assert wait is not None and 55 < wait <= 60
    assert limiter.acquire("jira", conn, "A-2") is None  # another ticket: account has 1 left
    assert limiter.acquire("jira", conn, "A-3") is not None  # account's 3/minute is spent
    assert limiter.acquire("other", conn, "A-3") is None  # another account
    assert all(k.startswith(b"tco:limits:") for k in redis_client.keys("*"))


def test_cost_counts_every_action_and_never_exceeds_the_limit(limiter: WriteLimiter) -> None:
    conn = DECLARED
    assert limiter.acquire("jira", conn, "A-1", cost=5) is None  # capped: takes the whole budget
    assert limiter.acquire("jira", conn, "A-2", cost=1) is not None
    limiter.clear("jira", conn, "A-2")
    limiter.clear("jira", conn, "A-1")
    assert limiter.acquire("jira", conn, "A-2", cost=1) is None


def test_per_scope_costs_spend_only_what_the_calls_spend(limiter: WriteLimiter) -> None:
    conn = DECLARED
    # Three actions that make no per-ticket call (e.g. tags only): the ticket budget is untouched.
    assert limiter.acquire("jira", conn, "A-1", 3, {"account": 1, "ticket": 0}) is None
    assert limiter.acquire("jira", conn, "A-1", 1, {"account": 1, "ticket": 2}) is None
    assert limiter.acquire("jira", conn, "A-1", 1, {"account": 1, "ticket": 1}) is not None


def test_limits_set_in_the_environment_live_in_the_runtime_not_on_the_connector(
    make_runtime: Any,
) -> None:
    from connectors.zendesk import WRITE_LIMITS

    rt = make_runtime(TCO_ZENDESK_WRITE_LIMITS="api=600/minute")
    assert rt.write_limits("zendesk") == {"api": "600/minute"}
    assert rt.connectors["zendesk"].write_limits == WRITE_LIMITS  # as declared, unpatched
    assert make_runtime().write_limits("zendesk") == WRITE_LIMITS
