"""A drain job collects garbage less often, and leaves the process's thresholds as it found them."""

from __future__ import annotations

import gc

import pytest

from tco_bridge.collector import YOUNG, fewer_collections


def test_the_young_threshold_is_raised_for_the_block_and_restored_after() -> None:
    before = gc.get_threshold()
    with fewer_collections():
        assert gc.get_threshold() == (max(YOUNG, before[0]), *before[1:])
    assert gc.get_threshold() == before
    with pytest.raises(RuntimeError), fewer_collections():
        raise RuntimeError("a failed drain")
    assert gc.get_threshold() == before


def test_a_higher_threshold_already_set_is_kept() -> None:
    before = gc.get_threshold()
    gc.set_threshold(YOUNG * 2, *before[1:])
    try:
        with fewer_collections():
            assert gc.get_threshold()[0] == YOUNG * 2
    finally:
        gc.set_threshold(*before)
