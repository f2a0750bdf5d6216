"""Rules for convolution, the primitive behind `tinytorch.scipy.signal`: SciPy's N-d
`convolve` of x and y over their last `ndim` axes, in modes "full", "valid" (x at least
as large as y in every axis: the public function swaps them as SciPy does) and "same".

Convolution is bilinear, so its JVP in either operand is the convolution with the
tangent; its transpose in x is the correlation with y, which is the convolution with
y flipped ("full" and "valid" exchange roles, "same" is the "full" cotangent padded with
zeros), and the same in y. Every rule is a convolution again, so every order is one.
Leading axes (the batch axes of tangents, the stacks of rules of rules) broadcast, and
the convolutions run one per leading index. SciPy is imported on the first call.
"""

from __future__ import annotations

import numpy as np

from ..broadcasting import unbroadcast  # a cotangent computed over leading axes, summed back
from ..primitive import Primitive
from .shape import flip_p, pad_p, reshape_p, trailing


def _core(full, small, mode):
    if mode == "full":
        return tuple(m + n - 1 for m, n in zip(full, small))
    if mode == "valid":
        return tuple(m - n + 1 for m, n in zip(full, small))
    return full


def _convolve(x, y, mode, method, ndim):
    import scipy.signal

    x, y = np.asarray(x), np.asarray(y)
    lead = np.broadcast_shapes(x.shape[: x.ndim - ndim], y.shape[: y.ndim - ndim])
    if not lead:
        return scipy.signal.convolve(x, y, mode, method)
    cx, cy = trailing(x, ndim), trailing(y, ndim)
    x, y = np.broadcast_to(x, lead + cx), np.broadcast_to(y, lead + cy)
    out = np.empty(lead + _core(cx, cy, mode), np.result_type(x, y))
    for i in np.ndindex(lead):
        out[i] = scipy.signal.convolve(x[i], y[i], mode, method)
    return out


def _lifted(t, x, ans):
    """x's tangent with axes of length 1 for the leading axes the output has beyond x."""
    extra = ans.ndim - x.ndim
    return reshape_p(t, (1,) * extra + x.shape, x.ndim) if extra else t


def _as_full(g, y, mode, ndim):
    """The cotangent of a "same" output as one of the "full" output: zeros around it."""
    if mode == "full":
        return g
    return pad_p(g, tuple(((n - 1) // 2, n - 1 - (n - 1) // 2) for n in trailing(y, ndim)))


def _flipped(x, ndim):
    return flip_p(x, tuple(range(-ndim, 0)))


def _vjp_x(g, ans, x, y, mode, method, ndim):
    if mode == "valid":
        gx = convolve_p(g, _flipped(y, ndim), mode="full", method=method, ndim=ndim)
    else:
        gx = convolve_p(_as_full(g, y, mode, ndim), _flipped(y, ndim), mode="valid", method=method, ndim=ndim)
    return unbroadcast(gx, x, g, ans)


def _vjp_y(g, ans, x, y, mode, method, ndim):
    if mode == "valid":
        gy = convolve_p(_flipped(x, ndim), g, mode="valid", method=method, ndim=ndim)
    else:
        gy = convolve_p(_as_full(g, y, mode, ndim), _flipped(x, ndim), mode="valid", method=method, ndim=ndim)
    return unbroadcast(gy, y, g, ans)


convolve_p = Primitive("convolve", _convolve,
    jvp=(lambda t, ans, x, y, **options: convolve_p(_lifted(t, x, ans), y, **options),
         lambda t, ans, x, y, **options: convolve_p(x, _lifted(t, y, ans), **options)),
    vjp=(_vjp_x, _vjp_y))
