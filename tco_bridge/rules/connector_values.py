"""Values given once for every connector or per connector (``{jira: …, zendesk: …}``), as the
``groups``, ``fields`` and ``ownership`` sections write them.
"""

from __future__ import annotations

from .model import ANY
from .yamlsrc import Node, Source


def per_connector(src: Source, node: Node, connectors: tuple[str, ...]) -> dict[str, str]:
    """``value`` (every connector) or ``{jira: value, zendesk: value}``."""
    if not isinstance(node.value, dict):
        text = src.string(node)
        return {ANY: text} if text is not None else {}
    out = {}
    for name, child in (src.mapping(node) or {}).items():
        if name not in connectors:
            src.error(
                child,
                f"connector {name!r} is not one of: {', '.join(connectors)}",
            )
            continue
        text = src.string(child)
        if text is not None:
            out[name] = text
    return out


def per_connector_lists(
    src: Source, node: Node, connectors: tuple[str, ...]
) -> dict[str, tuple[str, ...]]:
    """``[a, b]`` (every connector) or ``{jira: [a, b], zendesk: [c]}``."""
    if not isinstance(node.value, dict):
        return {ANY: tuple(src.strings(node))}
    return {
        name: tuple(src.strings(child))
        for name, child in (src.mapping(node, connectors) or {}).items()
    }
