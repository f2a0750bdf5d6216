"""scipy.optimize with exact derivatives in, and differentiable solutions out.

`minimize`, `least_squares` and `root` take SciPy's arguments and return SciPy's
result objects. The derivatives SciPy asks for (`jac`, and `hess`/`hessp` for the
methods that use them) are computed by tinytorch from `fun`, written with `tt`
ops. When an element of `args` is being differentiated (a `Variable`, a `Dual`,
an argument of `grad`), the solution `.x` is differentiable with respect to it,
by implicit differentiation (`custom_root`) of the optimality conditions:

    minimize:       grad_x fun(x, *args) = 0
    least_squares:  J(x)^T fun(x, *args) = 0      (the gradient of the cost)
    root:           fun(x, *args) = 0

Under bounds, a component at its bound stays there when the arguments move a little
(its condition is x_i = bound, for a bound that is active with a nonzero gradient),
and the free components satisfy the conditions above. General constraints (the KKT
conditions with multipliers) are not implemented: differentiating a solution of
`minimize` with `constraints` raises `NotImplementedError`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.optimize

from ..autograd import api
from ..autograd import optimize as exact
from ..autograd.implicit import custom_root
from ..autograd.jacobian import jacobian
from ..autograd.levels import Box
from ..autograd.primitive import unbox_all
from ..autograd.transforms import grad, jvp, vjp

_GIVEN_BY_TINYTORCH = ("jac", "hess", "hessp")


def minimize(fun: Callable[..., Any], x0: Any, args: tuple = (), method: str | None = None, **options: Any) -> Any:
    """`scipy.optimize.minimize` with exact `jac` (and `hess`/`hessp` where the method uses
    them); `.x` is differentiable with respect to `args` (grad_x fun = 0 at the solution).

    >>> import numpy as np, tinytorch as tt
    >>> from tinytorch.autograd import grad
    >>> from tinytorch.scipy.optimize import minimize
    >>> def argmin(a):                                  # the minimiser of (x - a)^2 + x^4 / 4
    ...     return minimize(lambda x, a: tt.sum((x - a) ** 2 + x**4 / 4), np.zeros(1), args=(a,), tol=1e-12).x
    >>> x = argmin(1.0)[0]                              # x + x^3 / 2 = a: dx/da = 1 / (1 + 3 x^2 / 2)
    >>> bool(np.isclose(grad(lambda a: argmin(a)[0])(1.0), 1 / (1 + 1.5 * x**2)))
    True
    """
    _refuse_given(options, "minimize")
    x0 = _flat(x0, "minimize")

    def solve(x_init: np.ndarray, values: tuple) -> Any:
        return exact.minimize(fun, x_init, args=values, method=method, **options)

    def optimality(x: Any, *a: Any) -> Any:
        return grad(fun)(x, *a)

    if options.get("constraints") and any(_moving(a) for a in args):
        raise NotImplementedError("minimize: differentiating a solution under constraints (KKT conditions)")
    bounds = options.get("bounds")

    def at_bounds(result: Any) -> np.ndarray | None:
        if bounds is None:
            return None
        lower, upper = _bounds_pair(bounds)
        x = result.x
        close = 1e-10 * (1.0 + np.abs(x))
        return (np.abs(x - lower) <= close) | (np.abs(x - upper) <= close)

    return _solved(solve, optimality, x0, tuple(args), "minimize", at_bounds)


def least_squares(fun: Callable[..., Any], x0: Any, args: tuple = (), **options: Any) -> Any:
    """`scipy.optimize.least_squares` with the exact Jacobian of the residuals `fun`;
    `.x` is differentiable with respect to `args` (J^T fun = 0 at the solution).
    `jac_sparsity` ("auto", or the pattern as SciPy takes it) makes that Jacobian a
    coloured sparse one (`jacobian(fun, sparsity=...)`), which the "trf" and "dogbox"
    methods solve with LSMR; "auto" traces the pattern and stays dense when more than
    `SPARSE_DENSITY` of it is nonzero.

    >>> import numpy as np, tinytorch as tt
    >>> from tinytorch.scipy.optimize import least_squares
    >>> t = np.linspace(0.0, 1.0, 20)
    >>> y = 2.0 * np.exp(-1.5 * t)
    >>> fit = least_squares(lambda p, t, y: p[0] * tt.exp(-p[1] * t) - y, np.ones(2), args=(t, y))
    >>> np.round(fit.x, 6).tolist()
    [2.0, 1.5]
    """
    if options.get("jac", "2-point") != "2-point" or options.get("kwargs"):
        raise TypeError("least_squares: jac is computed by tinytorch; pass extra arguments through args")
    options.pop("jac", None)
    if options.get("loss", "linear") != "linear" and any(_moving(a) for a in args):
        raise NotImplementedError("least_squares: differentiating a solution of a robust loss (loss != 'linear')")
    sparsity = options.pop("jac_sparsity", None)
    if sparsity is not None and options.get("method", "trf") == "lm":
        raise ValueError("least_squares: method 'lm' takes no sparse Jacobian (jac_sparsity); use 'trf' or 'dogbox'")
    x0 = _flat(x0, "least_squares")

    def solve(x_init: np.ndarray, values: tuple) -> Any:
        jac = _residual_jacobian(fun, sparsity, x_init, values)
        return scipy.optimize.least_squares(
            lambda x, *a: np.asarray(fun(x, *a), dtype=np.float64),
            x_init,
            jac=lambda x, *a: _float64(jac(x, *a)),
            args=values,
            **options,
        )

    def optimality(x: Any, *a: Any) -> Any:
        residuals, pullback = vjp(lambda y: fun(y, *a), x)
        return pullback(residuals)[0]

    return _solved(solve, optimality, x0, tuple(args), "least_squares", lambda r: r.active_mask != 0)


# jac_sparsity="auto" keeps the dense Jacobian above this share of nonzeros
SPARSE_DENSITY = 0.1


def _residual_jacobian(fun: Callable, sparsity: Any, x: np.ndarray, args: tuple) -> Callable:
    if sparsity is None:
        return jacobian(fun)
    if isinstance(sparsity, str):
        from ..autograd.sparse_patterns import sparsity as traced

        sparsity = traced(fun)(x, *args)
        if sparsity.nnz > SPARSE_DENSITY * np.prod(sparsity.shape):
            return jacobian(fun)
    return jacobian(fun, sparsity=sparsity)


def _float64(found: Any) -> Any:
    if hasattr(found, "tocsr"):
        return found.astype(np.float64)
    return np.asarray(found, dtype=np.float64)


def root(fun: Callable[..., Any], x0: Any, args: tuple = (), method: str = "hybr", **options: Any) -> Any:
    """`scipy.optimize.root` with the exact Jacobian for the methods that use one
    ("hybr", "lm") and exact Jacobian-vector products for "krylov"; `.x` is
    differentiable with respect to `args` (fun = 0 there).

    >>> import numpy as np, tinytorch as tt
    >>> from tinytorch.autograd import jacobian
    >>> from tinytorch.scipy.optimize import root
    >>> solve = lambda b: root(lambda x, b: x**3 + x - b, np.zeros(2), args=(b,)).x
    >>> b = np.array([2.0, 10.0])                       # x = 1 and x = 2: dx/db = 1 / (3 x^2 + 1)
    >>> np.round(np.diag(jacobian(solve)(b)), 12).tolist()
    [0.25, 0.076923076923]
    """
    _refuse_given(options, "root")
    x0 = _flat(x0, "root")

    def solve(x_init: np.ndarray, values: tuple) -> Any:
        if method == "krylov":
            return _newton_krylov(fun, x_init, values, options)
        jac = jacobian(fun)
        uses_jac = method in ("hybr", "lm")
        return scipy.optimize.root(
            lambda x, *a: np.asarray(fun(x, *a), dtype=np.float64),
            x_init,
            args=values,
            method=method,
            jac=(lambda x, *a: np.asarray(jac(x, *a), dtype=np.float64)) if uses_jac else None,
            **options,
        )

    return _solved(solve, fun, x0, tuple(args), "root", lambda r: None)


def _newton_krylov(fun: Callable[..., Any], x0: np.ndarray, args: tuple, options: dict) -> Any:
    """root(method="krylov") as SciPy runs it (its options, its result), with the Krylov
    solver's Jacobian-vector products exact (`jvp`) instead of finite differences."""
    from scipy.optimize import _nonlin  # SciPy's own Newton-Krylov loop, which root calls

    class ExactKrylov(_nonlin.KrylovJacobian):
        def matvec(self, v: np.ndarray) -> np.ndarray:
            return np.asarray(jvp(lambda x: fun(x, *args), (self.x0,), (v,))[1], dtype=np.float64)

    options = dict(options)
    tol = options.pop("tol", None)
    if tol is not None:  # as scipy.optimize.root reads tol for this method
        options.setdefault("xtol", tol)
        options.setdefault("xatol", np.inf)
        options.setdefault("ftol", np.inf)
        options.setdefault("fatol", np.inf)
    settings = options.pop("options", None) or {}
    x, info = _nonlin.nonlin_solve(
        lambda x: np.asarray(fun(x, *args), dtype=np.float64),
        x0,
        jacobian=ExactKrylov(**settings.get("jac_options", {})),
        iter=settings.get("nit"),
        verbose=settings.get("disp", False),
        maxiter=settings.get("maxiter"),
        f_tol=settings.get("fatol", options.get("fatol")),
        f_rtol=settings.get("ftol", options.get("ftol")),
        x_tol=settings.get("xatol", options.get("xatol")),
        x_rtol=settings.get("xtol", options.get("xtol")),
        tol_norm=settings.get("tol_norm"),
        line_search=settings.get("line_search", "armijo"),
        callback=options.get("callback"),
        full_output=True,
        raise_exception=False,
    )
    result = scipy.optimize.OptimizeResult(x=x, method="krylov")
    result.update(info)
    return result


