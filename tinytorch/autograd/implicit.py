"""Implicit differentiation: the derivative of a solution from the equations it solves.

`custom_root(optimality)` decorates a solver, `solve(x_init, *args) -> x`, whose
result satisfies `optimality(x, *args) = 0`. The solver is never differentiated:
it may be SciPy, an iterative loop, anything on NumPy values. The solution's
derivative with respect to `args` comes from the implicit function theorem. With
A = d optimality / dx and B = d optimality / d args at the solution,

    forward:  dx = -A^-1 B t        reverse:  g_args = -B^T A^-T g

The linear systems are solved densely (A built by one batched forward pass of
`jacobian`, then `tt.linalg.solve`, all tinytorch ops, so the rule is itself
differentiable to any order) or matrix-free (`scipy.sparse.linalg.gmres` on
products with A or A^T from `jvp`/`vjp` of `optimality`, one solve per direction:
cheaper for a large system and few directions, first order only).

The derivative of a solution that does not satisfy `optimality` is not the
derivative of anything the user means: a rule warns (`UnconvergedWarning`) when
the residual exceeds `tol`, and when gmres does not converge.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from . import api
from .custom import CustomPrimitive
from .jacobian import jacobian
from .levels import Box
from .passes import jvp_block, plain
from .primitive import NonDifferentiable, is_complex, unbox_all
from .transforms import jvp, vjp

# Up to this many unknowns the dense solve is the default; beyond it, gmres. The
# dense path costs one batched forward pass and an n^3 factorisation, the matrix-free
# one a few products with A per direction.
DENSE_UP_TO = 256


class UnconvergedWarning(RuntimeWarning):
    """A derivative was taken at a point that is not a solution (or its linear solve failed)."""


def custom_root(
    optimality: Callable[..., Any], *, linear_solve: str = "auto", tol: float = 1e-6
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate `solve(x_init, *args)` so that its result is differentiable with
    respect to `args` by the implicit function theorem on `optimality(x, *args) = 0`.

    `optimality` is written with tinytorch ops and returns as many values as x has.
    `linear_solve` is "dense", "gmres" or "auto" (dense up to `DENSE_UP_TO` unknowns
    and at second order). A derivative taken where `max |optimality| > tol` warns.
    x_init is not differentiated (at a solution, the result does not depend on it).

    >>> import numpy as np, tinytorch as tt
    >>> from tinytorch.autograd import custom_root, grad
    >>> @custom_root(lambda x, a: x * x - a)          # x = sqrt(a), found by Newton's method
    ... def sqrt(x, a):
    ...     for _ in range(30):
    ...         x = 0.5 * (x + a / x)
    ...     return x
    >>> float(grad(sqrt, argnums=1)(1.0, 4.0))           # d sqrt(a) / da = 1 / (2 sqrt(a))
    0.25
    """
    if linear_solve not in ("auto", "dense", "gmres"):
        raise ValueError(f'linear_solve must be "auto", "dense" or "gmres", got {linear_solve!r}')

    def decorate(solver: Callable[..., Any]) -> Callable[..., Any]:
        return _ImplicitSolver(solver, optimality, linear_solve, tol)

    return decorate


