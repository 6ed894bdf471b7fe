"""Reading what a connector sent and raised: the writes a fake API recorded, the texts of an
error and its chain, the strings of a JSON body."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import responses

from ..actions import Action
from .cases import Write


def texts(error: BaseException) -> list[str]:
    return [str(error), repr(error), *map(repr, error.args)]


def nothing(api: responses.RequestsMock) -> None:
    return None


def writes(calls: Sequence[Any]) -> list[Any]:
    return [c for c in calls if c.request.method not in ("GET", "HEAD")]


def write(call: Any) -> Write:
    request = call.request
    raw = request.body or b""
    text = raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)
    try:
        body: Any = json.loads(text) if text else None
    except ValueError:
        body = text
    path = str(request.path_url).split("?", 1)[0]
    return Write(str(request.method), path, body)


def leaves(value: Any) -> Iterator[Any]:
    """Every scalar in a JSON-like value (``None`` included), keys excepted."""
    if isinstance(value, Mapping):
        for item in value.values():
            yield from leaves(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from leaves(item)
    else:
        yield value


def lists(value: Any) -> Iterator[Sequence[Any]]:
    if isinstance(value, Mapping):
        for item in value.values():
            yield from lists(item)
    elif isinstance(value, list | tuple):
        yield value
        for item in value:
            yield from lists(item)


def dump(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def text_holding(write: Write, text: str) -> str:
    """The string of the write that carries ``text`` (the comment's body)."""
    for leaf in leaves(write.body):
        if isinstance(leaf, str) and text in leaf:
            return leaf
    raise AssertionError(f"the text {text!r} is not in the write: {dump(write.body)}")


def shape(write: Write) -> tuple[str, str, str]:
    """Method, target and body with every string blanked: what tells two requests apart
    besides their text."""

    def blank(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {k: blank(v) for k, v in sorted(value.items())}
        if isinstance(value, list | tuple):
            return [blank(v) for v in value]
        return "…" if isinstance(value, str) else value

    return write.method, write.target, json.dumps(blank(write.body), default=str)


def mentions(call: Any, task: Action) -> bool:
    """A POST whose body carries the task's action id (i.e. a second create)."""
    body = call.request.body or b""
    text = body.decode(errors="replace") if isinstance(body, bytes) else str(body)
    return task.id in text


def mask(text: str, secret: str) -> str:
    at = text.find(secret)
    return text[max(0, at - 60) : at] + "<SECRET>" + text[at + len(secret) : at + len(secret) + 60]


def printed_cause(error: BaseException) -> BaseException | None:
    """The error a traceback prints below this one: the cause, else an unsuppressed context
    (``raise ... from None`` suppresses it)."""
    if error.__cause__ is not None:
        return error.__cause__
    return None if error.__suppress_context__ else error.__context__
