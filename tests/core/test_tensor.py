"""Tensor: NumPy's arithmetic, shapes and reductions; accepted by Variable and the ops."""

import operator

import numpy as np
import pytest

import tinytorch as tt
from tinytorch.autograd import Dual, Variable
from tinytorch.core.layers import Dense
from tinytorch.core.tensor import Tensor

A = np.array([[1.0, -2.0, 3.0], [4.0, 5.0, -6.0]])
B = np.array([[0.5, 2.0, -1.0], [3.0, -4.0, 2.0]])


def test_construction_copies_and_follows_numpy_dtypes():
    data = A.copy()
    t = Tensor(data)
    data[0, 0] = 100.0
    assert t.data[0, 0] == 1.0
    assert Tensor([1, 2, 3]).dtype == np.array([1, 2, 3]).dtype
    assert Tensor([1, 2], dtype=np.float32).dtype == np.float32
    assert Tensor(Tensor(A)).shape == (2, 3)


def test_array_attributes():
    t = Tensor(A)
    assert (t.shape, t.ndim, t.size, t.dtype) == ((2, 3), 2, 6, np.float64)
    assert isinstance(t.data, np.ndarray) and t.numpy() is t.data
    assert Tensor(2.5).item() == 2.5
    assert len(t) == 2
    assert repr(Tensor([1.0, 2.0])) == "Tensor([1., 2.])"


OPS = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "**": operator.pow,
    "//": operator.floordiv,
    "%": operator.mod,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}


@pytest.mark.parametrize("op", OPS)
def test_arithmetic_with_tensors_and_python_numbers_matches_numpy(op):
    f = OPS[op]
    left, right = np.abs(A) + 0.5, np.abs(B) + 0.5  # positive bases for **
    for result, expected in [
        (f(Tensor(left), Tensor(right)), f(left, right)),
        (f(Tensor(left), 2.0), f(left, 2.0)),
        (f(3.0, Tensor(right)), f(3.0, right)),
    ]:
        assert isinstance(result, Tensor)
        assert np.array_equal(result.data, expected)


@pytest.mark.parametrize("op", [operator.floordiv, operator.mod])
@pytest.mark.parametrize("dtype", [np.int64, np.float64])
def test_floor_division_and_modulo_follow_numpy_signs(op, dtype):
    """Python's and NumPy's rule: the quotient is floored and the remainder takes the
    divisor's sign (-7 // 2 == -4, -7 % 2 == 1), unlike C's truncation."""
    left = np.array([-7, 7, -7, 7, 0, 9], dtype=dtype)
    right = np.array([2, -2, -2, 2, 3, 4], dtype=dtype)
    for result, expected in [
        (op(Tensor(left), Tensor(right)), op(left, right)),
        (op(Tensor(left), 3), op(left, 3)),
        (op(-9, Tensor(right)), op(-9, right)),
    ]:
        assert isinstance(result, Tensor) and result.dtype == expected.dtype
        assert np.array_equal(result.data, expected)
    assert Tensor(-7) // 2 == -4 and Tensor(-7) % 2 == 1  # the oracle above, by hand


def test_truth_value_follows_numpy():
    assert bool(Tensor([0.0])) is False and bool(Tensor(3)) is True and bool(Tensor([[2.0]])) is True
    assert not Tensor(0.0)
    for many in [Tensor([1.0, 2.0]), Tensor(np.ones((2, 2)))]:
        with pytest.raises(ValueError, match="truth value of an array with more than one element is ambiguous"):
            bool(many)
    with pytest.raises(ValueError, match="empty array is ambiguous"):
        bool(Tensor([]))


def test_single_element_tensors_convert_to_python_numbers():
    assert float(Tensor([[2.5]])) == 2.5 and type(float(Tensor(3))) is float
    assert int(Tensor(7)) == 7 and int(Tensor([-2.7])) == int(np.float64(-2.7)) == -2
    assert [1.0, 2.0, 3.0][int(Tensor(1))] == 2.0
    for bad in [float, int]:
        with pytest.raises(TypeError, match=r"only single-element Tensors .* shape \(2,\)"):
            bad(Tensor([1.0, 2.0]))


