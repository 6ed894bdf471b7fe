"""Conditions on the event's comment: a pattern, the reply verdict, the agent-notes bar."""

from __future__ import annotations

import re

from .checks import Check, Tested, one_of
from .model import Definitions, Facts
from .replies import Reply
from .replies import classify as classify_reply
from .yamlsrc import Node, Source

REPLY_KINDS = tuple(r.value for r in Reply)


def comment_matches(src: Source, node: Node, defs: Definitions) -> Tested | None:
    text = src.string(node)
    if text is None:
        return None
    try:
        pattern = re.compile(text)
    except re.error as exc:
        src.error(node, f"bad regular expression {text!r}: {exc}")
        return None

    def check(f: Facts) -> tuple[bool, str]:
        comment = f.event.comment
        if comment is None:
            return False, "the event carries no comment"
        hit = pattern.search(comment.body)
        return hit is not None, f"comment {'matches' if hit else 'does not match'} /{text}/"

    def test(f: Facts) -> bool:
        comment = f.event.comment
        return comment is not None and pattern.search(comment.body) is not None

    return Tested(check, test)


def reply_is(src: Source, node: Node, defs: Definitions) -> Tested | None:
    """The comment read by :mod:`.replies`: confirmed, rejected or neither."""
    wanted = frozenset(src.choices(node, REPLY_KINDS, "reply verdict"))
    verdict = one_of("the reply", wanted)

    def check(f: Facts) -> tuple[bool, str]:
        comment = f.event.comment
        if comment is None:
            return False, "the event carries no comment"
        return verdict(_reply_of(f, comment.body).value)

    def test(f: Facts) -> bool:
        comment = f.event.comment
        return comment is not None and _reply_of(f, comment.body).value in wanted

    return Tested(check, test)


def _reply_of(f: Facts, body: str) -> Reply:
    return f.once("reply", lambda: classify_reply(body))


def notes_below_bar(src: Source, node: Node, defs: Definitions) -> Check | None:
    children = src.mapping(node, ("mark", "min_chars", "keywords"), ("mark",)) or {}
    mark = src.string(children["mark"]) if "mark" in children else None
    min_chars = src.integer(children["min_chars"]) if "min_chars" in children else 0
    keywords = (
        [k.lower() for k in src.strings(children["keywords"])] if "keywords" in children else []
    )
    if mark is None or min_chars is None:
        return None

    def check(f: Facts) -> tuple[bool, str]:
        notes = f.marks.get(mark)
        if not isinstance(notes, dict):
            return True, "no agent notes recorded"
        chars, text = int(notes.get("chars", 0)), str(notes.get("text", "")).lower()
        if chars < min_chars:
            return True, f"last agent note has {chars} characters (< {min_chars})"
        if keywords and not any(k in text for k in keywords):
            return True, f"last agent note mentions none of {keywords}"
        return False, f"last agent note meets the bar ({chars} characters)"

    return check
