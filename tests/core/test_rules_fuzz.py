"""A bad rules file is refused with RulesError (file:line), never a crash of another kind.

The shipped rules are mutated many times (keys dropped, values swapped for other YAML types)
with a fixed seed; every load must either succeed or raise RulesError with located messages.
Each load of the shipped rules takes a noticeable part of a second (the line-keeping YAML
parser), so ``make test`` tries 20 mutants; ``make fuzz`` (``TCO_FUZZ_EXAMPLES``) tries more.
"""

from __future__ import annotations

import copy
import os
import random
import re
from typing import Any

import pytest
from ruamel.yaml import YAML

from tco_bridge.config import DEFAULT_RULES
from tco_bridge.errors import RulesError
from tco_bridge.rules import load_rules_text

WEIRD: list[Any] = [
    None,
    0,
    -3,
    1.5,
    True,
    "",
    "nonsense",
    "99x",
    [],
    {},
    [None],
    {"a": 1},
    "{{ nope }}",
    "25:99-26:00",
    "2bd",
    ["P1"],
    {"P9": "1h"},
]


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


def _dump(doc: Any) -> str:
    import io

    out = io.StringIO()
    yaml = YAML(typ="safe")  # the C emitter: the round-trip one made this test slow
    yaml.default_flow_style = False
    yaml.dump(doc, out)
    return out.getvalue()


SEEDS = max(2, int(os.environ.get("TCO_FUZZ_EXAMPLES", "0")) // 100)


@pytest.mark.parametrize("seed", range(SEEDS))
def test_mutated_rules_load_or_are_refused_with_locations(seed: int) -> None:
    yaml = YAML(typ="safe")
    original = yaml.load(DEFAULT_RULES.read_text())
    rng = random.Random(seed)
    paths = _paths(original)
    for _ in range(10):
        doc = copy.deepcopy(original)
        for path in rng.sample(paths, rng.randint(1, 3)):
            parent = doc
            try:
                for step in path[:-1]:
                    parent = parent[step]
                if isinstance(parent, dict) and rng.random() < 0.4:
                    del parent[path[-1]]
                else:
                    parent[path[-1]] = rng.choice(WEIRD)
            except (KeyError, IndexError, TypeError):
                continue  # an earlier mutation removed this path
        try:
            load_rules_text(_dump(doc), "mutated.yaml")
        except RulesError as exc:
            assert exc.messages
            assert all(re.match(r"mutated\.yaml:\d+: ", m) for m in exc.messages), exc.messages
