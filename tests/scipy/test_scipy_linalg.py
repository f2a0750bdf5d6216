"""tinytorch.scipy.linalg: SciPy's values (on arrays and boxes, float32 too, every
trans/lower/unit_diagonal variant, stacks matrix by matrix); derivatives against finite
differences to second order in both modes and against closed forms built with NumPy
(the Kronecker form of the Sylvester equation, -A^-1 e_i x_j for the solves, 1 / (sqrt a_i +
sqrt a_j) for the root of a diagonal matrix); zero derivatives at the entries a solve never
reads; complex matrices (holomorphic: derivatives without conjugation); the refusals."""

import numpy as np
import pytest
import scipy.linalg as sl

from tinytorch.autograd import Dual, Variable, gradcheck, jacfwd, jacrev, jvp, vjp
from tinytorch.autograd.primitive import unbox_all as plain  # a result's value, boxed or not
from tinytorch.scipy import linalg

rng = np.random.default_rng(0)


def boxed(x):
    """x plain, as a Dual and as a Variable."""
    return [x, Dual(x, np.ones_like(x)), Variable(x, requires_grad=True)]


def same_as_scipy(actual, expected) -> None:
    actual = np.asarray(plain(actual))
    assert actual.dtype == expected.dtype, (actual.dtype, expected.dtype)
    np.testing.assert_array_equal(actual, expected)


def triangular(n: int) -> np.ndarray:
    """Both triangles filled; a diagonal of magnitude in [1, 2]."""
    return np.diag(rng.choice([-1.0, 1.0], n) * rng.uniform(1.0, 2.0, n)) + 0.3 * rng.standard_normal((n, n))


def spd(n: int) -> np.ndarray:
    q = np.linalg.qr(rng.standard_normal((n, n)))[0]
    return q @ np.diag(rng.uniform(1.0, 2.0, n)) @ q.T


def positive_real_part(n: int) -> np.ndarray:
    k = rng.standard_normal((n, n))
    return spd(n) + 0.3 * (k - k.T)


def banded(lower: int, upper: int, n: int) -> np.ndarray:
    """ab of a diagonally dominant band matrix, its unused corners filled too."""
    ab = 0.5 * rng.standard_normal((lower + upper + 1, n))
    ab[upper] = rng.uniform(3.0, 4.0, n)
    return ab


def dense_from_banded(lower: int, upper: int, ab: np.ndarray) -> np.ndarray:
    n = ab.shape[1]
    return sum(np.diag(ab[upper - d, max(d, 0) : n + min(d, 0)], d) for d in range(-lower, upper + 1))


def both_jacobians(f, x, expected) -> None:
    for transform in (jacfwd, jacrev):
        np.testing.assert_allclose(transform(f)(x), expected, rtol=1e-10, atol=1e-12)


# --- values: SciPy's ------------------------------------------------------------------------

TRANS = [0, 1, 2, "N", "T", "C"]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("trans", TRANS)
@pytest.mark.parametrize("lower", [False, True])
@pytest.mark.parametrize("unit_diagonal", [False, True])
def test_solve_triangular_values_are_scipys(dtype, trans, lower, unit_diagonal):
    a = triangular(4).astype(dtype)
    options = {"trans": trans, "lower": lower, "unit_diagonal": unit_diagonal}
    for b in (rng.standard_normal(4).astype(dtype), rng.standard_normal((4, 3)).astype(dtype)):
        expected = sl.solve_triangular(a, b, **options)
        for x in boxed(a):
            same_as_scipy(linalg.solve_triangular(x, b, **options), expected)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("l_and_u", [(1, 1), (2, 1), (0, 2), (1, 0), (0, 0)])
