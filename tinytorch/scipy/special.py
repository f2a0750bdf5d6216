"""SciPy's `scipy.special`, differentiable: SciPy's names and signatures, on arrays,
Duals and Variables alike, to any order, for real floating-point inputs.

The elementwise functions are primitives whose values are SciPy's own ufuncs
(SciPy is imported on the first call). Arguments with no closed-form derivative
(the order v or n of the Bessel functions, a and b of the incomplete gamma and beta
functions) raise NotImplementedError when differentiated; `gammasgn` is piecewise
constant, with derivative 0. `xlogy(x, y)` follows JAX: log(y) in x and x / y in
y, so at (0, 0) the derivative in x is -inf and in y nan.

>>> import numpy as np
>>> from tinytorch.autograd import grad
>>> from tinytorch.scipy import special
>>> float(special.gamma(5.0))
24.0
>>> bool(np.isclose(grad(special.i0)(1.5), special.i1(1.5)))          # I0' = I1
True
>>> bool(np.isclose(grad(lambda x: special.gammainc(2.0, x))(1.0), np.exp(-1.0)))  # x e^-x / Gamma(2)
True
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..autograd.api.common import normalize_axis_tuple
from ..autograd.api.elementwise import polygamma, sinc
from ..autograd.api.manipulation import atleast_1d, squeeze, stack
from ..autograd.api.nn import expit
from ..autograd.api.nn import logsumexp as _unweighted_logsumexp
from ..autograd.api.reductions import sum as _sum
from ..autograd.levels import Box
from ..autograd.primitive import NonDifferentiable, is_complex
from ..autograd.rules import special
from ..autograd.rules.math import absolute, exp, log, nondifferentiable
from ..autograd.values import box_or_array

__all__ = [
    "gamma", "gammaln", "digamma", "psi", "polygamma", "beta", "betaln", "betainc", "gammainc", "gammaincc",
    "gammasgn", "rgamma", "multigammaln", "erf", "erfc", "erfcx", "erfinv", "erfcinv", "logit", "expit", "xlogy",
    "xlog1py", "logsumexp", "log_ndtr", "ndtr", "ndtri", "j0", "j1", "y0", "y1", "i0", "i1", "i0e", "i1e",
    "iv", "ive", "jv", "jn", "yv", "yn", "kv", "sinc",
]  # fmt: skip

gamma, gammaln, digamma, rgamma = special.gamma, special.gammaln, special.digamma, special.rgamma
gammasgn = special.gammasgn
psi = digamma
beta, betaln, betainc = special.beta, special.betaln, special.betainc
gammainc, gammaincc = special.gammainc, special.gammaincc
erf, erfc, erfcx, erfinv, erfcinv = special.erf, special.erfc, special.erfcx, special.erfinv, special.erfcinv
log_ndtr, ndtr, ndtri = special.log_ndtr, special.ndtr, special.ndtri
logit, xlogy, xlog1py = special.logit, special.xlogy, special.xlog1py
j0, j1, y0, y1 = special.j0, special.j1, special.y0, special.y1
i0, i1, i0e, i1e = special.i0, special.i1, special.i0e, special.i1e
iv, ive, jv, yv, kv = special.iv, special.ive, special.jv, special.yv, special.kv
jn = jv  # SciPy's jn is its jv ufunc itself (jn(2.5, z) is J_2.5, not J_2)
# SciPy's integer-order Y, its own ufunc: a float order is truncated toward zero, with SciPy's
# RuntimeWarning (yn(2.7, x) is Y_2), and an int order gives float64 for a float32 x
yn = special.yn


def _log_pi_term(a: Any, d: int) -> np.ndarray:
    """d (d - 1) / 4 log(pi), after SciPy's check that a > (d - 1) / 2. A function of the
    values only, so that the check runs wherever the result is used (compiled too)."""
    if np.any(a <= 0.5 * (d - 1)):
        raise ValueError(f"condition a ({a}) > 0.5 * (d-1) ({0.5 * (d - 1)}) not met")
    return np.asarray(d * (d - 1) * 0.25 * math.log(math.pi), dtype=np.result_type(a, np.float32))[()]


_checked_log_pi_term = NonDifferentiable("multigammaln_log_pi_term", _log_pi_term)


def multigammaln(a: Any, d: int) -> Any:
    """scipy.special.multigammaln: the log of the multivariate gamma function of dimension
    d, sum_j gammaln(a - (j - 1) / 2) + d (d - 1) / 4 log(pi), as SciPy sums it; a <= (d -
    1) / 2 is SciPy's ValueError. Float32 in gives float32 out (SciPy's is float64).

    >>> from tinytorch.autograd import grad
    >>> from tinytorch.scipy.special import digamma, multigammaln
    >>> bool(np.isclose(grad(multigammaln)(3.0, 2), digamma(3.0) + digamma(2.5)))
    True
    """
    if not np.isscalar(d) or np.floor(d) != d or d < 1:  # SciPy sums no terms for d < 1
        raise ValueError("d should be a positive integer (dimension)")
    d = int(d)
    a = box_or_array(a)
    return _checked_log_pi_term(a, d) + _sum(gammaln(stack([a - (j - 1.0) / 2 for j in range(1, d + 1)])), axis=0)


def _shift(a: Any, b: Any, axes: tuple) -> np.ndarray:
    """SciPy's shift: the largest a among the nonzero weights (0 if it is not finite)."""
    if b is not None:
        a = np.where(b != 0, a, -np.inf)
    top = np.max(a, axis=axes, keepdims=True, initial=-np.inf)
    return np.where(np.isfinite(top), top, 0)


_logsumexp_shift = NonDifferentiable("logsumexp_shift", _shift)
_nan_if_negative = NonDifferentiable("nan_if_negative", lambda sign: np.where(sign < 0, np.nan, 1.0).astype(sign.dtype))


def logsumexp(a: Any, axis: Any = None, b: Any = None, keepdims: bool = False, return_sign: bool = False) -> Any:
    """scipy.special.logsumexp, log(sum(b * exp(a))) over `axis`, differentiable in a and b.

    On plain arrays it is SciPy's function. On boxes it is the same computation written
    with the table's ops (equal to SciPy's to rounding): shifted by the largest a whose
    weight is nonzero, a weight of 0 dropping its term even where a is inf or nan (its
    derivative in b there is exp(a - result), as everywhere). A negative sum is nan, or with
    `return_sign=True` gives (log|sum|, sign), the sign a plain array.

    >>> from tinytorch.autograd import grad
    >>> a, b = np.array([1.0, 2.0]), np.array([2.0, -1.0])
    >>> out, sign = logsumexp(a, b=b, return_sign=True)        # log|2e - e^2|, negative
    >>> bool(np.isclose(out, np.log(np.e**2 - 2 * np.e))), float(sign)
    (True, -1.0)
    >>> bool(np.allclose(grad(lambda b: logsumexp(a, b=b))(np.array([1.0, 0.0])), [1.0, np.e]))
    True
    """
    a = box_or_array(a)
    b = None if b is None else box_or_array(b)
    if not isinstance(a, Box) and not isinstance(b, Box):
        return special.scipy_special().logsumexp(a, axis=axis, b=b, keepdims=keepdims, return_sign=return_sign)
    a = atleast_1d(a)  # as SciPy: a scalar is a vector of one
    if b is None and not return_sign:
        return _unweighted_logsumexp(a, axis=axis, keepdims=keepdims)
    if is_complex(a) or (b is not None and is_complex(b)):
        raise NotImplementedError("logsumexp with b= or return_sign=True: complex numbers are not implemented")
    ndim = a.ndim if b is None else max(a.ndim, b.ndim)
    axes = tuple(range(ndim)) if axis is None else normalize_axis_tuple(axis, ndim)
    shift = _logsumexp_shift(a, b, axes)
    total = _sum(exp(a - shift) if b is None else special.xexpy(b, a - shift), axis=axes, keepdims=True)
    sign = nondifferentiable["sign"](total)
    with np.errstate(divide="ignore"):  # log(0) = -inf: every weight 0, or every a -inf
        out = log(absolute(total)) + shift
    if not return_sign:  # SciPy's nan for a negative sum, with a nan derivative, not log|sum|'s
        out = out * _nan_if_negative(sign)
    if not keepdims:
        out, sign = squeeze(out, axes), squeeze(sign, axes)
    return (out, sign) if return_sign else out
