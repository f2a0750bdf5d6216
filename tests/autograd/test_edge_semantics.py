"""Derivatives at the edges where a rule used to fail or give a silently wrong number:
det at singular matrices, clip with crossed bounds, the extrema with NaN operands,
and p-norms at zero entries and zero vectors.

The oracles are independent of the rules: cofactors and second-order cofactors computed
from NumPy minors, central differences in float64 (det is a polynomial, so they stay
accurate at singular matrices), the operand NumPy returns (read from NaN payloads), and
values from PyTorch 2.13.0+cpu and JAX 0.10.2 (float64), hard-coded where quoted.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import tinytorch as tt
from tinytorch.autograd import grad, gradcheck, hessian, hvp, jacfwd, jacrev, jvp, vjp

NESTINGS = {
    "fwd-of-rev": lambda f: jacfwd(jacrev(f)),
    "rev-of-fwd": lambda f: jacrev(jacfwd(f)),
    "rev-of-rev": lambda f: jacrev(jacrev(f)),
    "fwd-of-fwd": lambda f: jacfwd(jacfwd(f)),
}


def central_differences(f, x: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    """d f / d x, shaped f(x).shape + x.shape, in float64."""
    x = np.asarray(x, dtype=np.float64)
    columns = []
    for k in range(x.size):
        step = np.zeros(x.size)
        step[k] = eps
        step = step.reshape(x.shape)
        columns.append((np.asarray(f(x + step)) - np.asarray(f(x - step))) / (2 * eps))
    out_shape = np.shape(f(x))
    return np.stack(columns, axis=-1).reshape(out_shape + x.shape)


# --- det at singular matrices ---------------------------------------------------------------------


def cofactors(a: np.ndarray) -> np.ndarray:
    """C_ij = (-1)^(i+j) det(a without row i and column j) = d det(a) / d a_ij, by hand."""
    n = a.shape[-1]
    if n == 1:
        return np.ones_like(a)
    c = np.empty_like(a)
    for i, j in itertools.product(range(n), repeat=2):
        minor = np.delete(np.delete(a, i, axis=-2), j, axis=-1)
        c[..., i, j] = (-1) ** (i + j) * np.linalg.det(minor)
    return c


def second_cofactors(a: np.ndarray) -> np.ndarray:
    """d^2 det(a) / d a_ij d a_kl, from the minors of order n - 2 (zero when i == k or j == l)."""
    n = a.shape[-1]
    h = np.zeros((n, n, n, n))
    for i, j, k, m in itertools.product(range(n), repeat=4):
        if i == k or j == m:
            continue
        # a_km sits at (k', m') of the minor without row i and column j
        kk, mm = k - (k > i), m - (m > j)
        rest = np.delete(np.delete(a, [i, k], axis=0), [j, m], axis=1)
        h[i, j, k, m] = (-1) ** (i + j + kk + mm) * (np.linalg.det(rest) if n > 2 else 1.0)
    return h


def with_singular_values(s, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = len(s)
    q1, q2 = (np.linalg.qr(rng.standard_normal((n, n)))[0] for _ in range(2))
    return q1 @ np.diag(s) @ q2


RNG = np.random.default_rng(20240611)
SINGULAR = {
    "exact-rank-2-of-3": np.arange(1.0, 10.0).reshape(3, 3),  # LU meets an exact zero pivot
    "exact-rank-1-of-3": np.outer([1.0, 2.0, 3.0], [1.0, -1.0, 2.0]),
    "zero-3x3": np.zeros((3, 3)),
    "zero-1x1": np.zeros((1, 1)),
    "rank-1-of-2": np.outer([2.0, -1.0], [0.5, 3.0]),
    "rank-3-of-4": RNG.standard_normal((4, 3)) @ RNG.standard_normal((3, 4)),
    "rank-3-of-5": RNG.standard_normal((5, 3)) @ RNG.standard_normal((3, 5)),
    "zero-row": np.array([[1.0, 2.0, 0.5], [0.0, 0.0, 0.0], [-1.0, 0.3, 2.0]]),
}
singular = pytest.mark.parametrize("name", sorted(SINGULAR))


def test_the_cofactor_oracles_agree_with_finite_differences():
    a = RNG.standard_normal((4, 4))
    np.testing.assert_allclose(cofactors(a), central_differences(np.linalg.det, a), rtol=1e-8, atol=1e-9)
    np.testing.assert_allclose(second_cofactors(a), central_differences(cofactors, a), rtol=1e-7, atol=1e-8)


@singular
def test_det_gradient_is_the_transposed_adjugate_in_both_modes(name):
    a = SINGULAR[name]
    expected = cofactors(a)
    scale = 1.0 + np.abs(expected).max()
    for what, result in [
        ("grad", grad(tt.linalg.det)(a)),
        ("jacrev", jacrev(tt.linalg.det)(a)),
        ("jacfwd", jacfwd(tt.linalg.det)(a)),
    ]:
        np.testing.assert_allclose(result, expected, atol=1e-13 * scale, err_msg=what)
    e = np.random.default_rng(1).standard_normal(a.shape)
    value, tangent = jvp(tt.linalg.det, (a,), (e,))
    assert value == np.linalg.det(a)
    np.testing.assert_allclose(tangent, np.sum(expected * e), atol=1e-13 * scale * np.abs(e).sum())
    value, pullback = vjp(tt.linalg.det, a)
    np.testing.assert_allclose(pullback(np.float64(-2.5))[0], -2.5 * expected, atol=3e-13 * scale)


def test_det_gradient_matches_jax_where_pytorch_returns_zero():
    # JAX 0.10.2: jax.grad(jnp.linalg.det)(arange(1, 10).reshape(3, 3)); PyTorch 2.13.0+cpu
    # returns a zero gradient for this matrix
    expected = np.array([[-3.0, 6.0, -3.0], [6.0, -12.0, 6.0], [-3.0, 6.0, -3.0]])
    np.testing.assert_allclose(grad(tt.linalg.det)(SINGULAR["exact-rank-2-of-3"]), expected, atol=1e-12)


@singular
@pytest.mark.parametrize("nesting", NESTINGS)
def test_det_hessian_at_singular_matrices(name, nesting):
    a = SINGULAR[name]
    expected = second_cofactors(a)
    result = NESTINGS[nesting](tt.linalg.det)(a)
    np.testing.assert_allclose(result, expected, atol=1e-12 * (1.0 + np.abs(expected).max()))


def test_det_hessian_matches_jax_and_pytorch():
    # row 0 of the 9 x 9 Hessian, from jax.hessian(jnp.linalg.det) (JAX 0.10.2);
    # torch.autograd.functional.hessian(torch.linalg.det) (2.13.0+cpu) agrees on the first two
    rows = {
        "exact-rank-2-of-3": [0.0, 0.0, 0.0, 0.0, 9.0, -8.0, 0.0, -6.0, 5.0],
        "exact-rank-1-of-3": [0.0, 0.0, 0.0, 0.0, 6.0, 3.0, 0.0, -4.0, -2.0],
        "zero-3x3": [0.0] * 9,
    }
    for name, row in rows.items():
        h = hessian(tt.linalg.det)(SINGULAR[name]).reshape(9, 9)
        np.testing.assert_allclose(h[0], row, atol=1e-12, err_msg=name)


@singular
def test_det_gradcheck_to_second_order(name):
    assert gradcheck(tt.linalg.det, (SINGULAR[name],), order=2, eps=1e-5, atol=1e-6, rtol=1e-6)


def test_det_on_a_stack_of_singular_and_regular_matrices():
    stack = np.stack([SINGULAR["exact-rank-2-of-3"], SINGULAR["zero-3x3"], with_singular_values([2.0, 1.5, 1.0], 3)])
    stack = np.broadcast_to(stack, (2,) + stack.shape).copy()
    stack[1, 1] = SINGULAR["exact-rank-1-of-3"]
    jac = jacrev(tt.linalg.det)(stack)
    assert jac.shape == (2, 3, 2, 3, 3, 3)
    for i, j, k, m in itertools.product(range(2), range(3), range(2), range(3)):
        expected = cofactors(stack[k, m]) if (i, j) == (k, m) else np.zeros((3, 3))
        np.testing.assert_allclose(jac[i, j, k, m], expected, atol=1e-12)
    np.testing.assert_allclose(jacfwd(tt.linalg.det)(stack), jac, atol=1e-12)
    h = jacfwd(jacrev(lambda a: tt.sum(tt.linalg.det(a))))(stack)
    for k, m in itertools.product(range(2), range(3)):
        np.testing.assert_allclose(h[k, m, :, :, k, m], second_cofactors(stack[k, m]), atol=1e-12)
    assert gradcheck(tt.linalg.det, (stack[:, :2],), order=2, eps=1e-5, atol=1e-6, rtol=1e-6)


def test_det_hessian_vector_product_at_a_singular_stack():
    stack = np.stack([SINGULAR["exact-rank-2-of-3"], SINGULAR["exact-rank-1-of-3"]])
    e = np.random.default_rng(2).standard_normal(stack.shape)
    result = hvp(lambda a: tt.sum(tt.linalg.det(a)), stack, e)
    for k in range(2):
        np.testing.assert_allclose(result[k], np.einsum("ijkl,kl->ij", second_cofactors(stack[k]), e[k]), atol=1e-12)


@pytest.mark.parametrize("name", ["exact-rank-2-of-3", "rank-3-of-4", "zero-3x3"])
def test_det_float32_in_float32_out(name):
    a = SINGULAR[name].astype(np.float32)
    a64 = a.astype(np.float64)
    g, h = grad(tt.linalg.det)(a), hessian(tt.linalg.det)(a)
    assert g.dtype == h.dtype == jacfwd(tt.linalg.det)(a).dtype == np.float32
    np.testing.assert_allclose(g, cofactors(a64), rtol=1e-5, atol=1e-5 * (1 + np.abs(cofactors(a64)).max()))
    expected = second_cofactors(a64)
    np.testing.assert_allclose(h, expected, rtol=1e-5, atol=1e-5 * (1 + np.abs(expected).max()))


def test_det_hessian_is_accurate_near_singular_matrices():
    # cond = 1e10: the inverse-based second derivative errs by about eps * cond relative
    # (~1e-6 here); the adjugate path keeps it to rounding
    a = with_singular_values([2.0, 1.5, 1.2, 1e-10], 4)
    expected = second_cofactors(a)
    result = jacfwd(jacrev(tt.linalg.det))(a)
    np.testing.assert_allclose(result, expected, rtol=0, atol=1e-12 * np.abs(expected).max())
    np.testing.assert_allclose(grad(tt.linalg.det)(a), cofactors(a), rtol=0, atol=1e-13)


def test_det_derivatives_where_det_underflows():
    # cond(a) = 2, but det ~ 1e-360 underflows to 0: det(A) A^-1 would give 0 for the
    # cofactors, which are ~1e-240
    a = 1e-120 * with_singular_values([2.0, 1.5, 1.0], 6)
    assert np.linalg.det(a) == 0.0
    g = grad(tt.linalg.det)(a)
    assert np.abs(g).min() > 1e-250
    np.testing.assert_allclose(g, cofactors(a), rtol=1e-13, atol=0)
    expected = second_cofactors(a)
    np.testing.assert_allclose(hessian(tt.linalg.det)(a), expected, rtol=0, atol=1e-13 * np.abs(expected).max())


def test_det_third_derivative_where_well_conditioned():
    # the inverse-based rules stay differentiable to any order where they serve
    a = with_singular_values([2.0, 1.5, 1.0], 5)
    third = jacfwd(hessian(tt.linalg.det))(a)
    np.testing.assert_allclose(third, central_differences(second_cofactors, a), rtol=1e-7, atol=1e-8)


@pytest.mark.parametrize("name", ["exact-rank-2-of-3", "zero-3x3"])
@pytest.mark.parametrize("outer", [jacfwd, jacrev])
def test_det_third_derivative_at_singular_matrices_is_refused(name, outer):
    with pytest.raises(NotImplementedError, match="det: derivatives beyond the second"):
        outer(hessian(tt.linalg.det))(SINGULAR[name])


def test_det_derivative_of_nan_and_empty_matrices():
    a = np.array([[1.0, np.nan], [2.0, 3.0]])
    with np.errstate(invalid="ignore"):
        g = grad(tt.linalg.det)(a)
    assert np.isnan(g).all()
    assert grad(tt.linalg.det)(np.zeros((0, 0))).shape == (0, 0)


# --- clip ------------------------------------------------------------------------------------------


def clip_jacobians(x, lo, hi):
    """jacfwd and jacrev of clip with respect to x, lo and hi (all arrays)."""
    f = lambda x, lo, hi: tt.clip(x, lo, hi)  # noqa: E731
    return jacfwd(f, argnums=(0, 1, 2))(x, lo, hi), jacrev(f, argnums=(0, 1, 2))(x, lo, hi)


def test_clip_with_crossed_bounds_follows_a_max():
    # NumPy returns a_max everywhere when a_min > a_max; PyTorch 2.13.0+cpu:
    # torch.clamp(x=[0, 1.5, 3], min=2, max=1) gives x.grad 0, min.grad 0, max.grad 1
    x, lo, hi = np.array([0.0, 1.5, 3.0]), np.full(3, 2.0), np.full(3, 1.0)
    np.testing.assert_array_equal(tt.clip(x, lo, hi), np.clip(x, lo, hi))
    for dx, dlo, dhi in clip_jacobians(x, lo, hi):
        np.testing.assert_array_equal(dx, np.zeros((3, 3)))
        np.testing.assert_array_equal(dlo, np.zeros((3, 3)))
        np.testing.assert_array_equal(dhi, np.eye(3))


def test_clip_with_crossed_scalar_bounds():
    x = np.array([-1.0, 0.0, 1.5, 3.0])
    loss = lambda x, lo, hi: tt.sum(tt.clip(x, lo, hi))  # noqa: E731
    for transform in (grad, lambda f, argnums: jacfwd(f, argnums=argnums)):
        dx, dlo, dhi = transform(loss, argnums=(0, 1, 2))(x, np.float64(2.0), np.float64(1.0))
        np.testing.assert_array_equal(dx, np.zeros(4))
        assert (dlo, dhi) == (0.0, 4.0)


def test_clip_ties_go_to_x_inside_the_bounds():
    # PyTorch 2.13.0+cpu: x == min < max and x == max > min give x.grad 1; x == min == max too
    x, lo, hi = np.array([1.0, 2.0, 1.0]), np.array([1.0, 1.0, 1.0]), np.array([2.0, 2.0, 1.0])
    for dx, dlo, dhi in clip_jacobians(x, lo, hi):
        np.testing.assert_array_equal(dx, np.eye(3))
        np.testing.assert_array_equal(dlo + dhi, np.zeros((3, 3)))


def test_clip_derivatives_sum_to_one():
    # clip(x + c, lo + c, hi + c) = clip(x, lo, hi) + c: the three derivatives add up to 1
    # at every point, also where lo == hi and x lies outside (PyTorch gives 0 to all three
    # there; tinytorch gives it to a_max, as for lo > hi, JAX splits it 0.5 / 0.5)
    x = np.array([-2.0, 0.5, 0.5, 3.0, 1.0, 1.0, -1.0, 0.7])
    lo = np.array([-1.0, 0.0, 1.0, 1.0, 1.0, 2.0, 0.0, 0.7])
    hi = np.array([1.0, 1.0, 1.0, 1.0, 0.0, 1.0, -0.5, 0.7])
    for dx, dlo, dhi in clip_jacobians(x, lo, hi):
        np.testing.assert_array_equal(np.diag(dx) + np.diag(dlo) + np.diag(dhi), np.ones(8))
        np.testing.assert_array_equal(np.diag(dhi)[[2, 3, 4, 5, 6]], np.ones(5))


def test_clip_with_broadcast_partly_crossed_bounds_against_differences():
    x = np.array([[-1.3, 0.2, 2.6, 0.9], [0.45, -0.6, 1.7, 3.1], [2.2, 1.4, -2.1, 0.1]])
    lo = np.array([0.5, -1.0, 2.0, 1.2])  # broadcast along rows
    hi = np.array([[1.0], [-0.2], [2.4]])  # along columns: lo > hi in some places
    assert (np.broadcast_to(lo, x.shape) > np.broadcast_to(hi, x.shape)).any()
    assert (np.broadcast_to(lo, x.shape) < np.broadcast_to(hi, x.shape)).any()
    for jacs in clip_jacobians(x, lo, hi):
        for k, (arg, jac) in enumerate(zip((x, lo, hi), jacs)):

            def f(v, k=k):
                args = [x, lo, hi]
                args[k] = v
                return np.clip(*args)

            np.testing.assert_allclose(jac, central_differences(f, arg, eps=1e-4), atol=1e-9, err_msg=f"argument {k}")
    assert gradcheck(lambda x, lo, hi: tt.clip(x, lo, hi) ** 2, (x, lo, hi), order=2)


def test_clip_float32_and_nan():
    x, lo, hi = (np.array(v, dtype=np.float32) for v in ([0.0, 1.5, np.nan], [2.0, 2.0, 0.0], [1.0, 1.0, 1.0]))
    dx, dlo, dhi = grad(lambda x, lo, hi: tt.sum(tt.clip(x, lo, hi)), argnums=(0, 1, 2))(x, lo, hi)
    assert dx.dtype == dlo.dtype == dhi.dtype == np.float32
    # a NaN x: NumPy returns NaN; PyTorch 2.13.0+cpu and JAX 0.10.2 give every argument 0
    np.testing.assert_array_equal(dx, [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(dlo, [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(dhi, [1.0, 1.0, 0.0])


# --- maximum, minimum, fmax, fmin with NaN operands ----------------------------------------------


def nan_with_payload(k: int) -> np.float64:
    """A NaN marked by k in the mantissa bits that float32 keeps too."""
    return np.array([0x7FF8000000000000 + (k << 29)], dtype=np.uint64).view(np.float64)[0]


# distinct NaN payloads tell which operand NumPy returned
A = np.array([nan_with_payload(1), 1.0, nan_with_payload(3), 2.0, 3.0, -1.0])
B = np.array([2.0, nan_with_payload(2), nan_with_payload(4), 2.0, 1.0, 4.0])


def returned_operand(np_fn, a, b):
    """The derivative of a selection, read off NumPy: 1 for the operand whose bits it
    returned, 0.5 each on a tie (equal bits), 0 for the other. Where both are NaN, which
    payload NumPy returns varies with the dtype and its SIMD path: x, by the convention
    tinytorch shares with PyTorch and JAX."""
    bits = np.dtype(f"u{a.itemsize}")
    out = np_fn(a, b).view(bits)
    both_nan = np.isnan(a) & np.isnan(b)
    from_a, from_b = (out == a.view(bits)) | both_nan, (out == b.view(bits)) & ~both_nan
    return from_a / (from_a.astype(int) + from_b), from_b / (from_a.astype(int) + from_b)


@pytest.mark.parametrize("name", ["maximum", "minimum", "fmax", "fmin"])
def test_extrema_differentiate_the_operand_numpy_returns(name):
    fn = getattr(tt, name)
    da, db = returned_operand(getattr(np, name), A, B)
    np.testing.assert_array_equal(da + db, np.ones(A.size))
    for jac in (jacfwd, jacrev):
        ja, jb = jac(fn, argnums=(0, 1))(A, B)
        np.testing.assert_array_equal(ja, np.diag(da), err_msg=jac.__name__)
        np.testing.assert_array_equal(jb, np.diag(db), err_msg=jac.__name__)


@pytest.mark.parametrize("name", ["fmax", "fmin"])
def test_fmax_fmin_nan_derivatives_match_pytorch_and_jax(name):
    # torch.fmax/fmin (2.13.0+cpu) and jnp.fmax/fmin (JAX 0.10.2) on a = [nan, 1, nan],
    # b = [2, nan, nan]: a.grad = [0, 1, 1], b.grad = [1, 0, 0]
    a, b = np.array([np.nan, 1.0, np.nan]), np.array([2.0, np.nan, np.nan])
    da, db = grad(lambda a, b: tt.sum(getattr(tt, name)(a, b)), argnums=(0, 1))(a, b)
    np.testing.assert_array_equal(da, [0.0, 1.0, 1.0])
    np.testing.assert_array_equal(db, [1.0, 0.0, 0.0])


def test_maximum_nan_goes_to_the_nan_operand():
    # what NumPy returns is the NaN; PyTorch 2.13.0+cpu gives both operands 1, JAX 0.10.2 both 0
    a, b = np.array([np.nan, 1.0]), np.array([2.0, np.nan])
    da, db = grad(lambda a, b: tt.sum(tt.maximum(a, b)), argnums=(0, 1))(a, b)
    np.testing.assert_array_equal(da, [1.0, 0.0])
    np.testing.assert_array_equal(db, [0.0, 1.0])


@pytest.mark.parametrize("name", ["maximum", "minimum", "fmax", "fmin"])
def test_extrema_with_nan_broadcast_and_float32(name):
    fn, np_fn = getattr(tt, name), getattr(np, name)
    x = np.array([[0.5, nan_with_payload(1), 2.0], [nan_with_payload(2), -1.0, 0.3]]).astype(np.float32)
    y = np.array([nan_with_payload(3), 0.2, 1.0]).astype(np.float32)
    dx, dy = grad(lambda x, y: tt.sum(fn(x, y) * np.array([[1.0], [10.0]], np.float32)), argnums=(0, 1))(x, y)
    assert dx.dtype == dy.dtype == np.float32
    wx, wy = returned_operand(np_fn, x, np.broadcast_to(y, x.shape))
    weights = np.array([[1.0], [10.0]])
    np.testing.assert_array_equal(dx, wx * weights)
    np.testing.assert_array_equal(dy, np.sum(wy * weights, axis=0))


def test_fmax_second_order_with_nan_operands():
    x = np.array([0.3, np.nan, -1.2, 2.0])
    y = np.array([np.nan, 0.7, 0.4, -0.5])
    assert gradcheck(lambda x, y: tt.fmax(x, y) ** 3 + tt.fmin(y, x) ** 2, (x, y), order=2)


# --- p-norms at zero entries and zero vectors ----------------------------------------------------

ORDERS = [3, 0.5, -1, 1.5, 4, -2]
X0 = np.array([0.0, 1.0, 2.0])
# PyTorch 2.13.0+cpu, torch.linalg.vector_norm(x, ord=p) at [0, 1, 2]: the gradient (zero
# entries masked to 0); at the zero vector every order gives 0
TORCH_GRADS = {
    3: [0.0, 0.2311204247835449, 0.9244816991341795],
    0.5: [0.0, 2.414213562373095, 1.7071067811865472],
    -1: [0.0, 0.0, 0.0],
    1.5: [0.0, 0.6392340078652324, 0.9040134034531215],
    4: [0.0, 0.11944371675699594, 0.95554973405596750],
    -2: [0.0, 0.0, 0.0],
}


def norm_gradient(x: np.ndarray, p: float) -> np.ndarray:
    """sign(x) |x|^(p-1) / ||x||_p^(p-1), zero entries 0; all 0 when the norm is 0."""
    with np.errstate(divide="ignore"):  # NumPy's own p < 0 norm takes 1 / 0 at a zero entry
        n = np.linalg.norm(x, ord=p)
    if n == 0:
        return np.zeros_like(x)
    nz = x != 0
    return np.where(nz, np.sign(x) * np.abs(np.where(nz, x, 1.0)) ** (p - 1) * n ** (1 - p), 0.0)


@pytest.mark.parametrize("p", ORDERS)
def test_norm_gradient_at_a_zero_entry_matches_pytorch(p):
    with np.errstate(divide="ignore"):
        expected_value = np.linalg.norm(X0, ord=p)
    assert tt.linalg.norm(X0, p) == expected_value
    np.testing.assert_allclose(grad(lambda x: tt.linalg.norm(x, p))(X0), TORCH_GRADS[p], rtol=1e-14)
    np.testing.assert_allclose(jacfwd(lambda x: tt.linalg.norm(x, p))(X0), norm_gradient(X0, p), rtol=1e-14)


@pytest.mark.parametrize("p", [*ORDERS, 1, 2, None, np.inf, -np.inf, 0])
def test_norm_derivatives_at_the_zero_vector_are_zero(p):
    f = lambda x: tt.linalg.norm(x, p)  # noqa: E731
    z = np.zeros(3)
    for jac in (jacfwd, jacrev):
        np.testing.assert_array_equal(jac(f)(z), np.zeros(3))
    for nesting in NESTINGS.values():
        np.testing.assert_array_equal(nesting(f)(z), np.zeros((3, 3)))


@pytest.mark.parametrize("p", ORDERS)
@pytest.mark.parametrize("nesting", NESTINGS)
def test_norm_hessian_at_a_zero_entry_is_finite_and_right_where_it_exists(p, nesting):
    # the Hessian of the norm of the nonzero entries, by differences; zero rows and columns
    # for the zero entry (where it exists for p > 2 it is 0; for p < 2 it is infinite or
    # undefined, and 0 is the masked convention); for p < 0 the norm is 0 near x0: all 0
    h = NESTINGS[nesting](lambda x: tt.linalg.norm(x, p))(X0)
    expected = np.zeros((3, 3))
    if p > 0:
        expected[1:, 1:] = central_differences(lambda v: norm_gradient(v, p), X0[1:])
    np.testing.assert_allclose(h, expected, atol=1e-7)


@pytest.mark.parametrize("p", [3, 4])
@pytest.mark.parametrize("axis, keepdims", [(None, False), (1, True), (0, False)])
def test_norm_second_order_at_zero_entries_against_differences(p, axis, keepdims):
    # every line holds a zero entry and none is all zeros (there no second derivative exists)
    x = np.array([[0.0, 1.3, -0.7], [0.8, 0.0, -1.1]])
    if axis is None:
        x = x.ravel()
    f = lambda x: tt.linalg.norm(x, p, axis=axis, keepdims=keepdims)  # noqa: E731
    # |x|^3 has a jump in its third derivative at 0: differences err by O(eps) there
    assert gradcheck(f, (x,), order=2, eps=1e-7, atol=1e-6, rtol=1e-6)


def test_norm_with_even_p_stays_exact_to_any_order_at_a_zero_entry():
    # (x0^4 + R)^(1/4) with R = 1 + 2^4: d^4 / d x0^4 at x0 = 0 is (1/4) R^(-3/4) 4!
    f = lambda x: tt.linalg.norm(x, 4)  # noqa: E731
    fourth = jacfwd(jacrev(jacfwd(jacrev(f))))(X0)
    np.testing.assert_allclose(fourth[0, 0, 0, 0], 6.0 * 17.0**-0.75, rtol=1e-12)
    third_by_differences = central_differences(lambda x: jacfwd(jacrev(jacfwd(f)))(x)[0, 0], X0, eps=1e-4)
    np.testing.assert_allclose(fourth[0, 0], third_by_differences, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("p", [0.5, -1, 3])
def test_norm_along_an_axis_with_zero_entries_and_zero_rows(p):
    x = np.array([[0.0, 1.0, 2.0], [0.0, 0.0, 0.0], [-1.5, 0.5, 0.25]])
    with np.errstate(divide="ignore"):
        expected_value = np.linalg.norm(x, ord=p, axis=1, keepdims=True)
    f = lambda x: tt.linalg.norm(x, p, axis=1, keepdims=True)  # noqa: E731
    np.testing.assert_array_equal(f(x), expected_value)
    expected = np.zeros((3, 1, 3, 3))
    for i in range(3):
        expected[i, 0, i] = norm_gradient(x[i], p)
    for jac in (jacfwd, jacrev):
        np.testing.assert_allclose(jac(f)(x), expected, rtol=1e-14)
    assert np.isfinite(jacfwd(jacrev(f))(x)).all()


@pytest.mark.parametrize("p", [3, 0.5, -1])
def test_norm_float32_at_zero_entries(p):
    x = X0.astype(np.float32)
    f = lambda x: tt.linalg.norm(x, p)  # noqa: E731
    assert f(x).dtype == np.float32
    g = grad(f)(x)
    assert g.dtype == hessian(f)(x).dtype == np.float32
    np.testing.assert_allclose(g, TORCH_GRADS[p], rtol=1e-6)


@pytest.mark.parametrize("ord", [None, "fro", 1, -1, np.inf, -np.inf])
def test_matrix_norms_at_the_zero_matrix(ord):  # noqa: A002
    f = lambda x: tt.linalg.norm(x, ord)  # noqa: E731
    z = np.zeros((2, 3))
    np.testing.assert_array_equal(jacrev(f)(z), np.zeros((2, 3)))
    np.testing.assert_array_equal(jacfwd(jacrev(f))(z), np.zeros((2, 3, 2, 3)))


# --- sinc at and near its removable singularity ----------------------------------------------


def sinc_closed_forms(x: np.ndarray) -> tuple:
    """np.sinc's first and second derivatives from their closed forms (x != 0)."""
    d1 = (np.cos(np.pi * x) - np.sinc(x)) / x
    return d1, -(np.pi**2) * np.sinc(x) - 2.0 * d1 / x