def test_solve_banded_values_are_scipys(dtype, l_and_u):
    ab = banded(*l_and_u, 5).astype(dtype)
    for b in (rng.standard_normal(5).astype(dtype), rng.standard_normal((5, 2)).astype(dtype)):
        expected = sl.solve_banded(l_and_u, ab, b)
        for x in boxed(ab):
            same_as_scipy(linalg.solve_banded(l_and_u, x, b), expected)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_solve_sylvester_and_sqrtm_values_are_scipys(dtype):
    a, b, q = positive_real_part(4).astype(dtype), positive_real_part(3).astype(dtype), rng.standard_normal((4, 3))
    q = q.astype(dtype)
    for x in boxed(a):
        same_as_scipy(linalg.solve_sylvester(x, b, q), sl.solve_sylvester(a, b, q))
    for m in (spd(4), positive_real_part(4)):
        m = m.astype(dtype)
        for x in boxed(m):
            same_as_scipy(linalg.sqrtm(x), sl.sqrtm(m))


def test_stacks_are_solved_matrix_by_matrix():
    a = np.stack([triangular(3) for _ in range(2)])
    b = rng.standard_normal(3)  # one vector against the stack
    x = linalg.solve_triangular(a, b, trans="T", lower=True)
    np.testing.assert_array_equal(x, [sl.solve_triangular(m, b, trans="T", lower=True) for m in a])
    ab = np.stack([banded(1, 2, 4) for _ in range(3)])
    b = rng.standard_normal((3, 4, 2))
    x = linalg.solve_banded((1, 2), ab, b)
    np.testing.assert_array_equal(x, [sl.solve_banded((1, 2), m, c) for m, c in zip(ab, b)])
    a, b, q = positive_real_part(3), np.stack([positive_real_part(2) for _ in range(2)]), rng.standard_normal((2, 3, 2))
    np.testing.assert_array_equal(linalg.solve_sylvester(a, b, q), [sl.solve_sylvester(a, m, c) for m, c in zip(b, q)])
    a = np.stack([spd(3), positive_real_part(3)])
    np.testing.assert_array_equal(linalg.sqrtm(a), [sl.sqrtm(m) for m in a])


def test_float32_derivatives_stay_float32():
    a, b = triangular(3).astype(np.float32), rng.standard_normal(3).astype(np.float32)
    assert jacrev(lambda a: linalg.solve_triangular(a, b))(a).dtype == np.float32
    assert jacfwd(linalg.sqrtm)(spd(3).astype(np.float32)).dtype == np.float32
    ab = banded(1, 1, 3).astype(np.float32)
    assert jacfwd(jacrev(lambda ab: linalg.solve_banded((1, 1), ab, b)))(ab).dtype == np.float32


# --- derivatives: finite differences, to second order -----------------------------------------


@pytest.mark.parametrize("trans", [0, 1])
@pytest.mark.parametrize("lower", [False, True])
@pytest.mark.parametrize("unit_diagonal", [False, True])
def test_solve_triangular_gradcheck(trans, lower, unit_diagonal):
    f = lambda a, b: linalg.solve_triangular(a, b, trans=trans, lower=lower, unit_diagonal=unit_diagonal)  # noqa: E731
    assert gradcheck(f, (triangular(3), rng.standard_normal((3, 2))), order=2)


@pytest.mark.parametrize("l_and_u", [(1, 1), (2, 1), (0, 2), (1, 0), (3, 3)])
def test_solve_banded_gradcheck(l_and_u):
    inputs = (banded(*l_and_u, 4), rng.standard_normal(4))
    assert gradcheck(lambda ab, b: linalg.solve_banded(l_and_u, ab, b), inputs, order=2)


def test_solve_sylvester_and_sqrtm_gradcheck():
    a, b, q = positive_real_part(3), positive_real_part(2), rng.standard_normal((3, 2))
    assert gradcheck(linalg.solve_sylvester, (a, b, q), order=2)
    assert gradcheck(linalg.sqrtm, (positive_real_part(3),), order=2)
    assert gradcheck(lambda a: linalg.sqrtm(linalg.sqrtm(a)), (spd(3),), order=2)  # the fourth root


# --- derivatives: closed forms ----------------------------------------------------------------


