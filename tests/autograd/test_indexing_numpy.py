"""Indexing with NumPy's semantics, NumPy itself as the oracle.

`x[key]`, `tt.getitem`, `tt.index_update` (item assignment on Variables),
`tt.take` and `tt.take_along_axis` must give NumPy's values, shapes, dtypes and
errors (type and message) on a generated grid of keys: slices, integers, integer
arrays, lists and tuples (a tuple inside a key is an index array), boolean masks
of every rank (also of the wrong shape, also as lists), scalar booleans, None and
Ellipsis, alone and combined. Their derivatives are those of linear maps, checked
exactly in both modes: the tangent of `x[key]` is `v[key]`, and the cotangent of x
is the scatter-add of g to the positions NumPy reads
(`np.arange(x.size).reshape(x.shape)[key]`).
"""

from __future__ import annotations

import itertools
from operator import getitem

import numpy as np
import pytest

import tinytorch as tt
from tinytorch.autograd import Dual, Variable, grad, jacfwd, jacrev, jvp, no_grad

# --- the grid of keys -------------------------------------------------------------------------

# fmt: off
ATOMS = [
    slice(None), slice(1, None), slice(None, None, -2), 0, -1, 5, None, Ellipsis,
    True, False, np.True_, np.array(False), 1.5,
    [0, 1], [1, -1, 0], [], (1, 0), np.array([[0], [1]]), np.array([0.5]),
    [True, False, True], np.array([True, False]), np.array([True, False, True, True]),
    np.array([False, False, False]), np.array([True]), np.zeros(0, bool), np.array([True, False, False, True, True]),
    np.ones((2, 3), bool), np.array([[True, False, True], [False, True, True]]), np.zeros((3, 4), bool),
    np.zeros((0, 3), bool), np.array([[True], [False]]),
]
# fmt: on


def grid(n_triples: int) -> list:
    """Every atom alone and as a 1-tuple, every pair, and a seeded sample of triples."""
    triples = list(itertools.product(ATOMS, repeat=3))
    picks = np.random.default_rng(0).choice(len(triples), n_triples, replace=False)
    return ATOMS + [(a,) for a in ATOMS] + list(itertools.product(ATOMS, repeat=2)) + [triples[i] for i in picks]


SHAPES = {"3d": ((2, 3, 4), 3000), "vector": ((3,), 300), "scalar": ((), 300)}
by_shape = pytest.mark.parametrize("shape, n_triples", SHAPES.values(), ids=SHAPES.keys())


def outcome(f, *args) -> tuple:
    """("ok", f(*args)) or (error type, message)."""
    try:
        return "ok", f(*args)
    except Exception as e:  # noqa: BLE001 - any error is compared with NumPy's
        return type(e), str(e)


def positions(shape: tuple, key) -> np.ndarray:
    """The flat positions `x[key]` reads, by NumPy's own indexing."""
    return np.arange(int(np.prod(shape))).reshape(shape)[key]


def scatter(shape: tuple, key, g: np.ndarray) -> np.ndarray:
    """The cotangent of x for `x[key]` and output cotangent g: g summed into the positions read."""
    pos = positions(shape, key)
    return np.bincount(pos.ravel(), weights=g.ravel(), minlength=int(np.prod(shape))).reshape(shape)


def sample(shape: tuple, rng: np.random.Generator, dtype=np.float64) -> np.ndarray:
    return rng.standard_normal(shape).astype(dtype)


def describe(key) -> str:
    return " ".join(repr(key).split())


# --- values, shapes and errors ---------------------------------------------------------------


@by_shape
def test_getitem_matches_numpy_on_a_grid_of_keys(shape, n_triples):
    x = sample(shape, np.random.default_rng(1))
    wrong = []
    n_values = 0
    for key in grid(n_triples):
        expected = outcome(getitem, x, key)
        for kind, box in (("array", x), ("Variable", Variable(x)), ("Dual", Dual(x))):
            got = outcome(getitem, box, key)
            if expected[0] != "ok" or got[0] != "ok":
                if got != expected:
                    wrong.append((describe(key), kind, expected, got))
                continue
            value = np.asarray(got[1] if kind == "array" else got[1]._value)
            if (
                value.shape != expected[1].shape
                or value.dtype != expected[1].dtype
                or not np.array_equal(value, expected[1])
            ):
                wrong.append((describe(key), kind, "value"))
            n_values += 1
    assert wrong == []
    assert n_values > 100  # the grid is not all errors


