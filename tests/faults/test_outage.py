"""A Redis outage is one line each way in a worker's log, whatever RQ logs about it (the
end-to-end check: ``test_crashes.py::test_redis_restart_under_load_loses_and_doubles_nothing``).
"""

from __future__ import annotations

import logging
import sys

import pytest
import redis

from tco_bridge.outage import Outage, _QuietReconnects


def record(msg: str, exc: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(exc), exc, None) if exc is not None else None
    return logging.LogRecord("rq.worker", logging.ERROR, __file__, 1, msg, (), exc_info)


def test_rqs_tracebacks_and_reconnect_lines_become_the_one_outage_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    outage = Outage("worker")
    quiet = _QuietReconnects(outage)
    lost = redis.ConnectionError("Connection closed by server.")
    with caplog.at_level(logging.WARNING, logger="tco_bridge.outage"):
        assert not quiet.filter(record("Worker w: found an unhandled exception, quitting...", lost))
        assert not quiet.filter(record("Worker w: Redis connection timeout, quitting..."))
        assert not quiet.filter(
            record("Worker w: found an unhandled exception", redis.TimeoutError())
        )
        outage.over()
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2, lines
    assert lines[0].startswith("worker: Redis unavailable (ConnectionError: Connection closed")
    assert lines[1].startswith("worker: Redis is back after")


def test_other_errors_keep_their_traceback() -> None:
    quiet = _QuietReconnects(Outage("worker"))
    try:
        raise ValueError("a bug")
    except ValueError:
        bug = record("Worker w: found an unhandled exception, quitting...")
        bug.exc_info = sys.exc_info()
    assert quiet.filter(bug)
    assert quiet.filter(record("Worker w: started"))
