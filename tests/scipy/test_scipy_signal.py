"""tinytorch.scipy.signal: SciPy's values (N-d, every mode and method, the inputs swapped
for "valid", float32 too, on arrays and boxes); Jacobians against SciPy's convolutions of
basis arrays; the VJP against SciPy's correlate (the convolution with the flipped kernel);
finite differences to second order in both modes, FFT included; traced sparsity patterns
against the Jacobians' nonzeros; the errors."""

import numpy as np
import pytest
import scipy.signal as ss

from tinytorch.autograd import Dual, Variable, gradcheck, jacfwd, jacrev, jvp, sparsity, vjp
from tinytorch.autograd.primitive import unbox_all as plain  # a result's value, boxed or not
from tinytorch.scipy import signal

rng = np.random.default_rng(0)

SHAPES = {  # (in1, in2): in2 smaller, larger (valid swaps them), mixed sizes; 1-d to 3-d
    "1d": ((7,), (3,)),
    "1d-larger-in2": ((3,), (6,)),
    "2d": ((5, 6), (3, 2)),
    "2d-larger-in2": ((2, 3), (4, 5)),
    "3d": ((3, 4, 2), (2, 2, 2)),
}
MODES = ["full", "valid", "same"]
METHODS = ["auto", "direct", "fft"]


def pair(name: str, dtype=np.float64) -> tuple:
    s1, s2 = SHAPES[name]
    return rng.standard_normal(s1).astype(dtype), rng.standard_normal(s2).astype(dtype)


def basis_jacobian(f, x) -> np.ndarray:
    """The Jacobian of a linear f, column by column: f of each basis array."""
    columns = []
    for k in range(x.size):
        e = np.zeros(x.size)
        e[k] = 1.0
        columns.append(np.ravel(f(e.reshape(x.shape))))
    return np.stack(columns, axis=-1)


# --- values ----------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shapes", SHAPES)
def test_convolve_values_are_scipys(shapes, mode, method, dtype):
    x, y = pair(shapes, dtype)
    expected = ss.convolve(x, y, mode, method)
    for a, b in ((x, y), (Dual(x, np.ones_like(x)), y), (x, Variable(y, requires_grad=True))):
        out = np.asarray(plain(signal.convolve(a, b, mode, method)))
        assert out.dtype == expected.dtype and out.shape == expected.shape
        np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shapes", SHAPES)
def test_correlate_values_are_scipys_to_rounding(shapes, mode, method, dtype):
    # SciPy's direct method swaps the inputs and reverses the result where in2 is larger:
    # the same sums, in another order
    x, y = pair(shapes, dtype)
    expected = ss.correlate(x, y, mode, method)
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    for a in (x, Dual(x, np.ones_like(x))):
        out = np.asarray(plain(signal.correlate(a, y, mode, method)))
        assert out.dtype == expected.dtype and out.shape == expected.shape
        np.testing.assert_allclose(out, expected, rtol=rtol, atol=rtol * np.abs(expected).max())


def test_scalars_multiply_and_empty_inputs_give_scipys_result():
    assert float(signal.convolve(np.float64(2.0), Dual(3.0, 1.0)).tangent) == 2.0
    empty = signal.convolve(np.ones((2, 0)), Dual(np.ones((1, 1)), np.ones((1, 1))), method="direct")
    np.testing.assert_array_equal(empty, ss.convolve(np.ones((2, 0)), np.ones((1, 1)), method="direct"))