@by_shape
def test_getitem_derivatives_on_a_grid_of_keys(shape, n_triples):
    rng = np.random.default_rng(2)
    wrong = []
    for dtype in (np.float64, np.float32):
        x, v = sample(shape, rng, dtype), sample(shape, rng, dtype)
        for key in grid(n_triples):
            expected = outcome(getitem, x, key)
            if expected[0] != "ok":
                continue
            out = Dual(x, v)[key]
            if out.tangent.dtype != dtype or not np.array_equal(out.tangent, v[key]):
                wrong.append((describe(key), dtype.__name__, "forward"))
            g = sample(expected[1].shape, rng, dtype)
            xv = Variable(x, requires_grad=True)
            xv[key].backward(gradient=g)
            if xv.grad.dtype != dtype or not np.allclose(xv.grad, scatter(shape, key, g), rtol=1e-6, atol=1e-6):
                wrong.append((describe(key), dtype.__name__, "reverse"))
    assert wrong == []


def test_wrong_length_masks_raise_numpys_error():
    x = np.arange(12.0).reshape(3, 4)
    for key in (
        [True, False],
        np.array([True, False, True, False]),
        (slice(None), np.array([True] * 3)),
        (..., np.ones(5, bool)),
        np.ones((3, 3), bool),
        (None, np.array([False] * 4)),
    ):
        with pytest.raises(IndexError) as numpy_error:
            x[key]
        assert "boolean index did not match" in str(numpy_error.value)
        for box in (Variable(x, requires_grad=True), Dual(x, np.ones_like(x)), x):
            with pytest.raises(IndexError) as ours:
                tt.getitem(box, key)
            assert str(ours.value) == str(numpy_error.value)
        with pytest.raises(IndexError, match="boolean index did not match"):
            grad(lambda z, key=key: tt.sum(z[key]))(x)
        with pytest.raises(IndexError, match="boolean index did not match"):
            tt.index_update(x, key, 0.0)
        y = Variable(x, requires_grad=True) * 1.0
        with pytest.raises(IndexError, match="boolean index did not match"):
            y[key] = 0.0


def test_errors_name_the_axis_the_caller_indexed():
    # the key is applied after inserting the new axes; the message must still count the caller's
    x = np.zeros((2, 3))
    for key in ((None, 5), (True, slice(None), [7]), (np.False_, 0, 9)):
        with pytest.raises(IndexError) as numpy_error:
            x[key]
        with pytest.raises(IndexError) as ours:
            Variable(x)[key]
        assert str(ours.value) == str(numpy_error.value)


@pytest.mark.parametrize(
    "key, shape",
    [
        (True, (1, 3, 4)),
        (False, (0, 3, 4)),
        (np.True_, (1, 3, 4)),
        ((..., False), (3, 4, 0)),
        ((None, True), (1, 1, 3, 4)),
        ((True, [2, 0]), (2, 4)),
        ((0, True), (1, 4)),
        ((np.array([True, False, True]), slice(1, None)), (2, 3)),
        ((..., np.array([True, False, False, True])), (3, 2)),
        ([False, True, True], (2, 4)),
        (([True, True, False], [0, 3]), (2,)),
        ((np.ones((3, 4), bool), None), (12, 1)),
    ],
    ids=describe,
)
def test_named_boolean_keys(key, shape):
    x = np.arange(12.0).reshape(3, 4)
    assert x[key].shape == shape  # what NumPy does, as the brief describes it
    np.testing.assert_array_equal(tt.getitem(x, key), x[key])
    np.testing.assert_array_equal(Variable(x)[key].data, x[key])


# --- derivatives through masks, closed forms -----------------------------------------------------

MASK = np.array([[True, False, True, True], [False, False, True, False], [True, True, False, True]])
MASKED_KEYS = {
    "mask": (MASK, MASK),
    "mask-as-list": (MASK.tolist(), MASK),
    "row-mask-and-slice": (
        (np.array([True, False, True]), slice(1, None)),
        np.array([[False, True, True, True], [False] * 4, [False, True, True, True]]),
    ),
    "ellipsis-and-column-mask": (
        (..., np.array([False, True, False, True])),
        np.tile([False, True, False, True], (3, 1)),
    ),
    "scalar-true-and-mask": ((True, MASK), MASK),
    "ellipsis-false": ((..., False), np.zeros((3, 4), bool)),
}
by_masked_key = pytest.mark.parametrize("key, selected", MASKED_KEYS.values(), ids=MASKED_KEYS.keys())


