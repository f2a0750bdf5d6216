"""scipy.stats.beta with shapes a and b: density y^(a-1) (1 - y)^(b-1) / B(a, b) at y = (x
- loc) / scale in [0, 1], as SciPy writes its logarithm (xlogy and xlog1py, betaln).
logpdf and pdf are differentiable in x, a, b, loc and scale; cdf, betainc(a, b, y), in x,
loc and scale, not in a or b (NotImplementedError).

>>> import numpy as np
>>> from tinytorch.autograd import grad
>>> from tinytorch.scipy.stats import beta
>>> bool(np.isclose(grad(beta.cdf)(0.3, 2.0, 3.0), beta.pdf(0.3, 2.0, 3.0)))
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

_cdf_in_a = refusing("beta.cdf", "a", "x, loc and scale")
_cdf_in_b = refusing("beta.cdf", "b", "x, loc and scale")


def _standard(x: Any, a: Any, b: Any, loc: Any, scale: Any) -> tuple:
    """(x - loc) / scale with its edges, a, b and scale with 1 where invalid, and where."""
    x, a, b, loc, scale = floats(x, a, b, loc, scale)
    (a, b, scale), invalid = positive(a, b, scale)
    return standardize(x, loc, scale, 0.0, 1.0, 0.5), a, b, scale, invalid


def logpdf(x: Any, a: Any, b: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """scipy.stats.beta.logpdf: xlog1py(b - 1, -y) + xlogy(a - 1, y) - betaln(a, b) - log(scale)."""
    s, a, b, scale, invalid = _standard(x, a, b, loc, scale)
    value = special.xlog1py(b - 1.0, -s.y) + special.xlogy(a - 1.0, s.y) - special.betaln(a, b) - tt.log(scale)
    return finish(value, invalid, s, -np.inf, -np.inf)


def pdf(x: Any, a: Any, b: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """scipy.stats.beta.pdf."""
    return tt.exp(logpdf(x, a, b, loc, scale))


def cdf(x: Any, a: Any, b: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """scipy.stats.beta.cdf: betainc(a, b, y); not differentiable in a or b."""
    s, a, b, _, invalid = _standard(x, a, b, loc, scale)
    value = special.betainc(constant(a), constant(b), s.y)
    return finish(_cdf_in_b(_cdf_in_a(value, a), b), invalid, s, 0.0, 1.0)
