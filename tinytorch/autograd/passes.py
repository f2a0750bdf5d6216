"""One pass of f at a fresh level: its differentiated inputs boxed (Variables to
record, or Duals carrying tangents), f run, its outputs read at that level.

Every transform is built from these passes. A transform's level is fresh, so it
treats every box of another level as a constant (or, for boxes of inner levels,
made by hand inside f or by nested transforms, as an inner perturbation: what
it reads is their primal value). Inputs and outputs may be containers (tuple,
list, dict) of arrays; `Inputs` holds the flattened leaves being differentiated.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from . import api, versions
from .backprop import as_of, backprop
from .forward import Dual, new_dual
from .levels import Box, new_transform_level, transform_running
from .primitive import dtype_of
from .reverse import Variable, leaf
from .tree import LEAF, TreeDef, flatten, unflatten
from .values import as_value, is_inexact

Argnums = int | Sequence[int]


# A Jacobian of complex numbers is a complex matrix only for a holomorphic f: these refuse them
_REAL_ONLY = frozenset({"jacobian", "hessian"})


def float_input(x: Any, transform: str) -> Any:
    value = as_value(x)
    if transform in _REAL_ONLY and value.dtype.kind == "c":
        raise TypeError(
            f"{transform} of a function of complex inputs: its Jacobian is not a complex matrix unless f is "
            "holomorphic; use jvp and vjp, holomorphic_grad, or pass the real and imaginary parts as real inputs"
        )
    if not is_inexact(value):
        raise TypeError(
            f"{transform} requires floating-point inputs (or complex ones), got dtype {value.dtype}; "
            "pass floats (e.g. 3.0, or x.astype(float)) for the arguments being differentiated"
        )
    return value


def _argnum_tuple(argnums: Argnums, nargs: int) -> tuple[int, ...]:
    single = isinstance(argnums, (int, np.integer))
    nums = (argnums,) if single else tuple(argnums)
    if any(isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) for n in nums):
        raise TypeError(f"argnums must be an integer or a sequence of integers, got {argnums!r}")
    nums = tuple(int(n) for n in nums)
    for n in nums:
        if not -nargs <= n < nargs:
            raise ValueError(f"argnums {argnums} out of range for {nargs} positional arguments")
    nums = tuple(n % nargs for n in nums)
    if len(nums) > 1 and len(set(nums)) != len(nums):
        raise ValueError(f"argnums {argnums} names an argument twice")
    return nums


class Inputs(NamedTuple):
    """The arguments a transform differentiates: their leaves as float values, the
    structure to rebuild them with, and the positions of the arguments."""

    values: list
    treedef: TreeDef
    nums: tuple


def diff_inputs(args: tuple, argnums: Argnums, transform: str) -> Inputs:
    nums = _argnum_tuple(argnums, len(args))
    tree = args[nums[0]] if isinstance(argnums, (int, np.integer)) else tuple(args[n] for n in nums)
    leaves, treedef = flatten(tree)
    return Inputs([float_input(x, transform) for x in leaves], treedef, nums)


def _substitute(args: tuple, argnums: Argnums, nums: tuple, treedef: TreeDef, boxed: list) -> list:
    args = list(args)
    tree = boxed[0] if treedef is LEAF else unflatten(treedef, boxed)
    if isinstance(argnums, (int, np.integer)):
        args[nums[0]] = tree
    else:
        for n, sub in zip(nums, tree):
            args[n] = sub
    return args


def _seen_from(x: Any, level: int) -> Any:
    """x as the transform at `level` sees it: boxes of inner levels (made by hand
    inside f, or by transforms nested in it) are inner perturbations, so their
    primal values are what f computed."""
    while isinstance(x, Box) and x._level > level:
        x = x._value
    return x


def plain(x: Any) -> Any:
    """x without the boxes that carry no derivative (a constant Variable or a Dual
    without tangent, e.g. from a closure): what a transform returns is an array
    unless it is itself being differentiated from outside."""
    while (isinstance(x, Variable) and not x._requires_grad) or (isinstance(x, Dual) and x._tangent is None):
        x = x._value
    return x


def output_value(x: Any, level: int) -> Any:
    """The value of output x, as an array unless it is differentiated from outside."""
    x = _seen_from(x, level)
    return plain(x._value if isinstance(x, Box) and x._level == level else x)


def output_node(x: Any, level: int) -> Any:
    """The Variable of `level` behind output x, if x depends on the inputs; else None."""
    x = _seen_from(x, level)
    return x if isinstance(x, Variable) and x._level == level and x._requires_grad else None


def tangent_of(x: Any, level: int) -> Any:
    """The tangent of output x (None: a symbolic zero)."""
    x = _seen_from(x, level)
    return x._tangent if isinstance(x, Dual) and x._level == level else None


def float_output(value: Any, transform: str, complex_ok: bool = False) -> None:
    """Transforms differentiate floating-point outputs only (as jax.grad does): the
    derivative of anything else would be a silent zero. `vjp` and `jvp` take complex
    outputs too; a gradient or a Jacobian of one is defined only for holomorphic f."""
    dtype = getattr(value, "dtype", None)
    if dtype is None:
        if value is None or not isinstance(value, (int, float, complex, np.generic)):
            raise TypeError(f"{transform} needs f to return floating-point arrays, got {type(value).__name__}")
        dtype = np.result_type(value)
    if dtype.kind == "c" and not complex_ok:
        raise TypeError(
            f"{transform} needs f to return real arrays, got dtype {dtype}: differentiate a real function of "
            "it (tt.real, tt.abs), use holomorphic_grad for a holomorphic f, or vjp and jvp"
        )
    if dtype.kind not in "fc":
        raise TypeError(
            f"{transform} needs f to return floating-point arrays, got dtype {dtype}; "
            "an integer or boolean output has no derivative (return a float, e.g. x.astype(float))"
        )


def zeros_like(shape: tuple, like: Any) -> np.ndarray:
    dtype = dtype_of(like)
    return np.zeros(shape, dtype if np.issubdtype(dtype, np.inexact) else np.float64)


def _as_dtype(g: Any, like: Any) -> Any:
    return g if g.dtype == like.dtype else api.astype(g, like.dtype)


# --- reverse mode ----------------------------------------------------------------------


class Recording(NamedTuple):
    """What a reverse pass leaves: f's output, the level it recorded at, the input
    values and the leaf Variables that stand for them, and the inputs' structure."""

    out: Any
    level: int
    values: list
    leaves: list
    treedef: TreeDef


