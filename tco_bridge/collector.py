"""Fewer garbage collections while a drain job runs.

CPython starts a collection of its youngest generation every 700 container allocations, and
a drain allocates several dozen per event (the event, its history and timeline entries, the
plan, the state draft) while keeping a batch's tickets alive: measured on the drain
benchmark, collections took about a tenth of the worker's CPU. Nearly all of that memory is
freed by reference counting anyway; the collector only finds cycles, and a drain makes
hardly any. So a drain job collects its youngest generation every ``YOUNG`` allocations
instead, and puts the process's thresholds back when it ends.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

YOUNG = 50_000


@contextmanager
def fewer_collections(young: int = YOUNG) -> Iterator[None]:
    """Raise the youngest generation's threshold (never lower it) for the ``with`` block."""
    before = gc.get_threshold()
    gc.set_threshold(max(young, before[0]), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)
