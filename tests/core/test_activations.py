"""Activations against their closed forms: values, derivatives (reverse and forward
mode), stability at large inputs, and finite differences."""

import math

import numpy as np
import pytest
from finite_diff import numeric_grad
from scipy.special import erf

from tinytorch.autograd import Dual, Variable
from tinytorch.core.activations import GELU, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh

X = np.array([[-3.0, -0.5, 0.25, 1.0, 4.0], [2.0, -1.5, 0.7, -0.1, 0.0]])


def phi(x):
    return np.exp(-x * x / 2) / math.sqrt(2 * math.pi)


# (module, value, derivative) with hand-written NumPy closed forms
ELEMENTWISE = {
    "relu": (ReLU(), lambda x: np.maximum(x, 0), lambda x: (x > 0).astype(float)),
    "sigmoid": (Sigmoid(), lambda x: 1 / (1 + np.exp(-x)), lambda x: np.exp(-x) / (1 + np.exp(-x)) ** 2),
    "tanh": (Tanh(), np.tanh, lambda x: 1 / np.cosh(x) ** 2),
    "gelu": (
        GELU(),
        lambda x: 0.5 * x * (1 + erf(x / math.sqrt(2))),
        lambda x: 0.5 * (1 + erf(x / math.sqrt(2))) + x * phi(x),
    ),
    "leaky_relu": (LeakyReLU(0.1), lambda x: np.where(x > 0, x, 0.1 * x), lambda x: np.where(x > 0, 1.0, 0.1)),
}


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_values(name):
    module, value, _ = ELEMENTWISE[name]
    assert np.allclose(np.asarray(module(X)), value(X), rtol=1e-14, atol=1e-16)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_reverse_mode_derivative(name):
    module, _, derivative = ELEMENTWISE[name]
    x = Variable(X, requires_grad=True)
    module(x).sum().backward()
    assert np.allclose(x.grad, derivative(X), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_forward_mode_derivative(name):
    module, _, derivative = ELEMENTWISE[name]
    tangent = np.linspace(-1.0, 1.0, X.size).reshape(X.shape)
    out = module(Dual(X, tangent))
    assert np.allclose(out.tangent, derivative(X) * tangent, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "gelu"])
def test_smooth_ones_against_finite_differences(name):
    module, value, _ = ELEMENTWISE[name]
    weights = np.arange(X.size, dtype=float).reshape(X.shape)
    x = Variable(X, requires_grad=True)
    (module(x) * weights).sum().backward()
    assert np.allclose(x.grad, numeric_grad(lambda a: np.sum(value(a) * weights), X), atol=1e-8)


def test_relu_and_leaky_relu_derivative_at_zero():
    x = Variable(np.zeros(3), requires_grad=True)
    ReLU()(x).sum().backward()
    assert np.array_equal(x.grad, np.zeros(3))
    x.zero_grad()
    LeakyReLU(0.2)(x).sum().backward()
    assert np.allclose(x.grad, 0.2)


def softmax_numpy(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@pytest.mark.parametrize("axis", [-1, 0])
def test_softmax_value_and_jacobian(axis):
    s = softmax_numpy(X, axis)
    assert np.allclose(np.asarray(Softmax(axis)(X)), s, rtol=1e-14)
    # d/dx sum(softmax(x) * w) = s * (w - sum(s * w)) along the axis: (diag(s) - s s^T) w
    w = np.cos(np.arange(X.size)).reshape(X.shape)
    x = Variable(X, requires_grad=True)
    (Softmax(axis)(x) * w).sum().backward()
    assert np.allclose(x.grad, s * (w - np.sum(s * w, axis=axis, keepdims=True)), rtol=1e-12, atol=1e-15)


def test_softmax_default_axis_is_the_last():
    assert np.allclose(np.asarray(Softmax()(X)).sum(axis=-1), 1.0)


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "gelu", "leaky_relu"])
def test_finite_at_extreme_inputs(name):
    module = ELEMENTWISE[name][0]
    x = Variable(np.array([-1e4, -800.0, 800.0, 1e4]), requires_grad=True)
    out = module(x)
    out.sum().backward()
    assert np.isfinite(np.asarray(out.data)).all() and np.isfinite(x.grad).all()


def test_softmax_finite_at_extreme_logits():
    x = Variable(np.array([[1e4, 0.0, -1e4]]), requires_grad=True)
    out = Softmax()(x)
    (out * np.array([1.0, 2.0, 3.0])).sum().backward()
    assert np.allclose(np.asarray(out.data), [[1.0, 0.0, 0.0]]) and np.isfinite(x.grad).all()


def test_repr_shows_the_settings():
    assert repr(LeakyReLU(0.2)) == "LeakyReLU(negative_slope=0.2)" and repr(Softmax(0)) == "Softmax(axis=0)"
