"""scipy.stats.t, Student's t with df degrees of freedom (df = inf is the normal, as in
SciPy). logpdf and pdf are differentiable in x, df, loc and scale; cdf and logcdf in x,
loc and scale, not in df (NotImplementedError).

The density's constant, log Gamma((df + 1) / 2) - log Gamma(df / 2) - log(df) / 2, is a
difference of lgammas that cancels for large df (1e-10 wrong at df = 1e6); from df = 20 on
it is its asymptotic series instead, with no cancellation. The cdf is SciPy's stdtr, made
a primitive whose derivative in y is the density: compositions of betainc either lose
accuracy for large df or, through I_{y^2 / (df + y^2)}(1/2, df/2), have a square root at
y = 0 whose derivative is 0 times infinity there.

>>> import numpy as np
>>> from tinytorch.autograd import grad
>>> from tinytorch.scipy.stats import t
>>> bool(np.isclose(grad(t.cdf)(0.0, 3.0), t.pdf(0.0, 3.0)))
True
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...autograd import api as tt
from ...autograd.custom import CustomPrimitive
from ...autograd.rules.special import scipy_special
from .. import special
from ._edges import finish, floats, positive, standardize
from ._refusal import refused
from .norm import LOG_SQRT_2PI, standard_logpdf

__all__ = ["logpdf", "pdf", "cdf", "logcdf"]

# log Gamma(a + 1/2) - log Gamma(a) - log(a) / 2 ~ sum over even n of (2^(1-n) - 2) B_n /
# (n (n - 1) a^(n-1)): from a = 10 on, these terms leave an error below 1e-16
_SERIES = (-1 / 8, 1 / 192, -1 / 640, 17 / 14336, -31 / 18432, 691 / 180224, -5461 / 425984)
_SERIES_FROM = 10.0


def _log_poch_half_over_sqrt(a: Any) -> Any:
    """log(Gamma(a + 1/2) / (Gamma(a) sqrt(a))), for a > 0."""
    small = a < _SERIES_FROM
    near = tt.where(small, a, _SERIES_FROM)  # each form sees only its own range (the double-where)
    far = tt.where(small, _SERIES_FROM, a)
    u = 1.0 / tt.square(far)
    tail = _SERIES[-1]
    for c in reversed(_SERIES[:-1]):
        tail = c + u * tail
    return tt.where(small, special.gammaln(near + 0.5) - special.gammaln(near) - 0.5 * tt.log(near), tail / far)


def _standard_logpdf(y: Any, df: Any) -> Any:
    """log of t's density at y, for df > 0 (inf included)."""
    normal = tt.isinf(df)
    df = tt.where(normal, 1.0, df)  # a stand-in: inf * 0 would be nan, in the derivative too
    student = _log_poch_half_over_sqrt(0.5 * df) - LOG_SQRT_2PI - 0.5 * (df + 1.0) * tt.log1p(tt.square(y) / df)
    return tt.where(normal, standard_logpdf(y), student)


def _stdtr(df: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.asarray(scipy_special().stdtr(df, y), dtype=np.result_type(df, y))[()]


def _stdtr_primitive(name: str) -> CustomPrimitive:
    """stdtr(df, y) as a primitive: in y the density, in df refused, naming `name`."""
    stdtr = CustomPrimitive(_stdtr, name, broadcasting=True)
    refuse = refused(name, "df", "x, loc and scale")
    stdtr.defjvp(refuse, lambda t, ans, df, y: t * tt.exp(_standard_logpdf(y, df)))
    stdtr.defvjp(refuse, lambda g, ans, df, y: g * tt.exp(_standard_logpdf(y, df)))
    return stdtr


_cdf, _cdf_of_logcdf = _stdtr_primitive("t.cdf"), _stdtr_primitive("t.logcdf")


def _standard(x: Any, df: Any, loc: Any, scale: Any) -> tuple:
    """(x - loc) / scale with its edges, df and scale with 1 where invalid, and where."""
    x, df, loc, scale = floats(x, df, loc, scale)
    (df, scale), invalid = positive(df, scale)
    return standardize(x, loc, scale, -np.inf, np.inf, 0.0), df, scale, invalid


def logpdf(x: Any, df: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """scipy.stats.t.logpdf."""
    s, df, scale, invalid = _standard(x, df, loc, scale)
    return finish(_standard_logpdf(s.y, df) - tt.log(scale), invalid, s, -np.inf, -np.inf)


def pdf(x: Any, df: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """scipy.stats.t.pdf."""
    return tt.exp(logpdf(x, df, loc, scale))


def cdf(x: Any, df: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """scipy.stats.t.cdf; not differentiable in df."""
    s, df, _, invalid = _standard(x, df, loc, scale)
    return finish(_cdf(df, s.y), invalid, s, 0.0, 1.0)


def logcdf(x: Any, df: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """scipy.stats.t.logcdf, as SciPy computes it: log(cdf) left of the median, log1p(-sf)
    right of it, accurate in both tails; not differentiable in df."""
    s, df, _, invalid = _standard(x, df, loc, scale)
    left = s.y < 0
    # each side sees only its own half (log1p(-1) = -inf far left, with an infinite derivative)
    below, above = tt.where(left, s.y, 0.0), tt.where(left, 0.0, s.y)
    value = tt.where(left, tt.log(_cdf_of_logcdf(df, below)), tt.log1p(-_cdf_of_logcdf(df, -above)))
    return finish(value, invalid, s, -np.inf, 0.0)
