"""Rules for linear algebra, the primitives behind `tt.linalg` (api/linalg.py):
solve, inv, det (with the adjugate, its derivative at singular matrices), log|det|,
cholesky, eigh, lstsq, svd (and its singular values alone), qr, pinv and expm (with
its Fréchet derivative). solve, inv, det, cholesky, eigh and expm act on stacks of
square matrices (..., n, n), svd, qr and pinv on stacks of (..., m, n); a batch axis
on a tangent or cotangent is one more leading stack axis. (The public functions
broadcast stack axes before calling these, so operands' stacks always match here.)

cholesky and eigh read only the lower triangle of their input; the public
functions feed them tril(A) + tril(A, -1)^T, so the rules here are derivatives
along symmetric directions. solve's right-hand side may stack more matrices than its
left-hand side (the rules of other primitives solve against batched cotangents).
eigh, svd and qr return their factors packed in one array so that they stay
one-output primitives: eigh's row 0 holds the eigenvalues, rows 1..n the
eigenvectors; svd's (reduced, k = min(m, n) columns) row 0 the singular values, then
the m rows of U, then the n rows of V = Vh^T; qr's (m >= n) the m rows of Q, then the
n rows of R. lstsq takes one matrix of full column rank.
"""

from __future__ import annotations

import numpy as np

from ..primitive import Primitive, unbox_all
from .math import where
from .reductions import sum_p
from .shape import Index, broadcast_to_p, concatenate_p, diagonal_p, getitem_p, mT, reshape_p, sum_to_p, tril_p, triu_p


def _col(v):
    """Vectors (..., n) as one-column matrices (..., n, 1)."""
    return reshape_p(v, v.shape[-1:] + (1,), 1)


def _row(v):
    """Vectors (..., n) as one-row matrices (..., 1, n)."""
    return reshape_p(v, (1,) + v.shape[-1:], 1)


def _uncol(m):
    return reshape_p(m, m.shape[-2:-1], 2)


def _scale(s, m):
    """A stack of scalars (...) times a stack of matrices (..., n, n)."""
    return reshape_p(s, (1, 1), 0) * m


def _trace(m):
    return sum_p(diagonal_p(m, 0, -2, -1), (-1,), False)


def _sym_part(x):
    """Φ(X): the lower triangle of X with its diagonal halved."""
    return tril_p(x, -1) + 0.5 * (x * np.eye(x.shape[-1], dtype=x.dtype))


# --- solving and inverting ---------------------------------------------------------------

def _solve_da(t, ans, a, b):
    if b.ndim == 1:
        return -_uncol(solve_p(a, t @ _col(ans)))
    # b may stack more matrices than a (rules solve against batched right-hand
    # sides): give a's tangent those stack axes so its batch axes stay in front
    extra = b.ndim - a.ndim
    if extra:
        t = reshape_p(t, (1,) * extra + a.shape, a.ndim)
    return -solve_p(a, t @ ans)


def _solve_db(t, ans, a, b):
    return _uncol(solve_p(a, _col(t))) if b.ndim == 1 else solve_p(a, t)


def _solve_vjp_b(g, ans, a, b):
    return _uncol(solve_p(mT(a), _col(g))) if b.ndim == 1 else solve_p(mT(a), g)


def _solve_vjp_a(g, ans, a, b):
    gb = _solve_vjp_b(g, ans, a, b)
    if b.ndim == 1:
        return -(_col(gb) @ mT(_col(ans)))
    ga = -(gb @ mT(ans))
    nb = g.ndim - ans.ndim
    return ga if ga.shape[nb:] == a.shape else sum_to_p(ga, a.shape, ga.ndim - nb)


solve_p = Primitive("solve", np.linalg.solve, jvp=(_solve_da, _solve_db), vjp=(_solve_vjp_a, _solve_vjp_b))
inv_p = Primitive("inv", np.linalg.inv,
    jvp=lambda t, ans, a: -(ans @ t @ ans),
    vjp=lambda g, ans, a: -(mT(ans) @ g @ mT(ans)))

# --- determinants ------------------------------------------------------------------------

