"""Reductions and statistics with NumPy's signatures: sum, mean, prod, max, min,
var, std, cumsum, and the non-differentiable argmax, argmin, argsort, any, all,
count_nonzero."""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from ..primitive import NonDifferentiable, is_complex
from ..rules import reductions as r
from ..rules.math import conj_p as conjugate
from ..rules.math import real_p as real
from ..rules.math import sqrt, square
from ..rules.shape import Index, concatenate_p, getitem_p, reshape_p, transpose_p
from ..values import box_or_array
from .common import is_box, neg_axes, neg_axis
from .creation import astype

argmax = NonDifferentiable("argmax", np.argmax)
argmin = NonDifferentiable("argmin", np.argmin)
argsort = NonDifferentiable("argsort", np.argsort)
count_nonzero = NonDifferentiable("count_nonzero", np.count_nonzero)
any = NonDifferentiable("any", np.any)  # noqa: A001
all = NonDifferentiable("all", np.all)  # noqa: A001


def _count(shape: tuple, axes: tuple) -> int:
    n = 1
    for a in axes:
        n *= shape[a]
    return n


def sum(a: Any, axis: Any = None, dtype: Any = None, keepdims: bool = False) -> Any:  # noqa: A001
    a = box_or_array(a)
    if dtype is not None:
        a = astype(a, dtype)
    return r.sum_p(a, neg_axes(axis, a.ndim), keepdims)


def mean(a: Any, axis: Any = None, keepdims: bool = False) -> Any:
    a = box_or_array(a)
    axes = neg_axes(axis, a.ndim)
    total = r.sum_p(a, axes, keepdims)
    if not np.issubdtype(a.dtype, np.inexact):
        total = total.astype(np.float64)
    return total / _count(a.shape, axes)


def var(a: Any, axis: Any = None, ddof: int = 0, keepdims: bool = False) -> Any:
    a = box_or_array(a)
    axes = neg_axes(axis, a.ndim)
    centered = a - mean(a, axes, keepdims=True)
    # NumPy's variance of complex numbers is the mean of |x - mean|**2, a real number
    spread = real(centered * conjugate(centered)) if is_complex(a) else square(centered)
    return r.sum_p(spread, axes, keepdims) / (_count(a.shape, axes) - ddof)


def std(a: Any, axis: Any = None, ddof: int = 0, keepdims: bool = False) -> Any:
    a = box_or_array(a)
    spread = var(a, axis, ddof, keepdims)
    if ddof == 0 and _count(a.shape, neg_axes(axis, a.ndim)) == 1:
        # one element: std is identically 0, as var is, and so are its derivatives (sqrt's
        # derivative at 0 would make them 0 * inf = nan)
        return spread
    return sqrt(spread)


def max(a: Any, axis: Any = None, keepdims: bool = False) -> Any:  # noqa: A001
    a = box_or_array(a)
    return r.max_p(a, neg_axes(axis, a.ndim), keepdims)


def min(a: Any, axis: Any = None, keepdims: bool = False) -> Any:  # noqa: A001
    a = box_or_array(a)
    return r.min_p(a, neg_axes(axis, a.ndim), keepdims)


amax, amin = max, min


