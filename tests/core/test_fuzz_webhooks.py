"""Never a 500 for anything a client sends: signed, mutated real payloads get 202 or 400.

Each fixture is mutated many times (keys dropped, values swapped for other JSON types, huge
or nested values, wrong containers) with a fixed seed, signed, and posted to the receiver.
"""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

import pytest
from webhook_kit import jira_signed, zendesk_signed

from tco_bridge.web import create_app

WEIRD: list[Any] = [
    None,
    0,
    -1,
    2**70,
    1.5,
    True,
    "",
    "x" * 5000,
    "2026-13-45T99:99:99Z",
    [],
    {},
    [None],
    {"id": None},
    {"accountId": 7},
    "zen:ticket:",
    "zen:event-type:ticket.created",
    "jira:issue_updated",
    "comment_created",
    "\u0000\ud800",
    ["a", {"b": []}],
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


def mutate(doc: Any, rng: random.Random) -> Any:
    doc = copy.deepcopy(doc)
    for _ in range(rng.randint(1, 4)):
        paths = _paths(doc)
        if not paths:
            return rng.choice(WEIRD)
        path = rng.choice(paths)
        parent = doc
        for step in path[:-1]:
            parent = parent[step]
        last = path[-1]
        if isinstance(parent, dict) and rng.random() < 0.3:
            del parent[last]
        else:
            parent[last] = copy.deepcopy(rng.choice(WEIRD))
    return doc


def cases(folder: str) -> list[Path]:
    root = Path(__file__).resolve().parents[1] / "fixtures" / "webhooks" / folder
    return sorted(root.rglob("*.json"))


@pytest.mark.parametrize(
    ("connector", "path"),
    [("jira", p) for p in cases("jira")] + [("zendesk", p) for p in cases("zendesk")],
    ids=lambda v: v.name if isinstance(v, Path) else v,
)
def test_mutated_payloads_get_202_or_400(make_runtime: Any, connector: str, path: Path) -> None:
    client = create_app(runtime=make_runtime()).test_client()
    original = json.loads(path.read_text())
    rng = random.Random(f"{connector}:{path.name}")
    sign = jira_signed if connector == "jira" else zendesk_signed
    for n in range(120):
        body = json.dumps(mutate(original, rng)).encode()
        response = client.post(f"/webhooks/{connector}", data=body, headers=sign(body))
        assert response.status_code in (202, 400), (n, response.status_code, body[:300])
        if response.status_code == 400:
            assert response.json["reason"]