def test_sqrtm_of_a_diagonal_matrix():
    # X = diag(sqrt a): X dX + dX X = dA gives dX_ij = dA_ij / (sqrt a_i + sqrt a_j)
    a = np.array([1.0, 4.0, 9.0])
    roots = np.sqrt(a)
    expected = np.einsum("ik,jl->ijkl", np.eye(3), np.eye(3)) / (roots[:, None] + roots[None, :])[:, :, None, None]
    both_jacobians(linalg.sqrtm, np.diag(a), expected)


@pytest.mark.parametrize("trans", [0, 1])
@pytest.mark.parametrize("lower", [False, True])
@pytest.mark.parametrize("unit_diagonal", [False, True])
def test_solve_triangular_derivative_is_zero_off_the_triangle(trans, lower, unit_diagonal):
    a, b = triangular(4), rng.standard_normal(4)
    read = np.tril(np.ones((4, 4)), -int(unit_diagonal)) if lower else np.triu(np.ones((4, 4)), int(unit_diagonal))
    t = a * read + (np.eye(4) if unit_diagonal else 0.0)  # the matrix the solve sees
    op = t.T if trans else t
    x = np.linalg.solve(op, b)
    # d x / d t_ij = -op^-1 d(op)/d t_ij x, where d(op) is e_i e_j^T (or its transpose)
    inverse = np.linalg.inv(op)
    if trans:
        expected = -np.einsum("pj,i->pij", inverse, x)
    else:
        expected = -np.einsum("pi,j->pij", inverse, x)
    f = lambda a: linalg.solve_triangular(a, b, trans=trans, lower=lower, unit_diagonal=unit_diagonal)  # noqa: E731
    both_jacobians(f, a, expected * read)
    for transform in (jacfwd, jacrev):
        assert np.all(transform(f)(a)[:, read == 0] == 0.0)


@pytest.mark.parametrize("l_and_u", [(1, 1), (2, 1), (0, 2)])
def test_solve_banded_derivative_is_the_dense_one_at_the_stored_entries(l_and_u):
    lower, upper = l_and_u
    ab, b = banded(lower, upper, 5), rng.standard_normal(5)
    a = dense_from_banded(lower, upper, ab)
    x, inverse = np.linalg.solve(a, b), np.linalg.inv(a)
    expected = np.zeros((5,) + ab.shape)
    for r in range(lower + upper + 1):
        for j in range(5):
            i = r + j - upper  # ab[r, j] = a[i, j]
            if 0 <= i < 5:
                expected[:, r, j] = -inverse[:, i] * x[j]
    f = lambda ab: linalg.solve_banded(l_and_u, ab, b)  # noqa: E731
    both_jacobians(f, ab, expected)
    unused = np.all(expected == 0, axis=0)
    assert unused.sum() == lower * (lower + 1) // 2 + upper * (upper + 1) // 2
    assert np.all(jacrev(f)(ab)[:, unused] == 0.0) and np.all(jacfwd(f)(ab)[:, unused] == 0.0)


def test_solve_sylvester_derivatives_are_the_kronecker_forms():
    # row-major vec: vec(A X + X B) = K vec(X), K = A (x) I + I (x) B^T
    a, b, q = positive_real_part(3), positive_real_part(2), rng.standard_normal((3, 2))
    x = sl.solve_sylvester(a, b, q)
    k_inverse = np.linalg.inv(np.kron(a, np.eye(2)) + np.kron(np.eye(3), b.T))
    expected = {
        "q": k_inverse,
        "a": -k_inverse @ np.kron(np.eye(3), x.T),  # vec(E X) = (I (x) X^T) vec(E)
        "b": -k_inverse @ np.kron(x, np.eye(2)),  # vec(X E) = (X (x) I) vec(E)
    }
    for argnum, name, shape in ((0, "a", (3, 3)), (1, "b", (2, 2)), (2, "q", (3, 2))):
        for transform in (jacfwd, jacrev):
            jac = transform(linalg.solve_sylvester, argnums=argnum)(a, b, q)
            np.testing.assert_allclose(jac.reshape(6, -1), expected[name], rtol=1e-10, atol=1e-12)
            assert jac.shape == (3, 2) + shape