def _solved(
    solve: Callable[[np.ndarray, tuple], Any],
    optimality: Callable[..., Any],
    x0: np.ndarray,
    args: tuple,
    name: str,
    at_bounds: Callable[[Any], np.ndarray | None],
) -> Any:
    """SciPy's result of solve(x0, args), with `.x` differentiable with respect to the
    elements of args that carry derivatives; `at_bounds(result)` says which components
    sit on a bound (None: no bounds)."""
    moving = [i for i, a in enumerate(args) if _moving(a)]
    values = tuple(unbox_all(a) for a in args)
    if not moving:
        return solve(x0, values)
    results = []

    def solver(x_init: np.ndarray, *moved: Any) -> np.ndarray:
        result = solve(x_init, _with(values, moving, moved))
        results.append(result)
        return result.x

    def conditions(x: Any, *moved: Any) -> Any:
        free = optimality(x, *_with(args, moving, moved))
        fixed = at_bounds(results[-1])
        if fixed is None or not np.any(fixed):
            return free
        # on its bound, a component stays there: its condition is x_i - bound_i = 0
        return api.where(fixed, x - results[-1].x, free)

    x = custom_root(conditions)(solver)(x0, *(args[i] for i in moving))
    result = results[-1]
    result.x = x
    return result


def _bounds_pair(bounds: Any) -> tuple:
    """(lower, upper) arrays of minimize's bounds, given as a Bounds or as (min, max) pairs."""
    if isinstance(bounds, scipy.optimize.Bounds):
        return bounds.lb, bounds.ub
    pairs = np.array([(-np.inf if lo is None else lo, np.inf if hi is None else hi) for lo, hi in bounds], dtype=float)
    return pairs[:, 0], pairs[:, 1]


def _with(args: tuple, positions: list, replacements: tuple) -> tuple:
    out = list(args)
    for i, r in zip(positions, replacements):
        out[i] = r
    return tuple(out)


def _moving(a: Any) -> bool:
    return isinstance(a, Box)


def _flat(x0: Any, name: str) -> np.ndarray:
    x0 = np.atleast_1d(np.asarray(unbox_all(x0), dtype=np.float64))
    if x0.ndim != 1:
        raise ValueError(f"{name}: x0 must be one-dimensional, as SciPy requires (got shape {x0.shape})")
    return x0


def _refuse_given(options: dict, name: str) -> None:
    given = [k for k in _GIVEN_BY_TINYTORCH if options.get(k) is not None]
    if given:
        raise TypeError(f"{name}: {', '.join(given)} are computed by tinytorch; do not pass them")
