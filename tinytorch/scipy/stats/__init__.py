"""SciPy's `scipy.stats` distributions, differentiable: `norm`, `t`, `chi2`, `beta`,
`gamma`, `poisson`, `dirichlet` and `multivariate_normal`, one module each, with SciPy's
function names and signatures (shape parameters positional, then `loc` and `scale`),
broadcasting and values (nan for invalid parameters, -inf, 0 or 1 outside the support,
with derivative 0 there). Densities are differentiable in x and every parameter; a cdf
in x, loc and scale, but not in a shape parameter (raises NotImplementedError naming it).

>>> import numpy as np
>>> from tinytorch.autograd import grad
>>> from tinytorch.scipy.stats import gamma, norm
>>> x, mu = 1.5, 0.5
>>> bool(np.isclose(grad(norm.logpdf, argnums=1)(x, mu), x - mu))     # d/dmu log N(x; mu, 1)
True
>>> float(gamma.logpdf(-1.0, 2.0)), float(grad(gamma.logpdf)(-1.0, 2.0))  # outside the support
(-inf, 0.0)
"""

from . import beta, chi2, dirichlet, gamma, multivariate_normal, norm, poisson, t

__all__ = ["norm", "t", "chi2", "beta", "gamma", "poisson", "dirichlet", "multivariate_normal"]