# --- derivatives ------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shapes", SHAPES)
def test_jacobians_are_scipys_convolutions_of_basis_arrays(shapes, mode):
    x, y = pair(shapes)
    out_shape = ss.convolve(x, y, mode).shape
    in_x = basis_jacobian(lambda e: ss.convolve(e, y, mode), x).reshape(out_shape + x.shape)
    in_y = basis_jacobian(lambda e: ss.convolve(x, e, mode), y).reshape(out_shape + y.shape)
    f = lambda x, y: signal.convolve(x, y, mode)  # noqa: E731
    for transform in (jacfwd, jacrev):
        jx, jy = transform(f, argnums=(0, 1))(x, y)
        np.testing.assert_allclose(jx, in_x, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(jy, in_y, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("shapes", ["1d", "2d", "3d"])
def test_the_vjp_is_the_correlation_with_the_kernel(shapes):
    # in1's cotangent of "full" is SciPy's correlate(g, in2, "valid") = convolve(g, flip(in2), "valid"),
    # and of "valid" correlate(g, in2, "full")
    x, y = pair(shapes)
    for mode, back in (("full", "valid"), ("valid", "full")):
        out, pullback = vjp(lambda x, mode=mode: signal.convolve(x, y, mode), x)
        g = rng.standard_normal(out.shape)
        (gx,) = pullback(g)
        np.testing.assert_allclose(gx, ss.correlate(g, y, back), rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(gx, ss.convolve(g, np.flip(y), back), rtol=1e-12, atol=1e-14)
    # and in2's, of "full": the correlation with in1
    out, pullback = vjp(lambda y: signal.convolve(x, y), y)
    g = rng.standard_normal(out.shape)
    np.testing.assert_allclose(pullback(g)[0], ss.correlate(g, x, "valid"), rtol=1e-12, atol=1e-14)


def test_the_jvp_is_the_convolution_with_the_tangent():
    x, y = pair("2d")
    t, s = rng.standard_normal(x.shape), rng.standard_normal(y.shape)
    for mode in MODES:
        _, tangent = jvp(lambda x, y, mode=mode: signal.convolve(x, y, mode), (x, y), (t, s))
        np.testing.assert_allclose(tangent, ss.convolve(t, y, mode) + ss.convolve(x, s, mode), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shapes", ["1d-larger-in2", "2d", "2d-larger-in2"])
def test_gradcheck_to_second_order(shapes, mode, method):
    assert gradcheck(lambda x, y: signal.convolve(x, y, mode, method), pair(shapes), order=2)
    assert gradcheck(lambda x, y: signal.correlate(x, y, mode, method), pair(shapes), order=2)


def test_float32_in_float32_derivatives_out():
    x, y = pair("2d", np.float32)
    f = lambda x, y: signal.convolve(x, y, "same")  # noqa: E731
    assert {j.dtype for j in jacrev(f, argnums=(0, 1))(x, y)} == {np.dtype(np.float32)}
    assert jacfwd(jacrev(f))(x, y).dtype == np.float32


# --- sparsity patterns ------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shapes", SHAPES)
def test_traced_patterns_are_the_jacobians_nonzeros(shapes, mode):
    x, y = pair(shapes)
    f = lambda x, y: signal.convolve(x, y, mode, "direct")  # noqa: E731
    nonzero = np.hstack([j.reshape(-1, a.size) for j, a in zip(jacrev(f, argnums=(0, 1))(x, y), (x, y))]) != 0
    np.testing.assert_array_equal(sparsity(f, argnums=(0, 1))(x, y).toarray(), nonzero)
    y.flat[::2] = 0.0  # a constant kernel's zeros read nothing
    g = lambda x: signal.convolve(x, y, mode, "direct")  # noqa: E731
    np.testing.assert_array_equal(sparsity(g)(x).toarray(), jacrev(g)(x).reshape(-1, x.size) != 0)


# --- errors -----------------------------------------------------------------------------------


def test_scipys_errors():
    with pytest.raises(ValueError, match="same dimensionality"):
        signal.convolve(np.ones(3), Dual(np.ones((2, 2)), np.ones((2, 2))))
    with pytest.raises(ValueError, match="at least as large as the other in every dimension"):
        signal.convolve(np.ones((3, 1)), np.ones((2, 2)), "valid")
    with pytest.raises(ValueError, match="Acceptable mode flags"):
        signal.correlate(np.ones(3), np.ones(2), "middle")
    with pytest.raises(ValueError, match="Acceptable method flags"):
        signal.convolve(np.ones(3), np.ones(2), method="winograd")


@pytest.mark.parametrize("mode", ["full", "valid", "same"])
@pytest.mark.parametrize("shapes", [((5,), (3,)), ((3,), (5,)), ((4, 3), (2, 2)), ((), ())])
def test_correlate_conjugates_a_complex_second_input_as_scipy_does(mode, shapes):
    rng = np.random.default_rng(7)
    a, b = (rng.standard_normal(s) + 1j * rng.standard_normal(s) for s in shapes)
    for x, y in [(a, b), (a.real, b), (a, b.real)]:
        expected = ss.correlate(x, y, mode)
        np.testing.assert_allclose(signal.correlate(x, y, mode), expected, rtol=1e-12, atol=1e-12)
        boxed = signal.correlate(Variable(x, requires_grad=True), y, mode)
        np.testing.assert_allclose(plain(boxed), expected, rtol=1e-12)
    assert gradcheck(lambda a, b: signal.correlate(a, b, mode), (a, b), order=2)
