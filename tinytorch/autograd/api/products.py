"""Products with NumPy's signatures: matmul, dot, vdot, inner, outer, tensordot,
einsum, trace. All but matmul are spelled as einsum, whose subscripts are made
explicit here (no implicit output, no ellipsis) before they reach the table."""

from __future__ import annotations

import string
import warnings
from typing import Any

import numpy as np

from ..primitive import is_complex
from ..rules.math import conj_p as conjugate
from ..rules.math import multiply
from ..rules.products import einsum_p, matmul_p
from ..rules.reductions import sum_p
from ..values import box_or_array
from .common import is_box, normalize_axis_index
from .creation import astype
from .indexing import diagonal, getitem
from .manipulation import broadcast_to, ravel, reshape

matmul = matmul_p


def _from_sublists(arguments: tuple) -> tuple[str, list]:
    """(subscripts, operands) of einsum's sublist form: operands alternate with lists of
    integer axis labels (Ellipsis for '...'), and an optional last list gives the output."""
    pairs, output = arguments, None
    if len(arguments) % 2:
        pairs, output = arguments[:-1], arguments[-1]
    operands, sublists = list(pairs[0::2]), list(pairs[1::2])

    def letters(sublist: Any) -> str:
        out = []
        for label in sublist:
            if label is Ellipsis:
                out.append("...")
            elif isinstance(label, (int, np.integer)) and 0 <= label < 52:
                out.append(string.ascii_letters[int(label)])
            else:
                raise ValueError(f"einsum: a subscript must be an integer in [0, 52) or Ellipsis, got {label!r}")
        return "".join(out)

    subscripts = ",".join(letters(s) for s in sublists)
    if output is not None:
        subscripts += "->" + letters(output)
    return subscripts, operands


def _explicit(subscripts: str, ndims: list[int]) -> str:
    """einsum subscripts with the output spelled out and '...' replaced by letters."""
    spec = subscripts.replace(" ", "")
    ins, arrow, out = spec.partition("->")
    terms = ins.split(",")
    if len(terms) != len(ndims):
        raise ValueError(f"einsum: {len(terms)} subscript terms for {len(ndims)} operands")
    free = [c for c in string.ascii_letters if c not in spec]
    widths = [n - len(t.replace("...", "")) for t, n in zip(terms, ndims)]
    width = max([w for t, w in zip(terms, widths) if "..." in t], default=0)
    ellipsis = "".join(free[:width])
    terms = [t.replace("...", ellipsis[width - w :]) for t, w in zip(terms, widths)]
    for t, n in zip(terms, ndims):
        if len(t) != n:
            raise ValueError(f"einsum: subscripts {t!r} do not match an operand of {n} dimensions")
    if arrow:
        out = out.replace("...", ellipsis)
    else:
        letters = "".join(terms)
        out = ellipsis + "".join(sorted(c for c in set(letters) if letters.count(c) == 1 and c not in ellipsis))
    return ",".join(terms) + "->" + out


