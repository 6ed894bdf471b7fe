"""A web worker booted while the rules file was broken (gunicorn restarted it then): it says
why on every page that needs rules, and keeps taking webhooks, which need none."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from console_kit import sign_in
from webhook_kit import jira_signed

from tco_bridge.config import DEFAULT_RULES
from tco_bridge.runtime import RULES_CHECKED
from tco_bridge.web import create_app

FIXTURE = (
    Path(__file__).parents[1] / "fixtures/webhooks/jira/jira_cloud_issue_created__dangersvn.json"
)


def test_pages_that_need_rules_answer_503_naming_the_file_and_webhooks_still_land(
    make_runtime: Any, tmp_path: Path, redis_client: Any
) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(DEFAULT_RULES.read_text().replace("model: individual", "model: feudal"))
    rt = make_runtime(TCO_RULES=str(rules), TCO_CONNECTORS="sandbox,jira", **{RULES_CHECKED: "1"})
    client = create_app(runtime=rt).test_client()

    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json["checks"]["rules"].startswith(
        f"not loaded, the rules file is invalid: {rules}:"
    )

    sign_in(client, redis_client, "lee", "lead")
    page = client.get("/console/metrics")
    assert page.status_code == 503
    assert "no rules loaded" in page.get_data(as_text=True)
    assert "feudal" in page.get_data(as_text=True)

    body = FIXTURE.read_bytes()
    answer = client.post(
        "/webhooks/jira",
        data=body,
        headers={**jira_signed(body), "X-Atlassian-Webhook-Identifier": "no-rules-1"},
    )
    assert answer.status_code == 202, answer.get_data(as_text=True)
