"""Notes and nudges: ``nudge``, ``notify_lead`` and the public ``reply``, and the ``template:`` or
``text:`` they render.
"""

from __future__ import annotations

from ..actions import ActionKind
from .emit import Compiler, Emit, Library, Run
from .model import Facts
from .recipients import TARGETS, check_reach, plain_targets, resolve_all
from .templates import TemplateProblem, Text, compile_template
from .yamlsrc import Node, Source


def _text_source(src: Source, children: dict[str, Node], lib: Library) -> Text | None:
    if ("template" in children) == ("text" in children):
        node = next(iter(children.values()), None)
        if node is not None:
            src.error(node, "give exactly one of 'template' or 'text'")
        return None
    if "template" in children:
        node = children["template"]
        name = src.string(node)
        if name is None:
            return None
        if name not in lib.templates:
            defined = ", ".join(sorted(lib.templates)) or "none"
            src.error(node, f"template {name!r} is not defined (defined: {defined})")
            return None
        return lib.templates[name]
    return inline_template(src, children["text"])


def inline_template(src: Source, node: Node) -> Text | None:
    text = src.string(node)
    if text is None:
        return None
    try:
        return compile_template(text)
    except TemplateProblem as exc:
        src.error(node, str(exc))
        return None


def note(fixed_to: tuple[str, ...] | None, public: bool = False) -> Compiler:
    def compile_(src: Source, node: Node, lib: Library) -> Run | None:
        allowed = ("template", "text") if fixed_to is not None else ("to", "template", "text")
        children = src.mapping(node, allowed, () if fixed_to is not None else ("to",))
        if children is None:
            return None
        targets: tuple[str, ...] = ()
        if fixed_to is not None:
            targets = fixed_to
        elif "to" in children:
            targets = tuple(src.choices(children["to"], TARGETS, "target"))
        template = _text_source(src, children, lib)
        if template is None:
            return None
        if not public:
            check_reach(src, node, targets, lib)

        def run(f: Facts, emit: Emit) -> None:
            # a public reply goes to the requester only: never a fallback mention there
            mention = resolve_all(targets, f) if not public else plain_targets(targets, f)
            extra = {"public": True} if public else {}
            emit.action(ActionKind.NOTE, text=emit.text(template), mention=mention, extra=extra)

        return run

    return compile_