# --- complex matrices -------------------------------------------------------------------------


def complex_like(x: np.ndarray) -> np.ndarray:
    return x + 0.3j * rng.standard_normal(x.shape)


@pytest.mark.parametrize("dtype", [np.complex128, np.complex64])
def test_complex_values_are_scipys(dtype):
    a = complex_like(triangular(4)).astype(dtype)
    for b in (complex_like(rng.standard_normal(4)).astype(dtype), rng.standard_normal((4, 2)).astype(dtype)):
        for trans in TRANS:
            expected = sl.solve_triangular(a, b, trans=trans, lower=True)
            for x in boxed(a):
                actual = plain(linalg.solve_triangular(x, b, trans=trans, lower=True))
                assert actual.dtype == expected.dtype
                # trans "C" is solved as conj(a)^T x = b: the same to rounding
                np.testing.assert_allclose(actual, expected, rtol=10 * np.finfo(dtype).eps)
    ab, b = complex_like(banded(1, 2, 5)).astype(dtype), complex_like(rng.standard_normal(5)).astype(dtype)
    for x in boxed(ab):
        same_as_scipy(linalg.solve_banded((1, 2), x, b), sl.solve_banded((1, 2), ab, b))
    a, b = complex_like(positive_real_part(4)).astype(dtype), complex_like(positive_real_part(3)).astype(dtype)
    q = complex_like(rng.standard_normal((4, 3))).astype(dtype)
    for x in boxed(a):
        same_as_scipy(linalg.solve_sylvester(x, b, q), sl.solve_sylvester(a, b, q))
        same_as_scipy(linalg.sqrtm(x), sl.sqrtm(a))


def test_a_real_matrix_with_a_complex_root_has_scipys_complex_root():
    negative = np.diag([-1.0, 4.0])  # the principal root is diag(i, 2)
    for x in boxed(negative):
        same_as_scipy(linalg.sqrtm(x), sl.sqrtm(negative))
    np.testing.assert_array_equal(linalg.sqrtm(negative), np.diag([1j, 2.0]))
    # a stack with one complex root is complex
    positive = spd(2)
    stack = linalg.sqrtm(np.stack([positive, negative]))
    assert stack.dtype == np.complex128
    np.testing.assert_array_equal(stack, [sl.sqrtm(positive), np.diag([1j, 2.0])])


def test_solve_sylvester_with_real_matrices_and_a_complex_right_hand_side_solves_it():
    # SciPy 1.17 gets this one wrong (a real quasi-triangular Schur form handed to complex trsyl)
    a = positive_real_part(4) + np.kron(np.eye(2), [[0.0, 2.0], [-2.0, 0.0]])  # complex eigenvalues
    b, q = positive_real_part(3), complex_like(rng.standard_normal((4, 3)))
    assert np.iscomplexobj(np.linalg.eigvals(a))
    x = linalg.solve_sylvester(a, b, q)
    np.testing.assert_allclose(a @ x + x @ b, q, atol=1e-12)
    np.testing.assert_allclose(x, linalg.solve_sylvester(a + 0j, b + 0j, q), rtol=1e-12)


@pytest.mark.parametrize("trans", [0, 1, 2])
def test_complex_solve_triangular_gradcheck(trans):
    a, b = complex_like(triangular(3)), complex_like(rng.standard_normal((3, 2)))
    f = lambda a, b: linalg.solve_triangular(a, b, trans=trans, unit_diagonal=trans == 1)  # noqa: E731
    assert gradcheck(f, (a, b), order=2)


