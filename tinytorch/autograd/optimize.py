"""scipy.optimize with exact derivatives: `minimize(fun, x0, method=...)`.

`fun` is written with tinytorch (or NumPy) operations on an array shaped like
x0. The gradient comes from reverse mode (`value_and_grad`, one pass for value
and gradient), Hessian-vector products from forward over reverse (`hvp`), and
full Hessians, for the methods that want them, from `hessian`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.optimize

from .jacobian import hessian
from .transforms import hvp, value_and_grad

# methods that use second derivatives, and how: products with vectors suffice
# for the conjugate-gradient and Krylov ones, the others factor the matrix
_HESSP_METHODS = {"newton-cg", "trust-ncg", "trust-krylov", "trust-constr"}
_HESS_METHODS = {"dogleg", "trust-exact"}


def minimize(
    fun: Callable[..., Any], x0: Any, args: tuple = (), method: str | None = None, **kwargs: Any
) -> scipy.optimize.OptimizeResult:
    """`scipy.optimize.minimize` with `jac`, and `hessp` or `hess` where the method
    uses them, computed exactly by tinytorch. Extra keyword arguments go to SciPy.

    >>> import numpy as np, tinytorch as tt
    >>> from tinytorch.autograd.optimize import minimize
    >>> rosen = lambda x: tt.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)
    >>> result = minimize(rosen, np.zeros(5), method="trust-ncg")
    >>> bool(result.success), np.allclose(result.x, 1.0, atol=1e-4)
    (True, True)
    """
    x0 = np.asarray(x0, dtype=np.float64)
    shape = x0.shape

    def shaped(f: Callable[..., Any]) -> Callable[..., Any]:
        return lambda x, *a: f(np.reshape(x, shape), *a)

    value_grad = value_and_grad(shaped(fun))

    def fun_and_jac(x: np.ndarray, *a: Any) -> tuple[float, np.ndarray]:
        value, g = value_grad(x, *a)
        return float(value), np.asarray(g, dtype=np.float64).ravel()

    name = (method or "").lower()
    if name in _HESSP_METHODS and "hessp" not in kwargs and "hess" not in kwargs:
        kwargs["hessp"] = lambda x, p, *a: np.ravel(hvp(lambda y: shaped(fun)(y, *a), x, p))
    if name in _HESS_METHODS and "hess" not in kwargs:
        hess = hessian(shaped(fun))
        kwargs["hess"] = lambda x, *a: np.asarray(hess(x, *a)).reshape(x.size, x.size)
    return scipy.optimize.minimize(fun_and_jac, x0.ravel(), args=args, method=method, jac=True, **kwargs)
