"""svd, qr, pinv, the singular-value norms and expm: values against NumPy's and SciPy's,
derivatives against float64 central differences and closed forms, and the cases that
are refused when differentiated.

The oracles are independent of the rules: NumPy and SciPy themselves (values, and
scipy.linalg.expm_frechet for the transpose convention), central differences of the
plain NumPy/SciPy function, and closed forms (d s_1 = u_1^T dA v_1, sum s_i^2 = |A|_F^2,
the divided differences of exp for a diagonal matrix).
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg

import tinytorch as tt
import tinytorch.scipy.linalg
from tinytorch.autograd import Dual, Variable, grad, hessian, jacfwd, jacrev, jvp, vjp

RNG = np.random.default_rng(20251201)


def apart(m: int, n: int, *stack: int, seed: int = 0) -> np.ndarray:
    """U diag(s) V^T with singular values 1, 1.8, 2.6, ...: distinct, nonzero, well separated."""
    rng = np.random.default_rng(seed)
    k = min(m, n)
    u = np.linalg.qr(rng.standard_normal((*stack, m, k)))[0]
    v = np.linalg.qr(rng.standard_normal((*stack, n, k)))[0]
    s = 1.0 + 0.8 * np.arange(k)[::-1] + rng.uniform(0.0, 0.1, (*stack, k))
    return (u * s[..., None, :]) @ np.swapaxes(v, -1, -2)


def central_differences(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """d f / d x, shaped f(x).shape + x.shape, for f returning one array."""
    columns = []
    for k in range(x.size):
        step = np.zeros(x.size)
        step[k] = eps
        step = step.reshape(x.shape)
        columns.append((np.asarray(f(x + step)) - np.asarray(f(x - step))) / (2 * eps))
    return np.stack(columns, axis=-1).reshape(np.shape(f(x)) + x.shape)


def assert_jacobians_match(f, reference, x: np.ndarray, rtol: float = 1e-6, atol: float = 1e-7) -> None:
    """Both modes of tinytorch's f against central differences of `reference`, a plain
    NumPy/SciPy computation of the same function."""
    expected = central_differences(reference, x)
    np.testing.assert_allclose(jacfwd(f)(x), expected, rtol=rtol, atol=atol, err_msg="forward mode")
    np.testing.assert_allclose(jacrev(f)(x), expected, rtol=rtol, atol=atol, err_msg="reverse mode")


SHAPES = {"square": (3, 3), "tall": (5, 3), "wide": (2, 4), "stack-tall": (3, 4, 2), "stack-wide": (2, 2, 3)}


def matrix(name: str) -> np.ndarray:
    shape = SHAPES[name]
    return apart(*shape[-2:], *shape[:-2], seed=len(name))


# --- values ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", SHAPES)
@pytest.mark.parametrize("full_matrices", [True, False])
def test_svd_of_arrays_is_numpys_as_a_namedtuple(name, full_matrices):
    a = matrix(name)
    result = tt.linalg.svd(a, full_matrices=full_matrices)
    expected = np.linalg.svd(a, full_matrices=full_matrices)
    assert type(result).__name__ == "SVDResult" and result._fields == ("U", "S", "Vh")
    for got, want in zip(result, expected):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(tt.linalg.svd(a, compute_uv=False), np.linalg.svd(a, compute_uv=False))


@pytest.mark.parametrize("name", SHAPES)
@pytest.mark.parametrize("box", ["Dual", "Variable"])
def test_svd_of_boxes_has_numpys_values(name, box):
    a = matrix(name)
    x = Dual(a, np.ones_like(a)) if box == "Dual" else Variable(a, requires_grad=True)
    primal = (lambda r: r.primal) if box == "Dual" else (lambda r: r.data)
    u, s, vh = tt.linalg.svd(x, full_matrices=False)
    for got, want in zip((u, s, vh), np.linalg.svd(a, full_matrices=False)):
        np.testing.assert_allclose(primal(got), want, rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(primal(tt.linalg.svd(x, compute_uv=False)), np.linalg.svd(a, compute_uv=False))


@pytest.mark.parametrize("name", ["square", "tall", "stack-tall"])
def test_qr_values_and_modes_are_numpys(name):
    a = matrix(name)
    for mode in ("reduced", "complete"):
        result = tt.linalg.qr(a, mode)
        assert type(result).__name__ == "QRResult" and result._fields == ("Q", "R")
        for got, want in zip(result, np.linalg.qr(a, mode)):
            np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(tt.linalg.qr(a, "r"), np.linalg.qr(a, "r"))
    if a.ndim == 2:  # NumPy's mode="raw" takes one matrix
        for got, want in zip(tt.linalg.qr(a, "raw"), np.linalg.qr(a, "raw")):
            np.testing.assert_array_equal(got, want)
    q, r = tt.linalg.qr(Dual(a, np.ones_like(a)))
    np.testing.assert_allclose(q.primal, np.linalg.qr(a).Q, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(r.primal, np.linalg.qr(a).R, rtol=1e-14, atol=1e-15)
    with pytest.raises(ValueError, match="mode"):
        tt.linalg.qr(a, "economic")


def test_wide_qr_of_arrays_works_as_in_numpy():
    a = matrix("wide")
    for got, want in zip(tt.linalg.qr(a), np.linalg.qr(a)):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("options", [{}, {"rcond": 1e-3}, {"rtol": None}, {"rtol": 0.5}, {"hermitian": True}])
def test_pinv_values_are_numpys(options):
    a = apart(3, 3, seed=1)
    if options.get("hermitian"):
        a = a @ a.T
    a[0, 2] += 0.3 * options.get("hermitian", 0)  # hermitian=True reads the lower triangle only
    expected = np.linalg.pinv(a, **options)
    np.testing.assert_array_equal(tt.linalg.pinv(a, **options), expected)
    np.testing.assert_allclose(tt.linalg.pinv(Dual(a, np.ones_like(a)), **options).primal, expected, rtol=1e-12)


def test_pinv_of_a_stack_and_of_wide_and_tall_matrices():
    for a in (matrix("tall"), matrix("wide"), matrix("stack-wide")):
        np.testing.assert_allclose(tt.linalg.pinv(Variable(a, requires_grad=True)).data, np.linalg.pinv(a), rtol=1e-13)


@pytest.mark.parametrize("ord", [2, -2, "nuc"])
@pytest.mark.parametrize("axis, keepdims", [(None, False), ((0, 1), True), ((1, 0), False)])
def test_singular_value_norms_are_numpys(ord, axis, keepdims):  # noqa: A002
    a = matrix("tall")
    expected = np.linalg.norm(a, ord, axis, keepdims)
    np.testing.assert_allclose(tt.linalg.norm(a, ord, axis, keepdims), expected, rtol=1e-14)
    np.testing.assert_allclose(tt.linalg.norm(Dual(a, a), ord, axis, keepdims).primal, expected, rtol=1e-14)
    stack = matrix("stack-tall")
    np.testing.assert_allclose(tt.linalg.norm(stack, ord, (2, 0)), np.linalg.norm(stack, ord, (2, 0)), rtol=1e-14)


def test_an_invalid_matrix_norm_order_is_numpys_value_error():
    for ord in (3, "fro2"):
        with pytest.raises(ValueError, match="Invalid norm order for matrices"):
            tt.linalg.norm(np.eye(2), ord)


def test_expm_is_scipys_for_matrices_and_stacks():
    assert tinytorch.scipy.linalg.expm is tt.linalg.expm
    for a in (RNG.standard_normal((3, 3)), RNG.standard_normal((2, 2, 3, 3)), 5.0 * RNG.standard_normal((4, 4))):
        np.testing.assert_array_equal(tt.linalg.expm(a), scipy.linalg.expm(a))
        np.testing.assert_allclose(tt.linalg.expm(Dual(a, a)).primal, scipy.linalg.expm(a), rtol=1e-14)
    assert tt.linalg.expm(np.eye(2, dtype=np.float32)).dtype == np.float32


def test_numpy_functions_given_boxes_go_through_tinytorch():
    a = matrix("tall")
    f = lambda a: np.linalg.svd(a, full_matrices=False).S[0] + np.sum(np.linalg.pinv(a)) + np.sum(np.linalg.qr(a).R)
    expected = central_differences(lambda a: np.asarray(f(a)), a)
    np.testing.assert_allclose(grad(f)(a), expected, rtol=1e-6, atol=1e-7)


# --- derivatives against central differences --------------------------------------------------------


@pytest.mark.parametrize("name", SHAPES)
@pytest.mark.parametrize("part", [0, 1, 2])
def test_reduced_svd_derivatives_match_differences(name, part):
    a = matrix(name)
    assert_jacobians_match(
        lambda a: tt.linalg.svd(a, full_matrices=False)[part],
        lambda a: np.linalg.svd(a, full_matrices=False)[part],
        a,
    )


@pytest.mark.parametrize("name", SHAPES)
def test_singular_values_alone_match_differences(name):
    a = matrix(name)
    for full_matrices in (True, False):  # irrelevant to the singular values
        assert_jacobians_match(
            lambda a, full_matrices=full_matrices: tt.linalg.svd(a, full_matrices=full_matrices, compute_uv=False),
            lambda a: np.linalg.svd(a, compute_uv=False),
            a,
        )


def test_singular_values_at_a_repeated_singular_value_are_differentiable():
    # at the identity every direction E gives ds = the eigenvalues of sym(E) in some order;
    # along a diagonal E they are E's diagonal, sorted
    e = np.diag([0.3, -0.2, 0.1])
    _, ds = jvp(lambda a: tt.linalg.svd(a, compute_uv=False), (np.eye(3),), (e,))
    np.testing.assert_allclose(np.sort(ds), [-0.2, 0.1, 0.3], atol=1e-15)
    np.testing.assert_allclose(grad(lambda a: tt.sum(tt.linalg.svd(a, compute_uv=False)))(np.eye(3)), np.eye(3))


def test_second_derivatives_of_svd_have_their_closed_forms():
    # sum s_i^2 = |A|_F^2, whose Hessian is 2 I; U diag(S) Vh = A, whose Jacobian is I and Hessian 0
    for name in ("square", "tall", "wide"):
        a = matrix(name)
        identity = np.eye(a.size).reshape(a.shape * 2)
        squares = lambda a: tt.sum(tt.linalg.svd(a, compute_uv=False) ** 2)
        np.testing.assert_allclose(hessian(squares)(a), 2 * identity, atol=1e-10)
        rebuilt = lambda a: (lambda r: (r.U * r.S[..., None, :]) @ r.Vh)(tt.linalg.svd(a, full_matrices=False))
        np.testing.assert_allclose(jacrev(rebuilt)(a), identity, atol=1e-12)
        squared = lambda a, rebuilt=rebuilt: tt.sum(rebuilt(a) ** 2)
        np.testing.assert_allclose(jacfwd(jacrev(squared))(a), 2 * identity, atol=1e-10)


def test_a_stack_differentiates_as_its_matrices_do():
    a = matrix("stack-wide")
    f = lambda a: tt.sum(tt.linalg.svd(a, full_matrices=False).U[..., 0, :] ** 3) + tt.sum(tt.linalg.qr(a.mT).R)
    whole = grad(f)(a)
    for i in range(a.shape[0]):
        np.testing.assert_allclose(whole[i], grad(f)(a[i]), rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("name", ["square", "tall", "stack-tall"])
@pytest.mark.parametrize("mode, part", [("reduced", 0), ("reduced", 1), ("r", None)])
def test_qr_derivatives_match_differences(name, mode, part):
    a = matrix(name)
    pick = (lambda r: r) if part is None else (lambda r: r[part])
    assert_jacobians_match(lambda a: pick(tt.linalg.qr(a, mode)), lambda a: pick(np.linalg.qr(a, mode)), a)


def test_qr_rebuilds_its_input_to_second_order():
    a = matrix("tall")
    identity = np.eye(a.size).reshape(a.shape * 2)
    rebuilt = lambda a: (lambda r: r.Q @ r.R)(tt.linalg.qr(a))
    np.testing.assert_allclose(jacfwd(rebuilt)(a), identity, atol=1e-12)
    np.testing.assert_allclose(hessian(lambda a: tt.sum(rebuilt(a) ** 2))(a), 2 * identity, atol=1e-10)


@pytest.mark.parametrize("name", ["square", "tall", "wide", "stack-wide"])
def test_pinv_of_full_rank_matches_differences(name):
    a = matrix(name)
    assert_jacobians_match(tt.linalg.pinv, np.linalg.pinv, a)


def test_pinv_of_a_rank_deficient_matrix_perturbed_within_its_rank():
    # A = B C has rank 2 for every B (4 x 2) and C (2 x 3) of full rank: moving B or C keeps the
    # rank, along which the Golub-Pereyra derivative holds
    b, c = RNG.standard_normal((4, 2)), RNG.standard_normal((2, 3))
    assert np.linalg.matrix_rank(b @ c) == 2
    assert_jacobians_match(lambda b: tt.linalg.pinv(b @ c), lambda b: np.linalg.pinv(b @ c), b)
    assert_jacobians_match(lambda c: tt.linalg.pinv(b @ c), lambda c: np.linalg.pinv(b @ c), c)
    second = lambda c: jacrev(lambda c: tt.sum(tt.linalg.pinv(b @ c) ** 2))(c)
    expected = central_differences(lambda c: second(c), c)
    np.testing.assert_allclose(jacfwd(second)(c), expected, rtol=1e-5, atol=1e-6)


def test_pinv_hermitian_differentiates_the_lower_triangle():
    s = apart(3, 3, seed=4)
    s = s @ s.T
    f = lambda a: np.linalg.pinv(a, hermitian=True)
    assert_jacobians_match(lambda a: tt.linalg.pinv(a, hermitian=True), f, s)


# --- the singular-value norms: closed forms ------------------------------------------------------


@pytest.mark.parametrize("name", ["square", "tall", "wide"])
def test_norm_gradients_are_their_closed_forms(name):
    a = matrix(name)
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    closed = {2: np.outer(u[:, 0], vh[0]), -2: np.outer(u[:, -1], vh[-1]), "nuc": u @ vh}
    for ord, expected in closed.items():
        f = lambda a: tt.linalg.norm(a, ord)  # noqa: B023
        np.testing.assert_allclose(grad(f)(a), expected, rtol=1e-12, atol=1e-13, err_msg=f"ord={ord}")
        np.testing.assert_allclose(jacfwd(f)(a), expected, rtol=1e-12, atol=1e-13, err_msg=f"ord={ord}")


def test_norm_of_a_stack_along_other_axes_keeps_its_dims():
    x = np.moveaxis(matrix("stack-tall"), (1, 2), (2, 0)).copy()  # matrices along axes (2, 0)
    f = lambda x: tt.linalg.norm(x, 2, axis=(2, 0), keepdims=True)
    assert f(x).shape == (1, 3, 1)
    assert_jacobians_match(f, lambda x: np.linalg.norm(x, 2, axis=(2, 0), keepdims=True), x)


# --- expm ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(3, 3), (2, 2, 2)])
def test_expm_derivatives_match_differences(shape):
    a = RNG.standard_normal(shape)
    assert_jacobians_match(tt.linalg.expm, scipy.linalg.expm, a)


def test_expm_of_a_diagonal_matrix_has_the_divided_differences_of_exp():
    # d expm(D)[E]_ij = E_ij (e^d_i - e^d_j) / (d_i - d_j), and E_ii e^d_i on the diagonal
    d = np.array([0.3, -1.2, 0.8])
    phi = (np.exp(d)[:, None] - np.exp(d)[None, :]) / (d[:, None] - d[None, :] + np.eye(3))
    phi[np.diag_indices(3)] = np.exp(d)
    e = RNG.standard_normal((3, 3))
    np.testing.assert_allclose(jvp(tt.linalg.expm, (np.diag(d),), (e,))[1], e * phi, rtol=1e-13)
    np.testing.assert_allclose(vjp(tt.linalg.expm, np.diag(d))[1](e)[0], e * phi, rtol=1e-13)  # phi is symmetric


def test_expm_rules_are_scipys_frechet_derivative_and_its_transpose():
    a, e, g = (RNG.standard_normal((4, 4)) for _ in range(3))
    np.testing.assert_allclose(jvp(tt.linalg.expm, (a,), (e,))[1], scipy.linalg.expm_frechet(a, e)[1], rtol=1e-14)
    pulled = vjp(tt.linalg.expm, a)[1](g)[0]
    np.testing.assert_allclose(pulled, scipy.linalg.expm_frechet(a.T, g)[1], rtol=1e-14)
    # <G, L(A, E)> = <L(A^T, G), E>: the transpose, by SciPy alone
    lhs = np.sum(g * scipy.linalg.expm_frechet(a, e)[1])
    np.testing.assert_allclose(lhs, np.sum(scipy.linalg.expm_frechet(a.T, g)[1] * e), rtol=1e-12)


def test_expm_second_derivative_matches_differences_of_the_frechet_derivative():
    a, e = RNG.standard_normal((3, 3)), RNG.standard_normal((3, 3))
    frechet = lambda a: jvp(tt.linalg.expm, (a,), (e,))[1]
    expected = central_differences(lambda a: scipy.linalg.expm_frechet(a, e)[1], a)
    np.testing.assert_allclose(jacfwd(frechet)(a), expected, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(jacrev(frechet)(a), expected, rtol=1e-6, atol=1e-7)


# --- refusals -------------------------------------------------------------------------------------

BOXES = {
    "Dual": lambda a: Dual(a, np.ones_like(a)),
    "Variable": lambda a: Variable(a, requires_grad=True),
}


@pytest.mark.parametrize("box", BOXES)
@pytest.mark.parametrize("name, extra", [("tall", "columns of U"), ("wide", "rows of Vh")])
def test_full_svd_of_a_non_square_matrix_is_refused_when_differentiated(box, name, extra):
    a = matrix(name)
    with pytest.raises(NotImplementedError, match=f"full_matrices=True.*{extra}.*use full_matrices=False"):
        tt.linalg.svd(BOXES[box](a))
    assert tt.linalg.svd(a).U.shape[-1] == a.shape[-2]  # a plain array is NumPy's full SVD
    u = tt.linalg.svd(BOXES[box](matrix("square"))).U  # a square full SVD is the reduced one
    assert u.shape == (3, 3)


@pytest.mark.parametrize("box", BOXES)
def test_hermitian_svd_is_refused_when_differentiated(box):
    a = apart(3, 3) @ apart(3, 3).T
    for compute_uv in (True, False):
        with pytest.raises(NotImplementedError, match="svd\\(hermitian=True\\)"):
            tt.linalg.svd(BOXES[box](a), compute_uv=compute_uv, hermitian=True)


@pytest.mark.parametrize("box", BOXES)
def test_qr_refusals_name_the_case(box):
    with pytest.raises(NotImplementedError, match="qr of a wide 2x4 matrix"):
        tt.linalg.qr(BOXES[box](matrix("wide")))
    with pytest.raises(NotImplementedError, match="qr of a wide 2x4 matrix"):
        tt.linalg.qr(BOXES[box](matrix("wide")), mode="r")
    with pytest.raises(NotImplementedError, match="mode='complete'.*last 2 columns of Q.*use mode='reduced'"):
        tt.linalg.qr(BOXES[box](matrix("tall")), mode="complete")
    with pytest.raises(NotImplementedError, match="mode='raw'"):
        tt.linalg.qr(BOXES[box](matrix("tall")), mode="raw")


def test_decompositions_of_vectors_are_linalg_errors():
    for f in (tt.linalg.svd, tt.linalg.qr):
        with pytest.raises(np.linalg.LinAlgError, match="at least two-dimensional"):
            f(Dual(np.ones(3), np.ones(3)))
