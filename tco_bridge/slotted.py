"""Generated copy and build functions for the frozen, slotted dataclasses of the hot path.

A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``, which costs
about 0.4 µs a field: a ``TicketEvent`` takes several µs to build, a ``TicketState`` copy
more, and the drain builds and copies them for every event. The functions here set each slot
through its own descriptor, written out field by field (the way ``dataclasses`` writes
``__init__``), which is several times as fast. They suit classes without ``__post_init__`` or
validation in ``__init__``; what they build compares equal to what ``__init__`` builds
(``tests/core/test_state_copy.py``, ``tests/core/test_events.py``).

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from typing import Any, TypeVar

T = TypeVar("T")


def setters(cls: type) -> dict[str, Callable[[Any, Any], None]]:
    """Each field's slot setter (it bypasses the frozen ``__setattr__``, as ``__init__``
    does)."""
    return {f.name: getattr(cls, f.name).__set__ for f in fields(cls)}


# Not mutated: these run once, at import, before mutmut switches a mutant on, so their
# mutants could never be told apart. What they generate is tested.
def _generate(cls: type, head: str, value: str) -> Callable[..., Any]:  # pragma: no mutate block
    names = [f.name for f in fields(cls)]
    scope: dict[str, Any] = {"_new": object.__new__, "_cls": cls}
    lines = [head.format(args=", ".join(names)), "    new = _new(_cls)"]
    for n, (name, setter) in enumerate(setters(cls).items()):
        scope[f"_set{n}"] = setter
        lines.append(f"    _set{n}(new, {value.format(name=name)})")
    lines.append("    return new")
    exec("\n".join(lines), scope)  # generated from the dataclass's own fields
    made: Callable[..., Any] = scope["made"]
    return made


def copier(cls: type[T]) -> Callable[[T], T]:
    """A function returning a copy of an instance of ``cls``, slot by slot."""
    return _generate(cls, "def made(source):", "source.{name}")


def builder(cls: type[T]) -> Callable[..., T]:
    """A keyword-only constructor of ``cls`` taking every field (no defaults)."""
    return _generate(cls, "def made(*, {args}):", "{name}")
