"""YAML nodes that remember where they came from, and the error list of one load.

The loader reads with ruamel's round-trip parser, which records the line of every key and
value. :class:`Source` wraps each value in a :class:`Node` (value, line, dotted path) and
offers typed readers that *collect* errors (``file:line: path: message``) instead of stopping
at the first, so an admin sees everything that is wrong with a file at once.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from .durations import Duration, DurationError, parse_duration


@dataclass(frozen=True, slots=True)
class Node:
    value: Any
    line: int  # 1-based
    path: str

    def child_path(self, key: str | int) -> str:
        if isinstance(key, int):
            return f"{self.path}[{key}]"
        return f"{self.path}.{key}" if self.path else str(key)


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "empty"
    return f"{type(value).__name__} {value!r}"


class Source:
    """One file being loaded: parse it, read typed values, collect errors."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.errors: list[str] = []

    # --- errors -------------------------------------------------------------------------
    def error(self, node: Node, message: str, *, line: int | None = None) -> None:
        where = f"{node.path}: " if node.path else ""
        self.errors.append(f"{self.filename}:{line or node.line}: {where}{message}")

    def parse(self, text: str) -> Node | None:
        yaml = YAML(typ="rt")
        try:
            data = yaml.load(text)
        except MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark is not None else 1
            problem = exc.problem or exc.context or "invalid YAML"
            self.errors.append(f"{self.filename}:{line}: invalid YAML: {problem}")
            return None
        except Exception as exc:  # ruamel raises plain errors for a few malformed inputs
            self.errors.append(f"{self.filename}:1: invalid YAML: {exc}")
            return None
        return Node(data, 1, "")

    # --- structure ----------------------------------------------------------------------
    def mapping(
        self,
        node: Node,
        allowed: Collection[str] | None = None,
        required: Sequence[str] = (),
    ) -> dict[str, Node] | None:
        """Children of a mapping; unknown keys (when ``allowed`` is given) are errors."""
        value = node.value
        if not isinstance(value, dict):
            self.error(node, f"expected a mapping, got {_kind(value)}")
            return None
        out: dict[str, Node] = {}
        for key, child in value.items():
            key_line, value_line = self._lines(value, key, node.line)
            name = str(key)
            if allowed is not None and name not in allowed:
                self.error(
                    node,
                    f"key {name!r} is not allowed here (allowed: {', '.join(allowed)})",
                    line=key_line,
                )
                continue
            line = key_line if isinstance(child, dict | list) else value_line
            out[name] = Node(child, line, node.child_path(name))
        for name in required:
            if name not in out and (allowed is None or name in allowed):
                self.error(node, f"key {name!r} is required")
        return out

    @staticmethod
    def _lines(value: Any, key: Any, default: int) -> tuple[int, int]:
        if isinstance(value, CommentedMap):
            data = value.lc.data.get(key)
            if data:
                return data[0] + 1, data[2] + 1
        return default, default

    def seq(self, node: Node, *, scalar_ok: bool = True) -> list[Node] | None:
        """Items of a list; a single scalar counts as a one-item list when ``scalar_ok``."""
        value = node.value
        if isinstance(value, list):
            out = []
            for i, item in enumerate(value):
                line = node.line
                if isinstance(value, CommentedSeq):
                    try:
                        line = value.lc.item(i)[0] + 1
                    except (KeyError, TypeError):
                        line = node.line
                out.append(Node(item, line, node.child_path(i)))
            return out
        if scalar_ok and isinstance(value, str | int | float) and not isinstance(value, bool):
            return [node]
        self.error(node, f"expected a list, got {_kind(value)}")
        return None

    # --- scalars ------------------------------------------------------------------------
    def string(self, node: Node, *, empty_ok: bool = False) -> str | None:
        value = node.value
        if isinstance(value, bool) or value is None or isinstance(value, dict | list):
            self.error(node, f"expected text, got {_kind(value)}")
            return None
        text = str(value)
        if not text and not empty_ok:
            self.error(node, "expected text, got an empty string")
            return None
        return text

    def boolean(self, node: Node) -> bool | None:
        if not isinstance(node.value, bool):
            self.error(node, f"expected true or false, got {_kind(node.value)}")
            return None
        return node.value

    def integer(self, node: Node, *, minimum: int = 0) -> int | None:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.error(node, f"expected a whole number >= {minimum}, got {_kind(value)}")
            return None
        return int(value)

    def choice(self, node: Node, allowed: Collection[str], what: str = "value") -> str | None:
        text = self.string(node)
        if text is None:
            return None
        if text not in allowed:
            self.error(node, f"{what} {text!r} is not one of: {', '.join(sorted(allowed))}")
            return None
        return text

    def choices(self, node: Node, allowed: Collection[str], what: str = "value") -> list[str]:
        items = self.seq(node) or []
        out = [self.choice(item, allowed, what) for item in items]
        return [x for x in out if x is not None]

    def strings(self, node: Node) -> list[str]:
        items = self.seq(node) or []
        return [s for s in (self.string(item) for item in items) if s is not None]

    def duration(self, node: Node) -> Duration | None:
        try:
            return parse_duration(node.value)
        except DurationError as exc:
            self.error(node, str(exc))
            return None