def test_item_assignment_is_numpy_s():
    a = A.copy()
    t = Tensor(A)
    t[0, 1] = 10.0
    t[1] = Tensor([7.0, 8.0, 9.0])
    t[:, Tensor([0, 2])] = -1.0
    t[Tensor(A) > 4.5] = Tensor(0.5)  # a boolean mask as the key
    a[0, 1] = 10.0
    a[1] = [7.0, 8.0, 9.0]
    a[:, [0, 2]] = -1.0
    a[A > 4.5] = 0.5
    assert np.array_equal(t.data, a)
    ints = Tensor([1, 2, 3])
    ints[0] = 9.9  # cast to the array's dtype, as NumPy does
    assert ints.dtype == np.int64 and ints.data.tolist() == [9, 2, 3]
    with pytest.raises(ValueError):
        t[0] = np.ones(4)  # NumPy's shape error


def test_matmul_negation_abs_and_indexing():
    t = Tensor(A)
    assert np.array_equal((t @ Tensor(B).T).data, A @ B.T)
    assert np.array_equal(t.matmul(Tensor(B.T)).data, A @ B.T)
    assert np.array_equal((-t).data, -A) and np.array_equal(abs(t).data, np.abs(A))
    assert np.array_equal(t[1].data, A[1]) and np.array_equal(t[:, Tensor([0, 2])].data, A[:, [0, 2]])


def test_shape_methods():
    t = Tensor(A)
    assert t.reshape(3, 2).shape == (3, 2) and t.reshape((6,)).shape == (6,)
    assert np.array_equal(t.T.data, A.T) and np.array_equal(t.transpose(1, 0).data, A.T)
    assert np.array_equal(t.flatten().data, A.ravel())
    assert Tensor(np.ones((1, 3, 1))).squeeze().shape == (3,)


@pytest.mark.parametrize("name", ["sum", "mean", "max", "min", "var", "std"])
@pytest.mark.parametrize("axis", [None, 0, 1])
def test_reductions_match_numpy(name, axis):
    got = getattr(Tensor(A), name)(axis=axis)
    assert isinstance(got, Tensor)
    assert np.allclose(got.data, getattr(np, name)(A, axis=axis), rtol=1e-15)
    assert getattr(Tensor(A), name)(axis=axis, keepdims=True).ndim == 2


def test_argmax_argmin():
    assert np.array_equal(Tensor(A).argmax(axis=1).data, [2, 1])
    assert np.array_equal(Tensor(A).argmin(axis=0).data, [0, 0, 1])


def test_numpy_functions_accept_a_tensor():
    t = Tensor(A)
    assert np.array_equal(np.asarray(t), A)
    assert np.allclose(np.sin(t), np.sin(A))
    assert float(np.sum(t).item()) == A.sum()


def test_mixing_with_numpy_gives_numpy_arrays():
    """NumPy arrays and scalars take over, as documented, so the engine never holds a Tensor."""
    t = Tensor(A)
    for result in [t + B, B + t, t * np.float64(2.0), np.float64(2.0) * t]:
        assert type(result) is np.ndarray
    assert np.array_equal(t + B, A + B)


def test_variable_of_a_tensor_differentiates():
    v = Variable(Tensor(A), requires_grad=True)
    (v * v).sum().backward()
    assert np.array_equal(v.grad, 2 * A)


def test_ops_accept_a_tensor_next_to_a_variable():
    w = Variable(B.T.copy(), requires_grad=True)  # (3, 2)
    (Tensor(A) @ w).sum().backward()  # d/dW sum(A W) = A^T 1
    assert np.allclose(w.grad, A.T @ np.ones((2, 2)))
    v = Variable(B, requires_grad=True)
    (Tensor(A) * v).sum().backward()
    assert np.array_equal(v.grad, A)
    v.zero_grad()
    (v * Tensor(A)).sum().backward()
    assert np.array_equal(v.grad, A)
    assert np.allclose(tt.sin(Tensor(A)), np.sin(A)) and float(tt.sum(Tensor(A))) == A.sum()


def test_tensor_mixed_with_a_dual_is_a_dual():
    d = Tensor(A) * Dual(B, np.ones_like(B))
    assert isinstance(d, Dual) and np.array_equal(d.tangent, A)


def test_layers_take_tensors():
    layer = Dense(3, 2, rng=0)
    out = layer(Tensor(A))
    assert np.allclose(out.data, A @ np.asarray(layer.weights.data) + np.asarray(layer.bias.data))


def test_tensor_of_a_variable_that_requires_grad_is_refused():
    with pytest.raises(TypeError, match="detach"):
        Tensor(Variable(A, requires_grad=True))