def einsum(
    subscripts: str,
    *operands: Any,
    out: Any = None,
    dtype: Any = None,
    order: str = "K",
    casting: str = "safe",
    optimize: Any = False,
) -> Any:
    """np.einsum, in the subscripts-string form or the sublist form (`einsum(a, [0, 1], b,
    [1, 2], [0, 2])`). `dtype` and `casting` act as in NumPy (the
    operands are cast to `dtype`, differentiably between floating types); `order` (the
    result's memory layout) and `optimize` are accepted for NumPy's sake and have no
    effect on the values: tinytorch picks the contraction order itself. `out=` takes
    plain arrays only: a derivative cannot be written into one.

    >>> import numpy as np, tinytorch as tt
    >>> tt.einsum("ij,j->i", np.eye(2), np.array([1.0, 2.0]), optimize=True).tolist()
    [1.0, 2.0]
    >>> tt.einsum("i,i->", np.ones(2), np.ones(2), dtype=np.float32, casting="same_kind").dtype
    dtype('float32')
    """
    if not isinstance(subscripts, str):  # the sublist form: einsum(a, [0, 1], b, [1, 2], [0, 2])
        subscripts, operands = _from_sublists((subscripts, *operands))
    operands = [box_or_array(x) for x in operands]
    boxed = [type(x).__name__ for x in operands if is_box(x)]
    if is_box(out):
        raise TypeError(
            f"einsum(..., out=...) cannot write into a {type(out).__name__}; assign the result "
            "(y = tt.einsum(...), or y[...] = tt.einsum(...) to update y in place)"
        )
    if out is not None:
        if boxed:
            raise TypeError(
                f"einsum(..., out=...) cannot store a result that involves a {boxed[0]} in a plain "
                "array: its derivative would be dropped; use the returned value (y = tt.einsum(...))"
            )
        return np.einsum(subscripts, *operands, out=out, dtype=dtype, order=order, casting=casting, optimize=optimize)
    common = _einsum_dtype(operands, dtype, casting)
    operands = [x if x.dtype == common else astype(x, common) for x in operands]
    spec = _explicit(subscripts, [x.ndim for x in operands])
    terms = spec.split("->")[0].split(",")
    sizes: dict = {}
    for term, x in zip(terms, operands):
        for c, d in zip(term, x.shape):
            sizes[c] = d if sizes.get(c, 1) == 1 else sizes[c]  # size 1 broadcasts, 0 stays 0
    # broadcast size-1 axes explicitly, so that the rules never have to undo it
    operands = [broadcast_to(x, tuple(sizes[c] for c in term)) for term, x in zip(terms, operands)]
    return einsum_p(*operands, spec=spec)


def _einsum_dtype(operands: list, dtype: Any, casting: str) -> np.dtype:
    """The dtype einsum computes in, after NumPy's casting checks."""
    common = np.result_type(*[x.dtype for x in operands]) if dtype is None else np.dtype(dtype)
    for i, x in enumerate(operands):
        # NumPy's rule and words: each operand is cast to the computation's dtype under `casting`
        if not np.can_cast(x.dtype, common, casting):
            raise TypeError(
                f"Iterator operand {i} dtype could not be cast from {x.dtype!r} to {common!r} "
                f"according to the rule {casting!r}"
            )
    return common


def tensordot(a: Any, b: Any, axes: Any = 2) -> Any:
    a, b = box_or_array(a), box_or_array(b)
    if isinstance(axes, (int, np.integer)):
        axes_a, axes_b = list(range(a.ndim - axes, a.ndim)), list(range(axes))
    else:
        axes_a, axes_b = (list(np.atleast_1d(ax)) for ax in axes)
    axes_a = [int(ax) % a.ndim for ax in axes_a]
    axes_b = [int(ax) % b.ndim for ax in axes_b]
    if len(axes_a) != len(axes_b) or any(a.shape[i] != b.shape[j] for i, j in zip(axes_a, axes_b)):
        raise ValueError("tensordot: shape-mismatch for sum")
    letters = iter(string.ascii_letters)
    sa = [next(letters) for _ in range(a.ndim)]
    sb = [next(letters) for _ in range(b.ndim)]
    for i, j in zip(axes_a, axes_b):
        sb[j] = sa[i]
    out = [c for i, c in enumerate(sa) if i not in axes_a] + [c for j, c in enumerate(sb) if j not in axes_b]
    return einsum_p(a, b, spec=f"{''.join(sa)},{''.join(sb)}->{''.join(out)}")


def dot(a: Any, b: Any) -> Any:
    a, b = box_or_array(a), box_or_array(b)
    if a.ndim == 0 or b.ndim == 0:
        return multiply(a, b)
    if b.ndim <= 2 and a.ndim <= 2 or b.ndim == 1:
        return matmul_p(a, b)
    return tensordot(a, b, axes=([-1], [-2]))


def vdot(a: Any, b: Any) -> Any:
    """np.vdot: the dot product of the flattened arrays, a's conjugated."""
    return sum_p(ravel(conjugate(a) if is_complex(a) else a) * ravel(b), (-1,), False)


