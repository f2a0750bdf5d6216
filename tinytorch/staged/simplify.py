"""The simplifications made while recording, one equation at a time.

Each looks at the equation about to be recorded (its op and its inputs as program
atoms, with shapes and dtypes known) and, where it can, says what the equation
amounts to instead: one of its inputs (`x * 1`, `I @ x`), or a cheaper product
(`diag(s) @ m`). Equal equations are merged by key, and dead code is dropped at the
end (`live`). No rule makes the program longer, so tracing stays linear in its size.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .ir import Equation, Literal, Var

# not x + 0: it turns -0.0 into 0.0
_IDENTITY_ELEMENT = {"multiply": 1, "divide": 1, "subtract": 0}
# in a program nothing is written in place, so these return their input when they change nothing
NO_OP_IF_SAME_TYPE = frozenset({"reshape", "broadcast_to", "sum_to", "astype", "copy", "positive"})


def same_input(op: Any, atoms: tuple) -> int | None:
    """Which input op(*atoms) is, if it is one of them with its shape and dtype: x * 1,
    x / 1, x - 0; x times a constant array of ones (a seed, a block of the identity of
    size one); I @ x or x @ I with a constant identity matrix (a Jacobian's basis)."""
    if len(atoms) != 2:
        return None
    identity = _IDENTITY_ELEMENT.get(op.name)
    x, other = atoms
    if identity is not None and isinstance(x, Var) and isinstance(other, Literal):
        value = other.value
        if (
            type(value) in (int, float)
            and value == identity
            and math.copysign(1.0, value) > 0  # x - (-0.0) is x + 0.0, which turns -0.0 into 0.0
            and np.result_type(x.dtype, value) == x.dtype
            and (op.name != "divide" or x.dtype.kind == "f")  # an integer divided by 1 is a float
        ):
            return 0
    if op.name == "multiply":
        for i in (0, 1):
            if _is_ones_for(atoms[1 - i], atoms[i]):
                return i
    if op.name == "matmul":
        for i, axis in ((1, -2), (0, -1)):
            if _is_identity_for(atoms[1 - i], atoms[i], axis):
                return i
    return None


def _constant_array(atom: Any) -> np.ndarray | None:
    if isinstance(atom, Literal) and isinstance(atom.value, (np.ndarray, np.generic)):
        return np.asarray(atom.value)
    return None


def _is_ones_for(ones: Any, x: Any) -> bool:
    value = _constant_array(ones)
    return (
        value is not None
        and isinstance(x, Var)
        and np.broadcast_shapes(value.shape, x.shape) == x.shape
        and np.result_type(value, x.dtype) == x.dtype
        and bool(np.all(value == 1))
    )


def _is_identity_for(eye: Any, x: Any, axis: int) -> bool:
    """Whether eye is a constant identity matrix that x's `axis` meets in a matmul.
    (On inf and nan, the product would also mix them into other entries as 0 * inf:
    folded, each entry is what the basis means.)"""
    value = _constant_array(eye)
    return (
        value is not None
        and isinstance(x, Var)
        and value.ndim == 2
        and value.shape[0] == value.shape[1]
        and len(x.shape) >= 1
        and x.shape[axis if len(x.shape) >= 2 else -1] == value.shape[0]
        and np.result_type(value, x.dtype) == x.dtype
        and np.array_equal(value, np.eye(value.shape[0]))
    )


def scaled_rows(op: Any, atoms: tuple, made_by: dict) -> Var | None:
    """s, when op is diag(s) @ m, with diag(s) made as a constant identity times a vector
    s (a Jacobian's basis through an elementwise op, then through a matmul, in either
    mode): the product is s[:, None] * m, n^2 products instead of n^3."""
    if op.name != "matmul" or len(atoms) != 2 or not all(isinstance(a, Var) for a in atoms):
        return None
    s = _diagonal(made_by.get(atoms[0].number))
    m = atoms[1]
    if s is None or len(m.shape) != 2 or m.shape[0] != max(s.shape) or m.dtype != s.dtype:
        return None
    return s


def _diagonal(eq: Equation | None) -> Var | None:
    """s, when eq makes diag(s) as a constant n x n identity times a vector s of n (a
    row or a column), with s's dtype."""
    if eq is None or eq.op.name != "multiply" or eq.params or len(eq.out.shape) != 2:
        return None
    n = eq.out.shape[0]
    for eye, s in (eq.inputs, eq.inputs[::-1]):
        value = _constant_array(eye)
        if (
            isinstance(s, Var)
            and value is not None
            and value.shape == eq.out.shape
            and s.shape in ((n,), (1, n), (n, 1))
            and s.dtype == eq.out.dtype
            and np.array_equal(value, np.eye(n))
        ):
            return s
    return None


def same_type(value: Any, x: Var) -> bool:
    return np.shape(value) == x.shape and np.result_type(value) == x.dtype


_KEYED_BY_VALUE = (bool, int, float, str, tuple, type(None), np.dtype, np.generic, type)


def _literal_key(value: Any) -> tuple:
    """Equal keys for equal Python values (repr tells 0.0 from -0.0, and nan from itself);
    objects such as indices are equal only to themselves."""
    text = repr(value) if isinstance(value, _KEYED_BY_VALUE) else None
    if text is not None and len(text) < 200:
        return ("value", type(value), text)
    return ("object", id(value))


def merge_key(op: Any, atoms: tuple, kwargs: dict) -> tuple:
    """Equal for equations that compute the same thing: the same op on the same inputs."""
    parts = tuple(("var", a.number) if isinstance(a, Var) else _literal_key(a.value) for a in atoms)
    return (op, parts, tuple((k, _literal_key(v)) for k, v in sorted(kwargs.items())))


def live(equations: list, outputs: list) -> list:
    """The equations some output needs, in order."""
    needed = {v.number for v in outputs if isinstance(v, Var)}
    kept = []
    for eq in reversed(equations):
        if eq.out.number in needed:
            kept.append(eq)
            needed.update(a.number for a in eq.inputs if isinstance(a, Var))
    return kept[::-1]