def custom_fixed_point(
    mapping: Callable[..., Any], *, linear_solve: str = "auto", tol: float = 1e-6
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """`custom_root` for a solver of x = mapping(x, *args): the optimality condition is
    mapping(x, *args) - x = 0.

    >>> import numpy as np, tinytorch as tt
    >>> from tinytorch.autograd import custom_fixed_point, grad
    >>> @custom_fixed_point(lambda x, a: tt.cos(a * x))
    ... def solve(x, a):
    ...     for _ in range(200):
    ...         x = np.cos(a * x)
    ...     return x
    >>> x = solve(0.5, 1.0)                               # the Dottie number, cos(x) = x
    >>> bool(np.isclose(grad(solve, argnums=1)(0.5, 1.0), -x * np.sin(x) / (1 + np.sin(x))))
    True
    """
    return custom_root(lambda x, *args: mapping(x, *args) - x, linear_solve=linear_solve, tol=tol)


class _ImplicitSolver:
    """A solver whose result differentiates implicitly: one primitive per number of args."""

    def __init__(self, solver: Callable[..., Any], optimality: Callable[..., Any], linear_solve: str, tol: float):
        functools.update_wrapper(self, solver)
        self.solver, self.optimality = solver, optimality
        self.linear_solve, self.tol = linear_solve, tol
        self._primitives: dict[int, CustomPrimitive] = {}

    def __call__(self, x_init: Any, *args: Any) -> Any:
        if any(isinstance(a, (Box, np.ndarray, np.generic, complex)) and is_complex(a) for a in (x_init, *args)):
            raise NotImplementedError(
                f"custom_root({self.__name__}) of complex numbers is not implemented: pass the real and "
                "imaginary parts as real arrays"
            )
        prim = self._primitives.get(len(args))
        if prim is None:
            prim = self._primitives[len(args)] = CustomPrimitive(self._solve, self.__name__, batched=True)
            prim.defjvp(*(functools.partial(self._jvp, i) for i in range(len(args))))
            prim.defvjp(*(functools.partial(self._vjp, i) for i in range(len(args))))
        return prim(*args, x_init=np.asarray(unbox_all(x_init), dtype=np.float64))

    def _solve(self, *args: Any, x_init: np.ndarray) -> np.ndarray:
        x = np.asarray(self.solver(x_init.copy(), *args))
        if np.iscomplexobj(x):  # a complex solution of real arguments would be cast to float
            raise NotImplementedError(f"custom_root({self.__name__}): the solver returned complex numbers")
        x = x.astype(np.float64, copy=False)
        residual = np.asarray(unbox_all(self.optimality(x, *args)))
        if residual.size != x.size:
            raise ValueError(
                f"custom_root({self.__name__}): optimality returned {residual.size} values for a solution "
                f"of {x.size}; the implicit function theorem needs as many equations as unknowns"
            )
        return x

    # --- the rules: t and g carry leading batch axes (a block of directions) ---

    def _jvp(self, i: int, t: Any, x: Any, *args: Any, x_init: Any) -> Any:
        t = t * self._converged(x, args)
        batch = np.shape(t)[: np.ndim(t) - np.ndim(args[i])]
        k, n, m = int(np.prod(batch)), np.size(x), np.size(args[i])
        if self._dense(n, t, x, args):
            a, b = self._matrices(x, args, i)
            dx = api.linalg.solve(a, b @ api.reshape(t, (k, m)).T)  # A dx = B t, one column a direction
            return -api.reshape(dx.T, batch + np.shape(x))
        f = self._of_x(args)
        bt = _push(lambda a_i: self.optimality(x, *args[:i], a_i, *args[i + 1 :]), args[i], np.reshape(t, (k, m)), n)
        columns = [
            self._gmres(lambda v: jvp(f, (x,), (v.reshape(np.shape(x)),))[1].ravel(), bt[j].ravel(), n)
            for j in range(k)
        ]
        return -np.reshape(np.stack(columns), batch + np.shape(x))

    def _vjp(self, i: int, g: Any, x: Any, *args: Any, x_init: Any) -> Any:
        g = g * self._converged(x, args)
        batch = np.shape(g)[: np.ndim(g) - np.ndim(x)]
        k, n = int(np.prod(batch)), np.size(x)
        if self._dense(n, g, x, args):
            a, b = self._matrices(x, args, i)
            u = api.linalg.solve(api.transpose(a), api.reshape(g, (k, n)).T)  # A^T u = g
            return -api.reshape(u.T @ b, batch + np.shape(args[i]))
        _, pull_x = vjp(self._of_x(args), x)
        _, pull_all = vjp(lambda *a: self.optimality(x, *a), *args)
        rows = []
        for gj in np.reshape(g, (k, n)):
            u = self._gmres(lambda v: pull_x(v.reshape(np.shape(x)))[0].ravel(), gj, n)
            rows.append(np.ravel(pull_all(u.reshape(np.shape(x)))[i]))
        return -np.reshape(np.stack(rows), batch + np.shape(args[i]))

    def _of_x(self, args: tuple) -> Callable[[Any], Any]:
        return lambda x: self.optimality(x, *args)

    def _dense(self, n: int, d: Any, x: Any, args: tuple) -> bool:
        """Whether to solve densely: asked for, small, or at second order (boxes), where the
        rule must be differentiable and gmres on values is not."""
        if self.linear_solve != "gmres" and (self.linear_solve == "dense" or n <= DENSE_UP_TO):
            return True
        return any(isinstance(v, Box) for v in (d, x, *args))

    def _matrices(self, x: Any, args: tuple, i: int) -> tuple:
        """A = d optimality / dx (n x n) and B = d optimality / d args[i] (n x m)."""
        n, m = np.size(x), np.size(args[i])
        a, b = jacobian(self.optimality, argnums=(0, i + 1))(x, *args)
        return api.reshape(a, (n, n)), api.reshape(b, (n, m))

    def _converged(self, x: Any, args: tuple) -> Any:
        """1.0, after warning if x does not satisfy optimality to tol. Rules multiply their
        solve by it, so that the check runs wherever the rule's ops run, compiled by tt.jit
        too (where values are known only when the program runs)."""
        worst = api.max(api.abs(self.optimality(x, *args)))
        return _checked_residual(worst, tol=self.tol, name=self.__name__)

    def _gmres(self, matvec: Callable[[np.ndarray], np.ndarray], b: np.ndarray, n: int) -> np.ndarray:
        import scipy.sparse.linalg  # on first use: importing tinytorch does not load SciPy

        operator = scipy.sparse.linalg.LinearOperator((n, n), matvec=matvec, dtype=np.float64)
        scale = float(np.max(np.abs(b))) if b.size else 0.0
        if scale == 0.0:
            return np.zeros(n)
        u, info = scipy.sparse.linalg.gmres(operator, b, rtol=1e-12, atol=0.0, restart=min(n, 50), maxiter=n)
        if info != 0:
            residual = float(np.linalg.norm(matvec(u) - b) / np.linalg.norm(b))
            warnings.warn(
                f"custom_root({self.__name__}): gmres did not converge on the implicit linear system "
                f"(relative residual {residual:.3g}); the derivative is inaccurate (try linear_solve='dense')",
                UnconvergedWarning,
                stacklevel=3,
            )
        return u


def _warn_unless_converged(worst: Any, tol: float, name: str) -> np.float64:
    worst = float(worst)
    if not worst <= tol:
        warnings.warn(
            f"custom_root({name}): differentiating a point that is not a solution, max |optimality| = "
            f"{worst:.3g} > tol = {tol:g}; its derivative is not the derivative of a solution (solve to "
            "a tighter tolerance, or raise tol)",
            UnconvergedWarning,
            stacklevel=2,
        )
    return np.float64(1.0)


_checked_residual = NonDifferentiable("implicit_residual_check", _warn_unless_converged)


def _push(f: Callable[[Any], Any], primal: Any, tangents: np.ndarray, n: int) -> np.ndarray:
    """f's JVPs at primal along each row of `tangents` (k x primal.size), as k rows of n:
    one forward pass with the k tangents as a batch."""
    k = tangents.shape[0]
    primal = np.asarray(primal, dtype=np.float64)
    _, pushed = jvp_block(f, (primal,), [np.reshape(tangents, (k,) + primal.shape)], (k, n))
    return np.reshape(plain(pushed), (k, -1))