def inner(a: Any, b: Any) -> Any:
    a, b = box_or_array(a), box_or_array(b)
    if a.ndim == 0 or b.ndim == 0:
        return multiply(a, b)
    return tensordot(a, b, axes=([-1], [-1]))


def outer(a: Any, b: Any) -> Any:
    return reshape(ravel(a), (-1, 1)) * reshape(ravel(b), (1, -1))


def trace(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    return sum_p(diagonal(a, offset, axis1, axis2), (-1,), False)


def kron(a: Any, b: Any) -> Any:
    """The Kronecker product: every element of a times the whole of b, in blocks."""
    a, b = box_or_array(a), box_or_array(b)
    nd = max(a.ndim, b.ndim)
    sa, sb = (1,) * (nd - a.ndim) + a.shape, (1,) * (nd - b.ndim) + b.shape
    spread_a = reshape(a, tuple(x for s in sa for x in (s, 1)))  # (a0, 1, a1, 1, ...)
    spread_b = reshape(b, tuple(x for s in sb for x in (1, s)))  # (1, b0, 1, b1, ...)
    return reshape(spread_a * spread_b, tuple(x * y for x, y in zip(sa, sb)))


def cross(a: Any, b: Any, axisa: int = -1, axisb: int = -1, axisc: int = -1, axis: int | None = None) -> Any:
    """np.cross: the cross products of the vectors along axisa of a and axisb of b (broadcast
    against each other), along axisc of the result; `axis` sets all three. A 2-vector's
    third component is 0, and two 2-vectors give the third component of their product
    alone, as NumPy does; NumPy 2 deprecates 2-vectors, and so does this, with its warning.

    >>> import numpy as np
    >>> import tinytorch as tt
    >>> tt.cross(np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0]))
    array([0., 0., 1.])
    >>> tt.cross(np.eye(3), np.array([0.0, 0.0, 2.0]), axisa=0)  # a's vectors are its columns
    array([[ 0., -2.,  0.],
           [ 2.,  0.,  0.],
           [ 0.,  0.,  0.]])
    """
    from .manipulation import moveaxis, stack

    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = box_or_array(a), box_or_array(b)
    if a.ndim < 1 or b.ndim < 1:
        raise ValueError("At least one array has zero dimension")
    a = moveaxis(a, normalize_axis_index(axisa, a.ndim, "axisa"), -1)
    b = moveaxis(b, normalize_axis_index(axisb, b.ndim, "axisb"), -1)
    if a.shape[-1] not in (2, 3) or b.shape[-1] not in (2, 3):
        raise ValueError("incompatible dimensions for cross product\n(dimension must be 2 or 3)")
    if a.shape[-1] == 2 or b.shape[-1] == 2:
        warnings.warn(
            "Arrays of 2-dimensional vectors are deprecated. Use arrays of 3-dimensional vectors instead. "
            "(deprecated in NumPy 2.0)",
            DeprecationWarning,
            stacklevel=2,
        )
    x = [getitem(a, (..., i)) for i in range(a.shape[-1])]
    y = [getitem(b, (..., i)) for i in range(b.shape[-1])]
    third = x[0] * y[1] - x[1] * y[0]
    if len(x) == len(y) == 2:
        return third if is_box(third) else np.asarray(third)  # NumPy's 0-d array, not a scalar, for two vectors
    # NumPy's own expressions, so that the values (the signs of zeros too) are its own
    if len(x) == len(y):
        parts = [x[1] * y[2] - x[2] * y[1], x[2] * y[0] - x[0] * y[2], third]
    elif len(x) == 2:  # a's third component is 0
        parts = [x[1] * y[2], -(x[0] * y[2]), third]
    else:  # b's
        parts = [-(x[2] * y[1]), x[2] * y[0], third]
    # each part is a product of a component of a and one of b: all have the broadcast shape
    return moveaxis(stack(parts, axis=-1), -1, normalize_axis_index(axisc, np.ndim(third) + 1, "axisc"))
