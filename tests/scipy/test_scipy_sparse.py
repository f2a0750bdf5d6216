"""Where SciPy takes sparse exact Jacobians: least_squares(jac_sparsity=...) and the stiff
methods of solve_ivp, against the dense exact Jacobians' results."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

import tinytorch as tt
from tinytorch.autograd import grad, sparsity
from tinytorch.scipy import stiff_jacobian
from tinytorch.scipy.integrate import solve_ivp
from tinytorch.scipy.optimize import least_squares


def smoothing(x, y, weight):
    return tt.concatenate([x - y, weight * (x[1:] - x[:-1]), 0.1 * tt.sin(x)])


def smoothing_jacobian(x, weight):
    n = x.size
    difference = np.eye(n)[1:] - np.eye(n)[:-1]
    return np.vstack([np.eye(n), weight * difference, 0.1 * np.diag(np.cos(x))])


def test_least_squares_with_a_traced_or_given_pattern_matches_the_dense_fit():
    n = 120
    y = np.sin(np.linspace(0.0, 6.0, n)) + 0.1 * np.random.default_rng(0).standard_normal(n)
    dense = least_squares(smoothing, np.zeros(n), args=(y, 3.0), xtol=1e-12, ftol=1e-12, gtol=1e-12)
    for pattern in ("auto", sparsity(smoothing)(np.zeros(n), y, 3.0)):
        fit = least_squares(
            smoothing, np.zeros(n), args=(y, 3.0), jac_sparsity=pattern, xtol=1e-12, ftol=1e-12, gtol=1e-12
        )
        assert sp.issparse(fit.jac) and not sp.issparse(dense.jac)
        # LSMR solves the sparse trust-region steps iteratively: the same optimum, to its accuracy
        assert np.abs(fit.jac.T @ fit.fun).max() < 1e-5  # (SciPy stops on ftol here)
        np.testing.assert_allclose(fit.cost, dense.cost, rtol=1e-10)
        np.testing.assert_allclose(fit.x, dense.x, atol=1e-5)
        np.testing.assert_allclose(fit.jac.toarray(), smoothing_jacobian(fit.x, 3.0), atol=1e-12)


def test_least_squares_sparse_solutions_stay_differentiable():
    n = 40
    y = np.cos(np.linspace(0.0, 3.0, n))
    fit = lambda w, s: (
        least_squares(smoothing, np.zeros(n), args=(y, w), jac_sparsity=s, xtol=1e-13, ftol=1e-13, gtol=1e-13).x
    )  # noqa: E731
    loss = lambda w, s: tt.sum(fit(w, s) ** 2)  # noqa: E731
    np.testing.assert_allclose(grad(loss)(2.0, "auto"), grad(loss)(2.0, None), rtol=1e-6)


def test_a_dense_pattern_stays_dense_and_lm_is_refused():
    fit = least_squares(lambda x: x - tt.sum(x), np.ones(4), jac_sparsity="auto")
    assert not sp.issparse(fit.jac)
    with pytest.raises(ValueError, match="'lm'"):
        least_squares(smoothing, np.zeros(5), args=(np.ones(5), 1.0), method="lm", jac_sparsity="auto")


def reaction_diffusion(t, y, k):
    lap = tt.concatenate([y[1:2] - y[:1], y[:-2] - 2.0 * y[1:-1] + y[2:], y[-2:-1] - y[-1:]])
    return 100.0 * lap - k * y**2


@pytest.mark.parametrize("method", ["BDF", "Radau"])
def test_stiff_methods_get_sparse_jacobians_for_large_sparse_systems(method, monkeypatch):
    n = stiff_jacobian.SPARSE_STATES + 10
    y0 = np.cos(np.linspace(0.0, 3.0, n)) + 1.0
    handed = []
    original = stiff_jacobian._values
    monkeypatch.setattr(stiff_jacobian, "_values", lambda found: handed.append(found) or original(found))
    solve = lambda s: solve_ivp(
        reaction_diffusion, (0.0, 0.5), y0, method=method, args=(1.0,), jac_sparsity=s, rtol=1e-8, atol=1e-10
    )  # noqa: E731
    coloured, dense = solve("auto"), solve(None)
    assert sp.issparse(handed[0]) and not sp.issparse(handed[-1])
    np.testing.assert_allclose(coloured.y, dense.y, rtol=1e-6, atol=1e-9)
    assert coloured.success and dense.success


def test_a_small_system_keeps_the_dense_jacobian(monkeypatch):
    handed = []
    original = stiff_jacobian._values
    monkeypatch.setattr(stiff_jacobian, "_values", lambda found: handed.append(found) or original(found))
    solve_ivp(reaction_diffusion, (0.0, 0.1), np.ones(10), method="BDF", args=(1.0,))
    assert handed and not any(sp.issparse(h) for h in handed)
    with pytest.raises(ValueError, match="jac_sparsity"):
        solve_ivp(reaction_diffusion, (0.0, 0.1), np.ones(10), method="BDF", args=(1.0,), jac_sparsity="banded")


def test_sensitivities_through_a_sparse_stiff_solve():
    n = stiff_jacobian.SPARSE_STATES + 10
    y0 = np.cos(np.linspace(0.0, 3.0, n)) + 1.0

    def loss(k, s):
        sol = solve_ivp(reaction_diffusion, (0.0, 0.2), y0, method="BDF", t_eval=[0.2], args=(k,), jac_sparsity=s,
                        rtol=1e-9, atol=1e-11)  # fmt: skip
        return tt.sum(sol.y**2)

    np.testing.assert_allclose(grad(loss)(1.0, "auto"), grad(loss)(1.0, None), rtol=1e-6)
