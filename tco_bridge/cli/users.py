"""``tco-bridge users add|list|remove``: console users and their roles (:mod:`tco_bridge.users`)."""

from __future__ import annotations

import click

from ..users import ROLES, add_user, all_users, remove_user
from .common import command_runtime


@click.group("users")
def users_group() -> None:
    """Console users and their roles (admin, lead, agent)."""


@users_group.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--agent", default=None, help="their agent id in the ticket tools (default NAME)")
def add_command(name: str, role: str, agent: str | None) -> None:
    """Create a user (or give an existing one a new token) and print the sign-in token."""
    try:
        token = add_user(command_runtime().redis, name, role, agent)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(f"{name} ({role}) signs in with token: {token}")


@users_group.command("list")
def list_command() -> None:
    """Users, their roles and agent ids (tokens are never shown again)."""
    for user in all_users(command_runtime().redis):
        click.echo(f"{user.name:<24}{user.role:<8}{user.agent}")


@users_group.command("remove")
@click.argument("name")
def remove_command(name: str) -> None:
    """Remove a user; their open sessions end at their next request."""
    if not remove_user(command_runtime().redis, name):
        raise click.ClickException(f"no user {name!r}")
    click.echo(f"removed {name}")