# d det(A) = tr(adj(A) dA). Where A is well-conditioned, adj(A) = det(A) A^-1 and the
# rules are differentiable to any order; elsewhere, singular matrices included, the
# adjugate comes from the SVD and det is differentiable to second order.


def _inverse_if_well_conditioned(x, det):
    """A^-1 where det's inverse-based rules are accurate to second order, else None.

    Their second derivative errs by about eps * cond(A) relative (measured against
    mpmath), the SVD-based adjugate's by about eps at any rank: the inverse serves
    while cond_1(A) = |A|_1 |A^-1|_1 < eps^(-1/3) (1.6e5 in float64, 200 in float32)
    and det(A) is a normal number (det(A) A^-1 loses an underflowed det), for every
    matrix of the stack. The entries are finite (see _cofactors)."""
    try:
        inverse = np.linalg.inv(x)
    except np.linalg.LinAlgError:
        return None
    if x.size == 0:
        return inverse
    info = np.finfo(x.dtype)
    with np.errstate(over="ignore"):  # an overflow is an infinite condition number
        cond = np.abs(x).sum(axis=-2).max(axis=-1) * np.abs(inverse).sum(axis=-2).max(axis=-1)
    well = np.all(cond < info.eps ** (-1 / 3)) and np.all(np.abs(det) >= info.tiny)
    return inverse if well else None


def _cofactors(ans, a):
    """d det(A) / dA = adj(A)^T; NaN for the matrices of the stack with a NaN or inf entry, as in PyTorch."""
    x = unbox_all(a)
    finite = np.isfinite(x).all(axis=(-2, -1), keepdims=True)
    if not finite.all():
        # LAPACK's SVD refuses them, and inv may stop at a zero pivot before reaching them:
        # identities stand in. A factor NaN on them (1 elsewhere) makes their cofactors NaN;
        # another, applied before the `where` that drops them, makes their higher derivatives
        # NaN rather than 0 in reverse mode, whose cotangents that `where` would zero
        nan_if_not_finite = np.where(finite, 1, np.nan).astype(x.dtype)
        clean = where(finite, a * nan_if_not_finite, np.eye(x.shape[-1], dtype=x.dtype))
        return _cofactors(where(finite[..., 0, 0], ans, 1), clean) * nan_if_not_finite
    inverse = _inverse_if_well_conditioned(x, unbox_all(ans))
    if inverse is None:
        return mT(adjugate_p(a))
    # a plain a needs no derivative of its inverse: the one just computed serves
    return _scale(ans, mT(inverse if a is x else inv_p(a)))


def _np_mT(x):
    return np.swapaxes(x, -1, -2)


