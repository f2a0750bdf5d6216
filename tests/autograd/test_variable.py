"""Variable's API and its PyTorch semantics: data, grad, requires_grad, leaves,
accumulation, backward's gradient/retain_graph/create_graph, grad_fn, repr."""

import numpy as np
import pytest

import tinytorch as tt
from tinytorch.autograd import Variable


def test_data_is_an_ndarray_holding_the_values():
    x = Variable([1.0, 2.0, 3.0])
    assert isinstance(x.data, np.ndarray)
    assert x.data.dtype == np.float64
    np.testing.assert_array_equal(x.data, [1.0, 2.0, 3.0])


def test_default_dtype_is_float64_and_float32_is_kept():
    assert Variable(1.0).dtype == np.float64
    assert Variable(np.ones(2, np.float32)).dtype == np.float32


def test_shape_ndim_dtype_item_numpy():
    x = Variable(np.arange(6.0).reshape(2, 3), requires_grad=True)
    assert x.shape == (2, 3)
    assert x.ndim == 2
    assert x.dtype == np.float64
    assert isinstance(x.numpy(), np.ndarray)
    np.testing.assert_array_equal(x.numpy(), np.arange(6.0).reshape(2, 3))
    s = Variable(2.5)
    assert s.item() == 2.5
    assert isinstance(s.item(), float)


def test_requires_grad_defaults_to_false_and_propagates():
    a = Variable(2.0)
    b = Variable(3.0, requires_grad=True)
    assert not a.requires_grad
    assert b.requires_grad
    assert not (a * a).requires_grad
    assert (a * b).requires_grad
    assert (b + 1.0).requires_grad
    assert (tt.sin(b) * a).requires_grad


def test_is_leaf_and_grad_fn():
    x = Variable(2.0, requires_grad=True)
    c = Variable(2.0)
    y = x * 3.0
    assert x.is_leaf and c.is_leaf
    assert not y.is_leaf
    assert x.grad_fn is None
    assert y.grad_fn is not None
    assert "multiply" in str(y.grad_fn)
    # an op on Variables that do not require grad makes a leaf, like torch
    assert (c * c).is_leaf