def prod(a: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """np.prod, differentiated as a tree of pairwise products: exact at zeros, to any order."""
    a = box_or_array(a)
    axes = neg_axes(axis, a.ndim)
    if not is_box(a):
        return np.prod(a, axis=axes, keepdims=keepdims)
    kept = tuple(i for i in range(-a.ndim, 0) if i not in axes)
    kept_shape = tuple(a.shape[i] for i in kept)
    if _count(a.shape, axes) == 0:  # an empty product is 1 whatever a is
        return np.prod(np.zeros(a.shape, a.dtype), axis=axes, keepdims=keepdims)
    x = transpose_p(a, kept + axes) if a.ndim else a
    k = _count(a.shape, axes)
    x = reshape_p(x, kept_shape + (k,), a.ndim)
    while k > 1:
        half = k // 2
        paired = _along(x, -1, 0, half) * _along(x, -1, half, 2 * half)
        x = concatenate_p(paired, _along(x, -1, 2 * half, k), axis=-1) if k % 2 else paired
        k = half + k % 2
    out_shape = tuple(1 if i in axes else a.shape[i] for i in range(-a.ndim, 0)) if keepdims else kept_shape
    return reshape_p(x, out_shape, len(kept_shape) + 1)


def diff(a: Any, n: int = 1, axis: int = -1, prepend: Any = None, append: Any = None) -> Any:
    """The n-th differences along axis, a[1:] - a[:-1] n times (prepend/append as NumPy's)."""
    from .manipulation import broadcast_to, concatenate  # manipulation builds on this module

    a = box_or_array(a)
    if n < 0:
        raise ValueError(f"order must be non-negative but got {n!r}")
    if a.ndim == 0:
        raise ValueError("diff requires input that is at least one dimensional")
    axis = neg_axis(axis, a.ndim)
    edge = tuple(1 if d == a.ndim + axis else size for d, size in enumerate(a.shape))  # a scalar's shape
    pieces = [a]
    if prepend is not None:
        prepend = box_or_array(prepend)
        pieces.insert(0, broadcast_to(prepend, edge) if prepend.ndim == 0 else prepend)
    if append is not None:
        append = box_or_array(append)
        pieces.append(broadcast_to(append, edge) if append.ndim == 0 else append)
    if len(pieces) > 1:
        a = concatenate(pieces, axis=axis)
    for _ in range(n):
        length = a.shape[axis]
        a = _along(a, axis, 1, length) - _along(a, axis, 0, length - 1)
    return a


def gradient(f: Any, *varargs: Any, axis: Any = None, edge_order: int = 1) -> Any:
    """np.gradient: central differences inside, one-sided ones (first or second order) at
    the edges, with uniform spacings or coordinates; differentiable in f (the spacings are
    constants: a box among them is refused)."""
    from .manipulation import concatenate  # manipulation builds on this module

    f = box_or_array(f)
    if not np.issubdtype(f.dtype, np.inexact):
        f = astype(f, np.float64)
    axes = tuple(range(f.ndim)) if axis is None else tuple(neg_axis(a, f.ndim) + f.ndim for a in np.atleast_1d(axis))
    if edge_order not in (1, 2):
        raise ValueError("'edge_order' greater than 2 not supported")
    outs = []
    for ax, dx in zip(axes, _spacings(varargs, f, axes)):
        if f.shape[ax] < edge_order + 1:
            raise ValueError(
                "Shape of array too small to calculate a numerical gradient, "
                "at least (edge_order + 1) elements are required."
            )
        n = f.shape[ax]

        def piece(start: int, stop: int, at: int = ax - f.ndim) -> Any:  # f[start:stop] along ax
            return _along(f, at, start, stop)

        shape = tuple(-1 if d == ax else 1 for d in range(f.ndim))
        if np.ndim(dx) == 0:
            inside = (piece(2, n) - piece(0, n - 2)) / (2.0 * dx)
        else:
            d1, d2 = dx[:-1], dx[1:]
            a, b, c = -d2 / (d1 * (d1 + d2)), (d2 - d1) / (d1 * d2), d1 / (d2 * (d1 + d2))
            inside = (
                a.reshape(shape) * piece(0, n - 2) + b.reshape(shape) * piece(1, n - 1) + c.reshape(shape) * piece(2, n)
            )
        first_dx, last_dx = (dx, dx) if np.ndim(dx) == 0 else (dx[0], dx[-1])
        if edge_order == 1:
            first = (piece(1, 2) - piece(0, 1)) / first_dx
            last = (piece(n - 1, n) - piece(n - 2, n - 1)) / last_dx
        else:
            if np.ndim(dx) == 0:
                a, b, c = -1.5 / dx, 2.0 / dx, -0.5 / dx
                a2, b2, c2 = 0.5 / dx, -2.0 / dx, 1.5 / dx
            else:
                d1, d2 = dx[0], dx[1]
                a, b, c = -(2.0 * d1 + d2) / (d1 * (d1 + d2)), (d1 + d2) / (d1 * d2), -d1 / (d2 * (d1 + d2))
                d1, d2 = dx[-2], dx[-1]
                a2, b2, c2 = d2 / (d1 * (d1 + d2)), -(d2 + d1) / (d1 * d2), (2.0 * d2 + d1) / (d2 * (d1 + d2))
            first = a * piece(0, 1) + b * piece(1, 2) + c * piece(2, 3)
            last = a2 * piece(n - 3, n - 2) + b2 * piece(n - 2, n - 1) + c2 * piece(n - 1, n)
        out = concatenate([first, inside, last], axis=ax)
        outs.append(out if out.dtype == f.dtype else astype(out, f.dtype))  # NumPy stores in f's dtype
    return outs[0] if len(outs) == 1 else tuple(outs)


def _spacings(varargs: tuple, f: Any, axes: tuple) -> list:
    """Per axis, a uniform spacing (a number) or the differences of its coordinates, as
    np.gradient reads them."""
    if builtins.any(is_box(v) for v in varargs):  # this module's any is NumPy's
        raise NotImplementedError("tt.gradient: derivatives with respect to the spacing or the coordinates")
    if not varargs:
        return [1.0] * len(axes)
    if len(varargs) == 1 and np.ndim(varargs[0]) == 0:
        return [varargs[0]] * len(axes)
    if len(varargs) != len(axes):
        raise TypeError("invalid number of arguments")
    spacings = []
    for ax, d in zip(axes, varargs):
        d = np.asarray(d)
        if d.ndim == 0:
            spacings.append(d[()])
            continue
        if d.ndim != 1 or len(d) != f.shape[ax]:
            raise ValueError("when 1d, distances must match the length of the corresponding dimension")
        differences = np.diff(d.astype(np.float64) if not np.issubdtype(d.dtype, np.inexact) else d)
        uniform = bool(np.all(differences == differences[0]))
        spacings.append(differences[0] if uniform else differences)
    return spacings


def _along(x: Any, axis: int, start: int, stop: int) -> Any:
    """x[..., start:stop, ...] along `axis` (counted from the end)."""
    entries = tuple(slice(start, stop) if d == x.ndim + axis else slice(None) for d in range(x.ndim))
    return getitem_p(x, Index(entries, x.shape))


def cumsum(a: Any, axis: Any = None) -> Any:
    a = box_or_array(a)
    if axis is None:
        a = reshape_p(a, (a.size,), a.ndim)
        axis = 0
    return r.cumsum_p(a, neg_axis(axis, a.ndim))
