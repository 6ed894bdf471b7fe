"""Shadow mode (``TCO_SHADOW=1``): what the bridge would write back, recorded instead of done.

Each action the write-back job would perform is logged and pushed onto ``tco:shadow`` (newest
first, ``SHADOW_KEEP`` entries) with what it targets in a few words (:func:`describe`; never a
note's text), so an admin can compare it with what people did before turning writes on.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence

import redis

from . import keys
from .actions import Action

log = logging.getLogger("tco_bridge.writeback")

SHADOW_KEEP = 1000


def record(
    client: redis.Redis,
    connector: str,
    ticket: str,
    actions: Sequence[Action],
    clean: Callable[[str], str],
) -> None:
    """Log and keep what ``actions`` would do; ``clean`` redacts secrets from the target."""
    pipe = client.pipeline(transaction=False)
    for action in actions:
        entry = {
            "at": time.time(),
            "connector": connector,
            "ticket": ticket,
            "action": action.id,
            "kind": action.kind.value,
            "rule": action.rule,
            "target": clean(describe(action)),
        }
        log.info(
            "shadow: would %s on %s:%s (rule %s): %s",
            entry["kind"],
            connector,
            ticket,
            action.rule,
            entry["target"],
        )
        pipe.lpush(keys.SHADOW, json.dumps(entry))
    pipe.ltrim(keys.SHADOW, 0, SHADOW_KEEP - 1)
    pipe.execute()


def describe(action: Action) -> str:
    """What an action targets, in a few words, for logs and the shadow list (no note text)."""
    parts = {
        "assignee": action.assignee,
        "group": action.group,
        "field": action.field,
        "label": action.label,
        "status": action.status,
        "owner": action.owner,
        "task": action.task.summary if action.task else None,
        "mention": ",".join(action.mention) or None,
    }
    shown = [f"{k}={v}" for k, v in parts.items() if v]
    if action.text:
        shown.append(f"text={len(action.text)} chars")
    return " ".join(shown) or "-"