def test_complex_gradcheck():
    ab, b = complex_like(banded(1, 1, 4)), complex_like(rng.standard_normal(4))
    assert gradcheck(lambda ab, b: linalg.solve_banded((1, 1), ab, b), (ab, b), order=2)
    a, b = complex_like(positive_real_part(3)), complex_like(positive_real_part(2))
    q = complex_like(rng.standard_normal((3, 2)))
    assert gradcheck(linalg.solve_sylvester, (a, b, q), order=2)
    assert gradcheck(linalg.sqrtm, (complex_like(positive_real_part(3)),), order=2)
    # a real matrix with a complex root: real input, complex output
    a = _rotated(np.diag([-1.0, 2.0, 3.0]))
    assert np.iscomplexobj(linalg.sqrtm(a))
    assert gradcheck(linalg.sqrtm, (a,), order=2)


def _rotated(d: np.ndarray) -> np.ndarray:
    q = np.linalg.qr(rng.standard_normal(d.shape))[0]
    return q @ d @ q.T


def test_complex_sqrtm_of_a_diagonal_matrix_is_holomorphic():
    # X = diag(sqrt a): dX_ij = dA_ij / (sqrt a_i + sqrt a_j), for complex dA too, and the
    # transpose of that (a symmetric weighting) for a complex cotangent: no conjugation
    a = np.array([1.0 + 1.0j, -4.0, 9.0 - 2.0j])  # -4: the root 2i
    roots = np.sqrt(a)
    assert roots[1] == 2j
    weights = 1.0 / (roots[:, None] + roots[None, :])
    e = rng.standard_normal((3, 3)) + 1j * rng.standard_normal((3, 3))
    _, tangent = jvp(linalg.sqrtm, (np.diag(a),), (e,))
    np.testing.assert_allclose(tangent, e * weights, rtol=1e-12)
    _, pullback = vjp(linalg.sqrtm, np.diag(a))
    np.testing.assert_allclose(pullback(e)[0], e * weights, rtol=1e-12)


def test_solve_triangular_conjugate_transpose_closed_forms():
    # x = a^-H b: dx = a^-H db (linear in b, so its transpose is conj(a)^-1 g) and
    # dx = -a^-H da^H x (for the upper triangle read)
    a, b = np.triu(complex_like(triangular(3))), complex_like(rng.standard_normal(3))
    x = np.linalg.solve(a.conj().T, b)
    e, g = complex_like(rng.standard_normal(3)), complex_like(rng.standard_normal(3))
    _, tangent = jvp(lambda b: linalg.solve_triangular(a, b, trans="C"), (b,), (e,))
    np.testing.assert_allclose(tangent, np.linalg.solve(a.conj().T, e), rtol=1e-12)
    np.testing.assert_allclose(vjp(lambda b: linalg.solve_triangular(a, b, trans="C"), b)[1](g)[0],
                               np.linalg.solve(a.conj(), g), rtol=1e-12)  # fmt: skip
    da = np.triu(complex_like(rng.standard_normal((3, 3))))
    _, tangent = jvp(lambda a: linalg.solve_triangular(a, b, trans="C"), (a,), (da,))
    np.testing.assert_allclose(tangent, -np.linalg.solve(a.conj().T, da.conj().T @ x), rtol=1e-12)


# --- refusals -------------------------------------------------------------------------------


def test_bad_arguments_raise_scipys_errors():
    with pytest.raises(ValueError, match="expected square matrix"):
        linalg.sqrtm(np.ones((2, 3)))
    with pytest.raises(ValueError, match="expected square matrix"):
        linalg.solve_triangular(np.ones((2, 3)), np.ones(2))
    with pytest.raises(ValueError, match="incorrect value for trans"):
        linalg.solve_triangular(np.eye(2), np.ones(2), trans="X")
    with pytest.raises(ValueError, match="are incompatible"):
        linalg.solve_triangular(np.eye(2), np.ones(3))
    with pytest.raises(ValueError, match=r"l\+u\+1 \(3\) does not equal ab.shape\[0\] \(2\)"):
        linalg.solve_banded((1, 1), np.ones((2, 3)), np.ones(3))
    with pytest.raises(ValueError, match="are incompatible"):
        linalg.solve_sylvester(np.eye(2), np.eye(3), np.ones((3, 2)))
