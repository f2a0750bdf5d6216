"""Second review round: views keep NumPy's layout, updates of every kind reach the
whole family, updates under no_grad keep the derivative of what they update, and
nothing a user's code touches (a custom impl or rule, .data of a nested box, a
Dual's primal, a .grad) can change a value a graph saved. Oracles: NumPy, closed
forms, and PyTorch's values computed by hand.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinytorch as tt
from tinytorch.autograd import Dual, Variable, grad, hessian, hvp, jacfwd, jacobian, jvp, no_grad, primitive

M = np.arange(12.0).reshape(3, 4)


def test_a_base_keeps_its_layout_so_later_reshapes_are_views_as_in_numpy():
    x = Variable(M, requires_grad=True)
    y = x * 1.0
    t = y.T
    t[0] = 0.0  # y[:, 0] = 0
    r = y.reshape(-1)  # a view in NumPy: y stays C-contiguous
    r[1] = 100.0  # y[0, 1]
    expected = M.copy()
    expected[:, 0] = 0.0
    expected[0, 1] = 100.0
    np.testing.assert_array_equal(y.data, expected)
    tt.sum(y * M).backward()
    grad_expected = M.copy()
    grad_expected[:, 0] = 0.0
    grad_expected[0, 1] = 0.0
    np.testing.assert_array_equal(x.grad, grad_expected)

    def f(m):
        y = m * 1.0
        y.T[0] = 0.0
        y.reshape(-1)[1] = 100.0
        return tt.sum(y * M)

    value, tangent = jvp(f, (M,), (np.ones_like(M),))
    assert value == np.sum(expected * M)
    assert tangent == np.sum(grad_expected)


def test_a_reshape_numpy_copies_is_not_a_view():
    y = Variable(M) * 1.0
    t = y.T
    t[0] = 0.0
    r = t.reshape(-1)  # t is not contiguous: NumPy copies
    r[5] = 100.0
    assert y.data[2, 1] == M[2, 1]


def test_every_augmented_assignment_reaches_the_base():
    x = Variable(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    y = x * 1.0
    v = y[1:]
    v **= 2.0
    w = y[:1]
    w %= 0.75
    tt.sum(y).backward()
    np.testing.assert_allclose(y.data, [0.25, 4.0, 9.0])
    np.testing.assert_allclose(x.grad, [1.0, 4.0, 6.0])
    m = Variable(np.eye(2)) * 1.0
    m @= np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(m.data, [[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(TypeError, match="floor division"):
        v //= 2.0


def test_split_pieces_are_views_with_or_without_a_graph():
    for requires_grad in (False, True):
        x = Variable(np.arange(4.0), requires_grad=requires_grad)
        y = x * 1.0
        first, _ = tt.split(y, 2)
        first[0] = 9.0
        assert y.data[0] == 9.0


def test_updates_under_no_grad_inside_nested_transforms_keep_the_outer_derivative():
    def h(x):
        with no_grad():
            x *= 2.0
        return tt.sum(x**3)

    # reverse mode does not see the update: its gradient is 3 (2x)^2 = 12 x^2, a
    # function of x that the outer forward mode differentiates: 24 x (torch.func agrees)
    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(grad(h)(x), 12 * x**2)
    np.testing.assert_allclose(hessian(h)(x), np.diag(24 * x))
    np.testing.assert_allclose(hvp(h, x, np.array([1.0, 0.0])), [24.0, 0.0])


def test_jacobian_auto_passes_do_not_share_the_input():
    def g(x):
        with no_grad():
            x += 1.0
        return x**2

    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(jacobian(g)(x), np.diag(2 * (x + 1)))
    np.testing.assert_allclose(jacobian(g)(x), jacfwd(g)(x))
    np.testing.assert_array_equal(x, [1.0, 2.0])


def test_writes_into_a_nested_box_are_detected_and_dual_arrays_are_read_only():
    v = Variable(Dual(np.array([1.0, 2.0]), np.array([1.0, 0.0])), requires_grad=True)
    loss = tt.sum(v * v)
    v.data[0] = 10.0  # an in-place update of the Dual v holds
    with pytest.raises(RuntimeError, match="modified in place"):
        loss.backward()
    d = Dual(np.array([1.0, 2.0]), np.ones(2))
    for array in (d.primal, d.tangent):
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 5.0


def test_custom_impls_and_rules_cannot_write_into_their_inputs():
    @primitive
    def shifted_softmax(x):
        x -= x.max()  # an in-place update of the input
        e = np.exp(x)
        return e / e.sum()

    shifted_softmax.defvjp(lambda g, ans, x: ans * (g - tt.sum(g * ans)))
    x = Variable(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    with pytest.raises(ValueError, match="read-only"):
        shifted_softmax(x)
    np.testing.assert_array_equal(x.data, [1.0, 2.0, 3.0])

    @primitive
    def mul(a, b):
        return a * b

    mul.defvjp(lambda g, ans, a, b: g.__imul__(b), lambda g, ans, a, b: g * a)
    a = Variable(np.array([1.0, 2.0]), requires_grad=True)
    with pytest.raises(ValueError, match="read-only"):
        tt.sum(mul(a, np.array([3.0, 4.0]))).backward()


def test_complex_operands_are_differentiated_in_both_modes():
    # refused while tinytorch was real: |x (1 + 2j)| = sqrt(5) |x|
    f = lambda x: tt.sum(tt.absolute(x * (1 + 2j)))  # noqa: E731
    x = np.array([0.5, -1.5])
    np.testing.assert_allclose(grad(f)(x), np.sqrt(5) * np.sign(x), rtol=1e-14)
    assert jvp(f, (x,), (np.array([1.0, 0.0]),))[1] == pytest.approx(np.sqrt(5))


def test_grads_are_the_leaves_own_writable_arrays():
    x = Variable(np.ones(3), requires_grad=True)
    y = Variable(np.ones(3), requires_grad=True)
    tt.sum(x + y).backward()
    x.grad *= 0.0
    np.testing.assert_array_equal(y.grad, np.ones(3))
    g = np.ones(3)
    z = Variable(np.ones(3), requires_grad=True)
    (z + 0.0).backward(g)
    z.grad[0] = 5.0
    np.testing.assert_array_equal(g, np.ones(3))


def test_updates_numpy_would_refuse_or_allow():
    counts = Variable(np.arange(3))
    with pytest.raises(TypeError, match="same_kind"):
        counts += Variable(np.ones(3), requires_grad=True)
    tiled = tt.tile(Variable(np.ones(2)), 2)
    tiled[0] = 5.0  # NumPy's tile returns a writable copy
    assert tiled.data[0] == 5.0


def test_small_numpy_and_torch_surface():
    v = Variable(np.array([3.0, 1.0, 2.0]), requires_grad=True)
    y = v * 1.0
    y.sort()
    tt.sum(y * np.array([1.0, 10.0, 100.0])).backward()
    np.testing.assert_array_equal(v.grad, [100.0, 1.0, 10.0])
    y.fill(2.0)
    np.testing.assert_array_equal(y.data, [2.0, 2.0, 2.0])
    assert round(Variable(2.567), 2) == 2.57
    np.testing.assert_array_equal(tt.clip(np.array([-1.0, 0.5, 2.0]), min=0.0, max=1.0), [0.0, 0.5, 1.0])
    np.testing.assert_allclose(grad(lambda a, b: tt.sum(a * b), argnums=np.int64(1))(v.data, v.data), v.data)
    with pytest.raises(TypeError, match="argnums"):
        grad(lambda a: tt.sum(a), argnums=True)(v.data)
