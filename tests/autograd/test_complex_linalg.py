"""Complex linear algebra: closed forms, LAPACK's phases, and eig.

The oracles are independent of the rules: NumPy itself (values; central differences of
the plain NumPy function along the real and the imaginary part of each input entry,
which see NumPy's own phases of eigenvectors and singular vectors), and closed forms
from perturbation theory. The convention: a cotangent pairs with a tangent as
Re(sum g * t), so the gradient of a real f is df/dx - i df/dy and a holomorphic map's
VJP is its plain transpose (no conjugation).

test_complex_table.py runs every linalg case of the primitive table on complex inputs;
this file checks what a table cannot: that the phases are NumPy's, that a derivative
is the closed form it should be, that a gauge-invariant function does not see the
phase choice, HIPS autograd's eig and eigh checks, and complex64.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinytorch as tt
from tinytorch.autograd import Dual, Variable, grad, gradcheck, jvp, vjp
from tinytorch.autograd.primitive import unbox_all

RNG = np.random.default_rng(20260513)


def cplx(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape) + 1j * RNG.standard_normal(shape)


def plain(x):
    return np.asarray(unbox_all(x))


def hermitian(n: int, *stack: int) -> np.ndarray:
    """A Hermitian matrix with eigenvalues 0, 0.8, 1.6, ... (+ up to 0.1): well separated."""
    q = np.linalg.qr(cplx(*stack, n, n))[0]
    w = 0.8 * np.arange(n) + RNG.uniform(0, 0.1, (*stack, n))
    return (q * w[..., None, :]) @ np.swapaxes(q, -1, -2).conj()


def apart(m: int, n: int, *stack: int) -> np.ndarray:
    """A complex m x n matrix with singular values 1, 1.7, 2.4, ... (+ up to 0.1)."""
    k = min(m, n)
    u, v = np.linalg.qr(cplx(*stack, m, k))[0], np.linalg.qr(cplx(*stack, n, k))[0]
    s = 1.0 + 0.7 * np.arange(k) + RNG.uniform(0, 0.1, (*stack, k))
    return (u * s[..., None, :]) @ np.swapaxes(v, -1, -2).conj()


def general(n: int, *stack: int, complex_entries: bool = True) -> np.ndarray:
    """A general matrix with eigenvalues at least 0.5 apart: complex ones, or for a real
    matrix a complex pair 0.5 +- 1.2i and real ones 2, 2.7, ..."""
    if complex_entries:
        w = 0.8 * np.arange(n) + 0.7j * np.arange(n)[::-1] + 0.1 * cplx(*stack, n)
        v = np.eye(n) + 0.3 * cplx(*stack, n, n)
        return (v * w[..., None, :]) @ np.linalg.inv(v)
    block = np.zeros((n, n))
    block[:2, :2] = [[0.5, -1.2], [1.2, 0.5]]
    block[2:, 2:] = np.diag(2.0 + 0.7 * np.arange(n - 2))
    v = np.eye(n) + 0.3 * RNG.standard_normal((*stack, n, n))
    return v @ block @ np.linalg.inv(v)


def differences(f, z: np.ndarray, eps: float = 1e-6) -> tuple[np.ndarray, np.ndarray | None]:
    """Central differences of the plain function f at z along each entry's real part and,
    for a complex z, its imaginary part: two arrays shaped f(z).shape + z.shape."""
    along_real, along_imag = [], []
    for k in range(z.size):
        step = np.zeros(z.size, z.dtype)
        step[k] = eps
        step = step.reshape(z.shape)
        along_real.append((f(z + step) - f(z - step)) / (2 * eps))
        if np.iscomplexobj(z):
            along_imag.append((f(z + 1j * step) - f(z - 1j * step)) / (2 * eps))
    shape = np.shape(f(z)) + z.shape
    real = np.stack(along_real, axis=-1).reshape(shape)
    return real, np.stack(along_imag, axis=-1).reshape(shape) if along_imag else None


def assert_matches_numpy(f, numpy_f, z: np.ndarray, rtol: float = 1e-6, atol: float = 1e-7) -> None:
    """One JVP along a random tangent and one VJP of a random cotangent of tinytorch's f,
    against central differences of numpy_f, the same function on plain arrays."""
    d_real, d_imag = differences(numpy_f, z)
    axes = tuple(range(-z.ndim, 0))
    t = cplx(*z.shape) if np.iscomplexobj(z) else RNG.standard_normal(z.shape)
    expected = np.tensordot(d_real, t.real, (axes, axes))
    if d_imag is not None:
        expected = expected + np.tensordot(d_imag, t.imag, (axes, axes))
    value, tangent = jvp(f, (z,), (t,))
    np.testing.assert_allclose(tangent, expected, rtol=rtol, atol=atol, err_msg="forward mode")
    # the cotangent z-bar with Re(sum z-bar dz) = Re(sum g df) for every dz: for dz a real unit,
    # Re(z-bar_k) = Re(sum g df/dx_k); for an imaginary unit, -Im(z-bar_k) = Re(sum g df/dy_k)
    g = cplx(*np.shape(value)) if np.iscomplexobj(value) else RNG.standard_normal(np.shape(value))
    out_axes = tuple(range(np.ndim(value)))
    expected = np.tensordot(g, d_real, (out_axes, out_axes)).real
    if d_imag is not None:
        expected = expected - 1j * np.tensordot(g, d_imag, (out_axes, out_axes)).real
    (cotangent,) = vjp(f, z)[1](g)
    np.testing.assert_allclose(cotangent, expected, rtol=rtol, atol=atol, err_msg="reverse mode")


# --- LAPACK's phases are NumPy's, and they are what is differentiated --------------------------


@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigh_has_numpys_values_and_phases(uplo):
    a = hermitian(4, 2) + 0.3 * cplx(2, 4, 4)  # one triangle is read; the diagonal's real part
    w, v = np.linalg.eigh(a, UPLO=uplo)
    row = 0 if uplo == "L" else -1
    assert np.all(v[..., row, :].imag == 0)  # LAPACK's choice: the phase the rules differentiate
    for x in (a, Dual(a, np.ones_like(a)), Variable(a, requires_grad=True)):
        got = tt.linalg.eigh(x, UPLO=uplo)
        assert plain(got.eigenvalues).dtype == np.float64
        np.testing.assert_array_equal(plain(got.eigenvalues), w)
        np.testing.assert_array_equal(plain(got.eigenvectors), v)


@pytest.mark.parametrize("uplo", ["L", "U"])
@pytest.mark.parametrize("part", [0, 1])
def test_eigh_derivatives_are_those_of_numpys_function(uplo, part):
    a = hermitian(3) + 0.3 * cplx(3, 3)
    assert_matches_numpy(lambda a: tt.linalg.eigh(a, UPLO=uplo)[part], lambda a: np.linalg.eigh(a, UPLO=uplo)[part], a)


@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 4)])
def test_svd_has_numpys_values_and_phases(shape):
    a = apart(*shape)
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    m, n = shape
    if m >= n:
        assert np.all(vh[:, 0].imag == 0)  # the first entry of each column of V = Vh^H
    else:
        np.testing.assert_allclose(u[0].imag, 0, atol=1e-15)  # of U (real to rounding; made exact)
    for x in (a, Dual(a, np.ones_like(a)), Variable(a, requires_grad=True)):
        got = tt.linalg.svd(x, full_matrices=False)
        assert plain(got.S).dtype == np.float64
        for mine, numpys in zip(got, (u, s, vh)):
            np.testing.assert_allclose(plain(mine), numpys, rtol=1e-14, atol=1e-15)
        assert np.all(plain(got.Vh)[:, 0].imag == 0) if m >= n else np.all(plain(got.U)[0].imag == 0)


@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 4), (2, 2, 3)])
@pytest.mark.parametrize("part", [0, 1, 2])
def test_svd_derivatives_are_those_of_numpys_function(shape, part):
    a = apart(*shape[-2:], *shape[:-2])
    assert_matches_numpy(lambda a: tt.linalg.svd(a, full_matrices=False)[part],
                         lambda a: np.linalg.svd(a, full_matrices=False)[part], a)  # fmt: skip


@pytest.mark.parametrize("complex_entries", [True, False])
def test_eig_has_numpys_values_and_normalisation(complex_entries):
    a = general(4, 2, complex_entries=complex_entries)
    w, v = np.linalg.eig(a)
    assert np.iscomplexobj(w)  # a real matrix too: it has a complex pair
    np.testing.assert_allclose(np.linalg.norm(v, axis=-2), 1.0, rtol=1e-14)
    largest = np.take_along_axis(v, np.abs(v).argmax(axis=-2)[..., None, :], axis=-2)
    assert np.all(largest.imag == 0) and np.all(largest.real > 0 if complex_entries else largest.real != 0)
    for x in (a, Dual(a, np.ones_like(a)), Variable(a, requires_grad=True)):
        got = tt.linalg.eig(x)
        assert type(got).__name__ == "EigResult" and got._fields == ("eigenvalues", "eigenvectors")
        np.testing.assert_array_equal(plain(got.eigenvalues), w)
        np.testing.assert_array_equal(plain(got.eigenvectors), v)
        np.testing.assert_array_equal(plain(tt.linalg.eigvals(x)), np.linalg.eigvals(a))


def test_eig_of_a_real_matrix_with_real_eigenvalues_is_real():
    v = np.eye(3) + 0.3 * RNG.standard_normal((3, 3))
    a = v @ np.diag([0.5, 1.3, 2.1]) @ np.linalg.inv(v)
    for x in (a, Dual(a, np.ones_like(a)), Variable(a, requires_grad=True)):
        w, vectors = tt.linalg.eig(x)
        assert plain(w).dtype == plain(vectors).dtype == np.float64  # as NumPy's
        np.testing.assert_array_equal(plain(vectors), np.linalg.eig(a)[1])
    _, tangent = jvp(lambda a: tt.linalg.eig(a).eigenvectors, (a,), (np.ones((3, 3)),))
    assert tangent.dtype == np.float64
    assert grad(lambda a: tt.sum(tt.linalg.eig(a).eigenvectors))(a).dtype == np.float64


@pytest.mark.parametrize("complex_entries", [True, False])
@pytest.mark.parametrize("part", [0, 1])
def test_eig_derivatives_are_those_of_numpys_function(complex_entries, part):
    a = general(3, complex_entries=complex_entries)
    assert_matches_numpy(lambda a: tt.linalg.eig(a)[part], lambda a: np.linalg.eig(a)[part], a)


def test_eig_derivatives_of_a_stack():
    a = general(3, 2)
    assert_matches_numpy(lambda a: tt.linalg.eig(a)[1], lambda a: np.linalg.eig(a)[1], a)
    assert_matches_numpy(tt.linalg.eigvals, np.linalg.eigvals, a)


# --- HIPS autograd's checks (functions of |v|, which do not see the phases) --------------------


@pytest.mark.parametrize("uplo", ["L", "U"])
def test_hips_eigh_of_a_complex_matrix(uplo):
    a = cplx(6, 6)
    assert gradcheck(lambda a: (tt.linalg.eigh(a, uplo)[0], tt.abs(tt.linalg.eigh(a, uplo)[1])), (a,), order=2)


def test_hips_eig_of_a_real_matrix():
    a = RNG.standard_normal((8, 8))
    assert np.iscomplexobj(np.linalg.eig(a)[0])
    assert gradcheck(lambda a: (tt.abs(tt.linalg.eig(a)[0]), tt.abs(tt.linalg.eig(a)[1])), (a,), order=2)


def test_hips_eig_of_complex_matrices_batched():
    assert gradcheck(lambda a: (tt.linalg.eig(a)[0], tt.abs(tt.linalg.eig(a)[1])), (cplx(8, 8),), order=2)
    assert gradcheck(lambda a: (tt.linalg.eig(a)[0], tt.abs(tt.linalg.eig(a)[1])), (cplx(5, 8, 8),), order=1)


# --- closed forms ------------------------------------------------------------------------------


def test_eigh_projector_is_the_perturbation_theory_one():
    # P_j = v_j v_j^H does not depend on v_j's phase: dP_j = sum_{k != j} (P_k dA P_j + P_j dA P_k) / (w_j - w_k)
    a = hermitian(4)
    w, v = np.linalg.eigh(a)
    projectors = np.einsum("ik,jk->kij", v, v.conj())
    e = cplx(4, 4)
    e = e + e.conj().T  # Hermitian: the directions along which eigh's input moves
    j = 1
    expected = sum(
        (projectors[k] @ e @ projectors[j] + projectors[j] @ e @ projectors[k]) / (w[j] - w[k])
        for k in range(4)
        if k != j
    )

    def projector(a):
        vj = tt.linalg.eigh(a).eigenvectors[:, j]
        return tt.reshape(vj, (4, 1)) * tt.conj(tt.reshape(vj, (1, 4)))

    np.testing.assert_allclose(jvp(projector, (a,), (e,))[1], expected, rtol=1e-10, atol=1e-12)
    # reverse: Re(sum g dP) for the Hermitian e, from the VJP's A-bar read on e (it acts on
    # the lower triangle, which e's lower triangle fills)
    g = cplx(4, 4)
    (abar,) = vjp(projector, a)[1](g)
    low = np.tril(e)
    np.testing.assert_allclose(np.sum(abar * low).real, np.sum(g * expected).real, rtol=1e-10)


def test_eigvalsh_gradient_reads_the_lower_triangle():
    # w_j = v^H H v, H = tril(a, -1) + tril(a, -1)^H + Re diag(a): dw_j = Re(v^H dH v), so the
    # gradient is 2 conj(v_i) v_k below the diagonal, |v_i|^2 on it, 0 above
    a = hermitian(4) + 0.3 * cplx(4, 4)
    _, v = np.linalg.eigh(a)
    for j in range(4):
        vj = v[:, j]
        outer = np.outer(vj.conj(), vj)
        expected = np.tril(2 * outer, -1) + np.diag(np.abs(vj) ** 2)
        np.testing.assert_allclose(grad(lambda a: tt.linalg.eigvalsh(a)[j])(a), expected, rtol=1e-10, atol=1e-12)  # noqa: B023


def test_eigvals_are_holomorphic():
    # dw = diag(V^-1 dA V) along any complex dA; the VJP is the plain transpose V^-T diag(g) V^T
    a = general(4)
    w, v = np.linalg.eig(a)
    vinv = np.linalg.inv(v)
    e, g = cplx(4, 4), cplx(4)
    np.testing.assert_allclose(jvp(tt.linalg.eigvals, (a,), (e,))[1], np.diag(vinv @ e @ v), rtol=1e-10)
    np.testing.assert_allclose(jvp(tt.linalg.eigvals, (a,), (1j * e,))[1], 1j * np.diag(vinv @ e @ v), rtol=1e-10)
    np.testing.assert_allclose(vjp(tt.linalg.eigvals, a)[1](g)[0], vinv.T @ np.diag(g) @ v.T, rtol=1e-10)
    np.testing.assert_allclose(vjp(lambda a: tt.linalg.eig(a)[0], a)[1](g)[0], vinv.T @ np.diag(g) @ v.T, rtol=1e-10)


def test_singular_value_norms_have_conjugated_gradients():
    # ds_i = Re(u_i^H dA v_i): the gradient (df/dx - i df/dy) is conj(u_i) v_i^T = conj(u_i vh_i)
    a = apart(3, 4)
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    np.testing.assert_allclose(grad(lambda a: tt.linalg.norm(a, 2))(a), np.outer(u[:, 0], vh[0]).conj(), rtol=1e-10)
    np.testing.assert_allclose(grad(lambda a: tt.linalg.norm(a, -2))(a), np.outer(u[:, -1], vh[-1]).conj(), rtol=1e-10)
    np.testing.assert_allclose(grad(lambda a: tt.linalg.norm(a, "nuc"))(a), (u @ vh).conj(), rtol=1e-10)
    np.testing.assert_allclose(grad(lambda a: tt.linalg.norm(a, "fro"))(a), a.conj() / np.linalg.norm(a), rtol=1e-12)
    z = cplx(5)
    np.testing.assert_allclose(grad(tt.linalg.norm)(z), z.conj() / np.linalg.norm(z), rtol=1e-12)
    expected = np.abs(z) ** 2 * z.conj() / np.linalg.norm(z, 4) ** 3  # d |z|_4 = sum |z|^2 Re(conj(z) dz) / |z|_4^3
    np.testing.assert_allclose(grad(lambda z: tt.linalg.norm(z, 4))(z), expected, rtol=1e-12)
    assert tt.linalg.norm(Variable(z)).data == pytest.approx(np.linalg.norm(z), rel=1e-15)


def test_slogdet_of_a_complex_matrix():
    # log|det A| has gradient A^-T (d = Re tr(A^-1 dA)); sign = det / |det| moves by
    # sign * i Im tr(A^-1 dA)
    a = apart(3, 3) + 0.5 * np.eye(3)
    sign, logabs = np.linalg.slogdet(a)
    inverse = np.linalg.inv(a)
    np.testing.assert_allclose(grad(lambda a: tt.linalg.slogdet(a).logabsdet)(a), inverse.T, rtol=1e-12)
    e = cplx(3, 3)
    value, tangent = jvp(lambda a: tt.linalg.slogdet(a).sign, (a,), (e,))
    np.testing.assert_allclose(value, sign, rtol=1e-14)
    np.testing.assert_allclose(tangent, sign * 1j * np.trace(inverse @ e).imag, rtol=1e-12)
    assert_matches_numpy(lambda a: tt.linalg.slogdet(a).sign, lambda a: np.linalg.slogdet(a)[0], a)
    assert gradcheck(lambda a: tt.linalg.slogdet(a).sign, (cplx(2, 3, 3),), order=2)
    # the sign of a real matrix stays a plain, piecewise constant value
    assert not isinstance(tt.linalg.slogdet(Variable(a.real, requires_grad=True)).sign, Variable)
    # a singular matrix (exactly: a zero row): sign 0 and log|det| -inf, as NumPy's
    singular = cplx(3, 3)
    singular[2] = 0
    assert np.linalg.slogdet(singular)[0] == 0
    got = tt.linalg.slogdet(Variable(singular, requires_grad=True))
    assert plain(got.sign) == 0 and plain(got.logabsdet) == -np.inf


def test_det_of_a_complex_singular_matrix():
    # rank 2 of 3: det's derivative is the adjugate (from the SVD there, not from the inverse)
    a = cplx(3, 2) @ cplx(2, 3)
    assert_matches_numpy(tt.linalg.det, np.linalg.det, a)
    assert gradcheck(tt.linalg.det, (a,), order=2)
    assert gradcheck(tt.linalg.det, (cplx(3, 1) @ cplx(1, 3),), order=2)


def test_cholesky_derivative_keeps_the_factorisation():
    # d(L L^H) = dL L^H + L dL^H = dA for a Hermitian dA, dL lower triangular with a real diagonal
    a = hermitian(4) + 2.0 * np.eye(4)
    e = cplx(4, 4)
    e = e + e.conj().T
    low, tangent = jvp(tt.linalg.cholesky, (a,), (e,))
    np.testing.assert_allclose(tangent @ low.conj().T + low @ tangent.conj().T, e, rtol=1e-10, atol=1e-12)
    assert np.all(np.triu(tangent, 1) == 0)
    np.testing.assert_allclose(np.diag(tangent).imag, 0, atol=1e-14)


def test_qr_derivative_keeps_the_factorisation():
    # dQ R + Q dR = dA, Q^H dQ skew-Hermitian, dR upper triangular with a real diagonal (R's is)
    a = apart(4, 3)
    e = cplx(4, 3)
    q, r = np.linalg.qr(a)
    assert np.all(np.diag(r).imag == 0)
    dq = jvp(lambda a: tt.linalg.qr(a).Q, (a,), (e,))[1]
    dr = jvp(lambda a: tt.linalg.qr(a).R, (a,), (e,))[1]
    np.testing.assert_allclose(dq @ r + q @ dr, e, rtol=1e-10, atol=1e-12)
    skew = q.conj().T @ dq
    np.testing.assert_allclose(skew + skew.conj().T, 0, atol=1e-12)
    assert np.all(np.tril(dr, -1) == 0)
    np.testing.assert_allclose(np.diag(dr).imag, 0, atol=1e-13)


def test_lstsq_and_pinv_of_complex_matrices():
    a, b = apart(5, 3), cplx(5, 2)
    assert_matches_numpy(lambda a: tt.linalg.lstsq(a, b)[0], lambda a: np.linalg.lstsq(a, b, rcond=None)[0], a)
    assert_matches_numpy(lambda b: tt.linalg.lstsq(a, b)[0], lambda b: np.linalg.lstsq(a, b, rcond=None)[0], b)
    assert_matches_numpy(tt.linalg.pinv, np.linalg.pinv, apart(2, 4))


# --- complex64 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "f",
    [
        lambda a: tt.linalg.eigh(a).eigenvectors,
        lambda a: tt.linalg.eigvalsh(a),
        lambda a: tt.linalg.svd(a)[0],
        lambda a: tt.linalg.svd(a).S,
        lambda a: tt.linalg.eig(a).eigenvectors,
        lambda a: tt.linalg.eigvals(a),
        lambda a: tt.linalg.qr(a).R,
        lambda a: tt.linalg.cholesky(a),
        lambda a: tt.linalg.slogdet(a).sign,
    ],
    ids=["eigh", "eigvalsh", "svd-u", "svd-s", "eig", "eigvals", "qr", "cholesky", "slogdet-sign"],
)
def test_complex64_stays_complex64(f):
    a = (hermitian(3) + 2.0 * np.eye(3)).astype(np.complex64)
    value, tangent = jvp(f, (a,), (np.ones_like(a),))
    assert tangent.dtype == value.dtype and value.dtype in (np.complex64, np.float32)
    (cotangent,) = vjp(f, a)[1](np.ones_like(value))
    assert cotangent.dtype == np.complex64


def test_the_zero_norm_of_complex_entries_is_a_real_count():
    z = np.array([1 + 1j, 0j, 2j])
    for box in (Variable(z, requires_grad=True), Dual(z, np.ones(3))):
        count = tt.linalg.norm(box, 0)
        assert np.asarray(count).dtype == np.linalg.norm(z, 0).dtype == np.float64 and count == 2.0
