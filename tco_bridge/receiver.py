"""From an HTTP delivery to queued canonical events: the webhook hot path.

Kept free of Flask so it is tested as a function: (connector, headers, body, now) in, an
:class:`Accepted` answer or a :class:`DeliveryError` out. One Redis round trip per delivery
(see ``queueing.py``); nothing here calls the ticket tool.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from .connector import Connector, check_signature
from .errors import DeliveryError, UnreadableDelivery, UnsupportedMediaType
from .event_codec import dump_event
from .events import TicketEvent
from .queueing import EventQueue
from .recording import append_line

log = logging.getLogger(__name__)

#: Headers never written to a recording.
_UNRECORDED = frozenset({"authorization", "cookie", "proxy-authorization"})


@dataclass(frozen=True, slots=True)
class Accepted:
    status: str  # "accepted", "duplicate" or "ignored"
    delivery: str
    events: int
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"status": self.status, "delivery": self.delivery}
        body["events"] = self.events
        if self.reason:
            body["reason"] = self.reason
        return body


def require_json(content_type: str | None) -> None:
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    if mime != "application/json" and not mime.endswith("+json"):
        raise UnsupportedMediaType(
            f"expected Content-Type application/json, got {content_type or 'none'!r}"
        )


def delivery_id(connector: str, declared: str | None, body: bytes) -> str:
    """The tool's delivery id, or a hash of the body when it sends none."""
    return declared or "sha256:" + hashlib.sha256(body).hexdigest()


def parse_safely(connector: Connector, headers: dict[str, str], body: bytes) -> Any:
    """A connector bug on odd input must still be a 400 to the sender, not a 500."""
    try:
        return connector.parse(headers, body)
    except DeliveryError:
        raise
    except Exception as exc:
        log.exception("%s connector failed to parse a delivery", connector.name)
        raise UnreadableDelivery(
            f"could not read this {connector.name} payload ({type(exc).__name__})"
        ) from exc


class Receiver:
    def __init__(
        self,
        connectors: dict[str, Connector],
        queue: EventQueue,
        *,
        allow_unsigned: bool,
        record_path: Path | None = None,
    ) -> None:
        self.connectors = connectors
        self.queue = queue
        self.allow_unsigned = allow_unsigned
        self.record_path = record_path

    def receive(
        self, connector: Connector, headers: dict[str, str], body: bytes, now: datetime
    ) -> Accepted:
        check_signature(connector, headers, body, now, allow_unsigned=self.allow_unsigned)
        delivery = parse_safely(connector, headers, body)
        did = delivery_id(connector.name, delivery.id, body)
        if self.record_path is not None:
            try:
                self.record(connector.name, headers, body, now)
            except OSError:  # a full disk must not cost the delivery: it is still queued
                log.exception("could not append to the recording %s", self.record_path)
        if not delivery.events:
            return Accepted("ignored", did, 0, delivery.ignored)
        duplicate = False
        _check_ids(did, delivery.events)
        groups = _by_ticket(delivery.events)
        for ticket_key, events in groups.items():
            dumped = [dump_event(e) for e in events]
            dedupe = did if len(groups) == 1 else f"{did}#{ticket_key}"
            result = self.queue.push(connector.name, dedupe, ticket_key, dumped, now.isoformat())
            duplicate = duplicate or result.duplicate
        if duplicate:
            return Accepted("duplicate", did, 0, "already received; not processed again")
        return Accepted("accepted", did, len(delivery.events))

    def record(self, connector: str, headers: dict[str, str], body: bytes, now: datetime) -> None:
        """Append the delivery to the JSONL recording that ``simulate`` replays."""
        entry: dict[str, Any] = {
            "received_at": now.isoformat(),
            "connector": connector,
            "headers": {k: v for k, v in headers.items() if k not in _UNRECORDED},
        }
        try:
            entry["body"] = body.decode("utf-8")
        except UnicodeDecodeError:
            import base64

            entry["body_b64"] = base64.b64encode(body).decode("ascii")
        assert self.record_path is not None
        append_line(self.record_path, entry)


MAX_ID_LENGTH = 256


def _check_ids(delivery: str, events: list[TicketEvent]) -> None:
    """Ids become Redis keys: they must be text (JSON can carry lone surrogates) of sane size."""
    for what, value in [("delivery id", delivery), *(("ticket id", e.ticket) for e in events)]:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise UnreadableDelivery(f"the {what} is not valid text") from None
        if not value or len(value) > MAX_ID_LENGTH:
            raise UnreadableDelivery(f"the {what} is empty or longer than {MAX_ID_LENGTH}")


def _by_ticket(events: list[TicketEvent]) -> dict[str, list[TicketEvent]]:
    grouped: dict[str, list[TicketEvent]] = defaultdict(list)
    for event in events:
        grouped[event.ticket_key].append(event)
    return grouped
