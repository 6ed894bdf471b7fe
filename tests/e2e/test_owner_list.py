"""The owner's list keeps a resolved ticket until the customer confirms (the ticket closes)."""

from __future__ import annotations

from typing import Any

import payloads as p
import responses
from test_escalation import post, run_worker, with_policy

from tco_bridge import keys
from tco_bridge.web import create_app


def test_resolved_awaiting_confirmation_stays_in_the_owners_list(make_runtime: Any) -> None:
    rt = make_runtime(TCO_JIRA_GROUP_FIELD=p.TEAM_FIELD)
    rt = with_policy(rt, {"Service Desk"})
    client = create_app(runtime=rt).test_client()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.put("https://acme.atlassian.net/rest/api/2/issue/SUP-7", status=204)
        post(client, "jira", p.jira_created("SUP-7", 0))
        post(client, "jira", p.jira_comment("SUP-7", "20002", p.ANNA, "Anna Agent", 5))
        post(client, "jira", p.jira_escalate("SUP-7", 30))
        post(client, "jira", p.jira_status("SUP-7", 60, "Resolved", "done", p.ENGINEER, "Eve"))
        run_worker(rt)
        owned = client.get(f"/owners/jira/{p.ANNA}/tickets").json
        assert owned["count"] == 1
        assert owned["tickets"][0]["status"] == "resolved"
        assert rt.redis.hget(keys.workload("jira"), p.ANNA) in (None, b"0")
        post(client, "jira", p.jira_status("SUP-7", 90, "Closed", "done", p.CUSTOMER, "Jamie"))
        run_worker(rt)
    assert client.get(f"/owners/jira/{p.ANNA}/tickets").json["count"] == 0
