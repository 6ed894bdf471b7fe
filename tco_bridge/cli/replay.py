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
    delivery (away/back lines and unreadable ones are skipped, and said so) and exits 1 if any
    was refused or unreadable, or nothing was sent.
    """
    import requests

    refused = sent = 0
    for number, line in enumerate(recording.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            connector, headers, body = delivery(line)
        except ValueError as exc:
            refused += not isinstance(exc, Presence)
            click.echo(f"{number}: skipped: {exc}")
            continue
        try:
            answer = requests.post(
                f"{url.rstrip('/')}/webhooks/{connector}",
                data=body,
                headers=headers,
                timeout=timeout,
            )
        except requests.RequestException as exc:
            raise click.ClickException(
                f"cannot reach the bridge at {url} ({type(exc).__name__}): start it "
                "(`make run`), or pass its address with --url"
            ) from None
        sent += 1
        refused += answer.status_code >= 400
        click.echo(f"{number}: {connector} {answer.status_code} {answer.text.strip()}")
    raise SystemExit(1 if refused or not sent else 0)


class Presence(ValueError):
    """An away/back line of the recording: nothing to send, nothing wrong."""


SKIP_HEADERS = frozenset({"host", "content-length", "connection", "accept-encoding"})


def delivery(line: str) -> tuple[str, dict[str, str], bytes]:
    """A recording line as (connector, headers, body), or ValueError saying why it is none:
    a recording also holds away/back changes, and a file given by mistake holds anything."""
    import base64
    import binascii
    import json

    try:
        entry = json.loads(line)
    except ValueError:
        raise ValueError("not a recorded delivery (not JSON)") from None
    if not isinstance(entry, dict):
        raise ValueError("not a recorded delivery (not a JSON object)")
    if "presence" in entry:
        who = f"{entry.get('agent')} {entry.get('presence')}"
        raise Presence(f"{who} (an agents API change, not a webhook delivery)")
    connector, headers = entry.get("connector"), entry.get("headers") or {}
    if not isinstance(connector, str) or not isinstance(headers, dict):
        raise ValueError("not a recorded delivery (no connector or headers)")
    try:
        raw = entry.get("body")
        body = str(raw).encode() if raw is not None else base64.b64decode(entry["body_b64"])
    except (KeyError, binascii.Error):
        raise ValueError("not a recorded delivery (no body or body_b64)") from None
    kept = {str(k): str(v) for k, v in headers.items() if str(k).lower() not in SKIP_HEADERS}
    return connector, kept, body
