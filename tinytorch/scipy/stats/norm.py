"""scipy.stats.norm, differentiable in x, loc and scale (and q for ppf): the standard
normal of (x - loc) / scale, through scipy.special's ndtr, log_ndtr and ndtri, which
keep the far tails accurate. A scale that is not positive gives nan, as SciPy's does.

>>> import numpy as np
>>> from tinytorch.autograd import grad
>>> from tinytorch.scipy.stats import norm
>>> bool(np.isclose(grad(norm.cdf)(0.3), norm.pdf(0.3)))
True
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ...autograd import api as tt
from .. import special
from ._edges import finish, floats, positive, standardize

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf"]

LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


def standard_logpdf(y: Any) -> Any:
    """log of the standard normal density at y."""
    return -0.5 * tt.square(y) - LOG_SQRT_2PI


def _standard(x: Any, loc: Any, scale: Any) -> tuple:
    """(x - loc) / scale with its edges, log(scale), and where scale is invalid."""
    x, loc, scale = floats(x, loc, scale)
    (scale,), invalid = positive(scale)
    return standardize(x, loc, scale, -np.inf, np.inf, 0.0), tt.log(scale), invalid


def logpdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """scipy.stats.norm.logpdf: -((x - loc) / scale)^2 / 2 - log(sqrt(2 pi) scale)."""
    s, log_scale, invalid = _standard(x, loc, scale)
    return finish(standard_logpdf(s.y) - log_scale, invalid, s, -np.inf, -np.inf)


def pdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """scipy.stats.norm.pdf."""
    return tt.exp(logpdf(x, loc, scale))


def cdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """scipy.stats.norm.cdf: ndtr((x - loc) / scale)."""
    s, _, invalid = _standard(x, loc, scale)
    return finish(special.ndtr(s.y), invalid, s, 0.0, 1.0)


def logcdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """scipy.stats.norm.logcdf: log_ndtr((x - loc) / scale), accurate far in the left tail."""
    s, _, invalid = _standard(x, loc, scale)
    return finish(special.log_ndtr(s.y), invalid, s, -np.inf, 0.0)


def sf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """scipy.stats.norm.sf, 1 - cdf, as ndtr(-(x - loc) / scale): accurate far in the right tail."""
    s, _, invalid = _standard(x, loc, scale)
    return finish(special.ndtr(-s.y), invalid, s, 1.0, 0.0)


def logsf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """scipy.stats.norm.logsf: log_ndtr(-(x - loc) / scale)."""
    s, _, invalid = _standard(x, loc, scale)
    return finish(special.log_ndtr(-s.y), invalid, s, 0.0, -np.inf)


def ppf(q: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """scipy.stats.norm.ppf, the inverse of cdf: loc + scale ndtri(q); -inf and inf at q = 0
    and 1, nan outside [0, 1]."""
    q, loc, scale = floats(q, loc, scale)
    (scale,), invalid = positive(scale)
    return finish(loc + scale * special.ndtri(q), invalid)
