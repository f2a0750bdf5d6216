"""tinytorch.scipy.optimize: SciPy's solvers with exact derivatives in, and solutions
differentiable with respect to their arguments, against closed forms and finite
differences of SciPy's own solutions."""

import numpy as np
import pytest
import scipy.optimize

import tinytorch as tt
from tinytorch.autograd import Dual, Variable, grad, jacobian
from tinytorch.scipy.optimize import least_squares, minimize, root

rng = np.random.default_rng(0)
M = rng.standard_normal((4, 4))
A = M @ M.T + 4 * np.eye(4)  # symmetric positive definite
B = rng.standard_normal(4)


def quadratic(x, a, b):
    return 0.5 * x @ a @ x - b @ x


@pytest.mark.parametrize("method", ["BFGS", "trust-ncg", "trust-exact"])
@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_the_minimiser_of_a_quadratic_differentiates_as_its_closed_form(method, mode):
    # x* = A^-1 b: dx/db = A^-1, dx/dA_jk = -A^-1 e_j x*_k (A as given, not symmetrised)
    solve = lambda a, b: minimize(quadratic, np.zeros(4), args=(a, b), method=method, tol=1e-12).x  # noqa: E731
    x = np.linalg.solve(A, B)
    np.testing.assert_allclose(solve(A, B), x, rtol=1e-7)
    d_a, d_b = jacobian(solve, argnums=(0, 1), mode=mode)(A, B)
    inverse = np.linalg.inv(A)
    np.testing.assert_allclose(d_b, inverse, rtol=1e-7, atol=1e-10)
    # the gradient of x^T A x / 2 is (A + A^T) x / 2: its derivative in A_jk is (e_j x_k + e_k x_j) / 2
    expected = -0.5 * (np.einsum("ij,k->ijk", inverse, x) + np.einsum("ik,j->ijk", inverse, x))
    np.testing.assert_allclose(d_a, expected, rtol=1e-6, atol=1e-9)


def test_minimize_returns_scipys_result_and_takes_variables_and_duals():
    plain = minimize(quadratic, np.zeros(4), args=(A, B), method="BFGS")
    assert plain.success and plain.nit > 0 and isinstance(plain.x, np.ndarray)
    b = Variable(B, requires_grad=True)
    result = minimize(quadratic, np.zeros(4), args=(A, b), method="BFGS", tol=1e-12)
    assert result.success and isinstance(result.x, Variable)
    tt.sum(result.x).backward()
    np.testing.assert_allclose(b.grad, np.linalg.inv(A).sum(axis=0), rtol=1e-7)
    tangent = minimize(quadratic, np.zeros(4), args=(A, Dual(B, np.eye(4)[0])), method="BFGS", tol=1e-12).x
    np.testing.assert_allclose(tangent.tangent, np.linalg.inv(A)[:, 0], rtol=1e-7)


def test_least_squares_parameters_differentiate_as_the_hand_written_implicit_derivative():
    t = np.linspace(0.0, 2.0, 25)
    y = 1.7 * np.exp(-0.8 * t) + 0.3 + 0.01 * rng.standard_normal(25)
    model = lambda p, t, y: p[0] * tt.exp(-p[1] * t) + p[2] - y  # noqa: E731
    fit = lambda y: least_squares(model, np.ones(3), args=(t, y), xtol=1e-15, ftol=1e-15, gtol=1e-15).x  # noqa: E731
    p = fit(y)
    # by hand: J^T r = 0 at p, so dp/dy = H^-1 J^T with H = J^T J + sum_i r_i (second derivatives of r_i)
    e = np.exp(-p[1] * t)
    r = p[0] * e + p[2] - y
    J = np.stack([e, -p[0] * t * e, np.ones_like(t)], axis=1)
    H = J.T @ J
    H[0, 1] += r @ (-t * e)
    H[1, 0] += r @ (-t * e)
    H[1, 1] += r @ (p[0] * t**2 * e)
    for mode in ("forward", "reverse"):
        np.testing.assert_allclose(jacobian(fit, mode=mode)(y), np.linalg.solve(H, J.T), rtol=1e-9, atol=1e-12)
    # a linear model's parameters are linear in y: the exact derivative is the pseudo-inverse
    design = np.stack([np.ones(25), t], axis=1)
    line = lambda y: least_squares(lambda p, y: design @ p - y, np.zeros(2), args=(y,)).x  # noqa: E731
    np.testing.assert_allclose(jacobian(line, mode="reverse")(y), np.linalg.pinv(design), rtol=1e-10, atol=1e-12)


