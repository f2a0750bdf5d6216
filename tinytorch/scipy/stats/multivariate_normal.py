"""scipy.stats.multivariate_normal: logpdf and pdf of x (components along the last axis)
with SciPy's `mean` (None: zeros) and `cov` (a number, a vector of variances or a
matrix; its lower triangle is read, as SciPy reads it), the dimension inferred and the
result squeezed as SciPy does both. With a Cholesky factor L of cov: -(d log(2 pi) +
2 sum log diag L + |L^-1 (x - mean)|^2) / 2, differentiable in x, mean and cov. A cov
that is not positive definite raises LinAlgError (a ValueError, as SciPy's errors are).
`entropy(mean, cov)` is SciPy's too, differentiable in cov (a singular cov: its docstring).

`allow_singular=True` is SciPy's own function (pseudo-determinant, -inf off the
subspace), not differentiable: a derivative through it raises NotImplementedError.

>>> import numpy as np
>>> from tinytorch.autograd import grad
>>> from tinytorch.scipy.stats import multivariate_normal
>>> x, mean, cov = np.array([1.0, 0.5]), np.zeros(2), np.array([[2.0, 0.3], [0.3, 1.0]])
>>> g = grad(multivariate_normal.logpdf, argnums=1)(x, mean, cov)
>>> bool(np.allclose(g, np.linalg.solve(cov, x - mean)))           # cov^-1 (x - mean)
True
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ...autograd import api as tt
from ...autograd.custom import CustomPrimitive
from ...autograd.levels import Box
from ...autograd.primitive import dtype_of, shape_of
from ._edges import floats

__all__ = ["logpdf", "pdf", "entropy"]

LOG_2PI = math.log(2.0 * math.pi)


def _parameters(mean: Any, cov: Any) -> tuple:
    """SciPy's dimension, and mean as a vector and cov as a matrix, with SciPy's errors."""
    if mean is None:
        dim = 1 if len(shape_of(cov)) < 2 else shape_of(cov)[0]
        mean = np.zeros(dim, dtype_of(cov))
    dim = math.prod(shape_of(mean))
    if dim == 1:
        mean, cov = tt.reshape(mean, (1,)), tt.reshape(cov, (1, 1))
    if len(shape_of(mean)) != 1 or shape_of(mean)[0] != dim:
        raise ValueError(f"Array 'mean' must be a vector of length {dim}.")
    ndim = len(shape_of(cov))
    if ndim == 0:
        return dim, mean, cov * np.eye(dim, dtype=dtype_of(cov))
    if ndim == 1:
        return dim, mean, tt.diag(cov)
    if ndim > 2:
        raise ValueError(f"Array 'cov' must be at most two-dimensional, but cov.ndim = {ndim}")
    rows, cols = shape_of(cov)
    if rows != cols:
        raise ValueError(f"Array 'cov' must be square if it is two dimensional, but cov.shape = {shape_of(cov)}.")
    if rows != dim:
        raise ValueError(
            f"Dimension mismatch: array 'cov' is of shape {shape_of(cov)}, but 'mean' is a vector of length {dim}."
        )
    return dim, mean, cov


def _points(x: Any, dim: int) -> Any:
    """x as SciPy reads it: a number is one point; a vector one point, or dim = 1 points."""
    if len(shape_of(x)) == 0:
        return tt.reshape(x, (1,))
    if len(shape_of(x)) == 1:
        return tt.reshape(x, (-1, 1) if dim == 1 else (1, -1))
    return x


def _refuse(d: Any, ans: Any, *args: Any) -> Any:
    raise NotImplementedError(
        "multivariate_normal.logpdf: derivatives with allow_singular=True are not implemented "
        "(SciPy's pseudo-determinant; allow_singular=False, with a positive definite cov, is differentiable)"
    )


def _singular(x: np.ndarray, mean: np.ndarray, cov: np.ndarray) -> np.ndarray:
    import scipy.stats

    out = scipy.stats.multivariate_normal.logpdf(x, mean, cov, allow_singular=True)
    return np.asarray(out, dtype=np.result_type(x, mean, cov))[()]


_singular_logpdf = CustomPrimitive(_singular, "multivariate_normal.logpdf(allow_singular=True)", batched=True)
_singular_logpdf.defjvp(_refuse, _refuse, _refuse)
_singular_logpdf.defvjp(_refuse, _refuse, _refuse)


def logpdf(x: Any, mean: Any = None, cov: Any = 1, allow_singular: bool = False) -> Any:
    """scipy.stats.multivariate_normal.logpdf."""
    x, cov, *given = floats(x, cov, *([] if mean is None else [mean]))
    dim, mean, cov = _parameters(given[0] if given else None, cov)
    if allow_singular:
        return _singular_logpdf(x, mean, cov)
    dev = _points(x, dim) - mean
    factor = tt.linalg.cholesky(cov)
    whitened = tt.linalg.solve(factor, tt.transpose(tt.reshape(dev, (-1, dim))))
    maha = tt.reshape(tt.sum(tt.square(whitened), axis=0), shape_of(dev)[:-1])
    log_det = 2.0 * tt.sum(tt.log(tt.diagonal(factor)))
    value = tt.squeeze(-0.5 * (dim * LOG_2PI + log_det + maha))
    return value[()] if isinstance(value, np.ndarray) else value


def pdf(x: Any, mean: Any = None, cov: Any = 1, allow_singular: bool = False) -> Any:
    """scipy.stats.multivariate_normal.pdf."""
    return tt.exp(logpdf(x, mean, cov, allow_singular))


def entropy(mean: Any = None, cov: Any = 1) -> Any:
    """scipy.stats.multivariate_normal.entropy: log det(2 pi e cov) / 2, differentiable in cov
    (mean only sets the dimension; cov's lower triangle is read, as in logpdf).

    On plain arguments it is SciPy's function, its value in the arguments' floating dtype.
    On boxes it is dim (log(2 pi) + 1) / 2 + sum log diag L with L the Cholesky factor of
    cov (equal to SciPy's to rounding), so cov must be positive definite there: a singular
    one raises LinAlgError, where SciPy takes the pseudo-determinant over the eigenvalues it
    deems nonzero, a value whose rank changes under any perturbation (no derivative).

    >>> import numpy as np
    >>> from tinytorch.autograd import grad
    >>> from tinytorch.scipy.stats import multivariate_normal
    >>> cov = np.array([[2.0, 0.3], [0.3, 1.0]])
    >>> h = multivariate_normal.entropy(cov=cov)
    >>> bool(np.isclose(h, 0.5 * np.log(np.linalg.det(2 * np.pi * np.e * cov))))
    True
    >>> g = grad(lambda c: multivariate_normal.entropy(cov=c))(cov)  # cov^-1, its lower triangle read
    >>> inv = np.linalg.inv(cov)
    >>> bool(np.allclose(g, np.tril(inv, -1) + np.diag(np.diag(inv)) / 2))
    True
    """
    cov, *given = floats(cov, *([] if mean is None else [mean]))
    if not any(isinstance(a, Box) for a in (cov, *given)):
        import scipy.stats

        value = scipy.stats.multivariate_normal.entropy(None if mean is None else given[0], cov)
        return np.asarray(value, dtype=cov.dtype)[()]
    dim, _, cov = _parameters(given[0] if given else None, cov)
    factor = tt.linalg.cholesky(cov)
    return 0.5 * dim * (LOG_2PI + 1.0) + tt.sum(tt.log(tt.diagonal(factor)))
