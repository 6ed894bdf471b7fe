"""``tco-bridge replay``: send recorded deliveries to a running bridge again."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("recording", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--url", default="http://127.0.0.1:8000", show_default=True, help="the bridge")
@click.option("--timeout", default=10.0, show_default=True, help="seconds per delivery")
def replay(recording: Path, url: str, timeout: float) -> None:
    """Send recorded deliveries (TCO_RECORD_FILE lines) to a bridge again, as they came.

    Headers and body are sent unchanged, so signatures still verify where the tool signs no
    timestamp; deliveries the bridge already has are answered "duplicate". Prints one line per
    delivery and exits 1 if any was refused.
    """
    import base64
    import json as jsonlib

    import requests

    refused = 0
    for number, line in enumerate(recording.read_text().splitlines(), 1):
        if not line.strip():
            continue
        entry = jsonlib.loads(line)
        raw = entry.get("body")
        body = raw.encode() if raw is not None else base64.b64decode(entry["body_b64"])
        skip = {"host", "content-length", "connection", "accept-encoding"}
        headers = {k: v for k, v in entry["headers"].items() if k not in skip}
        try:
            answer = requests.post(
                f"{url.rstrip('/')}/webhooks/{entry['connector']}",
                data=body,
                headers=headers,
                timeout=timeout,
            )
        except requests.RequestException as exc:
            raise click.ClickException(
                f"cannot reach the bridge at {url} ({type(exc).__name__}): start it "
                "(`make run`), or pass its address with --url"
            ) from None
        refused += answer.status_code >= 400
        click.echo(f"{number}: {entry['connector']} {answer.status_code} {answer.text.strip()}")
    raise SystemExit(1 if refused else 0)
