"""A rule that fails at run time is reported, and the shard keeps moving."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import payloads as p
from click.testing import CliRunner
from console_kit import sign_in
from rq import SimpleWorker
from webhook_kit import zendesk_signed

from tco_bridge import keys
from tco_bridge.errors import RulesError
from tco_bridge.events import TicketEvent
from tco_bridge.ownership import OwnershipPolicy
from tco_bridge.plan import Context, OwnershipOnly, Plan
from tco_bridge.rules_source import RulesSource
from tco_bridge.state import TicketState
from tco_bridge.web import create_app


class Broken(OwnershipOnly):
    def evaluate(
        self, state: TicketState, trigger: TicketEvent, now: datetime, context: Context
    ) -> Plan:
        raise RulesError(["rules/mine.yaml:42: rule 'x': division by zero"])


def test_failing_rule_is_recorded_and_ownership_still_moves(make_runtime: Any) -> None:
    from tco_bridge.cli import main

    rt = make_runtime()
    # No owner mirror: this test is about the worker, and must make no HTTP call at all.
    rt.rules_source = RulesSource.fixed(Broken(OwnershipPolicy(mirror_owner=False)))
    client = create_app(runtime=rt).test_client()
    for body in (p.zendesk_created("77", 0), p.zendesk_comment("77", "e1", "c1", p.Z_ANNA, 3)):
        raw = json.dumps(body).encode()
        assert (
            client.post("/webhooks/zendesk", data=raw, headers=zendesk_signed(raw)).status_code
            == 202
        )
    SimpleWorker([rt.queue], connection=rt.redis, serializer=rt.queue.serializer).work(burst=True)
    assert sum(rt.redis.xlen(keys.stream(s)) for s in range(rt.settings.shards)) == 0
    view = client.get("/tickets/zendesk/77").json
    assert view["owner"]["id"] == p.Z_ANNA  # applied without rules
    [latest, first] = [json.loads(r) for r in rt.redis.lrange(keys.RULE_FAILURES, 0, -1)]
    assert first["ticket"] == "zendesk:77" and "mine.yaml:42" in first["error"]
    out = CliRunner().invoke(main, ["rules", "failures"], obj=rt)
    assert out.exit_code == 0 and "rules/mine.yaml:42" in out.output
    # The ticket's timeline says why no rule acted on its events.
    sign_in(client, rt.redis, "lena", "lead")
    page = client.get("/console/tickets/zendesk/77").get_data(as_text=True)
    assert page.count("Rules failed on this event: rules/mine.yaml:42: rule") == 2
    assert "applied without rules" in page and "No rule matched" not in page
