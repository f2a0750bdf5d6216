"""The exact Jacobian a stiff method of solve_ivp asks for: dense, or coloured and sparse.

BDF and Radau factorise I - h J at every Jacobian update. For a large state with a
sparse Jacobian (a discretised PDE, a reaction network) a dense J costs n forward
tangents per update and a dense LU; a coloured sparse J costs a few tangents and
SciPy's sparse LU. The pattern is given (`jac_sparsity=`, as SciPy takes it) or
traced at the first evaluation (`"auto"`, the default); the sparse form is taken for
BDF and Radau when the state is large enough and the pattern sparse enough to pay
(analysis/sparse.py, section 7). LSODA takes dense Jacobians only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..autograd.jacobian import jacobian
from ..autograd.primitive import unbox_all

# the sparse form from this many states on (BDF on a 1-D reaction-diffusion system: dense
# 42 ms against 46 ms at 100 states, 60 ms against 53 ms at 200), for patterns with at most
# this share of nonzeros
SPARSE_STATES = 150
SPARSE_DENSITY = 0.1
SPARSE_METHODS = ("BDF", "Radau")


def state_jacobian(fun: Callable[..., Any], method: str, jac_sparsity: Any) -> Callable[..., Any]:
    """jac(t, y, *args) for solve_ivp: the Jacobian of fun(t, y, *args) in y, as a dense
    array or a `scipy.sparse.csr_array` (see the module docstring)."""
    chosen: dict = {}

    def jac(t: float, y: np.ndarray, *args: Any) -> Any:
        if "jacobian" not in chosen:
            chosen["jacobian"] = _choose(fun, method, jac_sparsity, t, y, args)
        return _values(chosen["jacobian"](y, t, *args))

    return jac


def _choose(fun: Callable, method: str, jac_sparsity: Any, t: float, y: np.ndarray, args: tuple) -> Callable:
    in_y = lambda y, t, *a: fun(t, y, *a)  # noqa: E731
    n = np.size(y)
    if jac_sparsity is None or method not in SPARSE_METHODS or n < SPARSE_STATES:
        return jacobian(in_y)
    from ..autograd.sparse_patterns import sparsity

    pattern = sparsity(in_y)(y, t, *args) if isinstance(jac_sparsity, str) else jac_sparsity
    if isinstance(jac_sparsity, str) and pattern.nnz > SPARSE_DENSITY * n * n:
        return jacobian(in_y)
    return jacobian(in_y, sparsity=pattern)


def _values(found: Any) -> Any:
    if hasattr(found, "tocsc"):
        return found.astype(np.float64)
    return np.asarray(unbox_all(found), dtype=np.float64)
