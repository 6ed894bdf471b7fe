"""Shared test helpers: the test environment and webhook signing as Jira and Zendesk do it.

A module of its own (not ``conftest``): several folders have a conftest, and importing
``conftest`` by name picks whichever pytest loaded last.
"""

from __future__ import annotations

JIRA_SECRET = "jira-webhook-secret-for-tests"
ZENDESK_SECRET = "zendesk-webhook-secret-for-tests"
BASE_ENV = {
    "TCO_CONNECTORS": "jira,zendesk",
    "TCO_JIRA_URL": "https://acme.atlassian.net",
    "TCO_JIRA_USER": "bridge@acme.test",
    "TCO_JIRA_API_TOKEN": "jira-api-token-never-logged",
    "TCO_JIRA_WEBHOOK_SECRET": JIRA_SECRET,
    "TCO_JIRA_BOT_ACCOUNT": "bridge-account-id",
    "TCO_ZENDESK_URL": "https://acme.zendesk.com",
    "TCO_ZENDESK_EMAIL": "bridge@acme.test",
    "TCO_ZENDESK_API_TOKEN": "zendesk-api-token-never-logged",
    "TCO_ZENDESK_WEBHOOK_SECRET": ZENDESK_SECRET,
    "TCO_ZENDESK_BOT_USER_ID": "900",
    # Stories run on a virtual clock and drain after each delivery; the settle window has
    # tests of its own (tests/core/test_order_worker.py).
    "TCO_SETTLE_SECONDS": "0",
}


def jira_signed(body: bytes, secret: str = JIRA_SECRET) -> dict[str, str]:
    import hashlib
    import hmac

    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-Hub-Signature": f"sha256={digest}"}


def zendesk_signed(
    body: bytes, secret: str = ZENDESK_SECRET, when: str | None = None
) -> dict[str, str]:
    import base64
    import hashlib
    import hmac
    from datetime import UTC, datetime

    stamp = when or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    mac = hmac.new(secret.encode(), stamp.encode() + body, hashlib.sha256).digest()
    return {
        "Content-Type": "application/json",
        "X-Zendesk-Webhook-Signature": base64.b64encode(mac).decode(),
        "X-Zendesk-Webhook-Signature-Timestamp": stamp,
    }
