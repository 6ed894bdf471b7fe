"""What every ``tco-bridge`` subcommand shares: its runtime and logging, set up once."""

from __future__ import annotations

import logging

import click

from .config import Settings
from .runtime import Runtime


def setup_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def command_runtime() -> Runtime:
    """The runtime of the running command: the one passed as click's ``obj`` (tests do),
    else built from the environment once per invocation."""
    ctx = click.get_current_context()
    if not isinstance(ctx.obj, Runtime):
        settings = Settings.from_env()
        setup_logging(settings.log_level)
        ctx.obj = Runtime.build(settings)
    return ctx.obj


def text(value: bytes | str) -> str:
    """A Redis reply as text (clients may be set to decode or not)."""
    return value.decode() if isinstance(value, bytes) else value
