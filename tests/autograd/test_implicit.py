"""custom_root and custom_fixed_point: derivatives of solutions by the implicit function
theorem, against closed forms and finite differences of the solver itself."""

import warnings

import numpy as np
import pytest

import tinytorch as tt
from tinytorch.autograd import (
    Dual,
    UnconvergedWarning,
    Variable,
    custom_fixed_point,
    custom_root,
    grad,
    hessian,
    jacobian,
)

rng = np.random.default_rng(0)
X = rng.standard_normal((30, 6))
Y = rng.standard_normal(30)


def ridge_optimality(w, lam, y):  # the gradient of |X w - y|^2 / 2 + lam |w|^2 / 2
    return X.T @ (X @ w - y) + lam * w


def ridge_solver(w0, lam, y):
    return np.linalg.solve(X.T @ X + lam * np.eye(6), X.T @ y)


def ridge(linear_solve):
    return custom_root(ridge_optimality, linear_solve=linear_solve)(ridge_solver)


def closed_form(lam):
    m = X.T @ X + lam * np.eye(6)
    w = np.linalg.solve(m, X.T @ Y)
    dw_dlam = -np.linalg.solve(m, w)
    return m, w, dw_dlam, 2 * np.linalg.solve(m, np.linalg.solve(m, w))


@pytest.mark.parametrize("linear_solve", ["dense", "gmres"])
@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_ridge_regression_derivatives_match_the_closed_form(linear_solve, mode):
    solve = ridge(linear_solve)
    m, w, dw_dlam, _ = closed_form(0.7)
    np.testing.assert_allclose(solve(np.zeros(6), 0.7, Y), w, rtol=1e-12)
    d_lam, d_y = jacobian(solve, argnums=(1, 2), mode=mode)(np.zeros(6), 0.7, Y)
    np.testing.assert_allclose(d_lam, dw_dlam, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(d_y, np.linalg.solve(m, X.T), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("linear_solve", ["dense", "gmres"])
def test_second_derivatives_match_the_closed_form(linear_solve):
    # at second order the rule runs on boxes, and solves densely whatever was asked
    solve = ridge(linear_solve)
    _, w, dw, d2w = closed_form(0.7)
    np.testing.assert_allclose(
        jacobian(jacobian(solve, argnums=1), argnums=1)(np.zeros(6), 0.7, Y), d2w, rtol=1e-9, atol=1e-14
    )
    loss = lambda lam: tt.sum(solve(np.zeros(6), lam, Y) ** 2)  # noqa: E731
    np.testing.assert_allclose(hessian(loss)(0.7), 2 * (dw @ dw + w @ d2w), rtol=1e-9)


def test_variable_backward_and_dual_tangents():
    solve = ridge("auto")
    _, _, dw, _ = closed_form(0.7)
    lam = Variable(np.array(0.7), requires_grad=True)
    tt.sum(solve(np.zeros(6), lam, Y)).backward()
    np.testing.assert_allclose(lam.grad, dw.sum(), rtol=1e-10)
    np.testing.assert_allclose(solve(np.zeros(6), Dual(0.7, 1.0), Y).tangent, dw, rtol=1e-10)


def newton_cube_root(x, b, a):  # x^3 + a x = b, elementwise, by Newton's method from x
    for _ in range(60):
        x = x - (x**3 + a * x - b) / (3 * x**2 + a)
    return x


def test_a_nonlinear_solution_against_finite_differences_of_the_solver():
    solve = custom_root(lambda x, b, a: x**3 + a * x - b)(newton_cube_root)
    b, a = np.array([1.0, 2.0, -0.5]), np.array([0.5, 1.5, 2.0])
    x0 = np.ones(3)
    h = 1e-6
    for argnum, point in ((1, b), (2, a)):
        numeric = np.stack(
            [
                (
                    newton_cube_root(x0, *(point + h * e if k == argnum else (b, a)[k - 1] for k in (1, 2)))
                    - newton_cube_root(x0, *(point - h * e if k == argnum else (b, a)[k - 1] for k in (1, 2)))
                )
                / (2 * h)
                for e in np.eye(3)
            ],
            axis=1,
        )
        for mode in ("forward", "reverse"):
            exact = jacobian(solve, argnums=argnum, mode=mode)(x0, b, a)
            np.testing.assert_allclose(exact, numeric, rtol=1e-7, atol=1e-9)


def test_fixed_points():
    @custom_fixed_point(lambda x, a: 0.5 * (x + a / x))  # the Babylonian iteration: sqrt(a)
    def babylonian(x, a):
        for _ in range(50):
            x = 0.5 * (x + a / x)
        return x

    a = np.array([2.0, 9.0, 0.25])
    np.testing.assert_allclose(babylonian(np.ones(3), a), np.sqrt(a), rtol=1e-14)
    np.testing.assert_allclose(jacobian(babylonian, argnums=1)(np.ones(3), a), np.diag(0.5 / np.sqrt(a)), rtol=1e-12)
    second = jacobian(jacobian(babylonian, argnums=1), argnums=1)(np.ones(3), a)
    expected = np.zeros((3, 3, 3))
    expected[np.arange(3), np.arange(3), np.arange(3)] = -0.25 * a**-1.5
    np.testing.assert_allclose(second, expected, rtol=1e-10, atol=1e-14)


def test_the_initial_guess_is_not_differentiated():
    solve = ridge("auto")
    w0 = Variable(np.ones(6), requires_grad=True)
    out = tt.sum(solve(w0, 0.7, Y))
    assert not isinstance(out, Variable)  # nothing it depends on requires grad: w0 only starts the solver
    assert grad(lambda w0: tt.sum(w0 * 0.0) + tt.sum(solve(w0, 0.7, Y)))(np.ones(6)).tolist() == [0.0] * 6


def test_an_unconverged_solution_warns_when_differentiated():
    sloppy = custom_root(ridge_optimality)(lambda w0, lam, y: ridge_solver(w0, lam, y) + 1e-3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sloppy(np.zeros(6), 0.7, Y)  # the value alone: no derivative, no warning
    with pytest.warns(UnconvergedWarning, match="max \\|optimality\\| = .* > tol"):
        grad(lambda lam: tt.sum(sloppy(np.zeros(6), lam, Y)))(0.7)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a looser tolerance accepts it
        loose = custom_root(ridge_optimality, tol=1.0)(lambda w0, lam, y: ridge_solver(w0, lam, y) + 1e-3)
        grad(lambda lam: tt.sum(loose(np.zeros(6), lam, Y)))(0.7)


def test_a_singular_system_warns_under_gmres():
    # the optimality of x^2 = a at a = 0: A = 2x = 0, singular
    solve = custom_root(lambda x, a: x * x - a, linear_solve="gmres")(lambda x, a: np.zeros_like(x))
    with pytest.warns(UnconvergedWarning, match="gmres did not converge"):
        jacobian(solve, argnums=1, mode="reverse")(np.ones(3), np.zeros(3))


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="linear_solve"):
        custom_root(ridge_optimality, linear_solve="cg")
    wrong = custom_root(lambda x, a: tt.sum(x) - a)(lambda x, a: np.full(2, a / 2))
    with pytest.raises(ValueError, match="as many equations as unknowns"):
        wrong(np.zeros(2), 1.0)


def test_under_jit_equals_eager():
    solve = ridge("auto")
    loss = lambda lam, y: tt.sum(solve(np.zeros(6), lam, y) ** 2)  # noqa: E731
    staged = tt.jit(grad(loss, argnums=(0, 1)))
    for lam in (0.7, 1.3):
        for s, e in zip(staged(lam, Y), grad(loss, argnums=(0, 1))(lam, Y)):
            np.testing.assert_allclose(s, e, rtol=1e-12)


def test_an_unconverged_solution_warns_under_jit_at_every_call():
    state = {"error": 0.0}
    sloppy = custom_root(ridge_optimality)(lambda w0, lam, y: ridge_solver(w0, lam, y) + state["error"])
    staged = tt.jit(grad(lambda lam: tt.sum(sloppy(np.zeros(6), lam, Y))))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        staged(0.7)  # traced and run on a solution: silent
    state["error"] = 1e-3  # the solver, run by the compiled program, now stops short
    with pytest.warns(UnconvergedWarning):
        staged(0.7)


def test_complex_numbers_are_refused_by_name():
    # the solution was cast to float64: a complex root lost its imaginary part, with a warning only
    square_root = custom_root(lambda w, c: w * w - c)(lambda w0, c: np.sqrt(c))
    with pytest.raises(NotImplementedError, match="complex"):
        square_root(np.ones(1), np.array([1.0 + 1.0j]))
    with pytest.raises(NotImplementedError, match="complex"):
        grad(lambda c: tt.sum(tt.real(square_root(np.ones(1), c))))(np.array([1.0 + 1.0j]))
    complex_solver = custom_root(lambda w, c: w * w - c)(lambda w0, c: np.sqrt(c + 0j))
    with pytest.raises(NotImplementedError, match="complex"):
        complex_solver(np.ones(1), np.array([-1.0]))
