"""A call's signature for tt.jit: the leaves it traces, its static arguments, and the key
of the cache; and the fast key of calls made of plain arrays and numbers alone."""

from __future__ import annotations

import inspect
import keyword
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from ..autograd.primitive import unbox_all
from ..autograd.tree import flatten, unflatten

if TYPE_CHECKING:
    from .jit import Jitted


class Signature:
    """One call's arguments, split into what the trace takes as inputs and what is static."""

    def __init__(self, jitted: Jitted, args: tuple, kwargs: dict) -> None:
        positions = jitted.static_positions(len(args))
        static_args = {i: a for i, a in enumerate(args) if i in positions}
        static_kwargs = {k: v for k, v in kwargs.items() if k in jitted.static_argnames}
        dynamic = (
            [a for i, a in enumerate(args) if i not in static_args],
            {k: v for k, v in kwargs.items() if k not in static_kwargs},
        )
        self.leaves, self.treedef = flatten(dynamic)
        self.static_args, self.static_kwargs = static_args, static_kwargs
        self.positions = len(args)
        static = (
            tuple((i, static_key(a)) for i, a in sorted(static_args.items())),
            tuple((k, static_key(v)) for k, v in sorted(static_kwargs.items())),
        )
        try:
            hash(static)
        except TypeError:
            raise TypeError("tt.jit: static arguments must be hashable (numbers, strings, tuples)") from None
        self.types = tuple(_leaf_type(leaf) for leaf in self.leaves)
        self.key = (self.treedef, self.types, static)

    def rebuild(self, leaves: list) -> tuple[tuple, dict]:
        """The call's arguments with the dynamic leaves replaced by `leaves`."""
        dynamic_args, dynamic_kwargs = unflatten(self.treedef, leaves)
        dynamic_args = iter(dynamic_args)
        args = tuple(
            self.static_args[i] if i in self.static_args else next(dynamic_args) for i in range(self.positions)
        )
        return args, {**dynamic_kwargs, **self.static_kwargs}


def static_key(value: Any) -> tuple:
    """A static value in a cache key: with its type, since 2, 2.0 and True are equal but
    trace different programs, and with its repr for floats, which tells -0.0 from 0.0."""
    return (type(value), value, repr(value)) if type(value) is float else (type(value), value)


def static_both_ways(fun: Callable, numbers: frozenset, names: frozenset) -> tuple[frozenset, frozenset]:
    """static_argnums and static_argnames completed from fun's signature, as JAX does: a
    static argument is static whether it is passed by position or by name."""
    try:
        parameters = list(inspect.signature(fun).parameters.values())
    except (TypeError, ValueError):
        return numbers, names
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    by_name = {p.name: i for i, p in enumerate(positional) if p.kind == p.POSITIONAL_OR_KEYWORD}
    numbers = numbers | {by_name[n] for n in names if n in by_name}
    fixed = not any(p.kind == p.VAR_POSITIONAL for p in parameters)
    names = names | {
        p.name
        for i, p in enumerate(positional)
        if p.kind == p.POSITIONAL_OR_KEYWORD and (i in numbers or (fixed and i - len(positional) in numbers))
    }
    return numbers, names


def _leaf_type(leaf: Any) -> tuple:
    value = np.asarray(unbox_all(leaf)) if not isinstance(leaf, np.ndarray) else leaf
    if value.dtype == object:
        raise TypeError(f"tt.jit: an argument of type {type(leaf).__name__} is neither an array nor a number")
    return value.shape, value.dtype.str


# names a generated function cannot give an argument: its own globals and v1, c_0, sin_2, ...
_TAKEN = re.compile(r"^(np|math|float|abs|v\d+|\w+_\d+)$")


def argument_names(fun: Callable, signature: Signature) -> list:
    """The parameter name of each dynamic leaf that is a whole argument (not in a container),
    None for the others: the generated code and the program use the user's names."""
    try:
        parameters = list(inspect.signature(fun).parameters.values())
    except (TypeError, ValueError):  # a builtin or an object without a signature
        parameters = []
    dynamic_args, dynamic_kwargs = unflatten(signature.treedef, list(range(len(signature.leaves))))
    positions = [i for i in range(signature.positions) if i not in signature.static_args]
    names: list = [None] * len(signature.leaves)
    for position, arg in zip(positions, dynamic_args):
        if isinstance(arg, int) and position < len(parameters) and parameters[position].kind in _POSITIONAL:
            names[arg] = parameters[position].name
    for name, arg in dynamic_kwargs.items():
        if isinstance(arg, int):
            names[arg] = name
    taken = getattr(fun, "__name__", "")
    usable = lambda n: n.isidentifier() and not keyword.iskeyword(n) and not _TAKEN.match(n) and n != taken  # noqa: E731
    return [n if n and usable(n) else None for n in names]


_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


# Python numbers, and the NumPy scalars SciPy hands a right-hand side (t: np.float64)
_NUMBERS = (float, int, bool, np.float64, np.float32, np.int64, np.int32, np.bool_)


def plain_key(tree: Any, leaves: list) -> Any:
    """A hashable key of the structure, shapes and dtypes of arguments made only of plain
    arrays and Python numbers in tuples, lists and dicts, collecting the leaves in
    tree.flatten's order; None for anything else (boxes, other NumPy scalars, None)."""
    kind = type(tree)
    if kind is np.ndarray:
        leaves.append(tree)
        return tree.shape, tree.dtype
    if kind in _NUMBERS:
        leaves.append(tree)
        return kind
    if kind is tuple or kind is list:
        parts = []
        for child in tree:
            part = plain_key(child, leaves)
            if part is None:
                return None
            parts.append(part)
        return kind, tuple(parts)
    if kind is dict:
        parts = []
        for name, child in tree.items():
            part = plain_key(child, leaves)
            if part is None:
                return None
            parts.append((name, part))
        return kind, tuple(parts)
    return None
