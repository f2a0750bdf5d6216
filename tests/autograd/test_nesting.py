"""Nesting: no perturbation confusion in any combination of transforms,
higher-order derivatives through every mix of nested grad/jvp, and hand-made
boxes of boxes (Dual of Variables, Variable of Duals) used directly."""

import itertools
from math import comb

import numpy as np
import pytest

import tinytorch as tt
from tinytorch.autograd import Dual, Variable, grad, hessian, hvp, jacfwd, jacrev, jvp


def d_grad(f):
    return grad(f)


def d_jvp(f):
    return lambda x: jvp(f, (x,), (1.0,))[1]


DERIVATIVES = {"grad": d_grad, "jvp": d_jvp}


# --- perturbation confusion (Siskind & Pearlmutter) ----------------------------------


@pytest.mark.parametrize("outer,inner", list(itertools.product(DERIVATIVES, repeat=2)))
def test_no_perturbation_confusion(outer, inner):
    # d/dx [x * (d/dy (x + y))(y=1)] at x = 1 is 1; confusing the two perturbations gives 2
    D_out, D_in = DERIVATIVES[outer], DERIVATIVES[inner]
    f = lambda x: x * D_in(lambda y: x + y)(1.0)
    assert float(D_out(f)(1.0)) == pytest.approx(1.0, abs=1e-15)


@pytest.mark.parametrize("outer,inner", list(itertools.product(DERIVATIVES, repeat=2)))
def test_inner_derivative_depends_on_the_outer_variable(outer, inner):
    # d/dx [ x * (d/dy (x * y^2))(y=2) ] = d/dx [4 x^2] = 8 x
    D_out, D_in = DERIVATIVES[outer], DERIVATIVES[inner]
    f = lambda x: x * D_in(lambda y: x * y * y)(2.0)
    assert float(D_out(f)(1.5)) == pytest.approx(12.0, rel=1e-14)


@pytest.mark.parametrize("outer,inner", list(itertools.product(DERIVATIVES, repeat=2)))
def test_same_function_differentiated_at_two_levels(outer, inner):
    # g(x) = (d/dy exp(x*y))(y=x) = x exp(x^2);  g'(x) = (1 + 2x^2) exp(x^2)
    D_out, D_in = DERIVATIVES[outer], DERIVATIVES[inner]
    g = lambda x: D_in(lambda y: tt.exp(x * y))(x)
    xv = 0.7
    assert float(D_out(g)(xv)) == pytest.approx((1 + 2 * xv**2) * np.exp(xv**2), rel=1e-13)


def test_hand_made_variable_does_not_confuse_an_inner_grad():
    x = Variable(1.0, requires_grad=True)
    y = x * grad(lambda y: x + y)(1.0)
    y.backward()
    np.testing.assert_allclose(x.grad, 1.0)


def test_hand_made_dual_does_not_confuse_an_inner_jvp():
    x = Dual(1.0, 1.0)
    y = x * jvp(lambda y: x + y, (1.0,), (1.0,))[1]
    np.testing.assert_allclose(y.tangent, 1.0)
    np.testing.assert_allclose(y.primal, 1.0)


def test_closure_over_the_outer_variable_in_a_grad_of_a_grad():
    # f(x) = grad_y [ sin(x y) ](y=1) = x cos(x);  f'(x) = cos x - x sin x
    f = lambda x: grad(lambda y: tt.sin(x * y))(1.0)
    xv = 0.4
    np.testing.assert_allclose(grad(f)(xv), np.cos(xv) - xv * np.sin(xv), rtol=1e-14)


# --- higher order, every combination ----------------------------------------------------

FUNCTIONS = {
    "sin": (tt.sin, lambda n, x: [np.sin, np.cos, lambda t: -np.sin(t), lambda t: -np.cos(t)][n % 4](x)),
    # d^n/dx^n e^x x^3 = e^x (x^3 + 3n x^2 + 6 C(n,2) x + 6 C(n,3))
    "exp_x3": (
        lambda x: tt.exp(x) * x**3,
        lambda n, x: np.exp(x) * (x**3 + 3 * n * x**2 + 6 * comb(n, 2) * x + 6 * comb(n, 3)),
    ),
}


@pytest.mark.parametrize("fname", sorted(FUNCTIONS))
@pytest.mark.parametrize(
    "modes",
    list(itertools.product(DERIVATIVES, repeat=3)) + list(itertools.product(DERIVATIVES, repeat=4)),
    ids="-".join,
)
def test_higher_order_derivative_in_every_mix_of_modes(fname, modes):
    f, closed_form = FUNCTIONS[fname]
    d = f
    for m in modes:
        d = DERIVATIVES[m](d)
    xv = 0.8
    np.testing.assert_allclose(d(xv), closed_form(len(modes), xv), rtol=1e-12)


def _f_vec(x):
    return tt.sum(tt.sin(x) * x[::-1]) + x[0] ** 2 * x[2]


