"""Write-back actions: what the bridge asks a ticket tool to do.

Actions are plain data produced by the pure core (ownership, rules) and performed by a
connector in an RQ job. Each carries a deterministic ``id`` built from (ticket, rule,
trigger), so a retried or replayed job can recognise work it already did.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import MISSING, asdict, dataclass, fields
from dataclasses import field as dc_field
from hashlib import sha256 as _sha256
from typing import Any


class ActionKind(enum.StrEnum):
    NOTE = "note"  # internal note; ``mention`` lists user ids to @-mention
    ASSIGN = "assign"  # change assignee and/or group
    SET_FIELD = "set_field"
    ADD_LABEL = "add_label"  # a Jira label or a Zendesk tag
    REMOVE_LABEL = "remove_label"
    TRANSITION = "transition"  # move to a canonical status (e.g. reopen → "open")
    CREATE_TASK = "create_task"  # linked task: KB article, review, follow-up
    SET_OWNER = "set_owner"  # mirror the contact owner into the ticket (field or label)


@dataclass(frozen=True, slots=True)
class TaskSpec:
    kind: str  # "kb", "review", "followup", ...
    summary: str
    description: str = ""
    assignee: str | None = None


@dataclass(frozen=True, slots=True)
class Action:
    id: str
    connector: str
    ticket: str
    kind: ActionKind
    rule: str
    text: str | None = None
    mention: tuple[str, ...] = ()
    assignee: str | None = None
    group: str | None = None
    field: str | None = None
    value: Any = None
    label: str | None = None
    status: str | None = None
    task: TaskSpec | None = None
    owner: str | None = None
    owner_name: str | None = None
    previous_owner: str | None = None
    extra: dict[str, Any] = dc_field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Action:
        data = dict(data)
        data["kind"] = ActionKind(data["kind"])
        data["mention"] = tuple(data.get("mention") or ())
        if data.get("task"):
            data["task"] = TaskSpec(**data["task"])
        return cls(**data)


class _Factory:
    """The default of a field with a factory, shown as ``dataclasses`` shows it."""

    def __repr__(self) -> str:
        return "<factory>"


_FACTORY = _Factory()


def _init() -> Callable[..., None]:
    """``Action.__init__`` as ``dataclasses`` writes it (same parameters, defaults and
    factory), but setting each slot through its own setter: the frozen dataclass's init calls
    ``object.__setattr__`` by name for each of the 18 fields, 2.4 times as slow, and the rules
    plan about one action per event."""
    scope: dict[str, Any] = {"_MISSING": _FACTORY}
    params, body = ["self"], []
    for n, f in enumerate(fields(Action)):
        scope[f"_set{n}"] = getattr(Action, f.name).__set__
        if f.default is not MISSING:
            scope[f"_default{n}"] = f.default
            params.append(f"{f.name}=_default{n}")
        elif f.default_factory is not MISSING:
            scope[f"_factory{n}"] = f.default_factory
            params.append(f"{f.name}=_MISSING")
            body.append(f"    if {f.name} is _MISSING: {f.name} = _factory{n}()")
        else:
            params.append(f.name)
        body.append(f"    _set{n}(self, {f.name})")
    exec(f"def __init__({', '.join(params)}):\n" + "\n".join(body), scope)  # from the fields
    init: Callable[..., None] = scope["__init__"]
    init.__qualname__ = "Action.__init__"
    return init


Action.__init__ = _init()  # type: ignore[method-assign]


def action_id(connector: str, ticket: str, rule: str, trigger: str) -> str:
    """A short, label-safe id that is the same every time for the same (ticket, rule, trigger).

    It is written into notes and tasks (e.g. as a label ``tco-<hex>``) so a create can look
    for an existing result before writing again.
    """
    digest = _sha256(f"{connector}\x1f{ticket}\x1f{rule}\x1f{trigger}".encode()).digest()
    return "tco-" + digest[:10].hex()  # the first 20 hex digits, without hexing the rest
