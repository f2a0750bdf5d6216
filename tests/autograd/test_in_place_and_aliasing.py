"""In-place updates and aliasing: every gradient belongs to the forward pass that
ran, or backward() refuses with a clear error; never a wrong number.

In-place updates of Variables while recording rebind the Variable to a new node
(nothing is overwritten), so where PyTorch computes a gradient we give PyTorch's
value, and where PyTorch refuses because it overwrote a saved tensor we can give
the right value. Writes into memory (through `.data`, or under no_grad) are
detected through any view of that memory. Oracles are closed forms.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import tinytorch as tt
from tinytorch.autograd import Dual, Variable, grad, jacfwd, jacrev, no_grad, vjp
from tinytorch.core import Module, Tensor

X = np.array([1.0, 2.0, 3.0])


def _grad_after(update, dtype=np.float64):
    """x.grad of sum(y) for y = 2x followed by `update(y)` (which may return a new output)."""
    x = Variable(X.astype(dtype), requires_grad=True)
    y = x * 2
    out = update(y)
    tt.sum(y if out is None else out).backward()
    return x.grad


def _imul_self(y):
    y *= y


def _iadd_self(y):
    y += y


def _isub_scaled(y):
    y -= y * 0.5


def _idiv_self_plus(y):
    y /= y + 1.0


def _set_from_self(y):
    y[1] = y[0] * 3


def _shift(y):
    y[1:] = y[:-1]


def _later_use(y):
    z = y * 3
    y += 1
    return z + y


def _saved_then_updated(y):
    z = y * y  # PyTorch refuses: mul saved y, then y was overwritten
    y += 1
    return z + y


def _exp_then_updated(y):
    e = tt.exp(y)  # PyTorch refuses: exp saved its output
    e += 1
    return e


def _repeated(y):
    for _ in range(4):
        y *= 0.5
        y += y * y


IN_PLACE = [  # (update, gradient of sum(y) in x as a function of x), by hand
    (_imul_self, lambda x: 8 * x),
    (_iadd_self, lambda x: np.full_like(x, 4.0)),
    (_isub_scaled, lambda x: np.ones_like(x)),
    (_idiv_self_plus, lambda x: 2 / (2 * x + 1) ** 2),
    (_set_from_self, lambda x: np.array([8.0, 0.0, 2.0])),
    (_shift, lambda x: np.array([4.0, 2.0, 0.0])),
    (_later_use, lambda x: np.full_like(x, 8.0)),
    (_saved_then_updated, lambda x: 8 * x + 2),
    (_exp_then_updated, lambda x: 2 * np.exp(2 * x)),
]


@pytest.mark.parametrize(("update", "expected"), IN_PLACE, ids=[u.__name__ for u, _ in IN_PLACE])
def test_in_place_updates_that_read_themselves(update, expected):
    np.testing.assert_allclose(_grad_after(update), expected(X))


@pytest.mark.parametrize(("update", "expected"), IN_PLACE, ids=[u.__name__ for u, _ in IN_PLACE])
def test_in_place_updates_in_float32(update, expected):
    g = _grad_after(update, np.float32)
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, expected(X), rtol=1e-5)


def test_repeated_in_place_updates_against_the_chain_rule_by_hand():
    # y <- y/2 + y^2/4 four times, starting from y = 2x: dy/dx by the chain rule
    y, dy = 2 * X, np.full_like(X, 2.0)
    for _ in range(4):
        y, dy = y / 2 + y * y / 4, dy * (0.5 + y / 2)
    np.testing.assert_allclose(_grad_after(_repeated), dy)


@pytest.mark.parametrize(("update", "expected"), IN_PLACE, ids=[u.__name__ for u, _ in IN_PLACE])
def test_in_place_updates_under_transforms(update, expected):
    def f(x):
        y = x * 2
        out = update(y)
        return tt.sum(y if out is None else out)

    np.testing.assert_allclose(grad(f)(X), expected(X))
    np.testing.assert_allclose(jacrev(f)(X), expected(X))
    np.testing.assert_allclose(jacfwd(f)(X), expected(X))


def test_second_derivative_through_in_place_updates():
    x = Variable(X, requires_grad=True)
    y = x * 1.0
    y *= y
    y *= x  # x^3
    tt.sum(y).backward(create_graph=True)
    g = x.grad
    x.zero_grad()
    tt.sum(g).backward()
    np.testing.assert_allclose(x.grad, 6 * X)


class Residual(Module):
    """A layer that updates its hidden state in place."""

    def __init__(self):
        self.w = Variable(np.array([0.5, -1.0, 2.0]), requires_grad=True)

    def forward(self, x):
        h = x * self.w
        h += x  # h = x (w + 1)
        h *= h  # h = x^2 (w + 1)^2
        return tt.sum(h)


def test_in_place_updates_inside_a_module():
    m = Residual()
    w = m.w.data.copy()
    m(X).backward()
    np.testing.assert_allclose(m.w.grad, 2 * X**2 * (w + 1))
    # the gradient in x depends on the weights, which require grad: it is a Variable
    np.testing.assert_allclose(grad(m)(X).data, 2 * X * (w + 1) ** 2)


# --- writes into memory: detected through every view -------------------------------------


def _leaf():
    return Variable(X.copy(), requires_grad=True)


def test_write_through_a_view_of_a_saved_leaf_is_detected():
    x = _leaf()
    y = tt.reshape(x, (3, 1))  # shares x's memory
    z = tt.sum(y * y)
    with no_grad():
        x[0] = 100.0
    with pytest.raises(RuntimeError, match="modified in place"):
        z.backward()


def test_write_through_the_data_of_a_slice_is_detected():
    x = _leaf()
    y = x * 2
    s = y[0:2]  # a view of y's memory
    z = tt.sum(y * y)
    s.data[0] = 7.0
    with pytest.raises(RuntimeError, match="modified in place"):
        z.backward()


def test_write_through_a_detached_alias_is_detected():
    x = _leaf()
    z = tt.sum(tt.sin(x))
    d = x.detach()
    with no_grad():
        d *= 3.0
    with pytest.raises(RuntimeError, match="modified in place"):
        z.backward()


def test_replacing_data_of_a_saved_variable_is_detected():
    x = _leaf()
    z = tt.sum(x * x)
    x.data = np.zeros(3)
    with pytest.raises(RuntimeError, match="modified in place"):
        z.backward()


def test_writes_before_the_graph_is_built_are_not_reported():
    x = _leaf()
    x.data[0] = 5.0
    y = x.reshape((3, 1))
    with no_grad():
        y *= 1.0
    tt.sum(x * x).backward()
    np.testing.assert_allclose(x.grad, 2 * np.array([5.0, 2.0, 3.0]))


def test_numpy_view_of_a_variable_is_read_only():
    c = Variable(X.copy())
    a = np.asarray(c)
    with pytest.raises(ValueError, match="read-only"):
        a[0] = 1.0
    b = np.array(c)  # an explicit copy is the caller's to write
    b[0] = 1.0
    np.testing.assert_array_equal(c.data, X)


# --- the caller's arrays are never the graph's ---------------------------------------------


def test_ndarray_operand_written_after_the_forward_pass():
    x = _leaf()
    w = np.array([1.0, 10.0, 100.0])
    y = tt.sum(tt.sin(x * w))
    w[:] = 0.0
    y.backward()
    np.testing.assert_allclose(x.grad, np.array([1.0, 10.0, 100.0]) * np.cos(X * [1.0, 10.0, 100.0]))


def test_matrix_and_mask_and_list_operands_written_after_the_forward_pass():
    w = _leaf()
    data = np.arange(6.0).reshape(2, 3)
    mask = np.array([True, False, True])
    weights = [1.0, 2.0]
    out = tt.sum((data @ tt.where(mask, w, 0.0)) * weights)
    data[:] = -1.0
    mask[:] = False
    weights[0] = 100.0
    out.backward()
    # d/dw_j = sum_i weights_i data_ij on the mask, with the values of the forward pass
    np.testing.assert_allclose(w.grad, [1 * 0.0 + 2 * 3.0, 0.0, 1 * 2.0 + 2 * 5.0])


def test_index_array_written_after_the_forward_pass():
    for take in (lambda x, i: x[i], lambda x, i: tt.take_along_axis(x, i, 0), lambda x, i: tt.take(x, i)):
        x = Variable(np.arange(4.0), requires_grad=True)
        idx = np.array([0, 2])
        y = take(x, idx)
        idx[:] = [1, 3]
        tt.sum(y * np.array([1.0, 10.0])).backward()
        np.testing.assert_allclose(x.grad, [1.0, 0.0, 10.0, 0.0])


def test_vjp_pullback_after_the_primal_was_written():
    x = X.copy()
    _, pullback = vjp(lambda v: tt.sum(v**3), x)
    x[:] = 0.0
    np.testing.assert_allclose(pullback(1.0)[0], 3 * X**2)


def test_variable_copies_tensors_arrays_and_data_assignments():
    t = Tensor(X)
    v = Variable(t, requires_grad=True)
    t.data[0] = -5.0
    np.testing.assert_array_equal(v.data, X)
    a = np.zeros(3)
    v.data = a
    a[0] = 9.0
    np.testing.assert_array_equal(v.data, np.zeros(3))


# --- pickling ----------------------------------------------------------------------------


def test_leaves_pickle_and_graph_nodes_say_to_detach():
    x = _leaf()
    back = pickle.loads(pickle.dumps(x))
    np.testing.assert_array_equal(back.data, X)
    assert back.requires_grad and back.is_leaf
    y = x * 2
    with pytest.raises(TypeError, match=r"\.detach\(\)"):
        pickle.dumps(y)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(y.detach())).data, 2 * X)


# --- Duals update in place as NumPy arrays do -----------------------------------------------


def test_dual_item_assignment_and_augmented_assignment_carry_the_tangent():
    d = Dual(X.copy(), np.array([1.0, 10.0, 100.0]))
    alias = d
    d[0] = d[1] * 3.0
    d *= d
    np.testing.assert_allclose(alias.primal, np.array([6.0, 2.0, 3.0]) ** 2)
    np.testing.assert_allclose(alias.tangent, 2 * np.array([6.0, 2.0, 3.0]) * [30.0, 10.0, 100.0])


def test_dual_written_after_an_outer_graph_saved_it_is_detected():
    d = Dual(X.copy(), np.ones(3))
    v = Variable(d, requires_grad=True)  # reverse over forward: v's graph saves d
    out = tt.sum(v * d)
    d += 1.0
    with pytest.raises(RuntimeError, match="modified in place"):
        out.backward()


def test_masked_strided_and_read_modify_write_updates():
    def f(x):
        y = x * 1.0
        y[x > 0] = 0.0  # X = [1, 2, 3] is all positive: y = 0
        y += x**2  # x^2
        y[::2] *= 2.0  # [2 x0^2, x1^2, 2 x2^2]
        y[np.array([1])] += x[1]  # x1^2 + x1
        return tt.sum(y)

    expected = np.array([4 * X[0], 2 * X[1] + 1, 4 * X[2]])
    for derivative in (grad(f), jacfwd(f), jacrev(f)):
        np.testing.assert_allclose(derivative(X), expected)


def test_in_place_updates_keep_shape_and_dtype_as_numpy_does():
    for box in (
        lambda: Variable(np.ones(3, np.float32), requires_grad=True) * 1.0,
        lambda: Dual(np.ones(3, np.float32), np.ones(3, np.float32)),
    ):
        y = box()
        with pytest.raises(ValueError, match="non-broadcastable"):
            y += np.ones((2, 3))
        y += np.ones(3)  # float64 operand: the result is cast back, as NumPy's same_kind
        assert y.dtype == np.float32 and y.shape == (3,)


def test_array_like_operands_are_copied_too():
    x = _leaf()
    t = Tensor([1.0, 2.0, 3.0])
    z = tt.sum(x * t)
    t.data[0] = 100.0
    z.backward()
    np.testing.assert_allclose(x.grad, [1.0, 2.0, 3.0])


# --- found by review: conversions, box aliasing, writes around .data ----------------------


def test_converting_a_hand_made_box_around_a_traced_value_refuses():
    def to_array(x):
        return tt.sum(np.asarray(x * Variable(2.0)) * x)

    def to_float(x):
        return x[0] * float(x[1] * Variable(2.0))

    for f in (to_array, to_float):
        for derivative in (grad(f), jacfwd(f)):
            with pytest.raises(TypeError, match="drop"):
                derivative(X)


def test_a_variable_made_from_a_box_does_not_follow_its_later_updates():
    def f(x):
        v = Variable(x, requires_grad=True)
        y = tt.sum(v * v)
        x *= 3.0  # after y was computed from v = x
        y.backward()
        return tt.sum(v.grad * X)  # 2 x . X

    np.testing.assert_allclose(grad(f)(X), 2 * X)
    y = Variable(X, requires_grad=True) * 1.0
    v = Variable(y)  # a Variable around y's graph
    y += 1.0
    np.testing.assert_array_equal(v.data.detach().data, X)
    d = Dual(np.array([1.0, 2.0]), np.ones(2))
    w = Variable(d, requires_grad=True)
    loss = tt.sum(w * w)
    d *= 3.0
    loss.backward()
    np.testing.assert_allclose(w.grad.primal, [2.0, 4.0])


def test_writes_that_go_around_data_are_refused():
    c = Variable(X.copy())
    writes = [
        lambda: np.asarray(c.data).__setitem__(0, 7.0),
        lambda: c.data.view(np.ndarray).__setitem__(0, 7.0),
        lambda: np.random.default_rng(0).random(out=c.data),
        lambda: memoryview(c.data).__setitem__(0, 7.0),
    ]
    for write in writes:
        with pytest.raises((ValueError, TypeError)):
            write()
    np.testing.assert_array_equal(c.data, X)


def test_keyword_array_operands_of_custom_primitives_are_copied():
    from tinytorch.autograd import primitive

    @primitive
    def wmul(x, w=None):
        return x * w

    wmul.defvjp(lambda g, ans, x, w=None: g * w)
    x = _leaf()
    w = np.array([1.0, 2.0, 3.0])
    loss = tt.sum(wmul(x, w=w))
    w[:] = 7.0
    loss.backward()
    np.testing.assert_allclose(x.grad, [1.0, 2.0, 3.0])


def test_complex_gradients_and_tangents_are_refused():
    from tinytorch.autograd import jvp

    x = _leaf()
    with pytest.raises(TypeError, match="complex"):
        (x * 2.0).backward(gradient=np.array([1j, 1.0, 1.0]))
    with pytest.raises(TypeError, match="complex"):
        vjp(tt.sin, X)[1](np.array([1j, 1.0, 1.0]))
    with pytest.raises(TypeError, match="complex"):
        jvp(tt.sin, (X,), (np.array([1j, 1.0, 1.0]),))
    with pytest.raises(TypeError, match="complex"):
        Dual(X, np.array([1j, 1.0, 1.0]))


def test_an_argument_named_twice_in_argnums_is_an_error():
    for transform in (grad, jacfwd, jacrev):
        with pytest.raises(ValueError, match="twice"):
            transform(lambda p, q: tt.sum(p * q * p), argnums=(0, 0))(X, X)


def test_writes_to_a_transforms_input_never_reach_the_callers_array():
    def f(x):
        with no_grad():
            x[0] = 5.0
        x.data[1] = 6.0 if isinstance(x, Variable) else x.primal[1]
        return tt.sum(x * x)

    x = X.copy()
    grad(f)(x)
    jacrev(f)(x)
    np.testing.assert_array_equal(x, X)


def test_gradcheck_of_a_function_that_updates_its_input_in_place():
    from tinytorch.autograd import gradcheck

    def f(x):
        x *= 2.0
        return tt.sum(x**3)

    assert gradcheck(f, (np.array([0.5, -1.0]),), order=2)


def test_grad_setter_checks_the_dtype():
    x = _leaf()
    with pytest.raises(RuntimeError, match="dtype"):
        x.grad = np.ones(3, dtype=int)


# --- views: in-place updates of y[1:], y.T, y.reshape(...) reach y, and back ------------------


def test_update_of_a_slice_reaches_its_base():
    x = _leaf()
    y = x * 1.0
    v = y[1:]
    v *= 2.0
    loss = tt.sum(y * y)  # y = [x0, 2 x1, 2 x2]: PyTorch gives 53 and [2, 16, 24]
    loss.backward()
    assert loss.item() == 53.0
    np.testing.assert_allclose(x.grad, [2.0, 16.0, 24.0])


def test_update_of_a_base_reaches_its_views():
    for make_view, expected in ((lambda y: y[1:], 25.0), (lambda y: y.reshape(3, 1), 56.0)):
        x = _leaf()
        y = x * 1.0
        v = make_view(y)
        y += 1.0 if expected == 25.0 else y  # [2, 3, 4] or 2 y
        assert tt.sum(v * v).item() == expected


def test_rows_of_a_scratch_buffer_under_transforms():
    def f(x):
        buf = Variable(np.zeros((2, 3)))
        row = buf[1]
        row[0] = x[0] * 2
        row[1] = x[1]
        return tt.sum(buf * buf)  # 4 x0^2 + x1^2

    for derivative in (grad(f), jacfwd(f), jacrev(f)):
        np.testing.assert_allclose(derivative(X), [8.0, 4.0, 0.0])


def test_transposes_views_of_views_and_flips():
    m = Variable(np.arange(6.0).reshape(2, 3), requires_grad=True)
    y = m * 1.0
    y.T[0, 1] = 7.0  # y[1, 0]
    y[1:][0][2:] *= 10.0  # y[1, 2]
    tt.flip(y, 1)[0, 0] = -1.0  # y[0, 2]
    expected = np.array([[0.0, 1.0, -1.0], [7.0, 4.0, 50.0]])
    np.testing.assert_array_equal(y.data, expected)
    tt.sum(y * y).backward()
    np.testing.assert_allclose(m.grad, [[0.0, 2.0, 0.0], [0.0, 8.0, 1000.0]])


def test_views_of_duals_follow_the_same_rules():
    d = Dual(X.copy(), np.ones(3))
    r = d[1:]
    r *= 3.0
    np.testing.assert_allclose(d.primal, [1.0, 6.0, 9.0])
    np.testing.assert_allclose(d.tangent, [1.0, 3.0, 3.0])


def test_what_numpy_copies_is_not_a_view():
    x = _leaf()
    y = x * 1.0
    s = y[0]  # a scalar in NumPy
    s += 1.0
    v = y[[0, 2]]  # advanced indexing copies
    v *= 2.0
    np.testing.assert_array_equal(y.data, X)


def test_update_of_a_view_of_a_leaf_that_requires_grad_refuses():
    w = _leaf()
    v = w[1:]
    with pytest.raises(RuntimeError, match="view of a leaf"):
        v *= 2.0
    with no_grad():
        u = w[1:]
        u *= 2.0  # memory writes, as NumPy's views
    np.testing.assert_array_equal(w.data, [1.0, 4.0, 6.0])