def test_least_squares_uses_the_exact_jacobian():
    t = np.linspace(0.0, 2.0, 25)
    y = 1.7 * np.exp(-0.8 * t) + 0.3
    model = lambda p: p[0] * tt.exp(-p[1] * t) + p[2] - y  # noqa: E731
    ours = least_squares(model, np.ones(3))
    np.testing.assert_allclose(ours.jac, jacobian(model)(ours.x), rtol=1e-14)  # SciPy's jac is ours
    np.testing.assert_allclose(ours.x, [1.7, 0.8, 0.3], rtol=1e-7)


@pytest.mark.parametrize("method", ["hybr", "lm", "broyden1"])
def test_root_solutions_differentiate_as_their_closed_form(method):
    b = np.array([2.0, 10.0, 0.5])
    solve = lambda b: root(lambda x, b: x**3 + x - b, np.ones(3), args=(b,), method=method, tol=1e-13).x  # noqa: E731
    x = solve(b)
    np.testing.assert_allclose(x**3 + x, b, rtol=1e-9)
    for mode in ("forward", "reverse"):
        np.testing.assert_allclose(jacobian(solve, mode=mode)(b), np.diag(1 / (3 * x**2 + 1)), rtol=1e-7, atol=1e-12)


def test_second_derivatives_through_a_minimiser():
    # argmin_x (x - a)^2 + x^4 / 4: x + x^3 / 2 = a, x' = 1 / (1 + 3 x^2 / 2), x'' = -3 x x'^3
    argmin = lambda a: minimize(lambda x, a: tt.sum((x - a) ** 2 + x**4 / 4), np.zeros(1), args=(a,), tol=1e-14).x[0]  # noqa: E731
    x = argmin(1.0)
    first = 1 / (1 + 1.5 * x**2)
    np.testing.assert_allclose(grad(argmin)(1.0), first, rtol=1e-7)
    np.testing.assert_allclose(grad(grad(argmin))(1.0), -3 * x * first**3, rtol=1e-6)


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_components_on_their_bounds_stay_there(mode):
    # least squares of p - b within [0, 1]: p = clip(b), so dp/db is 1 inside and 0 on a bound
    b = np.array([0.5, 2.0, -0.3])
    fit = lambda b: least_squares(lambda p, b: p - b, np.full(3, 0.5), args=(b,), bounds=(0.0, 1.0)).x  # noqa: E731
    np.testing.assert_allclose(fit(b), [0.5, 1.0, 0.0], atol=1e-8)
    np.testing.assert_allclose(jacobian(fit, mode=mode)(b), np.diag([1.0, 0.0, 0.0]), atol=1e-8)
    # minimize (L-BFGS-B) of a coupled quadratic within bounds: the free components follow the
    # reduced system A_FF x_F = b_F - A_FB x_B, the fixed ones do not move
    lower, upper = np.full(4, -0.05), np.full(4, 0.2)
    box = lambda b: minimize(quadratic, np.zeros(4), args=(A, b), bounds=list(zip(lower, upper)), tol=1e-14).x  # noqa: E731
    x = box(B)
    fixed = (np.abs(x - lower) < 1e-8) | (np.abs(x - upper) < 1e-8)
    assert fixed.any() and not fixed.all()
    free = ~fixed
    expected = np.zeros((4, 4))
    expected[np.ix_(free, free)] = np.linalg.inv(A[np.ix_(free, free)])
    np.testing.assert_allclose(jacobian(box, mode=mode)(B), expected, rtol=1e-6, atol=1e-8)


