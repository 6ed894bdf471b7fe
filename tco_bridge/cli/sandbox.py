"""``tco-bridge sandbox reset``: start the sandbox story afresh (:mod:`tco_bridge.datadir`)."""

from __future__ import annotations

import click

from ..config import Settings
from ..datadir import reset


@click.group("sandbox")
def sandbox_group() -> None:
    """The built-in sandbox ticket tool and the local data of `make run`."""


@sandbox_group.command("reset")
def reset_command() -> None:
    """Clear the sandbox's tickets and the private Redis (TCO_DATA_DIR); REDIS_URL is never
    touched. Stop `make run` first."""
    settings = Settings.from_env()
    removed = reset(settings)
    for path in removed:
        click.echo(f"removed {path}")
    if not removed:
        click.echo(f"nothing to remove in {settings.data_dir}")
    if settings.redis_url:
        click.echo("REDIS_URL is set: that Redis was left alone (flush it yourself if you mean to)")
