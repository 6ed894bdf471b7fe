"""Client-side write limits per tool account, so a burst of events never earns a 429.

A connector may declare the pace its tool accepts as a class attribute (the ``write_limits``
capability of :class:`tco_bridge.connector.Connector`)::

    write_limits: ClassVar[Mapping[str, str]] = {"account": "90/minute", "ticket": "20/minute"}

Each value is a limit in the ``limits`` notation (``"100/minute"``, ``"5/second"``,
``"10/minute;200/hour"``). The scope ``ticket`` counts per ticket (Jira's per-issue write
limit); every other scope counts per account, i.e. per connector instance, so a connector can
name several account-wide budgets. A connector that declares nothing gets
:data:`DEFAULT_WRITE_LIMITS`: 60 writes a minute per account, under Zendesk's 100 Update Ticket
calls a minute on every plan, and 10 a minute per ticket, a pace no documented per-issue limit
refuses. Set a connector's own limits a little under the tool's: the tool measures when a
request arrives, we measure just before it leaves.

Every write job takes its budget before it calls the tool, one unit per action (a connector
makes at most one write request per action; batching ones make fewer, so this errs safe). When
a budget is spent the job does not call the tool and does not sleep: :meth:`WriteLimiter.acquire`
returns how long until the window frees a slot, and the job re-enqueues itself for then.

The moving-window strategy is used on purpose: it never lets more than N through in any period,
where a fixed window lets 2N through around a window boundary, which is exactly what earns a
429 from a tool that counts over a sliding minute.

Redis keys (written by ``limits``, under ``keys.LIMITS_PREFIX``):
``tco:limits:LIMITER/<connector>/<scope>[/<ticket>]/...``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

import redis
from limits import RateLimitItem, parse_many
from limits.storage import RedisStorage
from limits.strategies import MovingWindowRateLimiter

from . import keys
from .connector import Connector
from .errors import ConfigError

DEFAULT_WRITE_LIMITS: Mapping[str, str] = {"account": "60/minute", "ticket": "10/minute"}
TICKET_SCOPE = "ticket"


@dataclass(frozen=True, slots=True)
class Budget:
    """One limit of one scope: ``identifiers`` say whose budget it is."""

    scope: str
    item: RateLimitItem
    identifiers: tuple[str, ...]


def override_from_env(name: str, env: Mapping[str, str]) -> dict[str, str] | None:
    """``TCO_<NAME>_WRITE_LIMITS="account=400/minute,ticket=20/minute"`` replaces a connector's
    declared budgets (e.g. for a bigger Zendesk plan); checked at start-up."""
    raw = env.get(f"TCO_{name.upper()}_WRITE_LIMITS", "").strip()
    if not raw:
        return None
    out: dict[str, str] = {}
    for part in raw.split(","):
        scope, sep, text = part.partition("=")
        scope, text = scope.strip(), text.strip()
        try:
            if not sep or not scope or not parse_many(text):
                raise ValueError("empty")
        except ValueError:
            raise ConfigError(
                f"TCO_{name.upper()}_WRITE_LIMITS: {part.strip()!r} is not scope=limit "
                "(write e.g. 'account=100/minute,ticket=20/minute')"
            ) from None
        out[scope] = text
    return out


def declared_limits(connector: Connector) -> Mapping[str, str]:
    """The connector's ``write_limits``, or the defaults when it declares none."""
    return connector.write_limits or DEFAULT_WRITE_LIMITS


def budgets(name: str, limits: Mapping[str, str], ticket: str) -> list[Budget]:
    """Every budget a write to ``ticket`` through connector ``name`` must fit in, under its
    ``limits`` (scope → limit)."""
    out: list[Budget] = []
    for scope, text in sorted(limits.items()):
        try:
            items = parse_many(text)
        except ValueError as exc:
            raise ConfigError(
                f"connector {name!r}: write_limits[{scope!r}] = {text!r} is not a rate limit "
                f"(write e.g. '100/minute' or '5/second;200/hour'): {exc}"
            ) from None
        ids = (name, scope, ticket) if scope == TICKET_SCOPE else (name, scope)
        out.extend(Budget(scope, item, ids) for item in items)
    return out


class WriteLimiter:
    """Moving-window budgets in Redis, shared by every worker process."""

    def __init__(self, redis_url: str, pool: redis.ConnectionPool | None = None) -> None:
        storage = RedisStorage(redis_url, connection_pool=pool, key_prefix=keys.LIMITS_PREFIX)
        self._limiter = MovingWindowRateLimiter(storage)

    def acquire(
        self,
        name: str,
        limits: Mapping[str, str],
        ticket: str,
        cost: int = 1,
        costs: Mapping[str, int] | None = None,
    ) -> float | None:
        """Take units from every budget; ``None`` when granted, else seconds to wait.

        ``costs`` (scope → units, from a connector's optional ``write_cost(actions)``) says
        what a group really spends of each budget; scopes it omits cost ``cost``.
        Budgets are tested first, then taken one by one. When two workers race for the last
        unit, the loser may have taken units from budgets earlier in the list: that errs on the
        side of fewer calls, never more.
        """
        found = budgets(name, limits, ticket)
        spend = [
            (budget, min((costs or {}).get(budget.scope, cost), budget.item.amount))
            for budget in found
        ]
        for budget, units in spend:
            if units and not self._limiter.test(budget.item, *budget.identifiers, cost=units):
                return self._wait(budget)
        for budget, units in spend:
            if units and not self._limiter.hit(budget.item, *budget.identifiers, cost=units):
                return self._wait(budget)
        return None

    def _wait(self, budget: Budget) -> float:
        stats = self._limiter.get_window_stats(budget.item, *budget.identifiers)
        return max(0.05, stats.reset_time - time.time())

    def clear(self, name: str, limits: Mapping[str, str], ticket: str) -> None:
        for budget in budgets(name, limits, ticket):
            self._limiter.clear(budget.item, *budget.identifiers)
