"""scipy.stats.gamma with shape a: density y^(a-1) e^-y / Gamma(a) at y = (x - loc) / scale
>= 0, as SciPy writes its logarithm (xlogy keeps y = 0 with a = 1 finite). logpdf and pdf
are differentiable in x, a, loc and scale; cdf, gammainc(a, y), in x, loc and scale, not
in a (NotImplementedError).

>>> import numpy as np
>>> from tinytorch.autograd import grad
>>> from tinytorch.scipy.stats import gamma
>>> bool(np.isclose(grad(gamma.logpdf)(2.0, 3.0), (3.0 - 1) / 2.0 - 1))    # (a - 1) / x - 1
True
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...autograd import api as tt
from .. import special
from ._edges import finish, floats, positive, standardize
from ._refusal import constant, refusing

__all__ = ["logpdf", "pdf", "cdf"]

_cdf_in_a = refusing("gamma.cdf", "a", "x, loc and scale")


def _standard(x: Any, a: Any, loc: Any, scale: Any) -> tuple:
    """(x - loc) / scale with its edges, a and scale with 1 where invalid, and where."""
    x, a, loc, scale = floats(x, a, loc, scale)
    (a, scale), invalid = positive(a, scale)
    return standardize(x, loc, scale, 0.0, np.inf, 1.0), a, scale, invalid


def logpdf(x: Any, a: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """scipy.stats.gamma.logpdf: xlogy(a - 1, y) - y - gammaln(a) - log(scale)."""
    s, a, scale, invalid = _standard(x, a, loc, scale)
    value = special.xlogy(a - 1.0, s.y) - s.y - special.gammaln(a) - tt.log(scale)
    return finish(value, invalid, s, -np.inf, -np.inf)


def pdf(x: Any, a: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """scipy.stats.gamma.pdf."""
    return tt.exp(logpdf(x, a, loc, scale))


def cdf(x: Any, a: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """scipy.stats.gamma.cdf: gammainc(a, y); not differentiable in a."""
    s, a, _, invalid = _standard(x, a, loc, scale)
    return finish(_cdf_in_a(special.gammainc(constant(a), s.y), a), invalid, s, 0.0, 1.0)
