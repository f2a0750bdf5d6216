"""Reductions and statistics with NumPy's signatures: sum, mean, prod, max, min,
var, std, cumsum, plus logsumexp, softmax and log_softmax."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..primitive import NonDifferentiable, unbox_all
from ..rules import reductions as r
from ..rules import special as s
from ..rules.math import sqrt, square
from ..rules.shape import Index, astype_p, concatenate_p, getitem_p, reshape_p, transpose_p
from .common import is_box, neg_axes, neg_axis, prep

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
    a = prep(a)
    if dtype is not None:
        a = astype(a, dtype)
    return r.sum_p(a, neg_axes(axis, a.ndim), keepdims)


def mean(a: Any, axis: Any = None, keepdims: bool = False) -> Any:
    a = prep(a)
    axes = neg_axes(axis, a.ndim)
    total = r.sum_p(a, axes, keepdims)
    if not np.issubdtype(a.dtype, np.inexact):
        total = total.astype(np.float64)
    return total / _count(a.shape, axes)


def var(a: Any, axis: Any = None, ddof: int = 0, keepdims: bool = False) -> Any:
    a = prep(a)
    axes = neg_axes(axis, a.ndim)
    centered = a - mean(a, axes, keepdims=True)
    return r.sum_p(square(centered), axes, keepdims) / (_count(a.shape, axes) - ddof)


def std(a: Any, axis: Any = None, ddof: int = 0, keepdims: bool = False) -> Any:
    return sqrt(var(a, axis, ddof, keepdims))


def max(a: Any, axis: Any = None, keepdims: bool = False) -> Any:  # noqa: A001
    a = prep(a)
    return r.max_p(a, neg_axes(axis, a.ndim), keepdims)


def min(a: Any, axis: Any = None, keepdims: bool = False) -> Any:  # noqa: A001
    a = prep(a)
    return r.min_p(a, neg_axes(axis, a.ndim), keepdims)


amax, amin = max, min


def _last_axis(x: Any, start: int, stop: int) -> Any:
    entries = (slice(None),) * (x.ndim - 1) + (slice(start, stop),)
    return getitem_p(x, Index(entries, x.shape))


def prod(a: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """np.prod, differentiated as a tree of pairwise products: exact at zeros, to any order."""
    a = prep(a)
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
        paired = _last_axis(x, 0, half) * _last_axis(x, half, 2 * half)
        x = concatenate_p(paired, _last_axis(x, 2 * half, k), axis=-1) if k % 2 else paired
        k = half + k % 2
    out_shape = tuple(1 if i in axes else a.shape[i] for i in range(-a.ndim, 0)) if keepdims else kept_shape
    return reshape_p(x, out_shape, len(kept_shape) + 1)


def cumsum(a: Any, axis: Any = None) -> Any:
    a = prep(a)
    if axis is None:
        a = reshape_p(a, (a.size,), a.ndim)
        axis = 0
    return r.cumsum_p(a, neg_axis(axis, a.ndim))


def logsumexp(a: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """scipy.special.logsumexp, stable for large inputs."""
    a = prep(a)
    return s.logsumexp_p(a, neg_axes(axis, a.ndim), keepdims)


def softmax(x: Any, axis: Any = -1) -> Any:
    """exp(x) normalized along `axis` (default: the last one, as in jax.nn)."""
    x = prep(x)
    return s.softmax_p(x, neg_axes(axis, x.ndim))


def cross_entropy(logits: Any, labels: Any) -> Any:
    """Per-row -log softmax(logits)[label] for logits (n, classes) and integer labels
    (n,): one fused primitive, stable at any scale (a logit of -inf is probability 0)."""
    logits = prep(logits)
    labels = np.asarray(unbox_all(labels))
    if logits.ndim != 2 or labels.shape != logits.shape[:1]:
        raise ValueError(f"cross_entropy: logits (n, classes) and labels (n,), got {logits.shape} and {labels.shape}")
    if not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(f"cross_entropy: labels must be integers, got {labels.dtype}")
    if labels.size and (labels.min() < 0 or labels.max() >= logits.shape[1]):
        raise ValueError(f"cross_entropy: labels must be in [0, {logits.shape[1]}), "
                         f"got values from {labels.min()} to {labels.max()}")
    return s.cross_entropy_p(logits, labels)


def log_softmax(x: Any, axis: Any = -1) -> Any:
    """log(softmax(x)) computed stably along `axis` (default: the last one)."""
    x = prep(x)
    return s.log_softmax_p(x, neg_axes(axis, x.ndim))


def astype(x: Any, dtype: Any) -> Any:
    """x as `dtype`; differentiable between floating types, plain otherwise."""
    x = prep(x)
    dtype = np.dtype(dtype)
    if dtype.kind == "c" and is_box(x):
        raise TypeError("astype(complex) of a Variable or Dual: tinytorch does not support complex numbers yet")
    if not np.issubdtype(dtype, np.floating):
        return np.asarray(unbox_all(x)).astype(dtype)
    if x.dtype == dtype:
        return x
    return astype_p(x, dtype)
