"""Sending the sandbox's webhooks: an outbox drained after every change, and on demand.

Every change leaves its delivery in the ``outbox`` table (see :mod:`.store`). After the
change commits, :meth:`Outbox.flush` sends what is pending, oldest first, through an
*emitter* — a callable ``(headers, body) -> None`` that raises when the delivery did not
arrive. By default that is :class:`HttpEmitter` (a POST to the bridge); tests inject their
own. A failure is logged and the delivery stays in the outbox, and the flush stops there so
a bridge that is down costs one refused connection, not one per pending delivery.
:meth:`Outbox.flush` is also what ``SandboxConnector.resend_pending()`` calls later.

A delivery the bridge refuses for good (a 4xx other than 408/429, e.g. a bad signature) would
never get through, so it leaves the outbox with an error in the log; the event log keeps it.
Two processes flushing at once may send a delivery twice: the bridge dedupes by delivery id.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import requests

from tco_bridge.retry import is_retryable

from . import webhook
from .db import Database

log = logging.getLogger(__name__)

#: Sends one delivery; raises when it did not arrive.
Emitter = Callable[[Mapping[str, str], bytes], None]


class Rejected(Exception):
    """The receiver refused the delivery for good: resending will not help."""


class HttpEmitter:
    """The default emitter: POST the delivery to the bridge's webhook URL."""

    def __init__(self, url: str, timeout: float, session: requests.Session | None = None) -> None:
        self.url = url
        self.timeout = timeout
        self.session = session or requests.Session()

    def __call__(self, headers: Mapping[str, str], body: bytes) -> None:
        response = self.session.post(
            self.url, data=body, headers=dict(headers), timeout=self.timeout
        )
        if 200 <= response.status_code < 300:
            return
        message = f"POST {self.url} answered {response.status_code}: {response.text[:200]}"
        if is_retryable(response.status_code):
            raise ConnectionError(message)
        raise Rejected(message)

    def __repr__(self) -> str:
        return f"HttpEmitter(url={self.url!r})"


class Outbox:
    """Pending deliveries of one sandbox database, and the emitter that sends them."""

    def __init__(
        self, db: Database, emitter: Emitter, secret: str, clock: Callable[[], datetime]
    ) -> None:
        self.db = db
        self.emitter = emitter
        self._secret = secret
        self.clock = clock
        self._lock = threading.Lock()  # one flush at a time per process, in delivery order

    def flush(self, limit: int = 1000) -> int:
        """Send pending deliveries, oldest first; return how many arrived. Never raises."""
        try:
            with self._lock:
                return self._flush(limit)
        except Exception:  # the sandbox change itself is already committed; keep it so
            log.exception("sandbox outbox flush failed; deliveries stay pending")
            return 0

    def flush_in_background(self) -> None:
        """Flush on a thread, so an HTTP request to the sandbox never waits for the bridge
        (which may be this very process, serving one request at a time)."""
        threading.Thread(target=self.flush, name="sandbox-outbox", daemon=True).start()

    def pending(self) -> list[dict[str, Any]]:
        """What is still waiting to be sent, oldest first."""
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT o.seq, e.delivery, e.event, e.ticket, o.attempts, o.last_error"
                " FROM outbox o JOIN event_log e ON e.seq = o.seq ORDER BY o.seq"
            ).fetchall()
        return [dict(row) for row in rows]

    def _flush(self, limit: int) -> int:
        sent = 0
        for row in self._batch(limit):
            headers = webhook.headers_for(self._secret, row["delivery"], row["event"], row["body"])
            try:
                self.emitter(headers, bytes(row["body"]))
            except Rejected as exc:
                log.error("sandbox webhook %s refused for good, dropped: %s", row["delivery"], exc)
                self._done(row["seq"])
            except Exception as exc:
                log.warning(
                    "sandbox webhook %s not delivered (%s); kept for resend_pending()",
                    row["delivery"],
                    _describe(exc),
                )
                self._failed(row["seq"], _describe(exc))
                break
            else:
                self._done(row["seq"])
                sent += 1
        return sent

    def _batch(self, limit: int) -> list[Any]:
        with self.db.read() as conn:
            return conn.execute(
                "SELECT o.seq, e.delivery, e.event, e.body FROM outbox o"
                " JOIN event_log e ON e.seq = o.seq ORDER BY o.seq LIMIT ?",
                (limit,),
            ).fetchall()

    def _done(self, seq: int) -> None:
        with self.db.write() as conn:
            conn.execute("DELETE FROM outbox WHERE seq = ?", (seq,))

    def _failed(self, seq: int, error: str) -> None:
        with self.db.write() as conn:
            conn.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?, last_attempt_at = ?"
                " WHERE seq = ?",
                (error, self.clock().isoformat(), seq),
            )


def _describe(exc: BaseException) -> str:
    """Short and safe for a log: requests' messages can be long; keep type and first line."""
    first = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {first[:200]}" if first else type(exc).__name__