@by_masked_key
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_gradient_of_sum_of_squares_is_2x_on_the_mask(key, selected, dtype):
    x = np.random.default_rng(3).standard_normal((3, 4)).astype(dtype)
    f = lambda z: tt.sum(z[key] ** 2)
    expected = np.where(selected, 2 * x, 0).astype(dtype)
    for g in (grad(f)(x), jacrev(f)(x), jacfwd(f)(x)):
        assert g.dtype == dtype
        np.testing.assert_allclose(g, expected, rtol=1e-6)
    v = np.ones_like(x)
    _, t = jvp(f, (x,), (v,))
    assert np.asarray(t).dtype == dtype
    np.testing.assert_allclose(t, np.sum(expected), rtol=1e-5)


@by_masked_key
def test_jacobian_of_masked_read_is_the_selection(key, selected):
    x = np.random.default_rng(4).standard_normal((3, 4))
    out = x[key]
    # one row per entry read, a one at the position it reads
    selection = np.eye(12)[positions(x.shape, key).ravel()].reshape(out.shape + x.shape)
    np.testing.assert_array_equal(jacfwd(lambda z: z[key])(x), selection)
    np.testing.assert_array_equal(jacrev(lambda z: z[key])(x), selection)
    assert np.count_nonzero(selection) == np.count_nonzero(selected)


# --- index_update and item assignment ----------------------------------------------------------


def numpy_update(x: np.ndarray, key, value) -> np.ndarray:
    y = x.copy()
    y[key] = value
    return y


def test_index_update_matches_numpy_setitem_on_a_grid_of_keys():
    shape = (2, 3, 4)
    rng = np.random.default_rng(5)
    x = sample(shape, rng)
    wrong = []
    n_checked = n_repeats = 0
    for key in grid(1500):
        read = outcome(positions, shape, key)
        if read[0] != "ok":
            got = outcome(tt.index_update, x, key, 1.0)
            if got[0] is not read[0]:
                wrong.append((describe(key), read, got))
            continue
        target = read[1]
        value = sample(target.shape, rng)
        n_repeats += np.unique(target).size < target.size  # NumPy keeps the last write, and so must we
        for v in (value, value[None], value[None, None], 7.0, value[..., :1] if value.ndim else value):
            expected = outcome(numpy_update, x, key, v)
            got = outcome(tt.index_update, x, key, v)
            if expected[0] != got[0] or expected[0] == "ok" and not np.array_equal(got[1], expected[1]):
                wrong.append((describe(key), np.shape(v), expected[0], got[0]))
            n_checked += expected[0] == "ok"
    assert wrong == []
    assert n_checked > 1000 and n_repeats > 0


def test_index_update_derivatives_on_a_grid_of_keys():
    shape = (2, 3, 4)
    rng = np.random.default_rng(6)
    wrong = []
    for key in grid(1500):
        read = outcome(positions, shape, key)
        if read[0] != "ok" or np.unique(read[1]).size < read[1].size:
            continue
        for dtype in (np.float64, np.float32):
            x, tx = sample(shape, rng, dtype), sample(shape, rng, dtype)
            v, tv = sample(read[1].shape, rng, dtype), sample(read[1].shape, rng, dtype)
            # linear in (x, v): the tangent is the update of the tangents
            out = tt.index_update(Dual(x, tx), key, Dual(v, tv))
            if out.tangent.dtype != dtype or not np.array_equal(out.tangent, numpy_update(tx, key, tv)):
                wrong.append((describe(key), dtype.__name__, "forward"))
            g = sample(shape, rng, dtype)
            xv, vv = Variable(x, requires_grad=True), Variable(v, requires_grad=True)
            tt.index_update(xv, key, vv).backward(gradient=g)
            if not (
                xv.grad.dtype == vv.grad.dtype == dtype
                and np.array_equal(xv.grad, numpy_update(g, key, 0))
                and np.array_equal(vv.grad, g[key])
            ):
                wrong.append((describe(key), dtype.__name__, "reverse"))
    assert wrong == []


def test_item_assignment_through_a_mask_on_a_variable():
    rng = np.random.default_rng(7)
    xv, wv = rng.standard_normal((3, 4)), rng.standard_normal(MASK.sum())
    x, w = Variable(xv, requires_grad=True), Variable(wv, requires_grad=True)
    y = x * 1.0
    y[MASK] = w * 3.0
    loss = tt.sum(y**2)
    np.testing.assert_allclose(loss.item(), np.sum(numpy_update(xv, MASK, 3 * wv) ** 2))
    loss.backward()
    np.testing.assert_allclose(x.grad, np.where(MASK, 0.0, 2 * xv))
    np.testing.assert_allclose(w.grad, 18 * wv)


