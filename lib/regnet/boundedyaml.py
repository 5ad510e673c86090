"""YAML read with bounds: `load(text)` is `yaml.safe_load` that refuses a hostile document.

`safe_load` runs no code, but a few hundred bytes of aliases (`&a [*b, *b, ...]` nine levels
deep) name a value of billions of items, and anything that walks it (a check, a `repr` for a
message) never ends; and `[` nested thousands deep exhausts Python's recursion. So the node
graph is composed first and measured without expanding it: a document that would expand to
more than MAX_NODES nodes, or nests deeper than MAX_DEPTH, is a `TooLarge` error, and only a
document within both is constructed.
"""
from __future__ import annotations

from typing import Any

import yaml

MAX_NODES = 100_000  # a parameter file is a few dozen values; a long class list a few hundred
MAX_DEPTH = 50


class TooLarge(ValueError):
    """The document nests too deeply or expands to too many nodes; the message says which."""


def load(text: str) -> Any:
    """`yaml.safe_load(text)` within the bounds; raises yaml.YAMLError, ValueError (an integer
    of more than 4300 digits) or TooLarge."""
    loader = yaml.SafeLoader(text)
    try:
        try:
            node = loader.get_single_node()
        except RecursionError:
            raise TooLarge(f"nests more than {MAX_DEPTH} levels deep") from None
        if node is None:
            return None
        _measure(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _measure(root: yaml.Node) -> None:
    """Raise TooLarge when `root` expands past MAX_NODES or nests past MAX_DEPTH.

    Iterative, and each node is sized once (an alias is the same node object again), so the
    walk costs the document's length, not its expansion.
    """
    size: dict[int, int] = {}
    stack = [(root, 1, False)]
    while stack:
        node, depth, done = stack.pop()
        if depth > MAX_DEPTH:
            raise TooLarge(f"nests more than {MAX_DEPTH} levels deep")
        kids = _children(node)
        if done:
            size[id(node)] = 1 + sum(size[id(k)] for k in kids)
            if size[id(node)] > MAX_NODES:
                raise TooLarge(f"expands to more than {MAX_NODES:,} values (aliases repeat "
                               "what they name)")
            continue
        if id(node) in size:
            continue
        size[id(node)] = 0  # on the path: a recursive alias counts once, not forever
        stack.append((node, depth, True))
        stack.extend((k, depth + 1, False) for k in kids if id(k) not in size)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []
