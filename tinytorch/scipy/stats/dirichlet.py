"""scipy.stats.dirichlet with concentrations alpha (one-dimensional): log density
sum_i (alpha_i - 1) log x_i - (sum_i gammaln(alpha_i) - gammaln(sum_i alpha_i)), the
components along x's first axis, as SciPy has them (x of K entries, or K - 1 with the
last 1 - their sum). Differentiable in x and alpha. As SciPy, x off the simplex and
alpha <= 0 raise ValueError (checked on the values at every call, compiled too); the
sum's tolerance is SciPy's 1e-9, or 8 ulps of float32 for float32 x.

>>> import numpy as np
>>> from tinytorch.autograd import grad
>>> from tinytorch.scipy.stats import dirichlet
>>> x, alpha = np.array([0.2, 0.3, 0.5]), np.array([2.0, 1.5, 3.0])
>>> bool(np.allclose(grad(dirichlet.logpdf)(x, alpha), (alpha - 1) / x))
True
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...autograd import api as tt
from ...autograd.primitive import NonDifferentiable, shape_of
from .. import special
from ._edges import floats

__all__ = ["logpdf", "pdf"]


def _zero_if_valid(x: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """SciPy's checks of the values, in its order: 0 in x's dtype, or ValueError."""
    if np.min(alpha) <= 0:
        raise ValueError("All parameters must be greater than 0")
    if np.min(x) < 0:
        raise ValueError("Each entry in 'x' must be greater than or equal to zero.")
    if np.max(x) > 1:
        raise ValueError("Each entry in 'x' must be smaller or equal one.")
    if np.any((x == 0) & (alpha < 1).reshape((-1,) + (1,) * (x.ndim - 1))):
        raise ValueError("Each entry in 'x' must be greater than zero if its alpha is less than one.")
    tolerance = max(1e-9, 8 * np.finfo(x.dtype).eps)
    if np.any(np.abs(np.sum(x, 0) - 1.0) > tolerance):
        raise ValueError(f"The input vector 'x' must lie within the normal simplex. but np.sum(x, 0) = {np.sum(x, 0)}.")
    return np.zeros((), x.dtype)


_checked = NonDifferentiable("dirichlet_check", _zero_if_valid)


def _points(x: Any, alpha: Any) -> Any:
    """x with its K-th component (1 - the sum of the others) if it has K - 1; SciPy's shape errors."""
    if len(shape_of(alpha)) != 1:
        raise ValueError(f"Parameter vector 'a' must be one dimensional, but a.shape = {shape_of(alpha)}.")
    k, shape = shape_of(alpha)[0], shape_of(x)
    if not shape or shape[0] not in (k, k - 1):
        raise ValueError(
            "Vector 'x' must have either the same number of entries as, or one entry fewer than, "
            f"parameter vector 'a', but alpha.shape = {shape_of(alpha)} and x.shape = {shape}."
        )
    if shape[0] == k:
        return x
    if len(shape) > 2:
        raise ValueError("The input must be one dimensional or a two dimensional matrix containing the entries.")
    return tt.concatenate([x, 1.0 - tt.sum(x, axis=0, keepdims=True)], axis=0)


def logpdf(x: Any, alpha: Any) -> Any:
    """scipy.stats.dirichlet.logpdf: one value per point, squeezed as SciPy squeezes."""
    x, alpha = floats(x, alpha)
    x = _points(x, alpha)
    column = tt.reshape(alpha, (-1,) + (1,) * (len(shape_of(x)) - 1))
    log_beta = tt.sum(special.gammaln(alpha)) - special.gammaln(tt.sum(alpha))
    value = tt.squeeze(tt.sum(special.xlogy(column - 1.0, x), axis=0) - log_beta + _checked(x, alpha))
    return value[()] if isinstance(value, np.ndarray) else value


def pdf(x: Any, alpha: Any) -> Any:
    """scipy.stats.dirichlet.pdf."""
    return tt.exp(logpdf(x, alpha))
