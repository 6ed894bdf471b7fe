"""The recording (``TCO_RECORD_FILE``): what ``simulate`` and ``rules explain`` replay.

One JSON object per line, appended with a single ``write`` so processes never interleave:

* a webhook delivery as the receiver accepted it: ``received_at``, ``connector``, ``headers``,
  ``body`` (or ``body_b64``);
* an agent marked away or back (``/agents`` or the clock at ``until``): ``received_at``,
  ``presence`` (``away`` or ``back``), ``connector``, ``agent``, ``backup``.

Deliveries are parsed by their connector's pure ``parse``, built by :class:`Parsers` from the
same settings as the bridge (so the bridge's own notes are recognised as its own). Timers are
not recorded: a replay derives them from the events, exactly as the worker does.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from .connector import Connector, build
from .errors import TcoError
from .events import TicketEvent, utc

PRESENCE = ("away", "back")


@dataclass(frozen=True, slots=True)
class Presence:
    """An agent marked away (with a backup) or back, at a time."""

    at: datetime
    connector: str
    agent: str
    away: bool
    backup: str | None = None

    @property
    def key(self) -> str:
        return f"agent.{'away' if self.away else 'back'}:{self.agent}:{self.at.isoformat()}"


@dataclass
class Parsers:
    """Each connector named in a recording, built once from ``env`` (the bridge's settings)."""

    env: Mapping[str, str] = field(default_factory=dict)
    built: dict[str, Connector] = field(default_factory=dict)

    def connector(self, name: str) -> Connector:
        if name not in self.built:
            self.built[name] = build(name, self.env)
        return self.built[name]


_BARE = Parsers()


def delivery_events(record: dict[str, Any], parsers: Parsers | None = None) -> list[TicketEvent]:
    """Parse one recorded delivery with its connector's pure ``parse``."""
    name = record.get("connector")
    if not isinstance(name, str):
        raise ValueError("no connector named in the record")
    if "body_b64" in record:
        body = base64.b64decode(str(record["body_b64"]))
    elif "body" in record:
        body = str(record["body"]).encode("utf-8")
    else:
        raise ValueError("the record has neither body nor body_b64")
    headers = {str(k).lower(): str(v) for k, v in dict(record.get("headers") or {}).items()}
    return list((parsers or _BARE).connector(name).parse(headers, body).events)


def presence_of(record: dict[str, Any]) -> Presence:
    kind = record.get("presence")
    if kind not in PRESENCE:
        raise ValueError(f"presence {kind!r} is not one of {list(PRESENCE)}")
    connector, agent = record.get("connector"), record.get("agent")
    if not isinstance(connector, str) or not isinstance(agent, str):
        raise ValueError("a presence line needs 'connector' and 'agent'")
    backup = record.get("backup")
    at = utc(datetime.fromisoformat(str(record.get("received_at"))))
    return Presence(at, connector, agent, kind == "away", str(backup) if backup else None)


def read_recording(
    lines: Iterable[str], parsers: Parsers | None = None
) -> tuple[list[TicketEvent | Presence], list[str]]:
    """Events and presence changes of every readable line, and ``line N: reason`` for the rest."""
    items: list[TicketEvent | Presence] = []
    problems: list[str] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ValueError("not a JSON object")
            if "presence" in record:
                items.append(presence_of(record))
            else:
                items.extend(delivery_events(record, parsers))
        except (TcoError, ValueError, TypeError) as exc:
            problems.append(f"line {number}: {exc}")
    return items, problems


def append_line(path: Path, entry: dict[str, Any]) -> None:
    """One ``write()`` on an ``O_APPEND`` descriptor: lines from processes never interleave."""
    line = (json.dumps(entry, separators=(",", ":")) + "\n").encode()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def record_presence(
    path: Path, connector: str, agent: str, away: bool, backup: str | None, now: datetime
) -> None:
    append_line(
        path,
        {
            "received_at": now.isoformat(),
            "presence": "away" if away else "back",
            "connector": connector,
            "agent": agent,
            "backup": backup,
        },
    )
