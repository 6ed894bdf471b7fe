"""gunicorn settings of ``tco-bridge web`` (``gunicorn -c python:tco_bridge.gunicorn_conf``).

Only the hook multiprocess metrics need: when a worker dies, its live gauge files are dropped.
"""

from __future__ import annotations

from typing import Any


def child_exit(server: Any, worker: Any) -> None:
    from tco_bridge.prometheus import child_exit as drop_dead_worker

    drop_dead_worker(server, worker)
