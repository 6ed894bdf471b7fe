"""Access to the process runtime from inside a request."""

from __future__ import annotations

from flask import current_app

from ..runtime import Runtime


def runtime() -> Runtime:
    rt: Runtime = current_app.extensions["tco"]
    return rt
