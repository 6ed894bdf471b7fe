"""Static check only: mypy proves each built-in connector class is a :class:`Connector`,
optional capabilities included (this module is never imported at run time)."""

from __future__ import annotations

from tco_bridge.connector import Connector

from .jira import JiraConnector
from .sandbox import SandboxConnector
from .zendesk import ZendeskConnector

CHECKED: tuple[type[Connector], ...] = (JiraConnector, ZendeskConnector, SandboxConnector)
