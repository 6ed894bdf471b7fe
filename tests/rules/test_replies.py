"""The confirmation classifier reads every reply of the labelled corpus as labelled."""

from __future__ import annotations

import pytest
from ruamel.yaml import YAML
from rules_kit import DEFAULT_RULES

from tco_bridge.rules.replies import Reply, classify, clauses

CORPUS = DEFAULT_RULES.parent / "replies.yaml"
LABELLED = [
    (label, text)
    for label, texts in YAML(typ="safe").load(CORPUS.read_text(encoding="utf-8")).items()
    for text in texts
]


def test_corpus_is_large_and_balanced() -> None:
    counts = {r.value: sum(1 for label, _ in LABELLED if label == r.value) for r in Reply}
    assert sum(counts.values()) >= 60
    assert min(counts.values()) >= 15, counts


@pytest.mark.parametrize(("label", "text"), LABELLED, ids=[t[:40] for _, t in LABELLED])
def test_every_labelled_reply(label: str, text: str) -> None:
    assert classify(text) == Reply(label), clauses(text)


def test_quoted_mail_is_not_read() -> None:
    text = "Thanks for checking.\nOn Tue, 4 Mar 2025, Support wrote:\nIt is fixed now."
    assert classify(text) is Reply.NEITHER
