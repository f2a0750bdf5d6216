"""scipy.optimize with tinytorch's exact derivatives."""

import numpy as np
import pytest
import scipy.optimize

import tinytorch as tt
from tinytorch.autograd.optimize import minimize


def rosenbrock(x):
    return tt.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


X0 = np.full(10, -1.2)


@pytest.mark.parametrize(
    "method, x0, options",
    [
        ("trust-ncg", X0, {}),
        ("Newton-CG", X0, {"xtol": 1e-10}),
        ("trust-krylov", X0, {}),
        ("trust-exact", X0, {}),
        ("dogleg", np.full(10, 1.05), {}),  # dogleg needs a positive definite Hessian all the way
    ],
)
def test_rosenbrock_10d_with_second_order_methods(method, x0, options):
    result = minimize(rosenbrock, x0, method=method, options=options)
    assert result.success, result.message
    assert np.allclose(result.x, 1.0, atol=1e-5)


def test_exact_derivatives_need_fewer_evaluations_than_bfgs_with_finite_differences():
    ours = minimize(rosenbrock, X0, method="trust-ncg")
    baseline = scipy.optimize.minimize(scipy.optimize.rosen, X0, method="BFGS")  # jac by 2-point differences
    assert ours.success and np.allclose(ours.x, 1.0, atol=1e-5)
    assert np.allclose(baseline.x, 1.0, atol=1e-3)  # it gets there, less precisely (precision loss)
    assert ours.nfev * 10 < baseline.nfev, (ours.nfev, baseline.nfev)


def test_gradient_handed_to_scipy_is_rosen_der():
    x0 = np.random.default_rng(0).uniform(-2, 2, 10)
    result = minimize(rosenbrock, x0, method="BFGS", options={"maxiter": 0})
    assert np.allclose(result.jac, scipy.optimize.rosen_der(x0), rtol=1e-13)
    assert np.isclose(result.fun, scipy.optimize.rosen(x0), rtol=1e-14)


def test_shaped_parameters_are_kept():
    target = np.arange(6.0).reshape(2, 3)
    result = minimize(lambda w: tt.sum((w - target) ** 2), np.zeros((2, 3)), method="trust-ncg")
    assert result.success
    assert np.allclose(result.x.reshape(2, 3), target, atol=1e-8)
