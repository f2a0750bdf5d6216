"""NumPy interop: NumPy functions, ufuncs and operators on boxes defer to
tinytorch and differentiate; NumPy functions without a rule, and conversions
that would drop a derivative, raise TypeError; never an object array."""

import numpy as np
import pytest

import tinytorch as tt
from tinytorch.autograd import Dual, Variable, grad, jvp

XV = np.array([[0.5, -1.0, 2.0], [1.5, 0.3, -0.7]])


def _var(x=XV):
    return Variable(np.array(x, dtype=float), requires_grad=True)


def _assert_plain_float_array(x):
    assert x.dtype != object
    assert np.issubdtype(np.asarray(x).dtype, np.floating)


def test_np_sin_on_a_variable_differentiates():
    x = _var()
    y = np.sin(x)
    assert isinstance(y, Variable)
    np.sum(y).backward()
    np.testing.assert_allclose(x.grad, np.cos(XV), rtol=1e-15)


def test_np_sin_on_a_dual_differentiates():
    d = np.sin(Dual(XV, np.ones_like(XV)))
    assert isinstance(d, Dual)
    np.testing.assert_allclose(d.tangent, np.cos(XV), rtol=1e-15)


def test_np_sum_with_axis_on_a_variable():
    x = _var()
    s = np.sum(x, axis=0)
    assert isinstance(s, Variable) and s.shape == (3,)
    w = np.array([1.0, 2.0, 3.0])
    s.backward(gradient=w)
    np.testing.assert_allclose(x.grad, np.tile(w, (2, 1)))


def test_ndarray_matmul_variable():
    A = np.array([[1.0, 2.0], [0.0, -1.0], [3.0, 1.0]])  # (3, 2) @ (2, 3)
    x = _var()
    y = A @ x
    assert isinstance(y, Variable) and y.shape == (3, 3)
    tt.sum(y * y).backward()
    np.testing.assert_allclose(x.grad, 2 * A.T @ (A @ XV), rtol=1e-14)


def test_ndarray_plus_dual():
    t = np.array([1.0, -2.0, 0.5])
    d = np.array([10.0, 20.0, 30.0]) + Dual(np.array([1.0, 2.0, 3.0]), t)
    assert isinstance(d, Dual)
    np.testing.assert_allclose(d.primal, [11.0, 22.0, 33.0])
    np.testing.assert_allclose(d.tangent, t)


def test_ndarray_times_dual_broadcasts_tangent():
    M = np.array([[1.0], [2.0]])
    d = M * Dual(np.array([3.0, 4.0]), np.array([1.0, 0.0]))
    assert d.shape == (2, 2)
    np.testing.assert_allclose(d.tangent, [[1.0, 0.0], [2.0, 0.0]])


def test_python_float_times_dual():
    d = 2.0 * Dual(3.0, 1.0)
    np.testing.assert_allclose(d.primal, 6.0)
    np.testing.assert_allclose(d.tangent, 2.0)
    d = 1.0 / Dual(4.0, 1.0)  # reflected division: -1/x^2
    np.testing.assert_allclose(d.tangent, -1.0 / 16.0)
    d = 2.0 ** Dual(3.0, 1.0)  # reflected power: 2^x ln 2
    np.testing.assert_allclose(d.tangent, 8.0 * np.log(2.0), rtol=1e-15)


def test_numpy_scalar_times_variable():
    x = Variable(3.0, requires_grad=True)
    y = np.float64(2.0) * x
    assert isinstance(y, Variable)
    (y * x).backward()  # 2 x^2
    np.testing.assert_allclose(x.grad, 12.0)


def test_numpy_scalar_minus_variable_and_dual():
    x = Variable(3.0, requires_grad=True)
    y = np.float64(10.0) - x
    assert isinstance(y, Variable)
    y.backward()
    np.testing.assert_allclose(x.grad, -1.0)
    d = np.float64(10.0) - Dual(3.0, 1.0)
    assert isinstance(d, Dual)
    np.testing.assert_allclose(d.tangent, -1.0)


def test_np_concatenate_of_variables():
    v1 = Variable(np.array([1.0, 2.0]), requires_grad=True)
    v2 = Variable(np.array([3.0, 4.0, 5.0]), requires_grad=True)
    c = np.concatenate([v1, v2])
    assert isinstance(c, Variable) and c.shape == (5,)
    w = np.arange(1.0, 6.0)
    tt.sum(c * c * w).backward()
    np.testing.assert_allclose(v1.grad, 2 * np.array([1.0, 2.0]) * w[:2])
    np.testing.assert_allclose(v2.grad, 2 * np.array([3.0, 4.0, 5.0]) * w[2:])


def test_np_concatenate_of_an_array_and_a_dual():
    c = np.concatenate([np.zeros(2), Dual(np.array([1.0, 2.0]), np.array([5.0, 6.0]))])
    assert isinstance(c, Dual)
    np.testing.assert_allclose(c.tangent, [0.0, 0.0, 5.0, 6.0])