def record(
    f: Callable, args: tuple, kwargs: dict, argnums: Argnums, transform: str, inputs: Inputs | None = None
) -> Recording:
    """Run f with the differentiated leaves as Variables of a fresh level."""
    values, treedef, nums = inputs or diff_inputs(args, argnums, transform)
    level = new_transform_level()
    # each pass gets its own copy: f may write into its input (under no_grad, or
    # through .data), which must reach neither the caller's array nor another pass
    boxed = [leaf(v.copy() if isinstance(v, np.ndarray) else v, level) for v in values]
    made = [b._seq for b in boxed]
    with transform_running(level):
        out = f(*_substitute(args, argnums, nums, treedef, boxed), **kwargs)
    if made and versions.last_rebind > made[0]:
        # f updated an input in place: the leaf is the node it stood for at first
        boxed = [as_of(b, seq) for b, seq in zip(boxed, made)]
    return Recording(out, level, values, boxed, treedef)


def pull_back(recording: Recording, seeds: list, batch: tuple, retain: bool) -> list:
    """The cotangents of the recording's inputs (zeros where none arrives), pulled
    back from `seeds`, a list of (output node, cotangent); `batch`: their leading axes."""
    grads = backprop(seeds, recording.level, retain_graph=retain) if seeds else {}
    out = []
    for v, node in zip(recording.values, recording.leaves):
        g = grads.get(node)
        out.append(zeros_like(batch + np.shape(v), v) if g is None else _as_dtype(plain(g), v))
    return out


# --- forward mode ----------------------------------------------------------------------


class Pushed(NamedTuple):
    """What a forward pass gives: f's output values and tangents (None: zero), flat, and their structure."""

    values: list
    tangents: list
    treedef: TreeDef


def push_forward(
    f: Callable, args: tuple, kwargs: dict, argnums: Argnums, tangents: list, inputs: Inputs | None = None
) -> Pushed:
    """Run f with the differentiated leaves as Duals carrying `tangents` (None = zero)."""
    values, treedef, nums = inputs or diff_inputs(args, argnums, "jvp")
    level = new_transform_level()
    boxed = [new_dual(v, t, level) for v, t in zip(values, tangents)]
    with transform_running(level):
        out = f(*_substitute(args, argnums, nums, treedef, boxed), **kwargs)
    leaves, out_def = flatten(out)
    out_values = [output_value(o, level) for o in leaves]
    for v in out_values:
        float_output(v, "jvp", complex_ok=True)
    out_tangents = [tangent_of(o, level) for o in leaves]
    return Pushed(out_values, out_tangents, out_def)


def jvp_block(f: Callable, primals: tuple, tangents: list, zero_shape: tuple) -> tuple:
    """f's value and tangent (f of one output) for tangents of all primals carrying the same
    leading block of directions (None: zero); zeros of `zero_shape` when no tangent
    reaches the output."""
    values, (tangent,), _ = push_forward(f, primals, {}, tuple(range(len(primals))), tangents)
    return values[0], (np.zeros(zero_shape) if tangent is None else tangent)