def _hess_vec(x):
    # f = sum_i sin(x_i) x_{n-1-i} + x0^2 x2
    n = len(x)
    H = np.zeros((n, n))
    for i in range(n):
        j = n - 1 - i
        H[i, i] += -np.sin(x[i]) * x[j]
        H[i, j] += np.cos(x[i])
        H[j, i] += np.cos(x[i])
    H[0, 0] += 2 * x[2]
    H[0, 2] += 2 * x[0]
    H[2, 0] += 2 * x[0]
    return H


@pytest.mark.parametrize("outer", [jacfwd, jacrev], ids=["fwd", "rev"])
@pytest.mark.parametrize("inner", [jacfwd, jacrev], ids=["fwd", "rev"])
def test_hessian_from_every_composition_of_jacobians(outer, inner):
    xv = np.array([0.3, -1.1, 0.7, 2.0])
    np.testing.assert_allclose(outer(inner(_f_vec))(xv), _hess_vec(xv), rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(hessian(_f_vec)(xv), _hess_vec(xv), rtol=1e-13, atol=1e-14)


def test_third_order_tensor_from_nested_jacobians():
    # f(x) = sum(x^4)/4 + x0 x1 x2: d^3 f = 6 x_i on the diagonal, 1 at permutations of (0,1,2)
    f = lambda x: tt.sum(x**4) / 4.0 + x[0] * x[1] * x[2]
    xv = np.array([0.5, -1.0, 2.0])
    T = np.zeros((3, 3, 3))
    for i in range(3):
        T[i, i, i] = 6 * xv[i]
    for p in itertools.permutations(range(3)):
        T[p] = 1.0
    np.testing.assert_allclose(jacfwd(jacrev(jacfwd(f)))(xv), T, rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(jacrev(jacrev(jacrev(f)))(xv), T, rtol=1e-14, atol=1e-14)


# --- hand-made boxes of boxes ----------------------------------------------------------

A = np.array([[2.0, 1.0, 0.0], [1.0, 3.0, -1.0], [0.0, -1.0, 1.0]])


def _quartic(z):
    return 0.5 * (z @ (A @ z)) + tt.sum(z**3) + tt.sum(tt.sin(z))


def _quartic_hessian(x):
    return A + np.diag(6 * x - np.sin(x))


def _quartic_grad(x):
    return A @ x + 3 * x**2 + np.cos(x)


XV = np.array([0.5, -1.0, 0.25])
VV = np.array([1.0, 2.0, -0.5])


def test_dual_of_variables_gives_hvp_by_backward_on_the_tangent():
    X = Variable(XV, requires_grad=True)
    out = _quartic(Dual(X, Variable(VV)))
    assert isinstance(out, Dual)
    np.testing.assert_allclose(out.tangent.data, _quartic_grad(XV) @ VV, rtol=1e-14)
    out.tangent.backward()
    np.testing.assert_allclose(X.grad, _quartic_hessian(XV) @ VV, rtol=1e-14)


def test_variable_of_a_dual_gives_hvp_in_grad_tangent():
    X = Variable(Dual(XV, VV), requires_grad=True)
    out = _quartic(X)
    out.backward()
    np.testing.assert_allclose(X.grad.primal, _quartic_grad(XV), rtol=1e-14)
    np.testing.assert_allclose(X.grad.tangent, _quartic_hessian(XV) @ VV, rtol=1e-14)


def test_two_hand_made_duals_combine():
    d = Dual(3.0, 1.0) * Dual(2.0, 0.0)
    np.testing.assert_allclose(d.primal, 6.0)
    np.testing.assert_allclose(d.tangent, 2.0)
    e = tt.sin(Dual(0.5, 1.0)) * tt.exp(Dual(0.5, 1.0))  # same perturbation in both
    np.testing.assert_allclose(e.tangent, np.exp(0.5) * (np.cos(0.5) + np.sin(0.5)), rtol=1e-14)


def test_two_hand_made_variables_combine():
    x = Variable(3.0, requires_grad=True)
    y = Variable(2.0, requires_grad=True)
    z = tt.sin(x * y) + x / y
    z.backward()
    np.testing.assert_allclose(x.grad, 2.0 * np.cos(6.0) + 0.5, rtol=1e-14)
    np.testing.assert_allclose(y.grad, 3.0 * np.cos(6.0) - 3.0 / 4.0, rtol=1e-14)


def test_dual_of_duals_gives_the_second_derivative():
    d = Dual(Dual(0.6, 1.0), Dual(1.0, 0.0))
    out = tt.exp(d) * d**3
    np.testing.assert_allclose(out.tangent.tangent, FUNCTIONS["exp_x3"][1](2, 0.6), rtol=1e-14)


def test_variable_of_variables_gives_the_second_derivative():
    inner = Variable(0.6, requires_grad=True)
    X = Variable(inner, requires_grad=True)
    out = tt.exp(X) * X**3
    out.backward()
    g = X.grad  # a Variable of the inner level
    assert isinstance(g, Variable) and g.requires_grad
    np.testing.assert_allclose(g.data, FUNCTIONS["exp_x3"][1](1, 0.6), rtol=1e-14)
    g.backward()
    np.testing.assert_allclose(inner.grad, FUNCTIONS["exp_x3"][1](2, 0.6), rtol=1e-14)


def test_hand_made_dual_times_a_variable_is_differentiable_both_ways():
    y = Variable(2.0, requires_grad=True)
    z = Dual(3.0, 1.0) * y  # the Variable is a constant to the Dual
    np.testing.assert_allclose(z.tangent.data, 2.0)
    z.primal.backward()
    np.testing.assert_allclose(y.grad, 3.0)


def test_transform_of_a_function_closing_over_a_hand_made_variable():
    w = Variable(1.5, requires_grad=True)
    g = grad(lambda x: tt.sin(w * x))(2.0)  # w cos(w x), a Variable in w
    np.testing.assert_allclose(g.data, 1.5 * np.cos(3.0), rtol=1e-14)
    g.backward()  # d/dw [w cos(2 w)] = cos(2w) - 2 w sin(2w)
    np.testing.assert_allclose(w.grad, np.cos(3.0) - 3.0 * np.sin(3.0), rtol=1e-14)


# --- transforms of transforms that close over the outer input ------------------------


def test_jacobians_inside_grad_and_jvp_see_the_outer_variable():
    y = np.array([1.0, 2.0])
    # d/da sum_j d/dy_j (a y_j^2) = sum_j 2 y_j
    np.testing.assert_allclose(grad(lambda a: tt.sum(jacfwd(lambda z: a * z * z)(y)))(3.0), 2 * np.sum(y))
    np.testing.assert_allclose(grad(lambda a: tt.sum(jacrev(lambda z: a * z * z)(y)))(3.0), 2 * np.sum(y))
    # d/da sum_j a^2 cos(y_j) = 2 a sum cos(y)
    t = jvp(lambda a: tt.sum(jacrev(lambda z: a * a * tt.sin(z))(y)), (3.0,), (1.0,))[1]
    np.testing.assert_allclose(t, 6.0 * np.sum(np.cos(y)), rtol=1e-14)


def test_hessian_and_hvp_inside_grad():
    y, v = np.array([1.0, 2.0]), np.array([1.0, 1.0])
    # hessian of a sum(y^3) is diag(6 a y): its sum differentiates in a to 6 sum(y)
    np.testing.assert_allclose(grad(lambda a: tt.sum(hessian(lambda z: a * tt.sum(z**3))(y)))(3.0), 6 * np.sum(y))
    # hvp of a^2 sum(y^3) along v is 6 a^2 y v: d/da of its sum is 12 a sum(y v)
    g = grad(lambda a: tt.sum(hvp(lambda z: a * a * tt.sum(z**3), y, v)))(3.0)
    np.testing.assert_allclose(g, 12 * 3.0 * np.sum(y * v))


def test_jacobian_of_a_jacobian_closing_over_its_input():
    # J(a)_ij = d/dy_j [a_i sin(y_i)] = delta_ij a_i cos(y_i);  dJ_ij/da_k = delta_ijk cos(y_i)
    y = np.array([0.0, 1.0])
    T = jacrev(lambda a: jacfwd(lambda z: a * tt.sin(z))(y))(np.array([3.0, 4.0]))
    expected = np.zeros((2, 2, 2))
    for i in range(2):
        expected[i, i, i] = np.cos(y[i])
    np.testing.assert_allclose(T, expected, rtol=1e-15, atol=1e-15)


def test_hand_made_dual_closed_over_by_grad_keeps_its_own_perturbation():
    x = Dual(2.0, 1.0)
    g = grad(lambda y: x * y * y)(3.0)  # 2 x y = Dual(12, 6)
    np.testing.assert_allclose(g.primal, 12.0)
    np.testing.assert_allclose(g.tangent, 6.0)


def test_hand_made_variable_closed_over_by_jvp_is_differentiable_after():
    w = Variable(2.0, requires_grad=True)
    t = jvp(lambda y: w * y * y, (3.0,), (1.0,))[1]  # 2 w y
    np.testing.assert_allclose(t.data, 12.0)
    t.backward()
    np.testing.assert_allclose(w.grad, 6.0)


# --- boxes made by hand inside a transformed function ----------------------------------------


def test_hand_made_dual_inside_a_transform_is_an_inner_derivative():
    def sensitivity(x):  # d/da [sin(a) x] at a = 0.5, by a Dual made inside the function
        return (tt.sin(Dual(0.5, 1.0)) * x).tangent

    expected = np.cos(0.5)  # d/dx of cos(0.5) x
    assert np.isclose(jacfwd(sensitivity)(2.0), expected, rtol=1e-15)
    assert np.isclose(grad(sensitivity)(2.0), expected, rtol=1e-15)


def test_hand_made_variables_inside_a_transform_backward_and_combine():
    def inner_gradients(x):
        a = Variable(1.0, requires_grad=True)
        b = Variable(2.0, requires_grad=True)
        (a * b * x + tt.sin(a) * x).backward()
        return a.grad + b.grad  # (b x + cos(a) x) + a x = (3 + cos 1) x

    assert np.isclose(grad(inner_gradients)(3.0), 3.0 + np.cos(1.0), rtol=1e-15)
    assert np.isclose(jacfwd(inner_gradients)(3.0), 3.0 + np.cos(1.0), rtol=1e-15)
