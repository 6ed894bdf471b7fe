"""The running bridge's rules: loaded at start, re-read on change, last good kept on error."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tco_bridge.config import DEFAULT_RULES
from tco_bridge.errors import RulesError
from tco_bridge.rules_source import RulesNotLoaded, RulesSource


def test_invalid_start_fails_fast(tmp_path: Path) -> None:
    bad = tmp_path / "rules.yaml"
    bad.write_text("version: 1\nownership: {model: feudal}\n")
    with pytest.raises(RulesError, match="rules.yaml:2"):
        RulesSource(bad).current()


def test_reload_keeps_last_good_rules_then_takes_a_fixed_file(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    text = DEFAULT_RULES.read_text()
    path.write_text(text)
    source = RulesSource(path, check_every=0)
    first = source.current()
    assert source.error is None and source.loaded

    path.write_text(text.replace("model: individual", "model: feudal"))
    os.utime(path, ns=(1, 1))  # a different mtime, whatever the clock's resolution
    assert source.current() is first
    assert source.error is not None and "feudal" in source.error

    path.write_text(text.replace("model: individual", "model: team"))
    os.utime(path, ns=(2, 2))
    second = source.current()
    assert second is not first and second.ownership.model.value == "team"
    assert source.error is None


def test_a_supervised_process_boots_without_rules_and_takes_them_once_fixed(
    tmp_path: Path,
) -> None:
    """``required=False`` (gunicorn's workers under ``tco-bridge web``): a broken file at boot
    is reported, not raised at construction, and the first good version is taken."""
    path = tmp_path / "rules.yaml"
    text = DEFAULT_RULES.read_text()
    path.write_text(text.replace("model: individual", "model: feudal"))
    source = RulesSource(path, check_every=0, required=False)
    with pytest.raises(RulesNotLoaded, match="rules.yaml:"):
        source.current()
    assert not source.loaded
    assert source.error is not None and "feudal" in source.error

    path.write_text(text)
    assert source.current().ownership.model.value == "individual"
    assert source.loaded and source.error is None


def test_a_supervised_process_reads_a_broken_file_again_only_after_the_interval(
    tmp_path: Path,
) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("version: 1\nownership: {model: feudal}\n")
    source = RulesSource(path, check_every=3600, required=False)
    for _ in range(2):
        with pytest.raises(RulesNotLoaded):
            source.current()
    path.write_text(DEFAULT_RULES.read_text())
    with pytest.raises(RulesNotLoaded):  # fixed, but not looked at again within the interval
        source.current()
