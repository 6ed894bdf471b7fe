"""Loading ``ownership:``: the model, what makes an owner, the front-line groups, the owner
field, the fallback targets.
"""

from __future__ import annotations

from typing import Any

from ..ownership import Model, OwnershipPolicy, OwnerTrigger
from .connector_values import per_connector
from .model import ANY, Definitions
from .recipients import TARGETS
from .yamlsrc import Node, Source


def load_ownership(
    src: Source, node: Node | None, defs: Definitions, connectors: tuple[str, ...]
) -> OwnershipPolicy:
    if node is None:
        return OwnershipPolicy()
    allowed = (
        "model",
        "owner_trigger",
        "frontline_groups",
        "no_group_is_frontline",
        "owner_field",
        "mirror_owner",
        "fallback",
    )
    keys = src.mapping(node, allowed) or {}
    policy = OwnershipPolicy()
    kwargs: dict[str, Any] = {}
    if "model" in keys:
        model = src.choice(keys["model"], [m.value for m in Model], "model")
        if model is not None:
            kwargs["model"] = Model(model)
    if "owner_trigger" in keys:
        triggers = src.choices(
            keys["owner_trigger"], [t.value for t in OwnerTrigger], "owner trigger"
        )
        kwargs["triggers"] = frozenset(OwnerTrigger(t) for t in triggers)
    if "frontline_groups" in keys:
        aliases = src.choices(keys["frontline_groups"], defs.groups, "group")
        kwargs["frontline_groups"] = defs.frontline_ids(aliases)
    for flag in ("no_group_is_frontline", "mirror_owner"):
        if flag in keys and (value := src.boolean(keys[flag])) is not None:
            kwargs[flag] = value
    if "fallback" in keys:
        fallback = keys["fallback"]
        if fallback.value in (None, "none", []):
            kwargs["fallback"] = ()
        else:
            targets = [t for t in TARGETS if t != "owner"]
            kwargs["fallback"] = tuple(src.choices(fallback, targets, "fallback target"))
    if "owner_field" in keys:
        table = per_connector(src, keys["owner_field"], connectors)
        kwargs["owner_field"] = {
            c: table.get(c) or table[ANY] for c in connectors if c in table or ANY in table
        }
    return OwnershipPolicy(**{**_fields_of(policy), **kwargs})


def _fields_of(policy: OwnershipPolicy) -> dict[str, Any]:
    return {name: getattr(policy, name) for name in policy.__dataclass_fields__}
