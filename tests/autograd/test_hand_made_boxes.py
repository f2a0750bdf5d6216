"""Boxes made by hand inside a transformed function are constants (or inner
derivatives) to the transform: its derivative must come out right, never zero.

Oracles are closed forms. Each class of program is tried under every transform,
with scalar and array constants, in float64 and float32, and inside a Module.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinytorch as tt
from tinytorch.autograd import Dual, Variable, grad, hessian, hvp, jacfwd, jacobian, jacrev, jvp, vjp
from tinytorch.core import Module

X = np.array([0.5, -1.0, 2.0])
V = np.array([1.0, 0.5, -2.0])


def _constants():
    """Hand-made constants of both kinds, scalar and array (value 2 everywhere)."""
    return [
        ("Variable(2.0)", lambda: Variable(2.0)),
        ("Dual(2.0)", lambda: Dual(2.0)),
        ("Variable(array)", lambda: Variable(np.full(3, 2.0))),
        ("Dual(array)", lambda: Dual(np.full(3, 2.0))),
        ("Dual with zero tangent", lambda: Dual(np.full(3, 2.0), np.zeros(3))),
        ("Variable of a Dual", lambda: Variable(Dual(2.0))),
    ]


CONSTANTS = _constants()
IDS = [name for name, _ in CONSTANTS]


def _cubic(make):
    """f(x) = sum(c * x**3) with c = 2 made by hand inside f: gradient 6 x**2, Hessian diag(12 x)."""
    return lambda x: tt.sum(make() * x**3)


@pytest.mark.parametrize("make", [m for _, m in CONSTANTS], ids=IDS)
def test_grad_and_vjp(make):
    f = _cubic(make)
    np.testing.assert_allclose(grad(f)(X), 6 * X**2)
    out, pullback = vjp(f, X)
    np.testing.assert_allclose(out, np.sum(2 * X**3))
    np.testing.assert_allclose(pullback(1.0)[0], 6 * X**2)


@pytest.mark.parametrize("make", [m for _, m in CONSTANTS], ids=IDS)
def test_jvp_and_jacobians(make):
    f = lambda x: make() * x**3  # noqa: E731
    out, t = jvp(f, (X,), (V,))
    np.testing.assert_allclose(out, 2 * X**3)
    np.testing.assert_allclose(t, 6 * X**2 * V)
    for jac in (jacfwd(f), jacrev(f), jacobian(f)):
        np.testing.assert_allclose(jac(X), np.diag(6 * X**2))


@pytest.mark.parametrize("make", [m for _, m in CONSTANTS], ids=IDS)
def test_hessian_and_hvp(make):
    f = _cubic(make)
    np.testing.assert_allclose(hessian(f)(X), np.diag(12 * X))
    np.testing.assert_allclose(hvp(f, X, V), 12 * X * V)
    scalar = lambda s: tt.sum(make() * s**3)  # noqa: E731  2 n s^3 for n entries
    n = tt.size(make())
    np.testing.assert_allclose(grad(grad(scalar))(1.5), 12 * n * 1.5)


@pytest.mark.parametrize("make", [m for _, m in CONSTANTS], ids=IDS)
def test_float32_stays_float32(make):
    f = lambda x: tt.sum(tt.astype(make(), np.float32) * x**3)  # noqa: E731
    g = grad(f)(X.astype(np.float32))
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, 6 * X**2, rtol=1e-6)


def test_constant_on_the_left_right_and_in_every_binary_op():
    c = lambda: Variable(np.array([2.0, 3.0, 4.0]))  # noqa: E731
    cases = [
        (lambda x: c() + x, np.ones(3)),
        (lambda x: x - c(), np.ones(3)),
        (lambda x: c() - x, -np.ones(3)),
        (lambda x: c() / x, -np.array([2.0, 3.0, 4.0]) / X**2),
        (lambda x: x ** c(), np.array([2.0, 3.0, 4.0]) * X ** np.array([1.0, 2.0, 3.0])),
        (lambda x: tt.maximum(c(), x * 10), np.array([10.0, 0.0, 10.0])),
        (lambda x: tt.where(X > 0, c(), x), np.array([0.0, 1.0, 0.0])),
        (lambda x: tt.stack([c(), x])[1], np.ones(3)),
        (lambda x: tt.concatenate([c(), x])[3:], np.ones(3)),
    ]
    for f, diag in cases:
        for jac in (jacfwd(f), jacrev(f)):
            np.testing.assert_allclose(jac(X), np.diag(diag))


def test_constant_matrix_product():
    W = np.arange(6.0).reshape(3, 2)
    f = lambda x: tt.sum(tt.tanh(x @ Variable(W)))  # noqa: E731
    expected = W @ (1 - np.tanh(X @ W) ** 2)
    np.testing.assert_allclose(grad(f)(X), expected)
    np.testing.assert_allclose(jvp(f, (X,), (V,))[1], expected @ V)


class Scaled(Module):
    """A Module whose forward builds a constant Variable (a fixed scale) on every call."""

    def forward(self, x):
        scale = Variable(np.array([1.0, 2.0, 3.0]))
        return tt.sum(scale * x**2)


def test_module_building_a_constant_in_forward():
    m = Scaled()
    expected = 2 * np.array([1.0, 2.0, 3.0]) * X
    np.testing.assert_allclose(grad(m)(X), expected)
    np.testing.assert_allclose(jacfwd(m)(X), expected)
    np.testing.assert_allclose(hessian(m)(X), np.diag([2.0, 4.0, 6.0]))


def _scratch(x):
    """A scratch buffer written with the inputs: y = [2 x0, x1 x2, 0]."""
    buf = Variable(np.zeros(3))
    buf[0] = x[0] * 2
    buf[1] = x[1] * x[2]
    return buf


def test_scratch_buffer_under_every_transform():
    J = np.array([[2.0, 0, 0], [0, X[2], X[1]], [0, 0, 0]])
    np.testing.assert_allclose(jacfwd(_scratch)(X), J)
    np.testing.assert_allclose(jacrev(_scratch)(X), J)
    np.testing.assert_allclose(jvp(_scratch, (X,), (V,))[1], J @ V)
    f = lambda x: tt.sum(_scratch(x) ** 2)  # noqa: E731  4 x0^2 + x1^2 x2^2
    np.testing.assert_allclose(grad(f)(X), [8 * X[0], 2 * X[1] * X[2] ** 2, 2 * X[2] * X[1] ** 2])
    H = np.array([[8.0, 0, 0], [0, 2 * X[2] ** 2, 4 * X[1] * X[2]], [0, 4 * X[1] * X[2], 2 * X[1] ** 2]])
    np.testing.assert_allclose(hessian(f)(X), H)
    np.testing.assert_allclose(hvp(f, X, V), H @ V)


def test_scratch_buffer_with_slices_and_augmented_assignment():
    def f(x):
        buf = Variable(np.ones(4))
        buf[1:] = x * 3
        buf += x[0]
        buf *= 2.0
        return buf

    J = np.zeros((4, 3))
    J[:, 0] = 2.0
    J[1:] += 6 * np.eye(3)
    np.testing.assert_allclose(jacfwd(f)(X), J)
    np.testing.assert_allclose(jacrev(f)(X), J)


def test_buffer_made_outside_the_transform_is_a_clear_error():
    buf = Variable(np.zeros(3))

    def f(x):
        buf[0] = x[0]
        return tt.sum(buf)

    with pytest.raises(RuntimeError, match="inside the differentiated function"):
        grad(f)(X)
    with pytest.raises(RuntimeError, match="inside the differentiated function"):
        jvp(f, (X,), (V,))


def test_variable_of_the_traced_input_lets_the_derivative_through():
    f = lambda x: tt.sum(Variable(x) ** 2)  # noqa: E731
    np.testing.assert_allclose(grad(f)(X), 2 * X)
    np.testing.assert_allclose(jvp(f, (X,), (V,))[1], 2 * X @ V)
    np.testing.assert_allclose(jacrev(lambda x: Variable(x) * 3.0)(X), 3 * np.eye(3))
    np.testing.assert_allclose(hessian(f)(X), 2 * np.eye(3))


def test_inner_backward_on_a_variable_of_the_traced_input():
    def f(x):
        v = Variable(x, requires_grad=True)
        tt.sum(v**3).backward()
        return tt.sum(v.grad)  # sum(3 x^2): its gradient is 6 x

    np.testing.assert_allclose(grad(f)(X), 6 * X)
    np.testing.assert_allclose(jvp(f, (X,), (V,))[1], 6 * X @ V)


def test_dual_of_the_traced_input_with_its_own_tangent():
    def f(x):
        d = Dual(x, np.ones(3))  # an inner derivative; the transform sees only the primal
        return tt.sum(tt.sin(d) * x)

    np.testing.assert_allclose(grad(f)(X), np.sin(X) + X * np.cos(X))


def test_hand_made_variable_requiring_grad_is_an_inner_derivative():
    f = lambda x: tt.sum(x * Variable(np.full(3, 2.0), requires_grad=True) * x)  # noqa: E731
    np.testing.assert_allclose(grad(f)(X), 4 * X)
    np.testing.assert_allclose(jacfwd(f)(X), 4 * X)


def test_transform_inputs_can_be_updated_in_place():
    def f(x):
        x[0] = 0.0
        x *= 3.0
        return tt.sum(x**2)  # 9 (x1^2 + x2^2)

    expected = np.array([0.0, 18 * X[1], 18 * X[2]])
    for derivative in (grad(f), jacrev(f), jacfwd(f), lambda x: vjp(f, x)[1](1.0)[0]):
        np.testing.assert_allclose(derivative(X), expected)
    np.testing.assert_allclose(hessian(f)(X), np.diag([0.0, 18.0, 18.0]))
    np.testing.assert_allclose(X, [0.5, -1.0, 2.0])  # the caller's array is untouched


def test_hand_made_leaf_inside_a_transform_still_refuses_in_place_updates():
    def f(x):
        v = Variable(np.ones(3), requires_grad=True)
        v += x
        return tt.sum(v)

    with pytest.raises(RuntimeError, match="leaf Variable"):
        grad(f)(X)


def test_hand_made_boxes_in_auxiliary_outputs_and_checkpointed_blocks():
    from tinytorch.autograd import checkpoint

    def f(x):
        c = Variable(np.full(3, 2.0))
        return tt.sum(c * x**2), c * 1.0

    g, aux = grad(f, has_aux=True)(X)
    np.testing.assert_allclose(g, 4 * X)
    assert type(aux) is np.ndarray
    block = checkpoint(lambda x: Variable(np.full(3, 2.0)) * tt.sin(x))
    np.testing.assert_allclose(grad(lambda x: tt.sum(block(x)))(X), 2 * np.cos(X))