def test_sinc_value_and_derivatives_at_zero():
    f = lambda x: tt.sum(tt.sinc(x))  # noqa: E731
    zero = np.array([0.0])
    assert tt.sinc(0.0) == 1.0 and np.sinc(tt.Variable(0.0)).item() == 1.0
    for jac in (jacfwd, jacrev):
        assert jac(f)(zero).tolist() == [0.0]
    for nesting in NESTINGS.values():
        np.testing.assert_allclose(nesting(f)(zero), [[-(np.pi**2) / 3]], rtol=1e-15)
    # the rule is differentiated again and again: sinc''' (0) = 0, sinc'''' (0) = pi^4 / 5
    d4 = grad(grad(grad(grad(lambda x: tt.sinc(x)))))
    np.testing.assert_allclose(d4(0.0), np.pi**4 / 5, rtol=1e-15)
    assert grad(grad(grad(lambda x: tt.sinc(x))))(0.0) == 0.0


def test_sinc_derivatives_near_zero_and_away():
    f = lambda x: tt.sinc(x)  # noqa: E731
    tiny = np.array([-1e-3, 1e-6, 1e-12])  # Maclaurin series of sinc' and sinc''
    np.testing.assert_allclose(np.diag(jacrev(f)(tiny)), -(np.pi**2) * tiny / 3 + np.pi**4 * tiny**3 / 30, rtol=1e-12)
    second = lambda x: hvp(lambda x: tt.sum(f(x)), x, np.ones_like(x))  # noqa: E731  (the Hessian is diagonal)
    maclaurin = -(np.pi**2) / 3 + np.pi**4 * tiny**2 / 10 - np.pi**6 * tiny**4 / 168
    np.testing.assert_allclose(second(tiny), maclaurin, rtol=1e-12)
    x = np.array([-2.5, -0.7, 0.3, 0.6366, 0.6367, 1.5, 4.0])  # |pi x| = 2 is where the rule switches formula
    d1, d2 = sinc_closed_forms(x)
    np.testing.assert_allclose(np.diag(jacfwd(f)(x)), d1, rtol=1e-12)
    np.testing.assert_allclose(second(x), d2, rtol=1e-11)
    np.testing.assert_allclose(np.diag(jacfwd(f)(x)), np.diag(central_differences(f, x)), rtol=1e-8)
    assert gradcheck(f, (np.concatenate([tiny, [0.0], x]),), order=2, modes=("forward", "reverse"))


