"""Jira connector settings, read once from the environment at start-up.

Environment variables (all optional unless write-back is wanted):

=============================  ==================================================================
``TCO_JIRA_URL``               Base URL of the Jira site, e.g. ``https://acme.atlassian.net``.
                               Without it the connector still parses webhooks; write-back fails
                               with a clear error.
``TCO_JIRA_USER``              Cloud: the bridge account's e-mail (basic auth with the API token).
                               Data Center: its username (informational; the token is a PAT).
``TCO_JIRA_API_TOKEN``         Cloud API token, or Data Center personal access token (sent as a
                               bearer token). Secret: never logged or shown.
``TCO_JIRA_DEPLOYMENT``        ``cloud`` or ``datacenter``. Default: ``cloud`` when the URL's host
                               ends with ``.atlassian.net``, else ``datacenter``.
``TCO_JIRA_WEBHOOK_SECRET``    Secret of the Jira webhook (``X-Hub-Signature`` HMAC). Secret.
``TCO_JIRA_BOT_ACCOUNT``       The bridge's own account: accountId on Cloud, username on DC.
                               Events it authors are marked ``bridge`` (loop guard).
``TCO_JIRA_OWNER_FIELD``       Where the contact owner is mirrored: ``customfield_NNNNN`` (a
                               user-picker field) or ``label`` (``tco-owner-<id>``). Default
                               ``label``.
``TCO_JIRA_GROUP_FIELD``       Where the support group lives: a ``customfield_NNNNN`` (select
                               list, text or list value), ``project`` or ``components``. Default
                               ``project``.
``TCO_JIRA_INTERNAL_NOTE``     How internal notes are written: ``jsm`` (Jira Service Management
                               internal comment, default), ``role:<name>`` or ``group:<name>``
                               (comment restricted to a project role or group; Jira Software).
``TCO_JIRA_RESTRICTED_NOTE``   With ``jsm``: how internal notes are written on issues of projects
                               that are not service desks (JSM has no internal comment there):
                               ``role:<name>`` or ``group:<name>``. Default ``role:Developers``.
``TCO_JIRA_FIELDS``            Custom field display names → ids, e.g. ``Team=customfield_10050``
                               (Data Center changelogs name custom fields by display name).
                               Names not listed are read from ``GET /rest/api/2/field``.
``TCO_JIRA_TASK_PROJECT``      Project key for linked tasks (KB articles, reviews). Required for
                               ``create_task`` actions.
``TCO_JIRA_TASK_ISSUETYPE``    Issue type of those tasks. Default ``Task``.
``TCO_JIRA_LINK_TYPE``         Issue link type between ticket and task. Default ``Relates``.
``TCO_JIRA_TRANSITIONS``       Canonical status → transition name, comma separated, e.g.
                               ``open=Reopen,resolved=Resolve issue,closed=Close``. Statuses with
                               no entry use the first transition leading to a matching status.
``TCO_JIRA_STATUS_MAP``        Extra Jira status name → canonical status, e.g.
                               ``Waiting for customer=pending,Escalated=open``. Wins over the
                               built-in mapping (see ``statuses.py``).
``TCO_JIRA_RECONCILE_JQL``     JQL listing open tickets for ``reconcile``. Default
                               ``statusCategory != Done ORDER BY updated ASC``.
``TCO_JIRA_TIMEOUT``           Seconds before a Jira request times out. Default ``10``.
``TCO_JIRA_COALESCE``          ``1`` (default): an issue's field and label edits due at one moment
                               go in one edit call. ``0`` sends one call per action (the
                               write-back benchmark's comparison; not for production).
=============================  ==================================================================
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal
from urllib.parse import urlsplit

from tco_bridge.errors import ConfigError
from tco_bridge.events import Status

Deployment = Literal["cloud", "datacenter"]

DEFAULT_RECONCILE_JQL = "statusCategory != Done ORDER BY updated ASC"
_CUSTOMFIELD = re.compile(r"^customfield_\d+$")


@dataclass(frozen=True, slots=True)
class InternalNote:
    """How an internal note is written: a JSM internal comment or a restricted comment."""

    kind: Literal["jsm", "role", "group"] = "jsm"
    name: str = ""


@dataclass(frozen=True, slots=True)
class JiraSettings:
    """Everything the Jira connector needs; secrets are kept out of ``repr``."""

    url: str | None = None
    user: str | None = None
    api_token: str | None = field(default=None, repr=False)
    deployment: Deployment = "cloud"
    webhook_secret: str | None = field(default=None, repr=False)
    bot_account: str | None = None
    owner_field: str = "label"
    group_field: str = "project"
    internal_note: InternalNote = field(default_factory=InternalNote)
    restricted_note: InternalNote = field(
        default_factory=lambda: InternalNote("role", "Developers")
    )
    field_names: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    task_project: str | None = None
    task_issuetype: str = "Task"
    link_type: str = "Relates"
    transitions: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    status_map: Mapping[str, Status] = field(default_factory=lambda: MappingProxyType({}))
    reconcile_jql: str = DEFAULT_RECONCILE_JQL
    timeout: float = 10.0
    coalesce: bool = True

    @property
    def is_cloud(self) -> bool:
        return self.deployment == "cloud"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> JiraSettings:
        """Read ``TCO_JIRA_*``; raise :class:`ConfigError` quoting the bad value."""

        def get(name: str) -> str | None:
            value = env.get(f"TCO_JIRA_{name}", "").strip()
            return value or None

        url = get("URL")
        return cls(
            url=url.rstrip("/") if url else None,
            user=get("USER"),
            api_token=get("API_TOKEN"),
            deployment=_deployment(get("DEPLOYMENT"), url),
            webhook_secret=get("WEBHOOK_SECRET"),
            bot_account=get("BOT_ACCOUNT"),
            owner_field=_owner_field(get("OWNER_FIELD") or "label"),
            group_field=_group_field(get("GROUP_FIELD") or "project"),
            internal_note=_internal_note(get("INTERNAL_NOTE") or "jsm"),
            restricted_note=_restricted_note(get("RESTRICTED_NOTE") or "role:Developers"),
            field_names=_field_names(get("FIELDS")),
            task_project=get("TASK_PROJECT"),
            task_issuetype=get("TASK_ISSUETYPE") or "Task",
            link_type=get("LINK_TYPE") or "Relates",
            transitions=_transitions(get("TRANSITIONS")),
            status_map=_status_map(get("STATUS_MAP")),
            reconcile_jql=get("RECONCILE_JQL") or DEFAULT_RECONCILE_JQL,
            timeout=_timeout(get("TIMEOUT")),
            coalesce=(get("COALESCE") or "1") != "0",
        )


def _deployment(value: str | None, url: str | None) -> Deployment:
    if value is None:
        if not url:
            return "cloud"
        host = urlsplit(url).hostname or ""
        return "cloud" if host.endswith(".atlassian.net") else "datacenter"
    lowered = value.lower()
    if lowered == "cloud":
        return "cloud"
    if lowered in ("datacenter", "data-center", "server", "dc"):
        return "datacenter"
    raise ConfigError(f"TCO_JIRA_DEPLOYMENT={value!r}: expected 'cloud' or 'datacenter'")


def _owner_field(value: str) -> str:
    if value == "label" or _CUSTOMFIELD.match(value):
        return value
    raise ConfigError(f"TCO_JIRA_OWNER_FIELD={value!r}: expected 'label' or 'customfield_<id>'")


def _group_field(value: str) -> str:
    if value in ("project", "components") or _CUSTOMFIELD.match(value):
        return value
    raise ConfigError(
        f"TCO_JIRA_GROUP_FIELD={value!r}: expected 'project', 'components' or 'customfield_<id>'"
    )


def _internal_note(value: str) -> InternalNote:
    if value.lower() == "jsm":
        return InternalNote()
    kind, sep, name = value.partition(":")
    if sep and kind.lower() in ("role", "group") and name.strip():
        return InternalNote("role" if kind.lower() == "role" else "group", name.strip())
    raise ConfigError(
        f"TCO_JIRA_INTERNAL_NOTE={value!r}: expected 'jsm', 'role:<name>' or 'group:<name>'"
    )


def _restricted_note(value: str) -> InternalNote:
    note = _internal_note(value) if value.lower() != "jsm" else None
    if note is None:
        raise ConfigError(
            f"TCO_JIRA_RESTRICTED_NOTE={value!r}: expected 'role:<name>' or 'group:<name>'"
        )
    return note


def _field_names(value: str | None) -> Mapping[str, str]:
    pairs = _pairs("FIELDS", value)
    for name, field_id in pairs:
        if not _CUSTOMFIELD.match(field_id):
            raise ConfigError(
                f"TCO_JIRA_FIELDS: {name!r} maps to {field_id!r}, not customfield_<id>"
            )
    return MappingProxyType({name.casefold(): field_id for name, field_id in pairs})


def _pairs(name: str, value: str | None) -> list[tuple[str, str]]:
    """Parse ``a=b,c=d``; an item without ``=`` is an error naming the variable."""
    pairs: list[tuple[str, str]] = []
    for item in (value or "").split(","):
        if not item.strip():
            continue
        key, sep, val = item.partition("=")
        if not sep or not key.strip() or not val.strip():
            raise ConfigError(f"TCO_JIRA_{name}: {item.strip()!r} is not '<name>=<value>'")
        pairs.append((key.strip(), val.strip()))
    return pairs


def _canonical(name: str, value: str) -> Status:
    try:
        return Status(value.lower())
    except ValueError:
        allowed = ", ".join(s.value for s in Status)
        raise ConfigError(f"TCO_JIRA_{name}: {value!r} is not one of {allowed}") from None


def _transitions(value: str | None) -> Mapping[str, str]:
    pairs = _pairs("TRANSITIONS", value)
    return MappingProxyType({_canonical("TRANSITIONS", k).value: v for k, v in pairs})


def _status_map(value: str | None) -> Mapping[str, Status]:
    pairs = _pairs("STATUS_MAP", value)
    return MappingProxyType({k.casefold(): _canonical("STATUS_MAP", v) for k, v in pairs})


def _timeout(value: str | None) -> float:
    if value is None:
        return 10.0
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if seconds <= 0:
        raise ConfigError(f"TCO_JIRA_TIMEOUT={value!r}: expected a positive number of seconds")
    return seconds
