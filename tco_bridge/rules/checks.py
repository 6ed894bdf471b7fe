"""What a compiled condition is (:class:`Condition`, a :data:`Check` answering
``(matched, reason)``) and the helpers that word the reasons.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .model import Definitions, Facts
from .yamlsrc import Node, Source

Check = Callable[[Facts], tuple[bool, str]]
#: The same verdict as a check, without the reason: what evaluation asks first.
Test = Callable[[Facts], bool]


@dataclass(frozen=True, slots=True)
class Tested:
    """A check with its fast twin (``test(f) == check(f)[0]`` always): evaluation asks
    ``test``, and the reason is worded (by ``check``) only for a rule that matched, whose plan
    notes it, or when ``rules explain`` asks."""

    check: Check
    test: Test
    #: For a value-set condition: the values it accepts (see ``value_conditions.NARROWING``).
    wanted: frozenset[str] | None = None
    #: For a condition on counts: each count's bound (the owner's workload cap, a mark's
    #: limit), for readers such as the console that show it beside the count.
    bounds: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True, slots=True)
class Condition:
    name: str
    check: Check
    test: Test
    wanted: frozenset[str] | None = None
    bounds: tuple[tuple[str, int], ...] = ()

    def __call__(self, facts: Facts) -> tuple[bool, str]:
        return self.check(facts)

    @classmethod
    def of(cls, name: str, compiled: Check | Tested) -> Condition:
        if isinstance(compiled, Tested):
            return cls(name, compiled.check, compiled.test, compiled.wanted, compiled.bounds)
        check = compiled
        return cls(name, check, lambda f: check(f)[0])


Compiler = Callable[[Source, Node, Definitions], Check | Tested | None]


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
