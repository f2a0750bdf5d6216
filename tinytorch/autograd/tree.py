"""Containers of arrays (tuples, lists, dicts, nested) flattened to a list of
leaves and rebuilt with the same structure, so transforms can take and return
them. None is an empty container, as in JAX."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class TreeDef:
    __slots__ = ("kind", "meta", "children")

    def __init__(self, kind: Any, meta: Any, children: tuple) -> None:
        self.kind = kind
        self.meta = meta
        self.children = children

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, TreeDef)
            and self.kind == other.kind
            and self.meta == other.meta
            and self.children == other.children
        )

    def __hash__(self) -> int:
        return hash((self.kind, self.meta, self.children))

    def __repr__(self) -> str:
        return "*" if self.kind is None else f"{self.kind.__name__}{self.children}"

    @property
    def num_leaves(self) -> int:
        return 1 if self.kind is None else sum(c.num_leaves for c in self.children)


LEAF = TreeDef(None, None, ())


def flatten(tree: Any) -> tuple[list, TreeDef]:
    leaves: list = []
    return leaves, _flatten(tree, leaves)


def _flatten(tree: Any, leaves: list) -> TreeDef:
    if tree is None:
        return TreeDef(type(None), None, ())
    if isinstance(tree, (tuple, list)):
        return TreeDef(type(tree), None, tuple(_flatten(t, leaves) for t in tree))
    if isinstance(tree, dict):
        keys = tuple(tree)
        return TreeDef(type(tree), keys, tuple(_flatten(tree[k], leaves) for k in keys))
    leaves.append(tree)
    return LEAF


def unflatten(treedef: TreeDef, leaves: Any) -> Any:
    it = iter(leaves)
    out = _build(treedef, it)
    if next(it, _END) is not _END:
        raise ValueError("too many leaves for the tree structure")
    return out


_END = object()


def _build(treedef: TreeDef, it: Any) -> Any:
    kind = treedef.kind
    if kind is None:
        leaf = next(it, _END)
        if leaf is _END:
            raise ValueError("too few leaves for the tree structure")
        return leaf
    if kind is type(None):
        return None
    children = [_build(c, it) for c in treedef.children]
    if isinstance(treedef.meta, tuple) and issubclass(kind, dict):
        return kind(zip(treedef.meta, children))
    if hasattr(kind, "_fields"):  # namedtuple
        return kind(*children)
    return kind(children)


def tree_map(fn: Callable[..., Any], tree: Any, *rest: Any) -> Any:
    leaves, treedef = flatten(tree)
    others = [flatten(r)[0] for r in rest]
    return unflatten(treedef, [fn(*xs) for xs in zip(leaves, *others)])
