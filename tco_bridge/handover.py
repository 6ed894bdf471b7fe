"""Shift and absence handover: mark an agent away or back, and tell their tickets.

Marking an agent away records it in ``tco:away`` (read by every drain batch as
``Context.away``) and queues an ``agent.away`` event for each open ticket they own, through
the same shard streams as webhooks, so the rules decide coverage (a named backup or the team
queue) exactly as for any other event. The tickets told are remembered, so marking the agent
back (by the API, or by the clock when ``until`` passes) sends ``agent.back`` to the same
tickets and the rules can hand them back.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from datetime import datetime

from . import keys
from .event_codec import dump_event
from .events import EventType, TicketEvent
from .keys import text
from .plan import Away
from .recording import record_presence
from .runtime import Runtime

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AwayRecord:
    connector: str
    agent: str
    backup: str | None
    until: datetime | None
    since: datetime

    def to_json(self) -> str:
        data = asdict(self)
        data["until"] = self.until.isoformat() if self.until else None
        data["since"] = self.since.isoformat()
        return json.dumps(data)

    @classmethod
    def from_json(cls, raw: str | bytes) -> AwayRecord:
        data = json.loads(raw)
        return cls(
            connector=data["connector"],
            agent=data["agent"],
            backup=data.get("backup"),
            until=datetime.fromisoformat(data["until"]) if data.get("until") else None,
            since=datetime.fromisoformat(data["since"]),
        )

    def as_away(self) -> Away:
        return Away(agent=self.agent, backup=self.backup, until=self.until)


def _told(connector: str, agent: str) -> str:
    return keys.away_told(connector, agent)


def away_agents(rt: Runtime) -> list[AwayRecord]:
    return [AwayRecord.from_json(v) for v in rt.redis.hgetall(keys.AWAY).values()]


def mark_away(
    rt: Runtime,
    connector: str,
    agent: str,
    backup: str | None,
    until: datetime | None,
    now: datetime,
) -> list[str]:
    """Record the absence and tell each open ticket the agent owns; returns those tickets."""
    record = AwayRecord(connector, agent, backup, until, now)
    rt.redis.hset(keys.AWAY, agent, record.to_json())
    tickets = sorted(text(t) for t in rt.redis.smembers(keys.owned(connector, agent)))
    if tickets:
        rt.redis.sadd(_told(connector, agent), *tickets)
    _tell(rt, connector, tickets, EventType.AGENT_AWAY, agent, backup, now)
    _record(rt, connector, agent, True, backup, now)
    return tickets


def mark_back(rt: Runtime, connector: str, agent: str, now: datetime) -> list[str]:
    """End the absence; tell the tickets told before, and any the agent owns now."""
    rt.redis.hdel(keys.AWAY, agent)
    told = {text(t) for t in rt.redis.smembers(_told(connector, agent))}
    owned = {text(t) for t in rt.redis.smembers(keys.owned(connector, agent))}
    rt.redis.delete(_told(connector, agent))
    tickets = sorted(told | owned)
    _tell(rt, connector, tickets, EventType.AGENT_BACK, agent, None, now)
    _record(rt, connector, agent, False, None, now)
    return tickets


def _record(
    rt: Runtime, connector: str, agent: str, away: bool, backup: str | None, now: datetime
) -> None:
    """Presence changes join the recording, so ``simulate`` replays them too."""
    path = rt.settings.record_path
    if path is None:
        return
    try:
        record_presence(path, connector, agent, away, backup, now)
    except OSError:
        log.exception("could not append to the recording %s", path)


def expire(rt: Runtime, now: datetime) -> list[str]:
    """Mark back every agent whose ``until`` has passed (the clock calls this)."""
    back = []
    for record in away_agents(rt):
        if record.until is not None and record.until <= now:
            mark_back(rt, record.connector, record.agent, now)
            back.append(record.agent)
    return back


def _tell(
    rt: Runtime,
    connector: str,
    tickets: list[str],
    kind: EventType,
    agent: str,
    backup: str | None,
    now: datetime,
) -> None:
    stamp = now.isoformat()
    for ticket in tickets:
        key = f"{kind.value}:{agent}:{stamp}"
        event = TicketEvent(
            connector=connector,
            ticket=ticket,
            type=kind,
            at=now,
            key=key,
            delivery=key,
            field=agent,
            after=backup,
        )
        rt.events.push(connector, f"{key}:{ticket}", event.ticket_key, [dump_event(event)], stamp)