def test_grad_is_an_ndarray_of_the_leafs_shape_and_only_leaves_get_one():
    x = Variable(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    y = x * 2.0
    tt.sum(y * y).backward()
    assert isinstance(x.grad, np.ndarray)
    assert not isinstance(x.grad, Variable)
    assert x.grad.shape == (3,)
    np.testing.assert_allclose(x.grad, 8.0 * np.array([1.0, 2.0, 3.0]))
    assert y.grad is None


def test_grad_is_none_before_backward():
    assert Variable(1.0, requires_grad=True).grad is None


def test_leaves_accumulate_grad_across_backward_calls():
    x = Variable(3.0, requires_grad=True)
    (x * x).backward()
    np.testing.assert_allclose(x.grad, 6.0)
    (x * x * x).backward()
    np.testing.assert_allclose(x.grad, 6.0 + 27.0)


def test_zero_grad_resets_accumulation():
    x = Variable(3.0, requires_grad=True)
    (x * x).backward()
    x.zero_grad()
    assert x.grad is None or np.all(np.asarray(x.grad) == 0)
    (x * 5.0).backward()
    np.testing.assert_allclose(x.grad, 5.0)


def test_variable_used_twice_sums_both_paths():
    x = Variable(2.0, requires_grad=True)
    y = x * x + tt.exp(x) * x
    y.backward()
    np.testing.assert_allclose(x.grad, 2 * 2.0 + np.exp(2.0) * (1 + 2.0), rtol=1e-14)


def test_backward_with_gradient_for_a_non_scalar_output():
    xv = np.array([0.5, -1.0, 2.0])
    x = Variable(xv, requires_grad=True)
    y = tt.sin(x) * x
    v = np.array([1.0, 10.0, 100.0])
    y.backward(gradient=v)
    np.testing.assert_allclose(x.grad, v * (np.cos(xv) * xv + np.sin(xv)), rtol=1e-14)


def test_backward_with_gradient_on_a_matrix_output():
    A = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    x = Variable(np.array([0.3, -0.7]), requires_grad=True)
    y = A @ x
    u = np.array([1.0, -2.0, 0.5])
    y.backward(gradient=u)
    np.testing.assert_allclose(x.grad, A.T @ u, rtol=1e-14)


def test_retain_graph_allows_a_second_backward():
    x = Variable(1.5, requires_grad=True)
    y = tt.exp(x) * x
    y.backward(retain_graph=True)
    first = np.array(x.grad, copy=True)
    y.backward()
    expected = np.exp(1.5) * (1 + 1.5)
    np.testing.assert_allclose(first, expected, rtol=1e-14)
    np.testing.assert_allclose(x.grad, 2 * expected, rtol=1e-14)


def test_create_graph_makes_grad_a_variable_that_can_be_differentiated():
    x = Variable(2.0, requires_grad=True)
    y = x**3
    y.backward(create_graph=True)
    g = x.grad
    assert isinstance(g, Variable)
    np.testing.assert_allclose(g.data, 3 * 2.0**2)
    assert g.requires_grad
    x.zero_grad()
    g.backward()
    np.testing.assert_allclose(x.grad, 6 * 2.0)  # d2/dx2 x^3 = 6x


def test_create_graph_third_derivative_of_sin():
    xv = 0.7
    x = Variable(xv, requires_grad=True)
    tt.sin(x).backward(create_graph=True)
    g1 = x.grad
    x.zero_grad()
    g1.backward(create_graph=True)
    g2 = x.grad
    np.testing.assert_allclose(g2.data, -np.sin(xv), rtol=1e-14)
    x.zero_grad()
    g2.backward()
    np.testing.assert_allclose(x.grad, -np.cos(xv), rtol=1e-14)


def test_create_graph_with_vector_input_hessian_row():
    xv = np.array([1.0, 2.0])
    x = Variable(xv, requires_grad=True)
    f = x[0] ** 2 * x[1] + tt.sin(x[1])
    f.backward(create_graph=True)
    g = x.grad
    np.testing.assert_allclose(g.data, [2 * xv[0] * xv[1], xv[0] ** 2 + np.cos(xv[1])], rtol=1e-14)
    x.zero_grad()
    g[0].backward()  # d/dx of 2 x0 x1 = [2 x1, 2 x0]
    np.testing.assert_allclose(x.grad, [2 * xv[1], 2 * xv[0]], rtol=1e-14)


def test_detach_cuts_the_graph_and_shares_data():
    x = Variable(np.array([1.0, 2.0]), requires_grad=True)
    d = x.detach()
    assert not d.requires_grad
    assert d.is_leaf
    np.testing.assert_array_equal(d.data, x.data)
    y = tt.sum(x * d)  # d is a constant: dy/dx = d
    y.backward()
    np.testing.assert_allclose(x.grad, [1.0, 2.0])


def test_detached_intermediate_blocks_gradient():
    x = Variable(3.0, requires_grad=True)
    y = x * x
    z = y.detach() * x
    z.backward()
    np.testing.assert_allclose(x.grad, 9.0)  # not 27


def test_requires_grad_can_be_switched_on_a_leaf_but_not_an_intermediate():
    x = Variable(2.0)
    x.requires_grad = True
    (x * x).backward()
    np.testing.assert_allclose(x.grad, 4.0)
    y = x * 2.0
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad = False


def test_repr_shows_the_value_and_the_graph_role():
    leaf = Variable(np.array([1.5, 2.5]), requires_grad=True)
    r = repr(leaf)
    assert r.startswith("Variable(")
    assert "1.5" in r and "requires_grad=True" in r
    assert "grad_fn" in repr(tt.sin(leaf)) and "sin" in repr(tt.sin(leaf))
    plain = repr(Variable(4.0))
    assert "4." in plain and "requires_grad" not in plain and "grad_fn" not in plain


def test_broadcast_input_gets_a_gradient_of_its_own_shape():
    b = Variable(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    W = Variable(np.ones((4, 3)), requires_grad=True)
    tt.sum((W + b) * 2.0).backward()
    assert b.grad.shape == (3,)
    np.testing.assert_allclose(b.grad, [8.0, 8.0, 8.0])
    np.testing.assert_allclose(W.grad, np.full((4, 3), 2.0))


def test_gradient_matches_finite_differences_on_a_small_mlp():
    rng = np.random.default_rng(0)
    Wv, xv = rng.standard_normal((3, 4)), rng.standard_normal(3)

    def f(W):
        return tt.sum(tt.tanh(xv @ W) ** 2)

    W = Variable(Wv, requires_grad=True)
    f(W).backward()
    eps = 1e-6
    num = np.zeros_like(Wv)
    for idx in np.ndindex(Wv.shape):
        p, m = Wv.copy(), Wv.copy()
        p[idx] += eps
        m[idx] -= eps
        num[idx] = (f(p) - f(m)) / (2 * eps)
    np.testing.assert_allclose(W.grad, num, rtol=1e-6, atol=1e-9)
