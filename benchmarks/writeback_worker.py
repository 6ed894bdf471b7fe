"""One worker process for the write-back benchmark: what ``tco-bridge worker`` runs, aimed at
the fake tool, with the connector's write limits replaced for the run.

python writeback_worker.py REDIS_URL QUEUE FAKE_URL LIMITS_JSON TOOL COALESCE

A SimpleWorker with RQ's scheduler on (rate-limited write-backs come back via ``enqueue_in``),
the rules file rules/default.yaml (``TCO_RULES``'s default), and the Zendesk or Jira connector
(TOOL) built from its settings directly, carrying the run's limits (LIMITS_JSON, e.g. the
connector's own limits with the minute compressed like the fake's;
``TCO_<TOOL>_WRITE_LIMITS`` would do the same for a real deployment) and COALESCE (``1``: a
ticket's writes of one moment in the fewest calls; ``0``: one call per action). The settle
window is off (``TCO_SETTLE_SECONDS=0``): no clock runs to bring a held ticket back. Runs until
SIGTERM.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Mapping
from typing import Any

from common import ROOT  # noqa: F401  (puts the project on sys.path)
from rq import SimpleWorker

from connectors.jira import JiraConnector, JiraSettings
from connectors.zendesk import ZendeskConnector, ZendeskSettings
from tco_bridge.config import Settings
from tco_bridge.runtime import Runtime, install

BOT_USER_ID = "5005"


def connector(tool: str, fake_url: str, limits: Mapping[str, str], coalesce: bool) -> Any:
    """The tool's connector aimed at the fake, in a benchmark-only subclass with the run's
    ``write_limits``."""
    if tool == "jira":
        base: type[Any] = JiraConnector
        settings: Any = JiraSettings(
            url=fake_url, user="bridge@bench.test", api_token="bench-token",
            deployment="cloud", bot_account="bench-bot", coalesce=coalesce,
        )  # fmt: skip
    else:
        base = ZendeskConnector
        settings = ZendeskSettings(
            base_url=fake_url, email="bridge@bench.test", api_token="bench-token",
            webhook_secret="bench-secret", bot_user_id=BOT_USER_ID, coalesce=coalesce,
        )  # fmt: skip
    bench = type(f"Bench{base.__name__}", (base,), {"write_limits": dict(limits)})
    return bench(settings)


def main() -> None:
    url, queue, fake_url, limits = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
    tool, coalesce = sys.argv[5], sys.argv[6] == "1"
    # No clock runs, so no settle window: a ticket it held back would wait for the clock's
    # wake-up timer forever (its events are queued in the tool's order anyway).
    settings = Settings.from_env(
        {"TCO_CONNECTORS": tool, "TCO_QUEUE": queue, "TCO_LOG_LEVEL": "ERROR",
         "TCO_SETTLE_SECONDS": "0"}
    )  # fmt: skip
    runtime = Runtime(
        settings=settings,
        redis_url=url,
        connectors={tool: connector(tool, fake_url, limits, coalesce)},
    )
    runtime.rules_source.current()  # load rules/default.yaml now, as Runtime.build does
    install(runtime)
    # one warning per 429 retry would flood the report; the fake counts 429s itself
    logging.getLogger("tco_bridge").setLevel(logging.ERROR)
    worker = SimpleWorker(
        [runtime.queue], connection=runtime.redis, serializer=runtime.queue.serializer
    )
    worker.work(with_scheduler=True, logging_level="ERROR")


if __name__ == "__main__":
    main()