def test_numpy_functions_inside_a_transform():
    f = lambda x: np.sum(np.exp(x) * np.cos(x), axis=0) @ np.array([1.0, 2.0, 3.0])
    g = grad(f)(XV)
    np.testing.assert_allclose(g, np.exp(XV) * (np.cos(XV) - np.sin(XV)) * [1.0, 2.0, 3.0], rtol=1e-14)
    _, t = jvp(f, (XV,), (np.ones_like(XV),))
    np.testing.assert_allclose(t, np.sum(np.exp(XV) * (np.cos(XV) - np.sin(XV)) * [1.0, 2.0, 3.0]), rtol=1e-14)


def test_numpy_mean_and_dot_and_where_differentiate():
    x = _var()
    m = np.mean(x, axis=1)  # (2,)
    d = np.dot(m, np.array([1.0, -1.0]))
    w = np.where(XV > 0, x, 0.0)
    (d + np.sum(w)).backward()
    expected = np.array([[1.0], [-1.0]]) / 3.0 + (XV > 0)
    np.testing.assert_allclose(x.grad, expected, rtol=1e-15)


NO_RULE = [
    ("numpy.unwrap", np.unwrap),  # (np.fft.fft has a rule now: tt.fft.fft)
    ("numpy.linalg.tensorinv", lambda a: np.linalg.tensorinv(a, ind=1)),  # (svd has a rule now: tt.linalg.svd)
    ("numpy.i0", np.i0),  # (np.sinc has a rule now: tt.sinc)
    ("numpy.convolve", lambda a: np.convolve(a, np.ones(2))),
]


@pytest.mark.parametrize("qualname,fn", NO_RULE, ids=[q for q, _ in NO_RULE])
@pytest.mark.parametrize("box", ["Variable", "Dual"])
def test_numpy_function_without_rule_raises_naming_it(qualname, fn, box):
    value = np.array([1.0, 2.0, 4.0])
    if box == "Dual":
        x = Dual(value, np.ones(3))
    else:
        x = Variable(value, requires_grad=True)
    with pytest.raises(TypeError, match=qualname.replace(".", r"\.")):
        fn(x)


def test_ufunc_method_without_rule_raises():
    with pytest.raises(TypeError, match="outer"):
        np.multiply.outer(Variable(np.ones(2), requires_grad=True), np.ones(2))


def test_np_asarray_of_a_variable_that_requires_grad_raises():
    with pytest.raises(TypeError, match="gradient"):
        np.asarray(Variable(np.ones(2), requires_grad=True))
    with pytest.raises(TypeError):
        np.array([Variable(1.0, requires_grad=True), Variable(2.0, requires_grad=True)])


def test_np_asarray_of_a_dual_raises():
    with pytest.raises(TypeError, match="tangent"):
        np.asarray(Dual(np.ones(2), np.ones(2)))


def test_np_asarray_of_a_constant_variable_is_a_float_array():
    a = np.asarray(Variable(np.array([1.0, 2.0])))
    assert type(a) is np.ndarray
    _assert_plain_float_array(a)
    np.testing.assert_array_equal(a, [1.0, 2.0])


def test_writing_into_a_box_with_out_raises():
    with pytest.raises(TypeError, match="out"):
        np.exp(np.ones(2), out=Variable(np.ones(2)))
    a = np.ones(2)
    with pytest.raises(TypeError):
        a += Variable(np.ones(2), requires_grad=True)


def test_never_an_object_array():
    x = Variable(np.array([1.0, 2.0]), requires_grad=True)
    d = Dual(np.array([1.0, 2.0]), np.array([0.0, 1.0]))
    results = [
        np.ones(2) * x,
        np.ones(2) + d,
        np.float64(3.0) * x,
        np.float64(3.0) * d,
        np.sin(x),
        np.sum(d, axis=0),
        np.ones((2, 2)) @ x,
        np.concatenate([x, np.ones(1)]),
        [2.0, 3.0] * x,
        x * np.ones(2),
    ]
    for r in results:
        assert isinstance(r, (Variable, Dual)), type(r)
        primal = r.data if isinstance(r, Variable) else r.primal
        _assert_plain_float_array(primal)
        if isinstance(r, Dual):
            _assert_plain_float_array(r.tangent)
    with pytest.raises(TypeError):
        Variable([Variable(1.0, requires_grad=True), Variable(2.0, requires_grad=True)])


def test_stacking_boxes_goes_through_tinytorch():
    a, b = Variable(1.0, requires_grad=True), Variable(2.0, requires_grad=True)
    s = np.stack([a, b])
    assert isinstance(s, Variable) and s.shape == (2,)
    tt.sum(s * np.array([3.0, 4.0])).backward()
    np.testing.assert_allclose(a.grad, 3.0)
    np.testing.assert_allclose(b.grad, 4.0)


def test_comparisons_give_plain_boolean_arrays():
    x = Variable(np.array([1.0, -1.0]), requires_grad=True)
    mask = x > 0
    assert not isinstance(mask, (Variable, Dual))
    assert np.asarray(mask).dtype == bool
    np.testing.assert_array_equal(mask, [True, False])


def test_ndarray_clip_with_a_box_bound_dispatches_to_tt_clip():
    # ndarray.clip goes through NumPy's internal clip ufunc, not np.clip (found by the fuzzer)
    np.testing.assert_allclose(grad(lambda lo: tt.sum(np.zeros(3).clip(lo, 1.0)))(0.5), 3.0)
