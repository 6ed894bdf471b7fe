"""Parked write-backs: groups of actions the bridge gave up on, kept for an admin.

A group is parked when the tool refused it for good (a 4xx other than 429), when retries ran
out, or when the connector failed in a way nobody planned for (a bug). The record keeps what is
needed to judge and replay it, never a credential: every message passes :func:`redact` first.

Redis key:

    tco:failed    hash, group id → JSON record (id, connector, ticket, actions, attempts,
                  error {type, status, message}, first_failed, last_failed; epoch seconds)

``retry`` re-enqueues a parked group with its attempt count reset; the write-back job's done
markers drop every action that already reached the tool, so a replay never writes twice.

CLI (mounted by the main command as ``tco-bridge failed``)::

    tco-bridge failed list [--json]
    tco-bridge failed show ID [--json]
    tco-bridge failed retry ID | --all
    tco-bridge failed purge ID | --all
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import click

from .command import command_runtime
from .runtime import Runtime

FAILED = "tco:failed"
_SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|PRIVATE|CREDENTIAL|AUTH", re.I)
_URL_USERINFO = re.compile(r"(\b[a-z][a-z0-9+.-]*://)[^/\s@]+@", re.I)


@dataclass(frozen=True, slots=True)
class Parked:
    id: str
    connector: str
    ticket: str
    actions: list[dict[str, Any]]
    attempts: int
    error_type: str
    status: int | None
    message: str
    first_failed: float
    last_failed: float

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Parked:
        return cls(**data)


# --- secrets ---------------------------------------------------------------------------------
def secrets_of(rt: Runtime) -> list[str]:
    """Values that must never reach a log line or a parked record."""
    found = [v for k, v in rt.settings.env.items() if _SECRET_NAME.search(k) and len(v) >= 4]
    found += [rt.settings.api_token or ""]
    for conn in rt.connectors.values():
        found.append(getattr(conn, "webhook_secret", None) or "")
    return sorted({s for s in found if len(s) >= 4}, key=len, reverse=True)


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret and any ``user:password@`` in a URL replaced by ``***``."""
    for secret in secrets:
        text = text.replace(secret, "***")
    return _URL_USERINFO.sub(r"\1***@", text)


# --- the registry ------------------------------------------------------------------------------
def park(
    rt: Runtime,
    *,
    group: str,
    connector: str,
    ticket: str,
    actions: list[dict[str, Any]],
    attempts: int,
    error: BaseException | str,
    status: int | None = None,
    first_failed: float | None = None,
) -> Parked:
    """Store (or update) a parked group; a group parked again keeps its first failure time."""
    now = time.time()
    if isinstance(error, BaseException):
        error_type, message = type(error).__name__, str(error)
        status = status if status is not None else getattr(error, "status", None)
    else:
        error_type, message = "Rejected", error
    earlier = get_parked(rt, group)
    record = Parked(
        id=group,
        connector=connector,
        ticket=ticket,
        actions=actions,
        attempts=attempts,
        error_type=error_type,
        status=status,
        message=redact(message, secrets_of(rt))[:1000],
        first_failed=earlier.first_failed if earlier else (first_failed or now),
        last_failed=now,
    )
    rt.redis.hset(FAILED, group, json.dumps(record.to_json()))
    return record


def all_parked(rt: Runtime) -> list[Parked]:
    """Every parked group, most recent failure first."""
    raw = rt.redis.hgetall(FAILED)
    records = [Parked.from_json(json.loads(v)) for v in raw.values()]
    return sorted(records, key=lambda r: r.last_failed, reverse=True)


def get_parked(rt: Runtime, group: str) -> Parked | None:
    raw = rt.redis.hget(FAILED, group)
    return Parked.from_json(json.loads(raw)) if raw else None


def retry(rt: Runtime, group: str) -> bool:
    """Queue a parked group again, attempt count reset; False when no such group is parked."""
    record = get_parked(rt, group)
    if record is None:
        return False
    from .writeback import enqueue_group  # here: writeback imports this module

    enqueue_group(
        rt,
        record.connector,
        record.ticket,
        record.actions,
        group=record.id,
        first_failed=record.first_failed,
    )
    rt.redis.hdel(FAILED, group)  # after the enqueue: a crash in between leaves it listed
    return True


