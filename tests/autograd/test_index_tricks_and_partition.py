"""tt.r_, tt.c_ and tt.partition against NumPy's results (values, shapes, dtypes,
arrangement under ties), on arrays and on boxes; what they refuse."""

from __future__ import annotations

import numpy as np
import pytest

import tinytorch as tt
from tinytorch.autograd import Dual, Variable


@pytest.mark.parametrize(
    "items",
    [
        lambda a, m: (a, slice(0, 3), 2.5, a),
        lambda a, m: (slice(0, 1, 5j), a),
        lambda a, m: (m, m[:1]),
        lambda a, m: (np.int64(3), a.astype(np.float32)),
    ],
)
def test_r_and_c_equal_numpys(items):
    a, m = np.array([1.0, -2.0, 0.5]), np.arange(6.0).reshape(2, 3)
    key = items(a, m)
    expected = np.r_[key]
    found = tt.r_[key]
    assert found.dtype == expected.dtype and np.array_equal(found, expected)
    try:
        columns = np.c_[key]
    except ValueError:  # pieces of different lengths: an error for both
        with pytest.raises(ValueError):
            tt.c_[key]
    else:
        found = tt.c_[key]
        assert found.dtype == columns.dtype and np.array_equal(found, columns)


def test_r_and_c_on_boxes_carry_derivatives():
    a = np.array([1.0, 2.0])
    out = tt.c_[Dual(a, np.array([1.0, 0.0])), a, 0:2]
    np.testing.assert_array_equal(out.primal, np.c_[a, a, 0:2])
    np.testing.assert_array_equal(out.tangent, [[1.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    v = Variable(a, requires_grad=True)
    tt.sum(tt.r_[v, 3.0 * v] ** 2).backward()
    np.testing.assert_allclose(v.grad, 2 * a + 18 * a)


def test_string_directives_are_refused():
    with pytest.raises(NotImplementedError, match="directives"):
        tt.r_["0,2", np.ones(2)]


@pytest.mark.parametrize("kth", [0, 3, -1, [1, 4]])
@pytest.mark.parametrize("axis", [-1, 0, None])
def test_partition_arranges_as_numpy_with_ties_and_moves_tangents_along(kth, axis):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 4, (6, 6)).astype(float)  # many ties
    expected = np.partition(x, kth, axis=axis)
    assert np.array_equal(tt.partition(x, kth, axis=axis), expected)
    marks = np.arange(x.size, dtype=float).reshape(x.shape)  # which entry went where
    out = tt.partition(Dual(x, marks), kth, axis=axis)
    assert np.array_equal(out.primal, expected)
    moved = out.tangent.astype(int)
    assert np.array_equal(x.ravel()[moved], expected)  # each position holds an entry of its value
    if axis is not None:  # a permutation within each line
        lines = np.moveaxis(moved, axis, -1).reshape(-1, 6)
        origin = np.moveaxis(marks.astype(int), axis, -1).reshape(-1, 6)
        assert all(sorted(line) == sorted(start) for line, start in zip(lines, origin))


def test_argpartition_is_numpys_and_not_differentiable():
    x = np.array([3.0, 1.0, 2.0])
    assert np.array_equal(tt.argpartition(Dual(x, np.ones(3)), 1), np.argpartition(x, 1))
    with pytest.raises(NotImplementedError, match="order"):
        tt.partition(x, 1, order="a")