def test_item_assignment_with_scalar_booleans_and_new_axes():
    x = Variable(np.arange(12.0).reshape(3, 4), requires_grad=True)
    y = x * 2.0
    y[True, 1] = np.full((1, 4), -1.0)  # the target has shape (1, 4)
    y[None, 2] = np.array([5.0, 6.0, 7.0, 8.0])  # (4,) broadcasts to (1, 4)
    y[False] = 100.0  # selects nothing
    expected = numpy_update(
        numpy_update(numpy_update(np.arange(12.0).reshape(3, 4) * 2, (True, 1), -1.0), (None, 2), [5.0, 6.0, 7.0, 8.0]),
        False,
        100.0,
    )
    np.testing.assert_array_equal(y.data, expected)
    y.backward(gradient=np.ones((3, 4)))
    np.testing.assert_array_equal(x.grad, [[2.0] * 4, [0.0] * 4, [0.0] * 4])


def test_item_assignment_outside_a_graph_is_numpys():
    x = Variable(np.zeros((3, 4)))
    x[MASK] = 1.0
    with no_grad():
        w = Variable(np.zeros((3, 4)), requires_grad=True)
        w[..., np.array([True, False, False, True])] = 2.0
    np.testing.assert_array_equal(x.data, MASK.astype(float))
    np.testing.assert_array_equal(w.data, numpy_update(np.zeros((3, 4)), (..., [True, False, False, True]), 2.0))


# --- take and take_along_axis -----------------------------------------------------------------


@pytest.mark.parametrize(
    "indices",
    [[True, False], np.array([True, False, True]), np.True_, [1.7, 0.2], [2, -1], np.array([[0, 1]]), 7],
    ids=describe,
)
@pytest.mark.parametrize("axis", [None, 0, 1])
def test_take_casts_indices_to_integers_as_numpy_does(indices, axis):
    x = np.arange(6.0).reshape(2, 3)
    expected = outcome(np.take, x, indices, axis)
    got = outcome(tt.take, x, indices, axis)
    if expected[0] != "ok":
        assert got == expected
        return
    np.testing.assert_array_equal(got[1], expected[1])
    assert np.shape(got[1]) == np.shape(expected[1])
    f = lambda z: tt.take(z, indices, axis=axis)
    read = np.take(np.arange(6).reshape(2, 3), indices, axis=axis)
    selection = np.eye(6)[np.ravel(read)].reshape(np.shape(read) + x.shape)
    np.testing.assert_array_equal(jacfwd(f)(x), selection)
    np.testing.assert_array_equal(jacrev(f)(x), selection)


@pytest.mark.parametrize(
    "indices, axis",
    [
        (np.array([[2, 0, 0]]), 1),  # broadcasts along axis 0
        (np.array([[1], [0]]), 1),
        (np.array([[1, 0, 1]]), 0),
        (np.array([[0, 1], [1, 0], [1, 1]]), 0),  # indices longer than the array along the axis
        (np.array([5, 0, 2]), None),
        (np.array([[0, 1, 1, 0]]), 1),  # does not broadcast: NumPy's error
        (np.array([[True, False, True]]), 1),
        (np.array([[0.5, 1.0, 1.0]]), 1),
        (np.array([[0, 1]]), None),
        (np.array([0, 1]), 1),
    ],
    ids=describe,
)
def test_take_along_axis_matches_numpy(indices, axis):
    x = np.arange(6.0).reshape(2, 3) * 1.5
    expected = outcome(np.take_along_axis, x, indices, axis)
    got = outcome(tt.take_along_axis, Variable(x), indices, axis)
    if expected[0] != "ok":
        assert got[0] is expected[0]
        return
    np.testing.assert_array_equal(got[1].data, expected[1])
    f = lambda z: tt.take_along_axis(z, indices, axis=axis)
    read = np.take_along_axis(np.arange(6).reshape(2, 3), indices, axis=axis)
    selection = np.eye(6)[read.ravel()].reshape(read.shape + x.shape)
    np.testing.assert_array_equal(jacfwd(f)(x), selection)
    np.testing.assert_array_equal(jacrev(f)(x), selection)
