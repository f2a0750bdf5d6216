"""tt.fft: NumPy's values, and derivatives against closed forms and finite differences.

The primitive table (primitive_cases.py, "tt.fft" block) checks every public function to
second order in both modes, batched and in float32, on real inputs, and
test_complex_table.py again on complex ones. Here: the values are NumPy's bit for bit;
the transposes are pinned by closed forms that finite differences of the parts cannot
tell from their conjugates (Parseval, the DFT matrix, the transpose of fft being fft);
the R-linear rfft and irfft against their explicit matrices; round trips; third order;
float32; NumPy 2's deprecations and errors.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp

import tinytorch as tt
from tinytorch.autograd import Dual, Variable, grad, gradcheck, jacfwd, jacrev, jvp, sparsity, vjp
from tinytorch.autograd.primitive import unbox_all

RNG = np.random.default_rng(20240613)
X = RNG.standard_normal((3, 6))
Z = RNG.standard_normal((3, 5)) + 1j * RNG.standard_normal((3, 5))
X3 = RNG.standard_normal((2, 3, 4))
NORMS = [None, "backward", "ortho", "forward"]


def plain(x):
    return np.asarray(unbox_all(x))


def forward_scale(norm: str | None, n: int) -> float:
    return {None: 1.0, "backward": 1.0, "ortho": n**-0.5, "forward": 1.0 / n}[norm]


def inverse_scale(norm: str | None, n: int) -> float:
    return {None: 1.0 / n, "backward": 1.0 / n, "ortho": n**-0.5, "forward": 1.0}[norm]


def dft_matrix(n: int) -> np.ndarray:
    """W[k, j] = exp(-2 pi i j k / n): the unscaled forward DFT, built entry by entry."""
    k, j = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    return np.exp(-2j * np.pi * j * k / n)


def pair_weights(n: int) -> np.ndarray:
    """1 for the zero frequency and (n even) the last term of an rfft, 2 for the others."""
    c = np.full(n // 2 + 1, 2.0)
    c[0] = 1.0
    if n % 2 == 0:
        c[-1] = 1.0
    return c


# --- values: NumPy's, bit for bit, on arrays and on boxes ----------------------------------------

CALLS = [  # id, tt's function and NumPy's, the arguments after the array, the input
    ("fft", "fft", (), {}, X),
    ("fft-n-padded-axis0-ortho", "fft", (5, 0, "ortho"), {}, X),
    ("fft-n-cropped-forward", "fft", (4,), {"norm": "forward"}, Z),
    ("ifft", "ifft", (), {}, Z),
    ("ifft-n-padded-backward", "ifft", (8,), {"norm": "backward"}, X),
    ("rfft-even", "rfft", (), {}, X),
    ("rfft-odd-n-ortho", "rfft", (5,), {"norm": "ortho"}, X),
    ("rfft-axis0-n-padded", "rfft", (4, 0), {}, X),
    ("irfft", "irfft", (), {}, Z),
    ("irfft-n-odd-forward", "irfft", (7,), {"norm": "forward"}, Z),
    ("irfft-n-cropped-axis0", "irfft", (2, 0), {}, Z),
    ("irfft-of-real", "irfft", (), {}, X),
    ("hfft", "hfft", (), {}, Z),
    ("hfft-n-odd-ortho", "hfft", (9,), {"norm": "ortho"}, Z),
    ("ihfft", "ihfft", (), {}, X),
    ("ihfft-n-forward", "ihfft", (4,), {"norm": "forward"}, X),
    ("fft2", "fft2", (), {}, X3),
    ("fft2-s-axes", "fft2", ((4, 3),), {"axes": (0, 2)}, X3),
    ("ifft2-ortho", "ifft2", (), {"norm": "ortho"}, Z),
    ("fftn", "fftn", (), {}, X3),
    ("fftn-s-axes-minus-1", "fftn", ((-1, 7),), {"axes": (2, 1)}, X3),
    ("fftn-repeated-axes", "fftn", ((5, 2, 3),), {"axes": (1, 1, 0)}, X3),
    ("ifftn-forward", "ifftn", (), {"norm": "forward"}, Z),
    ("rfft2", "rfft2", (), {}, X3),
    ("rfftn-s-axes", "rfftn", ((3, 5),), {"axes": (0, 2)}, X3),
    ("rfftn-odd-last-axis", "rfftn", (), {}, RNG.standard_normal((3, 5))),
    ("irfft2", "irfft2", (), {}, Z),
    ("irfftn-s-axes-ortho", "irfftn", ((4, 5),), {"axes": (1, 0), "norm": "ortho"}, Z),
    ("irfftn-s-minus-1", "irfftn", ((-1, -1),), {"axes": (0, 1)}, Z),
    ("fftshift", "fftshift", (), {}, X3),
    ("fftshift-axes-int", "fftshift", (), {"axes": 1}, Z),
    ("ifftshift-axes", "ifftshift", (), {"axes": (0, 2)}, X3),
]


@pytest.mark.parametrize("name, args, kwargs, x", [c[1:] for c in CALLS], ids=[c[0] for c in CALLS])
def test_values_are_numpys_bitwise(name, args, kwargs, x):
    expected = getattr(np.fft, name)(x, *args, **kwargs)
    ours = getattr(tt.fft, name)
    for value in (x, Variable(x, requires_grad=True), Dual(x, np.ones_like(x))):
        got = ours(value, *args, **kwargs)
        assert plain(got).dtype == expected.dtype
        np.testing.assert_array_equal(plain(got), expected, strict=True)
    # NumPy's own function hands boxes to tinytorch
    got = getattr(np.fft, name)(Variable(x, requires_grad=True), *args, **kwargs)
    assert isinstance(got, Variable)
    np.testing.assert_array_equal(plain(got), expected, strict=True)


def test_frequencies_are_numpys_own():
    assert tt.fft.fftfreq is np.fft.fftfreq and tt.fft.rfftfreq is np.fft.rfftfreq
    assert sorted(tt.fft.__all__) == sorted(np.fft.__all__)


def test_float32_gives_complex64_and_float32_derivatives():
    x = X.astype(np.float32)
    assert tt.fft.fft(x).dtype == np.complex64 and tt.fft.rfft(x).dtype == np.complex64
    assert tt.fft.irfft(tt.fft.rfft(x)).dtype == np.float32
    _, t = jvp(lambda x: tt.fft.rfftn(x, norm="ortho"), (x,), (np.ones_like(x),))
    assert t.dtype == np.complex64
    for f in (
        lambda x: tt.sum(tt.abs(tt.fft.fft2(x)) ** 2),
        lambda x: tt.sum(tt.fft.irfft(tt.fft.rfft(x) * (1 + 2j), norm="forward") ** 2),
        lambda x: tt.sum(tt.real(tt.fft.ihfft(x, 9))),
    ):
        g = grad(f)(x)
        assert g.dtype == np.float32
        np.testing.assert_allclose(g, grad(f)(x.astype(np.float64)), rtol=2e-4, atol=2e-4)


# --- closed forms ----------------------------------------------------------------------------------


@pytest.mark.parametrize("norm", NORMS)
def test_parseval_gradient(norm):
    # sum |fft(x)|^2 = n s^2 sum |x|^2: the gradient is 2 n s^2 x, and 2 n s^2 conj(z) for a
    # complex z (df/dx - i df/dy, JAX's and HIPS's convention)
    n = X.shape[1]
    k = n * forward_scale(norm, n) ** 2
    f = lambda x: tt.sum(tt.abs(tt.fft.fft(x, norm=norm)) ** 2)
    np.testing.assert_allclose(grad(f)(X), 2 * k * X, rtol=1e-12, atol=1e-12)
    x = Variable(X, requires_grad=True)
    f(x).backward()
    np.testing.assert_allclose(x.grad, 2 * k * X, rtol=1e-12, atol=1e-12)
    n = Z.shape[1]
    k = n * forward_scale(norm, n) ** 2
    np.testing.assert_allclose(grad(f)(Z), 2 * k * np.conj(Z), rtol=1e-12, atol=1e-12)
    # in forward mode, along a complex direction v: 2 k Re(sum conj(z) v)
    v = RNG.standard_normal(Z.shape) + 1j * RNG.standard_normal(Z.shape)
    _, t = jvp(f, (Z,), (v,))
    assert t == pytest.approx(2 * k * np.sum(np.conj(Z) * v).real, rel=1e-12)


def test_derivative_of_the_power_spectrum():
    # d|X_k|^2 / dx_j = 2 Re(conj(X_k) W[k, j]) with X = W x
    x = X[0]
    n = x.size
    w = dft_matrix(n)
    expected = 2 * (np.conj(w @ x)[:, None] * w).real
    spectrum = lambda x: tt.abs(tt.fft.fft(x)) ** 2
    np.testing.assert_allclose(jacfwd(spectrum)(x), expected, rtol=1e-11, atol=1e-11)
    np.testing.assert_allclose(jacrev(spectrum)(x), expected, rtol=1e-11, atol=1e-11)
    # shifted: the same rows, rolled
    shifted = lambda x: tt.fft.fftshift(tt.abs(tt.fft.fft(x)) ** 2)
    np.testing.assert_allclose(jacrev(shifted)(x), np.roll(expected, n // 2, axis=0), rtol=1e-11, atol=1e-11)


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("inverse", [False, True])
def test_jacobian_of_the_parts_is_the_dft_matrix(norm, inverse):
    x = X[1]
    n = x.size
    m = (np.conj(dft_matrix(n)) * inverse_scale(norm, n)) if inverse else dft_matrix(n) * forward_scale(norm, n)
    transform = tt.fft.ifft if inverse else tt.fft.fft
    for part, expected in ((tt.real, m.real), (tt.imag, m.imag)):
        f = lambda x, part=part: part(transform(x, norm=norm))
        np.testing.assert_allclose(jacfwd(f)(x), expected, rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(jacrev(f)(x), expected, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("norm", NORMS)
def test_transpose_of_fft_is_fft_without_conjugation(norm):
    # fft is C-linear with a symmetric matrix: its VJP is fft itself, same norm, not the adjoint
    g = RNG.standard_normal(Z.shape) + 1j * RNG.standard_normal(Z.shape)
    for name in ("fft", "ifft"):
        f = lambda z, name=name: getattr(tt.fft, name)(z, norm=norm)
        (c,) = vjp(f, Z)[1](g)
        np.testing.assert_allclose(c, getattr(np.fft, name)(g, norm=norm), rtol=1e-12, atol=1e-12)
    (c,) = vjp(lambda z: tt.fft.fft2(z, norm=norm), X3 + 0j)[1](X3 * (1 - 1j))
    np.testing.assert_allclose(c, np.fft.fft2(X3 * (1 - 1j), norm=norm), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("n", [6, 7])
def test_rfft_against_its_matrix(norm, n):
    # rfft(x) = M x with M the first n // 2 + 1 rows of s W: J v = M v, and the cotangent of
    # x is Re(M^T g) (a real input keeps the real part)
    x = RNG.standard_normal(n)
    m = forward_scale(norm, n) * dft_matrix(n)[: n // 2 + 1]
    v = RNG.standard_normal(n)
    g = RNG.standard_normal(n // 2 + 1) + 1j * RNG.standard_normal(n // 2 + 1)
    f = lambda x: tt.fft.rfft(x, norm=norm)
    np.testing.assert_allclose(jvp(f, (x,), (v,))[1], m @ v, rtol=1e-12, atol=1e-12)
    (c,) = vjp(f, x)[1](g)
    assert c.dtype == np.float64
    np.testing.assert_allclose(c, (m.T @ g).real, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("n", [6, 7])
def test_irfft_against_its_matrix(norm, n):
    # x_j = s sum_k c_k Re(y_k conj(W[k, j])): the imaginary parts of y_0 and (n even) of
    # y_{n/2} do not count. The cotangent of y_k is s c_k sum_j h_j conj(W[k, j]), so its
    # imaginary part there (-d/d Im y) is 0.
    m = n // 2 + 1
    y = RNG.standard_normal(m) + 1j * RNG.standard_normal(m)
    e = inverse_scale(norm, n) * pair_weights(n)[:, None] * np.conj(dft_matrix(n)[:m])  # (m, n)
    np.testing.assert_allclose(tt.fft.irfft(y, n, norm=norm), (y @ e).real, rtol=1e-12, atol=1e-12)
    t = RNG.standard_normal(m) + 1j * RNG.standard_normal(m)
    h = RNG.standard_normal(n)
    f = lambda y: tt.fft.irfft(y, n, norm=norm)
    np.testing.assert_allclose(jvp(f, (y,), (t,))[1], (t @ e).real, rtol=1e-12, atol=1e-12)
    (c,) = vjp(f, y)[1](h)
    np.testing.assert_allclose(c, e @ h, rtol=1e-12, atol=1e-12)
    ignored = [0, m - 1] if n % 2 == 0 else [0]
    assert np.all(c[ignored].imag == 0.0)
    # and the derivative in an ignored imaginary part is 0 by differences too
    bump = np.zeros(m, complex)
    bump[ignored] = 1e-3j
    np.testing.assert_allclose(tt.fft.irfft(y + bump, n, norm=norm), tt.fft.irfft(y, n, norm=norm), atol=1e-15)


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("n", [4, 5])
def test_round_trips_have_identity_jacobians(norm, n):
    x = RNG.standard_normal((2, n))
    eye = np.eye(2 * n).reshape(2, n, 2, n)
    for f in (
        lambda x: tt.fft.irfft(tt.fft.rfft(x, norm=norm), n, norm=norm),
        lambda x: tt.fft.hfft(tt.fft.ihfft(x, norm=norm), n, norm=norm),
        lambda x: tt.real(tt.fft.ifftn(tt.fft.fftn(x, norm=norm), norm=norm)),
        lambda x: tt.fft.irfft2(tt.fft.rfft2(x, norm=norm), s=x.shape, norm=norm),
        lambda x: tt.fft.ifftshift(tt.fft.fftshift(x)),
    ):
        np.testing.assert_allclose(jacfwd(f)(x), eye, atol=1e-13)
        np.testing.assert_allclose(jacrev(f)(x), eye, atol=1e-13)


def test_third_derivative_in_closed_form():
    # f(x) = sum_k (Re fft(x)_k)^3 = sum_k (C x)_k^3 with C[k, j] = cos(2 pi j k / n):
    # its third derivative is 6 sum_k C[k, a] C[k, b] C[k, c]
    x = X[2]
    c = dft_matrix(x.size).real
    f = lambda x: tt.sum(tt.real(tt.fft.fft(x)) ** 3)
    expected = 6 * np.einsum("ka,kb,kc->abc", c, c, c)
    np.testing.assert_allclose(jacfwd(jacrev(grad(f)))(x), expected, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(jacrev(jacfwd(jacfwd(f)))(x), expected, rtol=1e-10, atol=1e-10)


def test_nonlinear_compositions_against_finite_differences():
    # second order, both modes, central differences of the real and imaginary parts
    checks = [
        (lambda z: tt.abs(tt.fft.fft(tt.sin(z), 7, norm="ortho")), (Z,)),
        (lambda x: tt.fft.irfft(tt.exp(tt.fft.rfft(x, axis=0) * 0.3), 5, axis=0), (X,)),
        (lambda z, x: tt.real(tt.fft.ifft2(z * tt.fft.fft2(x[:, :5]))), (Z, X)),
        (lambda x: tt.fft.irfftn(tt.fft.rfftn(x, s=(3, 5), axes=(0, 2)) ** 2, s=(3, 5), axes=(0, 2)), (X3,)),
        (lambda z: tt.fft.hfft(z**2, 6, axis=0, norm="forward"), (Z,)),
        (lambda z: tt.abs(tt.fft.fftshift(tt.fft.fftn(z, axes=(1, 1)), axes=1)), (Z,)),
    ]
    for f, inputs in checks:
        assert gradcheck(f, inputs, order=2)


def test_rfftn_of_odd_length_and_a_selection_of_its_output():
    # HIPS autograd refuses rfftn of odd lengths; it is an R-linear map like any other
    x = RNG.standard_normal((3, 5, 3))
    assert gradcheck(lambda x: tt.abs(tt.fft.rfftn(x))[[0, 1, 0], [3, 3, 2]], (x,), order=2)
    z = np.fft.rfftn(x)
    assert gradcheck(lambda z: tt.fft.irfftn(z, s=x.shape, axes=(0, 1, 2))[[0, 1, 0], [3, 3, 2]], (z,), order=2)


# --- NumPy 2's arguments: deprecations and errors -----------------------------------------------


def test_deprecated_arguments_warn_as_numpy_does_at_the_callers_line():
    # s without axes (fftn's and irfftn's default axes are None, rfft2's (-2, -1)), None in s
    calls = [("fftn", {"s": (2, 4)}), ("irfftn", {"s": (2, 4)}), ("ifftn", {"s": (3, None), "axes": (0, 1)})]
    calls += [("rfft2", {"s": (None, 3)}), ("irfftn", {"s": (2, None), "axes": (1, 0)})]
    for name, kwargs in calls:
        with pytest.warns(DeprecationWarning) as ours:
            got = getattr(tt.fft, name)(X, **kwargs)
        assert ours[0].filename == __file__
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            expected = getattr(np.fft, name)(X, **kwargs)
        np.testing.assert_array_equal(got, expected, strict=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tt.fft.fftn(X, s=(2, 4), axes=(0, 1))  # s with axes: no warning


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda x: tt.fft.fft(x, norm="unitary"), ValueError, "Invalid norm value"),
        (lambda x: tt.fft.ihfft(x, norm="half"), ValueError, "Invalid norm value"),
        (lambda x: tt.fft.fft(x, 0), ValueError, "Invalid number of FFT data points"),
        (lambda x: tt.fft.irfft(x[:, :1]), ValueError, "Invalid number of FFT data points"),
        (lambda x: tt.fft.rfft(x, axis=2), np.exceptions.AxisError, "axis 2"),
        (lambda x: tt.fft.fftn(x, s=(3,), axes=(0, 1)), ValueError, "Shape and axes have different lengths"),
        (lambda x: tt.fft.rfft(x * 1j), TypeError, "rfft"),
    ],
    ids=["norm", "norm-of-ihfft", "n-zero", "irfft-of-one-term", "axis", "s-and-axes", "rfft-of-complex"],
)
def test_errors_are_numpys(call, error, match):
    for x in (X, Variable(X, requires_grad=True)):
        with pytest.raises(error, match=match):
            call(x)


# --- under tt.jit, and sparsity ------------------------------------------------------------------


def test_jit_of_transforms_and_their_gradients():
    f = lambda x: tt.sum(tt.fft.irfft(tt.fft.rfft(x, 8, norm="ortho") ** 2, 6, norm="ortho") * x)
    np.testing.assert_allclose(tt.jit(f)(X), f(X), rtol=1e-13)
    np.testing.assert_allclose(tt.jit(grad(f))(X), grad(f)(X), rtol=1e-13)
    np.testing.assert_allclose(grad(tt.jit(f))(X), grad(f)(X), rtol=1e-13)


def test_sparsity_follows_the_transformed_axes():
    # along axis 1 of a (3, 6): each output row reads its own input row
    x = X
    pattern = sparsity(lambda x: tt.fft.irfft(tt.fft.rfft(x), 6))(x).toarray()
    np.testing.assert_array_equal(pattern, sp.kron(np.eye(3), np.ones((6, 6))).toarray() > 0)
    # along axis 0, cropped to n // 2 + 1 = 2 terms: output (j, i) reads the first 2 rows of column i
    pattern = sparsity(lambda x: tt.fft.irfft(x, 2, axis=0))(x).toarray()
    reads = np.zeros((2, 6, 3, 6), dtype=bool)
    for i in range(6):
        reads[:, i, :2, i] = True
    np.testing.assert_array_equal(pattern, reads.reshape(12, 18))
