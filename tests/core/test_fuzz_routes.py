"""Zero 5xx on any input: property-based fuzzing of every route (hypothesis).

Each example picks a route, fills its path with arbitrary text, and sends arbitrary headers
(among them signature headers with extreme timestamps) and an arbitrary body: JSON built from
weird scalars, or raw bytes. The answer must never be a 5xx.

``make test`` runs a small budget with a fixed seed (``derandomize``), so the suite is
reproducible; ``make fuzz`` sets ``TCO_FUZZ_EXAMPLES`` for a longer, randomised campaign.
"""

from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from webhook_kit import zendesk_signed

from tco_bridge.web import create_app

CAMPAIGN = int(os.environ.get("TCO_FUZZ_EXAMPLES", "0"))
BUDGET = settings(
    max_examples=CAMPAIGN or 120,
    derandomize=not CAMPAIGN,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

ROUTES = [
    ("POST", "/webhooks/{a}"),
    ("POST", "/webhooks/jira"),
    ("POST", "/webhooks/zendesk"),
    ("POST", "/webhooks/sandbox"),
    ("GET", "/tickets/{a}/{b}"),
    ("GET", "/owners/{a}/{b}/tickets"),
    ("GET", "/metrics/ownership"),
    ("POST", "/agents/{a}/{b}/away"),
    ("DELETE", "/agents/{a}/{b}/away"),
    ("GET", "/agents/away"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("POST", "/sandbox/tickets"),
    ("GET", "/sandbox/tickets"),
    ("GET", "/sandbox/tickets/{a}"),
    ("POST", "/sandbox/tickets/{a}/comments"),
    ("POST", "/sandbox/tickets/{a}/assign"),
    ("POST", "/sandbox/tickets/{a}/status"),
    ("POST", "/sandbox/tickets/{a}/priority"),
    ("POST", "/sandbox/tickets/{a}/fields"),
    ("POST", "/sandbox/tickets/{a}/labels"),
    ("DELETE", "/sandbox/tickets/{a}"),
    ("GET", "/sandbox/outbox"),
    ("POST", "/sandbox/outbox/resend"),
]

# Timestamps at and past the edges of what datetime can hold, in the forms tools send.
TIMESTAMPS = st.one_of(
    st.sampled_from(
        [
            "0001-01-01T00:00:00+23:59",
            "9999-12-31T23:59:59-23:59",
            "0000-00-00T00:00:00Z",
            "2026-02-30T25:61:61Z",
            "2026-11-30T10:00:00+99:99",
            "1970-01-01T00:00:00.999999999999Z",
            "",
            " ",
            "\u0000",
        ]
    ),
    st.datetimes().map(lambda d: d.isoformat()),
    st.text(max_size=40),
)
NUMBERS = st.one_of(
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=False),
    st.sampled_from([0, -1, 2**63, 10**30, 1e308]),
)
SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, st.text(max_size=30), TIMESTAMPS)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.sampled_from(
                ["type", "id", "ticket", "detail", "event", "at", "time", "issue", "fields"]
            )
            | st.text(max_size=10),
            inner,
            max_size=5,
        ),
    ),
    max_leaves=12,
)
SEGMENT = st.text(min_size=1, max_size=30).map(lambda s: quote(s, safe=""))
HEADER_TEXT = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=60)
HEADERS = st.dictionaries(
    st.sampled_from(
        [
            "Content-Type",
            "X-Zendesk-Webhook-Signature",
            "X-Zendesk-Webhook-Signature-Timestamp",
            "X-Hub-Signature",
            "X-Atlassian-Webhook-Identifier",
            "X-Sandbox-Signature",
            "X-Sandbox-Delivery",
            "Authorization",
            "Retry-After",
        ]
    ),
    HEADER_TEXT | TIMESTAMPS.filter(lambda s: s.isprintable() and "\n" not in s),
    max_size=5,
)
BODIES = st.one_of(JSON.map(lambda d: json.dumps(d).encode()), st.binary(max_size=200))


@pytest.fixture
def client(make_runtime: Any, tmp_path: Any) -> Any:
    rt = make_runtime(
        TCO_CONNECTORS="jira,zendesk,sandbox",
        TCO_SANDBOX_DB=str(tmp_path / "sandbox.sqlite"),
    )
    return create_app(runtime=rt).test_client()


@BUDGET
@given(
    route=st.sampled_from(ROUTES),
    a=SEGMENT,
    b=SEGMENT,
    headers=HEADERS,
    body=BODIES,
    query=st.dictionaries(st.sampled_from(["by", "connector", "status"]), st.text(max_size=10)),
)
def test_no_route_answers_5xx(
    client: Any,
    route: tuple[str, str],
    a: str,
    b: str,
    headers: dict[str, str],
    body: bytes,
    query: dict[str, str],
) -> None:
    method, template = route
    path = template.format(a=a, b=b)
    headers.setdefault("Content-Type", "application/json")
    answer = client.open(path, method=method, headers=headers, data=body, query_string=query)
    if path == "/readyz":  # 503 is its answer while no worker runs, as load balancers expect
        assert answer.status_code in (200, 503)
        return
    assert answer.status_code < 500, (method, path, headers, body[:200], answer.get_data()[:300])


@BUDGET
@given(stamp=TIMESTAMPS, body=BODIES)
def test_zendesk_signature_timestamps_never_5xx(client: Any, stamp: str, body: bytes) -> None:
    """A correctly signed body with any timestamp: refused (401) or read, never a 5xx."""
    stamp = "".join(c for c in stamp if c.isprintable())  # what an HTTP header can carry
    answer = client.post("/webhooks/zendesk", data=body, headers=zendesk_signed(body, when=stamp))
    assert answer.status_code < 500, (stamp, answer.get_data()[:300])


def test_the_reported_overflow_timestamp_is_a_401(client: Any) -> None:
    body = b'{"type": "zen:event-type:ticket.created"}'
    stamp = "0001-01-01T00:00:00+23:59"
    answer = client.post("/webhooks/zendesk", data=body, headers=zendesk_signed(body, when=stamp))
    assert answer.status_code == 401
    assert "Timestamp" in answer.get_json()["reason"]
