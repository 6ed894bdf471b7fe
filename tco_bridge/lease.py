"""Leases: the bridge's one lock, and how a live job is told from a dead one.

A running write-back job holds ``tco:wb:lease:<job id>`` and its ticket lock, each
with a lifetime of ``TCO_LEASE_SECONDS`` (``LEASE_S`` = 15 by default), renewed at a fifth of
it (``RENEW_S``) by a thread of the job's process. A worker killed with SIGKILL stops renewing,
so both lapse within the lifetime. A Redis outage longer than that lets the leases of live jobs
lapse too: their threads take them back as soon as Redis answers, and the clock judges leases
only once Redis has been back for two renewals (``REJOIN_S``), so a job still running is not
queued a second time beside itself. :class:`Lease` is the bridge's one lock: the drain's shard
lock and the write-back's ticket lock are keys held under a lease, and :meth:`Lease.watch`
is how a commit makes sure it still holds one.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import redis

from . import keys
from .keys import text
from .runtime import Runtime

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LeaseTiming:
    """Every period that follows from a lease's lifetime (``TCO_LEASE_SECONDS``)."""

    seconds: float = 15.0

    @property
    def renew(self) -> float:
        """How often a holder renews: five chances before the lease lapses."""
        return self.seconds / 5

    @property
    def rejoin(self) -> float:
        """After Redis was away, the clock waits this long before it judges leases: a live
        job's renewal thread re-takes a lease that lapsed during the outage within ``renew``."""
        return 2 * self.renew

    @property
    def grace(self) -> float:
        """A job's first moments, before it took its lease (or a taken job its place in the
        started registry): not judged yet."""
        return self.seconds * 2 / 3

    @classmethod
    def of(cls, rt: Runtime) -> LeaseTiming:
        return cls(float(rt.settings.lease_seconds))


DEFAULT = LeaseTiming()
LEASE_S = DEFAULT.seconds
RENEW_S = DEFAULT.renew
GRACE_S = DEFAULT.grace
REJOIN_S = DEFAULT.rejoin

# KEYS: the held keys. ARGV: token, ms. Renew each key still holding the token, and take back
# one that lapsed (a Redis outage longer than the lease) unless another holder took it.
_RENEW_LUA = """
for _, name in ipairs(KEYS) do
  local held = redis.call('GET', name)
  if held == ARGV[1] then redis.call('PEXPIRE', name, ARGV[2])
  elseif not held then redis.call('SET', name, ARGV[1], 'PX', ARGV[2]) end
end
return 0
"""
# KEYS: the held keys. ARGV: token. Release each key still holding the token.
_RELEASE_LUA = """
for _, name in ipairs(KEYS) do
  if redis.call('GET', name) == ARGV[1] then redis.call('DEL', name) end
end
return 0
"""


def lease_key(job_id: str) -> str:
    return keys.lease(job_id)


class Lease:
    """Keys held by one running job, kept alive by a thread until the job ends.

    ``hold(name)`` takes a key (SET NX) under the lease's token; the lease key itself is taken
    at entry when the job has an id. Renewal and release only touch keys that still carry the
    token, so a lapsed key another job took is never extended or deleted.
    """

    def __init__(
        self,
        client: redis.Redis,
        job_id: str | None,
        token: str,
        timing: LeaseTiming = DEFAULT,
    ) -> None:
        self.client = client
        self.token = token
        self.timing = timing
        self._ms = max(1, round(timing.seconds * 1000))
        self.held: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._renew, name="tco-lease", daemon=True)
        self._first = lease_key(job_id) if job_id else None

    def __enter__(self) -> Lease:
        if self._first is not None:
            self.hold(self._first)
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=self.timing.renew + 1)
        if self.held:
            try:
                self.client.eval(_RELEASE_LUA, len(self.held), *self.held, self.token)
            except redis.RedisError:  # they lapse on their own
                log.warning(
                    "could not release %s; they lapse in %ss", self.held, self.timing.seconds
                )

    def hold(self, name: str) -> bool:
        """Take ``name`` for this job; False when another holder has it."""
        if self.client.set(name, self.token, nx=True, px=self._ms):
            self.held.append(name)
            return True
        return False

    def release(self, name: str) -> None:
        if name in self.held:
            self.held.remove(name)
            self.client.eval(_RELEASE_LUA, 1, name, self.token)

    def watch(self, pipe: Any, name: str) -> bool:
        """WATCH ``name`` on a transaction pipeline and tell whether this lease still holds it:
        the transaction's EXEC then fails (``WatchError``) if it changes hands meanwhile."""
        pipe.watch(name)
        held = pipe.get(name)
        return held is not None and text(held) == self.token

    def _renew(self) -> None:
        failing = False
        while not self._stop.wait(self.timing.renew):
            names = list(self.held)
            if not names:
                continue
            try:
                self.client.eval(_RENEW_LUA, len(names), *names, self.token, self._ms)
                failing = False
            except redis.RedisError as exc:  # Redis restarting: try again at the next beat
                if not failing:  # once per outage
                    log.warning("lease renewal failed (%s); retrying", type(exc).__name__)
                failing = True
