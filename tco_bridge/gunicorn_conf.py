"""gunicorn settings of ``tco-bridge web`` (``gunicorn -c python:tco_bridge.gunicorn_conf``).

The hook multiprocess metrics need (when a worker dies, its live gauge files are dropped), and
no control socket: gunicorn 27 opens one at a single per-user path that two bridges on one
machine would take from each other, and nothing here uses it. (Older gunicorn ignores the
setting.)
"""

from __future__ import annotations

from typing import Any

control_socket_disable = True


def child_exit(server: Any, worker: Any) -> None:
    from tco_bridge.prometheus import child_exit as drop_dead_worker

    drop_dead_worker(server, worker)