def _products_of_others(s):
    """prod_{j != i} s_j for each i along the last axis, without dividing (s may hold zeros)."""
    ones = np.ones_like(s[..., :1])
    before = np.cumprod(np.concatenate([ones, s[..., :-1]], axis=-1), axis=-1)
    after = np.cumprod(np.concatenate([ones, s[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    return before * after


def _svd(a):
    """U, s, V and c = det(U) det(V) = +-1, so that A = U diag(s) V^T."""
    u, s, vt = np.linalg.svd(a)
    return u, s, _np_mT(vt), np.linalg.det(u) * np.linalg.det(vt)


def _adjugate(a):
    # adj(U S V^T) = c V adj(S) U^T, adj(S) = diag(prod_{j != i} s_j): exact at any rank
    u, s, v, c = _svd(a)
    return c[..., None, None] * ((v * _products_of_others(s)[..., None, :]) @ _np_mT(u))


def _adjugate_derivative(e, a):
    """d adj(A)[E] = c V M U^T with E' = U^T E V, p_ij = prod_{k not in {i, j}} s_k and
    M_ij = -E'_ij p_ij (i != j), M_ii = sum_{k != i} E'_kk p_ik. E may carry batch axes."""
    u, s, v, c = _svd(a)
    n = s.shape[-1]
    off = ~np.eye(n, dtype=bool)
    # row i of p: the products of the others of s with s_i replaced by 1; diagonal dropped
    p = np.where(off, _products_of_others(np.where(off, s[..., None, :], 1)), 0)
    ep = _np_mT(u) @ e @ v
    m = np.eye(n, dtype=ep.dtype) * (p @ np.diagonal(ep, 0, -2, -1)[..., None]) - p * ep
    return c[..., None, None] * (v @ m @ _np_mT(u))


def _beyond_second_order(t, ans, e, a):
    raise NotImplementedError(
        "det: derivatives beyond the second are not implemented where the adjugate stands in "
        "for det(A) A^-1: singular or ill-conditioned matrices (cond_1 >= eps^(-1/3)) and "
        "underflowing determinants (adjugate_derivative is not differentiable in A)")


det_p = Primitive("det", np.linalg.det,
    jvp=lambda t, ans, a: sum_p(_cofactors(ans, a) * t, (-2, -1), False),
    vjp=lambda g, ans, a: _scale(g, _cofactors(ans, a)))
# tr(d adj(A)[F] E) = d^2 det(A)[E, F] is symmetric in E and F, so the transpose of
# E -> d adj(A)[E] is G -> d adj(A)[G^T]^T
adjugate_p = Primitive("adjugate", _adjugate,
    jvp=lambda t, ans, a: adjugate_derivative_p(t, a),
    vjp=lambda g, ans, a: mT(adjugate_derivative_p(mT(g), a)))
adjugate_derivative_p = Primitive("adjugate_derivative", _adjugate_derivative,
    jvp=(lambda t, ans, e, a: adjugate_derivative_p(t, a), _beyond_second_order),
    vjp=(lambda g, ans, e, a: mT(adjugate_derivative_p(mT(g), a)), _beyond_second_order))
logabsdet_p = Primitive("logabsdet", lambda a: np.linalg.slogdet(a)[1],
    jvp=lambda t, ans, a: _trace(solve_p(a, t)),
    vjp=lambda g, ans, a: _scale(g, mT(inv_p(a))))

# --- cholesky: A = L L^T ------------------------------------------------------------------


def _cholesky_jvp(t, ans, a):
    # dL = L Φ(L^-1 dA L^-T)
    inner = mT(solve_p(ans, mT(solve_p(ans, t))))
    return ans @ _sym_part(inner)


def _cholesky_vjp(g, ans, a):
    # dA-bar = L^-T Φ(L^T dL-bar) L^-1, the transpose of the JVP above
    lt = mT(ans)
    left = solve_p(lt, _sym_part(lt @ g))
    return mT(solve_p(lt, mT(left)))


cholesky_p = Primitive("cholesky", np.linalg.cholesky, jvp=_cholesky_jvp, vjp=_cholesky_vjp)

# --- eigh: A = V diag(w) V^T, eigenvalues distinct ----------------------------------------


def _eigh_packed(a, uplo="L"):
    # the triangle LAPACK reads decides the eigenvectors' signs: the one NumPy would read
    w, v = np.linalg.eigh(a, UPLO=uplo)
    return np.concatenate([w[..., None, :], v], axis=-2)


def _unpack(packed):
    n = packed.shape[-1]
    w = getitem_p(packed, Index((0, slice(None)), (n + 1, n)))
    v = getitem_p(packed, Index((slice(1, None), slice(None)), (n + 1, n)))
    return w, v


def _gaps_inverse(w):
    """F[i, j] = 1 / (w[j] - w[i]) off the diagonal, 0 on it."""
    n = w.shape[-1]
    gaps = reshape_p(w, (1, n), 1) - reshape_p(w, (n, 1), 1)
    off = ~np.eye(n, dtype=bool)
    return where(off, 1.0 / where(off, gaps, 1.0), 0.0)


def _eigh_jvp(t, ans, a, uplo="L"):
    w, v = _unpack(ans)
    m = mT(v) @ t @ v
    dw = diagonal_p(m, 0, -2, -1)
    dv = v @ (_gaps_inverse(w) * m)
    return concatenate_p(reshape_p(dw, (1, dw.shape[-1]), 1), dv, axis=-2)


def _eigh_vjp(g, ans, a, uplo="L"):
    w, v = _unpack(ans)
    gw, gv = _unpack(g)
    n = w.shape[-1]
    middle = reshape_p(gw, (1, n), 1) * np.eye(n, dtype=w.dtype) + _gaps_inverse(w) * (mT(v) @ gv)
    return v @ middle @ mT(v)


eigh_p = Primitive("eigh", _eigh_packed, jvp=_eigh_jvp, vjp=_eigh_vjp)

# --- least squares, full column rank: x = (A^T A)^-1 A^T b --------------------------------


def _lstsq_parts(ans, a, b):
    x = _col(ans) if b.ndim == 1 else ans
    r = (_col(b) if b.ndim == 1 else b) - a @ x
    return x, r, mT(a) @ a


def _lstsq_da(t, ans, a, b):
    # d(A^T A) x = dA^T r - A^T dA x  =>  dx = (A^T A)^-1 (dA^T r - A^T dA x)
    x, r, gram = _lstsq_parts(ans, a, b)
    dx = solve_p(gram, mT(t) @ r - mT(a) @ (t @ x))
    return _uncol(dx) if b.ndim == 1 else dx


def _lstsq_db(t, ans, a, b):
    gram = mT(a) @ a
    if b.ndim == 1:
        return _uncol(solve_p(gram, mT(a) @ _col(t)))
    return solve_p(gram, mT(a) @ t)


def _lstsq_vjp_a(g, ans, a, b):
    x, r, gram = _lstsq_parts(ans, a, b)
    y = solve_p(gram, _col(g) if b.ndim == 1 else g)
    return r @ mT(y) - (a @ y) @ mT(x)


def _lstsq_vjp_b(g, ans, a, b):
    y = solve_p(mT(a) @ a, _col(g) if b.ndim == 1 else g)
    return _uncol(a @ y) if b.ndim == 1 else a @ y


lstsq_p = Primitive("lstsq", lambda a, b: np.linalg.lstsq(a, b, rcond=None)[0],
    jvp=(_lstsq_da, _lstsq_db), vjp=(_lstsq_vjp_a, _lstsq_vjp_b))

# --- svd: A = U diag(s) V^T, reduced, singular values distinct and nonzero ----------------


def _svd_packed(a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return np.concatenate([s[..., None, :], u, _np_mT(vh)], axis=-2)


def svd_parts(packed, shape):
    """s, U and V of the packed svd of a matrix of this shape (api/linalg.py unpacks too)."""
    m, n = shape[-2:]
    rows = (1 + m + n, min(m, n))
    s = getitem_p(packed, Index((0, slice(None)), rows))
    u = getitem_p(packed, Index((slice(1, 1 + m), slice(None)), rows))
    v = getitem_p(packed, Index((slice(1 + m, None), slice(None)), rows))
    return s, u, v


def _svd_jvp(t, ans, a):
    # dP = U^T dA V: ds = diag(dP); dU = U (F o (dP S + S dP^T)), dV = V (F o (S dP + dP^T S)),
    # F_ij = 1 / (s_j^2 - s_i^2); the columns a tall U (or V) leaves out add (I - U U^T) dA V S^-1
    s, u, v = svd_parts(ans, a.shape)
    m, n = a.shape[-2:]
    dp = mT(u) @ t @ v
    f = _gaps_inverse(s * s)
    dps, sdp = dp * _row(s), _col(s) * dp
    du = u @ (f * (dps + mT(dps)))
    dv = v @ (f * (sdp + mT(sdp)))
    if m > n:
        tv = t @ v
        du = du + (tv - u @ (mT(u) @ tv)) / _row(s)
    if n > m:
        tu = mT(t) @ u
        dv = dv + (tu - v @ (mT(v) @ tu)) / _row(s)
    return concatenate_p(_row(diagonal_p(dp, 0, -2, -1)), du, dv, axis=-2)


def _svd_vjp(g, ans, a):
    # the transpose of the JVP: A-bar = U (diag(s-bar) + (J + J^T) S + S (K + K^T)) V^T,
    # J = F o (U^T U-bar), K = F o (V^T V-bar), plus the transposes of the tall and wide terms
    s, u, v = svd_parts(ans, a.shape)
    gs, gu, gv = svd_parts(g, a.shape)
    m, n = a.shape[-2:]
    f = _gaps_inverse(s * s)
    j, k = f * (mT(u) @ gu), f * (mT(v) @ gv)
    middle = _row(gs) * np.eye(s.shape[-1], dtype=s.dtype) + (j + mT(j)) * _row(s) + _col(s) * (k + mT(k))
    if m > n:
        gus = gu / _row(s)
        return (u @ middle + gus - u @ (mT(u) @ gus)) @ mT(v)
    if n > m:
        gvs = mT(gv / _row(s))
        return u @ (middle @ mT(v) + gvs - (gvs @ v) @ mT(v))
    return u @ middle @ mT(v)


def _svdvals_jvp(t, ans, a):
    # ds_i = u_i^T dA v_i, with U and V from svd_p so that they differentiate again
    _, u, v = svd_parts(svd_p(a), a.shape)
    return sum_p(u * (t @ v), (-2,), False)


def _svdvals_vjp(g, ans, a):
    _, u, v = svd_parts(svd_p(a), a.shape)
    return (u * _row(g)) @ mT(v)


svd_p = Primitive("svd", _svd_packed, jvp=_svd_jvp, vjp=_svd_vjp)
svdvals_p = Primitive("svdvals", lambda a: np.linalg.svd(a, compute_uv=False), jvp=_svdvals_jvp, vjp=_svdvals_vjp)

# --- qr: A = Q R, m >= n, R invertible ---------------------------------------------------


def _qr_packed(a):
    q, r = np.linalg.qr(a)
    return np.concatenate([q, r], axis=-2)


def qr_parts(packed, shape):
    """Q and R of the packed qr of a matrix of this shape."""
    m, n = shape[-2:]
    q = getitem_p(packed, Index((slice(0, m), slice(None)), (m + n, n)))
    r = getitem_p(packed, Index((slice(m, None), slice(None)), (m + n, n)))
    return q, r


def _right_solve(x, r):
    """X R^-1 (X may carry batch axes)."""
    return mT(solve_p(mT(r), mT(x)))


def _qr_jvp(t, ans, a):
    # C = Q^T dA R^-1; Ω = tril(C, -1) - tril(C, -1)^T keeps Q^T dQ skew and dR upper
    # triangular: dQ = Q (Ω - C) + dA R^-1, dR = (C - Ω) R
    q, r = qr_parts(ans, a.shape)
    x = _right_solve(t, r)
    c = mT(q) @ x
    low = tril_p(c, -1)
    omega = low - mT(low)
    return concatenate_p(q @ (omega - c) + x, (c - omega) @ r, axis=-2)


def _qr_vjp(g, ans, a):
    # the transpose of the JVP: with M = R-bar R^T - Q^T Q-bar, A-bar = (Q-bar + Q copyup(M)) R^-T,
    # copyup(M) the upper triangle of M mirrored below the diagonal
    q, r = qr_parts(ans, a.shape)
    gq, gr = qr_parts(g, a.shape)
    m = gr @ mT(r) - mT(q) @ gq
    return _right_solve(gq + q @ (triu_p(m, 0) + mT(triu_p(m, 1))), mT(r))


qr_p = Primitive("qr", _qr_packed, jvp=_qr_jvp, vjp=_qr_vjp)

# --- pinv, of constant rank: Golub & Pereyra (1973) ---------------------------------------


def _pinv_jvp(t, ans, a, **options):
    # dA+ = -A+ dA A+ + A+ A+^T dA^T (I - A A+) + (I - A+ A) dA^T A+^T A+
    p, tt = ans, mT(t)
    left, right = p @ (mT(p) @ tt), (tt @ mT(p)) @ p
    return -(p @ t @ p) + left - (left @ a) @ p + right - p @ (a @ right)


def _pinv_vjp(g, ans, a, **options):
    p, gt = ans, mT(g)
    left, right = gt @ (p @ mT(p)), (mT(p) @ p) @ gt
    return -(mT(p) @ g @ mT(p)) + left - a @ (p @ left) + right - (right @ p) @ a


pinv_p = Primitive("pinv", lambda a, **options: np.linalg.pinv(a, **options), jvp=_pinv_jvp, vjp=_pinv_vjp)

# --- expm, with its Fréchet derivative L(A, E) -------------------------------------------
# <G, L(A, E)> = <L(A^T, G), E>. L(A, E) is the top-right block of expm([[A, E], [0, A]]),
# so its derivative in A along T is the top-right block of L([[A, E], [0, A]], [[T, 0], [0, T]]):
# every derivative is a Fréchet derivative of a larger matrix, to any order. E may stack
# more directions than A has matrices (leading axes, as solve's right-hand side).


def _expm(a):
    import scipy.linalg

    return scipy.linalg.expm(a)


def _expm_frechet(a, e):
    import scipy.linalg

    # expm_frechet takes one matrix and one direction, with no batched form: a loop over A's
    # stack. L(A, E) is linear in E, so past n^2 directions on one matrix the n^2 unit
    # directions' derivatives serve them all, in fewer calls
    a = np.asarray(a)
    n = a.shape[-1]
    es = np.asarray(e).reshape((-1,) + a.shape)
    out = np.empty(es.shape, np.result_type(a, es))
    units = np.eye(n * n, dtype=out.dtype).reshape(n * n, n, n)
    for i in np.ndindex(a.shape[:-2]):
        directions = es[(slice(None),) + i]
        if len(directions) > n * n:
            basis = np.stack([scipy.linalg.expm_frechet(a[i], u, compute_expm=False) for u in units])
            out[(slice(None),) + i] = np.tensordot(directions.reshape(-1, n * n), basis, 1)
        else:
            for k, direction in enumerate(directions):
                out[(k,) + i] = scipy.linalg.expm_frechet(a[i], direction, compute_expm=False)
    return out.reshape(np.shape(e))


def _blocks(top_left, top_right, bottom_left, bottom_right):
    return concatenate_p(concatenate_p(top_left, top_right, axis=-1),
                         concatenate_p(bottom_left, bottom_right, axis=-1), axis=-2)


def _block(x, n, row, col):
    """Block (row, col) of a stack of 2n x 2n block matrices."""
    return getitem_p(x, Index((slice(row * n, (row + 1) * n), slice(col * n, (col + 1) * n)), (2 * n, 2 * n)))


def _stacked_like(x, a, e):
    """x, shaped like a (plus batch axes), with e's extra stack axes."""
    return x if e.ndim == a.ndim else broadcast_to_p(x, e.shape, a.ndim)


def _frechet_da(t, ans, a, e):
    n, square = a.shape[-1], _stacked_like(a, a, e)
    t = _stacked_like(t, a, e)
    zero = np.zeros(t.shape, t.dtype)
    return _block(expm_frechet_p(_blocks(square, e, np.zeros(e.shape, e.dtype), square), _blocks(t, zero, zero, t)), n, 0, 1)


def _frechet_vjp_a(g, ans, a, e):
    n, transposed = a.shape[-1], _stacked_like(mT(a), a, e)
    zero = np.zeros(g.shape, g.dtype)
    k = expm_frechet_p(_blocks(transposed, np.zeros(e.shape, e.dtype), mT(e), transposed), _blocks(zero, g, zero, zero))
    ga = _block(k, n, 0, 0) + _block(k, n, 1, 1)
    return ga if e.ndim == a.ndim else sum_to_p(ga, a.shape, ga.ndim - (g.ndim - ans.ndim))


expm_p = Primitive("expm", _expm,
    jvp=lambda t, ans, a: expm_frechet_p(a, t),
    vjp=lambda g, ans, a: expm_frechet_p(mT(a), g))
expm_frechet_p = Primitive("expm_frechet", _expm_frechet,
    jvp=(_frechet_da, lambda t, ans, a, e: expm_frechet_p(a, t)),
    vjp=(_frechet_vjp_a, lambda g, ans, a, e: expm_frechet_p(mT(a), g)))
