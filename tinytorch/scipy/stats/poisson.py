"""scipy.stats.poisson with mean mu: logpmf xlogy(k, mu) - gammaln(k + 1) - mu at the
integers k - loc >= 0 (-inf elsewhere, and at k = inf, where SciPy's inf - inf is nan);
cdf gammaincc(floor(k - loc) + 1, mu). Differentiable in mu; the cdf is a step function
of k and loc, with derivative 0 in them, while the pmf, defined at integers only, has
none (differentiating it in k or loc raises NotImplementedError). A negative mu gives nan.

>>> import numpy as np
>>> from tinytorch.autograd import grad
>>> from tinytorch.scipy.stats import poisson
>>> bool(np.isclose(grad(poisson.logpmf, argnums=1)(3.0, 2.0), 3.0 / 2.0 - 1))   # k / mu - 1
True
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...autograd import api as tt
from .. import special
from ._edges import Standardized, any_of, finish, floats
from ._refusal import constant, refusing

__all__ = ["logpmf", "pmf", "cdf"]

_REFUSALS = {
    name: (refusing(name, "k", "mu"), refusing(name, "loc", "mu")) for name in ("poisson.logpmf", "poisson.pmf")
}


def _mean(mu: Any) -> tuple:
    """mu, with 1 where it is negative or nan, and where: SciPy's nan there."""
    invalid = tt.logical_not(mu >= 0)
    return tt.where(invalid, 1.0, mu), invalid


def _logpmf(k: Any, mu: Any, loc: Any, name: str) -> Any:
    """The logpmf, its refusals naming the public function `name`."""
    k, mu, loc = floats(k, mu, loc)
    mu, invalid = _mean(mu)
    n = constant(k) - constant(loc)
    below = any_of(n < 0, tt.logical_and(tt.isfinite(n), tt.floor(n) != n))  # nan stays nan
    above = n == np.inf
    n = tt.where(any_of(below, above), 0.0, n)
    # xlogy's derivative in mu, n / mu, is nan at n = mu = 0, where the term is 0 for every mu
    value = special.xlogy(n, tt.where(n == 0, 1.0, mu)) - special.gammaln(n + 1.0) - mu
    in_k, in_loc = _REFUSALS[name]
    return finish(in_k(in_loc(value, loc), k), invalid, Standardized(n, below, above), -np.inf, -np.inf)


def logpmf(k: Any, mu: Any, loc: Any = 0) -> Any:
    """scipy.stats.poisson.logpmf; differentiable in mu only."""
    return _logpmf(k, mu, loc, "poisson.logpmf")


def pmf(k: Any, mu: Any, loc: Any = 0) -> Any:
    """scipy.stats.poisson.pmf; differentiable in mu only."""
    return tt.exp(_logpmf(k, mu, loc, "poisson.pmf"))


def cdf(k: Any, mu: Any, loc: Any = 0) -> Any:
    """scipy.stats.poisson.cdf; differentiable in mu (in k and loc, a step function: 0)."""
    k, mu, loc = floats(k, mu, loc)
    mu, invalid = _mean(mu)
    n = tt.floor(constant(k) - constant(loc))
    below, above = n < 0, n == np.inf
    n = tt.where(any_of(below, above), 0.0, n)
    return finish(special.gammaincc(n + 1.0, mu), invalid, Standardized(n, below, above), 0.0, 1.0)
