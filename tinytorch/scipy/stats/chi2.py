"""scipy.stats.chi2 with df degrees of freedom, the gamma distribution of shape df / 2
and scale 2, as SciPy writes it: logpdf xlogy(df/2 - 1, y) - y/2 - gammaln(df/2) - df
log(2) / 2 at y = (x - loc) / scale >= 0, cdf gammainc(df / 2, y / 2). logpdf and pdf are
differentiable in x, df, loc and scale; cdf in x, loc and scale, not in df
(NotImplementedError).

>>> import numpy as np
>>> from tinytorch.autograd import grad
>>> from tinytorch.scipy.stats import chi2
>>> bool(np.isclose(grad(chi2.cdf)(1.5, 2.0), chi2.pdf(1.5, 2.0)))
True
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ...autograd import api as tt
from .. import special
from ._edges import finish, floats, positive, standardize
from ._refusal import constant, refusing

__all__ = ["logpdf", "pdf", "cdf"]

LOG_2 = math.log(2.0)
_cdf_in_df = refusing("chi2.cdf", "df", "x, loc and scale")


def _standard(x: Any, df: Any, loc: Any, scale: Any) -> tuple:
    """(x - loc) / scale with its edges, df and scale with 1 where invalid, and where."""
    x, df, loc, scale = floats(x, df, loc, scale)
    (df, scale), invalid = positive(df, scale)
    return standardize(x, loc, scale, 0.0, np.inf, 1.0), df, scale, invalid


def logpdf(x: Any, df: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """scipy.stats.chi2.logpdf."""
    s, df, scale, invalid = _standard(x, df, loc, scale)
    half = df / 2.0
    value = special.xlogy(half - 1.0, s.y) - s.y / 2.0 - special.gammaln(half) - LOG_2 * df / 2.0 - tt.log(scale)
    return finish(value, invalid, s, -np.inf, -np.inf)


def pdf(x: Any, df: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """scipy.stats.chi2.pdf."""
    return tt.exp(logpdf(x, df, loc, scale))


def cdf(x: Any, df: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """scipy.stats.chi2.cdf; not differentiable in df."""
    s, df, _, invalid = _standard(x, df, loc, scale)
    return finish(_cdf_in_df(special.gammainc(constant(df) / 2.0, s.y / 2.0), df), invalid, s, 0.0, 1.0)