def retry_all(rt: Runtime) -> int:
    return sum(retry(rt, r.id) for r in all_parked(rt))


def purge(rt: Runtime, group: str) -> bool:
    return bool(rt.redis.hdel(FAILED, group))


def purge_all(rt: Runtime) -> int:
    count = int(rt.redis.hlen(FAILED))
    rt.redis.delete(FAILED)
    return count


# --- CLI ---------------------------------------------------------------------------------------
def _when(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def _kinds(record: Parked) -> str:
    return ",".join(str(a.get("kind")) for a in record.actions)


def _table(records: list[Parked]) -> str:
    head = ("ID", "CONNECTOR", "TICKET", "ACTIONS", "TRIES", "STATUS", "LAST FAILURE", "ERROR")
    rows = [
        (
            r.id,
            r.connector,
            r.ticket,
            _kinds(r),
            str(r.attempts),
            str(r.status or "-"),
            _when(r.last_failed),
            f"{r.error_type}: {r.message}"[:60],
        )
        for r in records
    ]
    widths = [max(len(row[i]) for row in [head, *rows]) for i in range(len(head))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    header = "  ".join(cell.ljust(w) for cell, w in zip(head, widths, strict=True))
    return "\n".join(line.rstrip() for line in [header, *lines])


@click.group("failed")
def failed_group() -> None:
    """Write-backs the bridge gave up on: list, inspect, replay or purge them."""


@failed_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def list_command(as_json: bool) -> None:
    """List parked write-back groups, most recent failure first."""
    records = all_parked(command_runtime())
    if as_json:
        click.echo(json.dumps([r.to_json() for r in records], indent=2))
    elif not records:
        click.echo("No parked write-backs.")
    else:
        click.echo(_table(records))


@failed_group.command("show")
@click.argument("group")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def show_command(group: str, as_json: bool) -> None:
    """Show one parked group: its error and every action in it."""
    record = get_parked(command_runtime(), group)
    if record is None:
        raise click.ClickException(f"no parked write-back {group!r} (see `failed list`)")
    if as_json:
        click.echo(json.dumps(record.to_json(), indent=2))
        return
    click.echo(f"id:            {record.id}")
    click.echo(f"ticket:        {record.connector}:{record.ticket}")
    click.echo(f"attempts:      {record.attempts}")
    click.echo(f"first failure: {_when(record.first_failed)}")
    click.echo(f"last failure:  {_when(record.last_failed)}")
    click.echo(f"error:         {record.error_type} (status {record.status or '-'})")
    click.echo(f"               {record.message}")
    click.echo("actions:")
    for action in record.actions:
        click.echo(f"  - {action.get('id')} {action.get('kind')} (rule {action.get('rule')})")


def _one_or_all(group: str | None, every: bool) -> None:
    if bool(group) == every:
        raise click.UsageError("give one group ID or --all")


@failed_group.command("retry")
@click.argument("group", required=False)
@click.option("--all", "every", is_flag=True, help="Retry every parked group.")
def retry_command(group: str | None, every: bool) -> None:
    """Queue a parked group again (actions already done are not written twice)."""
    _one_or_all(group, every)
    rt = command_runtime()
    if every:
        click.echo(f"Queued {retry_all(rt)} parked write-back(s) again.")
    elif group and retry(rt, group):
        click.echo(f"Queued {group} again.")
    else:
        raise click.ClickException(f"no parked write-back {group!r} (see `failed list`)")


@failed_group.command("purge")
@click.argument("group", required=False)
@click.option("--all", "every", is_flag=True, help="Forget every parked group.")
def purge_command(group: str | None, every: bool) -> None:
    """Forget a parked group without performing it."""
    _one_or_all(group, every)
    rt = command_runtime()
    if every:
        click.echo(f"Purged {purge_all(rt)} parked write-back(s).")
    elif group and purge(rt, group):
        click.echo(f"Purged {group}.")
    else:
        raise click.ClickException(f"no parked write-back {group!r} (see `failed list`)")
