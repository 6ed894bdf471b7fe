"""Failed write-backs for admins: what was parked and why, with retry and purge, under the
bridge's health (the checks of ``/readyz``)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for

from ... import failed
from ..context import runtime
from ..health import bridge_checks
from ..signin import require_role
from .blueprint import bp


@bp.get("/failed")
@require_role("admin")
def failed_list() -> Any:
    rt = runtime()
    return render_template(
        "failed.html",
        records=failed.all_parked(rt),
        health=bridge_checks(rt),
        title="Failed write-backs",
    )


@bp.post("/failed/<group>/retry")
@require_role("admin")
def failed_retry(group: str) -> Any:
    return _after(failed.retry(runtime(), group), f"Queued {group} again.", group)


@bp.post("/failed/<group>/purge")
@require_role("admin")
def failed_purge(group: str) -> Any:
    return _after(failed.purge(runtime(), group), f"Purged {group}.", group)


def _after(done: bool, message: str, group: str) -> Any:
    flash(message if done else f"{group} is no longer parked.")
    return redirect(url_for("console.failed_list"))


@bp.post("/failed/retry-all")
@require_role("admin")
def failed_retry_all() -> Any:
    flash(f"Queued {failed.retry_all(runtime())} group(s) again.")
    return redirect(url_for("console.failed_list"))


@bp.post("/failed/purge-all")
@require_role("admin")
def failed_purge_all() -> Any:
    flash(f"Purged {failed.purge_all(runtime())} write-back group(s).")
    return redirect(url_for("console.failed_list"))