def test_what_is_refused():
    with pytest.raises(TypeError, match="computed by tinytorch"):
        minimize(quadratic, np.zeros(4), args=(A, B), jac=lambda x, a, b: a @ x - b)
    with pytest.raises(TypeError, match="computed by tinytorch"):
        least_squares(lambda p: p - 1.0, np.zeros(2), jac="3-point")
    with pytest.raises(ValueError, match="one-dimensional"):
        root(lambda x: x - 1.0, np.zeros((2, 2)))
    constrained = lambda a: (
        minimize(  # noqa: E731
            quadratic,
            np.zeros(4),
            args=(A, a),
            method="SLSQP",
            constraints=[{"type": "eq", "fun": lambda x: x[0]}],
        ).x
    )
    assert constrained(B).shape == (4,)  # values: fine
    with pytest.raises(NotImplementedError, match="constraints"):
        jacobian(constrained)(B)
    with pytest.raises(NotImplementedError, match="robust loss"):
        grad(lambda b: tt.sum(least_squares(lambda p, b: p - b, np.zeros(2), args=(b,), loss="huber").x))(np.ones(2))


M = 24  # a 24 x 24 grid for the Bratu problem, -laplace(u) = lam exp(u), u = 0 on the boundary
H = 1.0 / (M + 1)


def bratu(u, lam):
    grid, row, column = tt.reshape(u, (M, M)), tt.zeros((1, M)), tt.zeros((M, 1))
    neighbours = (
        tt.concatenate([grid[1:], row], axis=0)
        + tt.concatenate([row, grid[:-1]], axis=0)
        + tt.concatenate([grid[:, 1:], column], axis=1)
        + tt.concatenate([column, grid[:, :-1]], axis=1)
    )
    return tt.reshape((4 * grid - neighbours) / H**2, (-1,)) - lam * tt.exp(u)


def bratu_numpy(u, lam):
    grid, row, column = u.reshape(M, M), np.zeros((1, M)), np.zeros((M, 1))
    neighbours = (
        np.vstack([grid[1:], row]) + np.vstack([row, grid[:-1]]) + np.hstack([grid[:, 1:], column])
        + np.hstack([column, grid[:, :-1]])
    )  # fmt: skip
    return ((4 * grid - neighbours) / H**2).ravel() - lam * np.exp(u)


def test_newton_krylov_with_exact_products_reaches_a_smaller_residual():
    # the same five Newton iterations of SciPy's own loop: exact Jacobian-vector products against its
    # finite differences, whose error limits how far each step gets
    fixed = {"nit": 5, "fatol": 1e-300}
    ours = root(bratu, np.zeros(M * M), args=(6.0,), method="krylov", options=fixed)
    theirs = scipy.optimize.root(bratu_numpy, np.zeros(M * M), args=(6.0,), method="krylov", options=fixed)
    ours_residual = np.abs(bratu_numpy(ours.x, 6.0)).max()
    theirs_residual = np.abs(bratu_numpy(theirs.x, 6.0)).max()
    assert ours_residual < theirs_residual / 5 and ours_residual < 1e-10


def test_a_krylov_solution_differentiates_as_finite_differences_of_tight_solves():
    solve = lambda lam: root(bratu, np.zeros(M * M), args=(lam,), method="krylov", options={"fatol": 1e-11}).x  # noqa: E731
    exact = jacobian(solve)(6.0)

    def tight(lam):
        return scipy.optimize.root(bratu_numpy, np.zeros(M * M), args=(lam,), method="hybr", tol=1e-13).x

    numeric = (tight(6.0 + 1e-4) - tight(6.0 - 1e-4)) / 2e-4
    np.testing.assert_allclose(exact, numeric, rtol=1e-6, atol=1e-9)