def test_sinc_float32():
    x = np.array([0.0, 0.25, 1.5], dtype=np.float32)
    f = lambda x: tt.sum(tt.sinc(x))  # noqa: E731
    assert tt.sinc(x).dtype == grad(f)(x).dtype == hessian(f)(x).dtype == np.float32


# --- std over one element, eigh of the upper triangle ----------------------------------------


@pytest.mark.parametrize(
    "f, x",
    [
        (lambda x: tt.std(x), np.array(2.0)),
        (lambda x: tt.sum(tt.std(x, axis=1)), np.array([[1.0], [3.0]])),
        (lambda x: tt.sum(tt.std(x, axis=(0, 2), keepdims=True)), np.ones((1, 3, 1))),
    ],
)
def test_std_over_one_element_is_identically_zero_with_zero_derivatives(f, x):
    np.testing.assert_array_equal(f(x), 0.0)
    for name, nested in NESTINGS.items():
        assert np.all(nested(f)(x) == 0.0), name
    assert np.all(jacrev(f)(x) == 0.0) and np.all(jvp(f, (x,), (np.ones_like(x),))[1] == 0.0)


def test_eigh_of_the_upper_triangle_returns_numpys_eigenvectors_from_boxes():
    # LAPACK's eigenvector signs depend on the triangle it reads: a box must read NumPy's
    rng = np.random.default_rng(3)
    for _ in range(20):
        m = rng.standard_normal((4, 4))
        a = m + m.T + np.triu(rng.standard_normal((4, 4)))  # the lower triangle differs from the upper
        for uplo in ("L", "U"):
            expected = np.linalg.eigh(a, uplo).eigenvectors
            np.testing.assert_array_equal(tt.linalg.eigh(tt.autograd.Variable(a, True), uplo)[1].data, expected)
            np.testing.assert_array_equal(
                tt.linalg.eigh(tt.autograd.Dual(a, np.zeros_like(a)), uplo)[1].primal, expected
            )
    # derivatives of the eigenvectors themselves (not their squares) against central differences
    a = np.triu(np.array([[2.0, 0.3, -0.1], [0.0, 1.0, 0.2], [0.0, 0.0, -1.5]]))
    f = lambda a: tt.linalg.eigh(a, "U")[1]  # noqa: E731
    h = 1e-6
    numeric = np.stack([(f(a + h * e) - f(a - h * e)) / (2 * h) for e in np.eye(9).reshape(9, 3, 3)], axis=-1)
    np.testing.assert_allclose(jacrev(f)(a).reshape(3, 3, 9), numeric, atol=1e-8)
    np.testing.assert_allclose(jacfwd(f)(a).reshape(3, 3, 9), numeric, atol=1e-8)
