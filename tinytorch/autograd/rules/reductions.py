"""Rules for reductions and scans: sum, max, min, cumsum.

`axis` is always a tuple of negative axes (the public functions normalize it),
so a leading batch axis on a tangent or cotangent is never reduced.
"""

from __future__ import annotations

import numpy as np

from ..primitive import Primitive
from .shape import astype_p, broadcast_to_p, flip_p, reshape_p


def kept_shape(shape, axis):
    n = len(shape)
    return tuple(1 if i - n in axis else d for i, d in enumerate(shape))


def with_kept_axes(v, x, axis, keepdims, ans):
    """v (shaped like the reduction's output, maybe batched) with the reduced
    axes put back as size-1 axes, ready to broadcast against x."""
    if keepdims:
        return v
    return reshape_p(v, kept_shape(x.shape, axis), ans.ndim)


def _sum_vjp(g, ans, x, axis, keepdims):
    return broadcast_to_p(with_kept_axes(g, x, axis, keepdims, ans), x.shape, x.ndim)


def _extremum_weights(ans, x, axis, keepdims):
    # The derivative flows to the entries equal to the extremum, split evenly on ties.
    hit = astype_p(x == with_kept_axes(ans, x, axis, keepdims, ans), x.dtype)
    return hit / np.sum(hit, axis=axis, keepdims=True)


def _extremum_jvp(t, ans, x, axis, keepdims):
    return sum_p(t * _extremum_weights(ans, x, axis, keepdims), axis, keepdims)


def _extremum_vjp(g, ans, x, axis, keepdims):
    return with_kept_axes(g, x, axis, keepdims, ans) * _extremum_weights(ans, x, axis, keepdims)


def _reverse_cumsum(g, ans, x, axis):
    return flip_p(cumsum_p(flip_p(g, (axis,)), axis), (axis,))


sum_p = Primitive("sum", lambda x, axis, keepdims: np.sum(x, axis=axis, keepdims=keepdims),
    linear=True, vjp=_sum_vjp)
max_p = Primitive("max", lambda x, axis, keepdims: np.max(x, axis=axis, keepdims=keepdims),
    jvp=_extremum_jvp, vjp=_extremum_vjp)
min_p = Primitive("min", lambda x, axis, keepdims: np.min(x, axis=axis, keepdims=keepdims),
    jvp=_extremum_jvp, vjp=_extremum_vjp)
cumsum_p = Primitive("cumsum", lambda x, axis: np.cumsum(x, axis=axis),
    linear=True, vjp=_reverse_cumsum)
