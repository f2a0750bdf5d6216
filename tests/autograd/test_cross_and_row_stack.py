"""tt.cross with NumPy's full signature (axisa, axisb, axisc, axis) and its 2-vectors, and
tt.row_stack, NumPy's deprecated alias of vstack: NumPy's values, errors and warnings, on
arrays and boxes; derivatives against central differences of NumPy's own functions (exact
to rounding: the cross product is bilinear) and closed forms."""

import warnings

import numpy as np
import pytest

import tinytorch as tt
from tinytorch.autograd import Dual, Variable, jacfwd, jacrev, jvp, vjp
from tinytorch.autograd.primitive import unbox_all as plain  # a result's value, boxed or not

rng = np.random.default_rng(3)
DEPRECATED_2D = "Arrays of 2-dimensional vectors are deprecated"


def quietly(f, *args, **kwargs):
    """f(*args, **kwargs) with DeprecationWarnings silenced (NumPy's own cross of 2-vectors)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return f(*args, **kwargs)


# a's shape, b's shape, keywords: every pairing of 2- and 3-vectors, broadcasting, the axes
CROSS = {
    "3-3": ((3,), (3,), {}),
    "3-3-batched-broadcast": ((4, 1, 3), (5, 3), {}),
    "3-3-axis0": ((3, 4), (3, 4), {"axis": 0}),
    "3-3-axis-overrides-the-others": ((2, 3), (2, 3), {"axis": 1, "axisa": 0, "axisb": 0, "axisc": 0}),
    "3-3-axisa-axisb-axisc": ((3, 4), (2, 4, 3), {"axisa": 0, "axisb": -1, "axisc": 1}),
    "3-3-negative-axes": ((2, 3, 4), (3, 1), {"axisa": -2, "axisb": -2, "axisc": -1}),
    "2-2": ((2,), (2,), {}),
    "2-2-batched": ((4, 2), (2,), {}),
    "2-2-axisc-ignored": ((2, 3), (2, 3), {"axisa": 0, "axisb": 0, "axisc": 5}),
    "2-3": ((2,), (3,), {}),
    "2-3-batched-axisc0": ((4, 2), (3,), {"axisc": 0}),
    "3-2": ((3,), (2,), {}),
    "3-2-axis1": ((2, 3, 1), (2, 2, 4), {"axis": 1}),
}
TWO_D = {name for name in CROSS if not name.startswith("3-3")}  # a 2-vector among a and b


def cross_inputs(name: str) -> tuple:
    shape_a, shape_b, kwargs = CROSS[name]
    return rng.standard_normal(shape_a), rng.standard_normal(shape_b), kwargs


@pytest.mark.parametrize("name", sorted(CROSS))
def test_cross_values_are_numpys(name):
    a, b, kwargs = cross_inputs(name)
    expected = quietly(np.cross, a, b, **kwargs)
    boxes = {
        "plain": (a, b),
        "Dual": (Dual(a, np.ones_like(a)), b),
        "Variable": (a, Variable(b, requires_grad=True)),
        "lists": (a.tolist(), b.tolist()),
    }
    for kind, (x, y) in boxes.items():
        out = quietly(tt.cross, x, y, **kwargs)
        if kind in ("plain", "lists"):
            assert type(out) is np.ndarray, kind  # a 0-d array for two 2-vectors, as NumPy's
        assert np.shape(plain(out)) == expected.shape, kind
        np.testing.assert_array_equal(plain(out), expected, err_msg=kind)
    out32 = quietly(tt.cross, a.astype(np.float32), b.astype(np.float32), **kwargs)
    assert out32.dtype == np.float32
    np.testing.assert_allclose(out32, expected, rtol=1e-5, atol=1e-6)


def test_cross_of_integers_and_the_signs_of_zeros_are_numpys():
    a, b = np.array([[1, 2, 3], [4, 5, 6]]), np.array([7, 8, 9])
    out = tt.cross(a, b)
    assert out.dtype == np.cross(a, b).dtype
    np.testing.assert_array_equal(out, np.cross(a, b))
    # a 2-vector's implicit third component: NumPy negates a product (-(1 * 0) is -0.0)
    for x, y in [([1.0, 0.0], [0.0, 1.0, 0.0]), ([0.0, 1.0, 0.0], [1.0, 0.0]), ([1.0, 0.0, 0.0], [0.0, 1.0, 0.0])]:
        expected = quietly(np.cross, np.array(x), np.array(y))
        out = quietly(tt.cross, np.array(x), np.array(y))
        np.testing.assert_array_equal(np.signbit(out), np.signbit(expected))
        np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("name", sorted(CROSS))
def test_cross_warns_as_numpy_does_for_2_vectors(name):
    a, b, kwargs = cross_inputs(name)
    for f in (np.cross, tt.cross):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            f(a, b, **kwargs)
        deprecations = [w for w in caught if issubclass(w.category, DeprecationWarning)]
        assert len(deprecations) == (name in TWO_D), (f, [str(w.message) for w in caught])
        for w in deprecations:
            assert DEPRECATED_2D in str(w.message)
            assert w.filename == __file__  # stacklevel: the warning points at the caller


@pytest.mark.parametrize(
    "a, b, kwargs, error, message",
    [
        (np.array(1.0), np.ones(3), {}, ValueError, "zero dimension"),
        (np.ones(3), np.array(2.0), {}, ValueError, "zero dimension"),
        (np.ones(4), np.ones(3), {}, ValueError, "dimension must be 2 or 3"),
        (np.ones((3, 4)), np.ones((3, 4)), {}, ValueError, "dimension must be 2 or 3"),
        (np.ones(3), np.ones(3), {"axisa": 1}, np.exceptions.AxisError, "axisa"),
        (np.ones(3), np.ones((2, 3)), {"axisb": -3}, np.exceptions.AxisError, "axisb"),
        (np.ones(3), np.ones((2, 3)), {"axisc": 2}, np.exceptions.AxisError, "axisc"),
        (np.ones(3), np.ones(3), {"axis": 1}, np.exceptions.AxisError, "axisa"),
    ],
)
def test_cross_raises_numpys_errors(a, b, kwargs, error, message):
    for f in (np.cross, tt.cross):
        with pytest.raises(error, match=message):
            f(a, b, **kwargs)
    with pytest.raises(error, match=message):
        tt.cross(Dual(a, np.ones_like(a)), b, **kwargs)


def fd_jacobian(f, xs: tuple, eps: float = 1e-3) -> np.ndarray:
    """Central differences of f's flattened output, one column per entry of the inputs (exact
    to rounding for an f linear in each input, whatever eps)."""
    columns = []
    for i, x in enumerate(xs):
        for k in range(x.size):
            step = np.zeros_like(x)
            step.reshape(-1)[k] = eps
            plus = f(*xs[:i], x + step, *xs[i + 1 :])
            minus = f(*xs[:i], x - step, *xs[i + 1 :])
            columns.append((np.ravel(plus) - np.ravel(minus)) / (2 * eps))
    return np.stack(columns, axis=1)


def matrix(jacobian: tuple, out_size: int) -> np.ndarray:
    """jacfwd / jacrev's blocks (one per input) as one out_size x (inputs' size) matrix."""
    return np.concatenate([np.reshape(block, (out_size, -1)) for block in jacobian], axis=1)


@pytest.mark.parametrize("name", sorted(CROSS))
def test_cross_jacobians_are_the_differences_of_numpys_cross(name):
    a, b, kwargs = cross_inputs(name)
    expected = fd_jacobian(lambda x, y: quietly(np.cross, x, y, **kwargs), (a, b))
    f = lambda x, y: tt.cross(x, y, **kwargs)  # noqa: E731
    size = np.size(quietly(np.cross, a, b, **kwargs))
    for transform in (jacfwd, jacrev):
        found = matrix(quietly(transform(f, argnums=(0, 1)), a, b), size)
        np.testing.assert_allclose(found, expected, rtol=1e-12, atol=1e-12, err_msg=transform.__name__)


@pytest.mark.parametrize("name", sorted(CROSS))
def test_cross_second_derivatives_are_the_closed_forms(name):
    a, b, kwargs = cross_inputs(name)
    da, db = rng.standard_normal(a.shape), rng.standard_normal(b.shape)
    cross = lambda x, y: tt.cross(x, y, **kwargs)  # noqa: E731

    def directional(x, y):  # d/dt cross(a + t da, b + t db) = cross(da, y) + cross(x, db), at t = 0
        return jvp(cross, (x, y), (da, db))[1]

    # forward over forward: d^2/dt^2 cross(a + t da, b + t db) = 2 cross(da, db)
    second = quietly(lambda: jvp(directional, (a, b), (da, db))[1])
    np.testing.assert_allclose(second, 2 * quietly(np.cross, da, db, **kwargs), rtol=1e-12, atol=1e-13)
    # reverse over forward: <u, directional> is linear in (a, b), so its differences are exact
    u = rng.standard_normal(np.shape(quietly(np.cross, a, b, **kwargs)))
    pulled = quietly(lambda: vjp(directional, a, b)[1](u))
    numpy_directional = lambda x, y: np.sum(  # noqa: E731
        u * (quietly(np.cross, da, y, **kwargs) + quietly(np.cross, x, db, **kwargs))
    )
    expected = fd_jacobian(numpy_directional, (a, b))[0]
    np.testing.assert_allclose(np.concatenate([np.ravel(p) for p in pulled]), expected, rtol=1e-10, atol=1e-12)


def test_numpys_cross_on_boxes_is_tt_cross():
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((3, 2))
    out = np.cross(Dual(a, np.ones_like(a)), b, axisb=0, axisc=0)
    np.testing.assert_array_equal(out.primal, np.cross(a, b, axisb=0, axisc=0))
    # tangent: cross(da, b) with da all ones
    np.testing.assert_allclose(out.tangent, np.cross(np.ones_like(a), b, axisb=0, axisc=0), rtol=1e-15)


# --- row_stack ---------------------------------------------------------------------------------


def test_row_stack_is_exported():
    assert "row_stack" in tt.__all__ and callable(tt.row_stack)


@pytest.mark.parametrize("kind", ["plain", "Dual", "Variable"])
def test_row_stack_is_vstack_with_numpys_deprecation_warning(kind):
    a, b = rng.standard_normal(4), rng.standard_normal((2, 4))
    x = {"plain": a, "Dual": Dual(a, np.ones_like(a)), "Variable": Variable(a, requires_grad=True)}[kind]
    with pytest.warns(DeprecationWarning, match="`row_stack` alias is deprecated") as caught:
        out = tt.row_stack([x, b])
    assert caught[0].filename == __file__  # stacklevel: the warning points at the caller
    np.testing.assert_array_equal(plain(out), np.vstack([a, b]))


def test_row_stack_passes_dtype_and_casting_on():
    a, b = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    with pytest.warns(DeprecationWarning):
        out = tt.row_stack([a, b], dtype=np.float32)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, np.vstack([a, b]).astype(np.float32))
    with pytest.warns(DeprecationWarning), pytest.raises(TypeError, match="according to the rule 'safe'"):
        tt.row_stack([a, b], dtype=np.int64, casting="safe")


def test_row_stack_jacobian_is_the_identity_in_row_order():
    a, b = rng.standard_normal(3), rng.standard_normal((2, 3))
    f = lambda x, y: quietly(tt.row_stack, [x, y])  # noqa: E731
    expected = np.eye(9)  # the entries of a, then those of b, in the output's row-major order
    for transform in (jacfwd, jacrev):
        np.testing.assert_array_equal(matrix(transform(f, argnums=(0, 1))(a, b), 9), expected)
