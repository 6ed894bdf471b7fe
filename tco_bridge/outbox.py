"""The outbox hand-off: write-back groups the drain jobs decided, onto RQ as jobs.

    drain job ──RPUSH──▶ tco:outbox ──dispatch_outbox──▶ RQ job writeback.perform_group

Redis keys (``keys.OUTBOX`` is the outbox itself):

    tco:outbox:claimed    groups taken off the outbox, not yet confirmed on RQ
                          (sorted set, score = claim time, epoch s)

**Outbox hand-off.** A Lua script moves a group from ``tco:outbox`` into ``tco:outbox:claimed``
with the claim time; the group is then queued as an RQ job with a job id derived from its action
ids (``unique=True``: while that job exists, queueing the group again is refused), and only then
removed from the claimed set. A process that dies after claiming leaves the group in the claimed
set; any later ``dispatch_outbox`` puts claims older than ``CLAIM_STALE_S`` back on the outbox.
So nothing is lost, and a group queued twice costs one no-op job at worst (done markers). A plain
pop-then-enqueue would lose the group in that window; LMOVE to one shared processing list cannot
tell a dead dispatcher's entry from a live one's, which the claim time does.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from rq.exceptions import DuplicateJobError

from . import keys
from .runtime import Runtime

log = logging.getLogger(__name__)

#: The job every group becomes (named by path: RQ imports it in the worker).
JOB = "tco_bridge.writeback.perform_group"
JOB_TIMEOUT = 240
CLAIMED = keys.OUTBOX_CLAIMED
CLAIM_STALE_S = 60

# KEYS: outbox, claimed. ARGV: now. Pop one group and record the claim; nil when empty.
_CLAIM_LUA = """
local item = redis.call('LPOP', KEYS[1])
if item then redis.call('ZADD', KEYS[2], ARGV[1], item) end
return item
"""
# KEYS: claimed, outbox. ARGV: cutoff. Claims older than cutoff go back to the outbox's head.
_RECOVER_LUA = """
local stale = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
for _, item in ipairs(stale) do
  redis.call('LPUSH', KEYS[2], item)
  redis.call('ZREM', KEYS[1], item)
end
return #stale
"""


def group_id(connector: str, ticket: str, action_ids: Sequence[str]) -> str:
    """The same id every time for the same actions on the same ticket: the RQ job id."""
    text = "\x1f".join([connector, ticket, *sorted(action_ids)])
    return "tco-wb-" + hashlib.sha256(text.encode()).hexdigest()[:24]


# --- outbox → RQ ------------------------------------------------------------------------------
def dispatch_outbox(rt: Runtime) -> int:
    """Queue one write-back job per outbox group; returns how many jobs were queued.

    Safe from several processes at once: each group is claimed by one of them, and the job id
    refuses a second copy of a group whose job still exists.
    """
    client = rt.redis
    client.eval(_RECOVER_LUA, 2, CLAIMED, keys.OUTBOX, time.time() - CLAIM_STALE_S)
    queued = 0
    while (raw := client.eval(_CLAIM_LUA, 2, keys.OUTBOX, CLAIMED, time.time())) is not None:
        try:
            group = json.loads(raw)
            queued += enqueue_group(
                rt, group["connector"], group["ticket"], group["actions"], unique=True
            )
        except (ValueError, KeyError, TypeError):
            log.exception("unreadable outbox entry dropped: %.200r", raw)
        client.zrem(CLAIMED, raw)
    return queued


def enqueue_group(
    rt: Runtime,
    connector: str,
    ticket: str,
    actions: list[dict[str, Any]],
    *,
    attempt: int = 1,
    group: str | None = None,
    first_failed: float | None = None,
    delay: float | None = None,
    unique: bool = False,
) -> bool:
    """Put a write-back job on RQ, now or after ``delay`` seconds; False if already queued.

    The first job of a group is named by :func:`group_id`; retries and replays of it get a
    fresh suffix, as the job that schedules them still exists while it does.
    """
    gid = group or group_id(connector, ticket, [a["id"] for a in actions])
    kwargs = {"connector": connector, "ticket": ticket, "actions": actions, "attempt": attempt}
    kwargs |= {"group": gid, "first_failed": first_failed}
    options: dict[str, Any] = {
        "kwargs": kwargs,
        "job_id": gid if unique else f"{gid}-{attempt}-{uuid.uuid4().hex[:8]}",
        "description": f"write-back {connector}:{ticket} ({len(actions)} actions)",
        "job_timeout": JOB_TIMEOUT,
        "result_ttl": 0,
        "failure_ttl": 7 * 24 * 3600,
        "unique": unique,
    }
    try:
        if delay is None:
            rt.queue.enqueue(JOB, **options)
        else:
            rt.queue.enqueue_in(timedelta(seconds=delay), JOB, **options)
    except DuplicateJobError:
        return False
    return True
