"""What a compiled condition is (:class:`Condition`, a :data:`Check` answering
``(matched, reason)``) and the helpers that word the reasons.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .model import Definitions, Facts
from .yamlsrc import Node, Source

Check = Callable[[Facts], tuple[bool, str]]


@dataclass(frozen=True, slots=True)
class Condition:
    name: str
    check: Check

    def __call__(self, facts: Facts) -> tuple[bool, str]:
        return self.check(facts)


Compiler = Callable[[Source, Node, Definitions], Check | None]


def one_of(what: str, wanted: frozenset[str]) -> Callable[[object], tuple[bool, str]]:
    """A membership test whose reasons are cheap (the wanted list is formatted once)."""
    wanted_text = list_text(wanted)

    def test(actual: object) -> tuple[bool, str]:
        if actual in wanted:
            return True, f"{what} is {actual!r}"
        return False, f"{what} is {actual!r}, wanted {wanted_text}"

    return test


def list_text(values: frozenset[str] | list[str]) -> str:
    return "one of: " + ", ".join(sorted(values))


def flag(what: str, wanted: bool, actual: bool, detail: str = "") -> tuple[bool, str]:
    text = f"{what}: {'yes' if actual else 'no'}{detail}"
    return actual == wanted, text if actual == wanted else f"{text}, wanted {wanted!r}".lower()
