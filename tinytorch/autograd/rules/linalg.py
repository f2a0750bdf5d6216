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
the m rows of U, then the n rows of V = Vh^H; qr's (m >= n) the m rows of Q, then the
n rows of R. lstsq takes one matrix of full column rank. eig (general square matrices)
packs like eigh: row 0 the eigenvalues, rows 1..n the eigenvectors.

Complex matrices. Each rule is the textbook one written with conjugate transposes
X^H (`_H`, the plain transpose of a real X). A JVP is that formula as it stands. A
cotangent pairs with a tangent as Re(sum g * t), without conjugation (JAX's and HIPS
autograd's convention; see math.py), so a VJP is the adjoint for <X, Y> = Re tr(X^H Y)
taken on conj(g) and conjugated back: vjp(g) = conj(adjoint(conj(g))). Holomorphic
maps (solve, inv, det, expm, eigenvalues) need no conjugation: their VJP is the plain
transpose, as for reals. For real matrices every conjugation is skipped, so the real
rules run exactly as before.

The phases of complex eigenvectors and singular vectors are not unique; LAPACK fixes
them by making one entry of each vector real: eigh the first entry (UPLO="L") or the
last ("U"), svd the first entry of each right singular vector when m >= n and of each
left one when m < n, eig the entry of largest modulus (of a vector of unit 2-norm).
The impls enforce those choices (`_real_at`; LAPACK makes them already, so this
changes nothing beyond rounding) and the rules differentiate them (`_phase_fix`), so
every function of the returned vectors has its derivative, invariant under the phases
or not. The derivative is undefined where that entry is 0, and there it is taken
without the phase term (JAX's choice).
"""

from __future__ import annotations

import numpy as np

from ..primitive import NonDifferentiable, Primitive, is_complex, unbox_all
from .math import conj_p, imag_p, real_p, where
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


def _conj(x):
    """conj(x); a real x is returned as it is (no copy, no node)."""
    return conj_p(x) if is_complex(x) else x


def _H(x):  # noqa: N802 (the math's name)
    """X^H, the conjugate transpose of the last two axes (the transpose of a real X)."""
    return mT(_conj(x))


def _eye(n, x):
    """The identity in the real dtype of x (float32 for complex64), so that it promotes nothing."""
    return np.eye(n, dtype=np.finfo(x.dtype).dtype)


def _diag_embed(v):
    """Vectors (..., n) as diagonal matrices (..., n, n)."""
    return _row(v) * _eye(v.shape[-1], v)


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


def _np_conj(x):
    return x.conj() if is_complex(x) else x


def _products_of_others(s):
    """prod_{j != i} s_j for each i along the last axis, without dividing (s may hold zeros)."""
    ones = np.ones_like(s[..., :1])
    before = np.cumprod(np.concatenate([ones, s[..., :-1]], axis=-1), axis=-1)
    after = np.cumprod(np.concatenate([ones, s[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    return before * after


def _svd(a):
    """U, s, V and c = det(U) det(V^H) (+-1 for a real A), so that A = U diag(s) V^H."""
    u, s, vh = np.linalg.svd(a)
    return u, s, _np_mT(_np_conj(vh)), np.linalg.det(u) * np.linalg.det(vh)


def _adjugate(a):
    # adj(U S V^H) = c V adj(S) U^H, adj(S) = diag(prod_{j != i} s_j): exact at any rank
    u, s, v, c = _svd(a)
    return c[..., None, None] * ((v * _products_of_others(s)[..., None, :]) @ _np_mT(_np_conj(u)))


def _adjugate_derivative(e, a):
    """d adj(A)[E] = c V M U^H with E' = U^H E V, p_ij = prod_{k not in {i, j}} s_k and
    M_ij = -E'_ij p_ij (i != j), M_ii = sum_{k != i} E'_kk p_ik. E may carry batch axes."""
    u, s, v, c = _svd(a)
    n = s.shape[-1]
    off = ~np.eye(n, dtype=bool)
    # row i of p: the products of the others of s with s_i replaced by 1; diagonal dropped
    p = np.where(off, _products_of_others(np.where(off, s[..., None, :], 1)), 0)
    uh = _np_mT(_np_conj(u))
    ep = uh @ e @ v
    m = np.eye(n, dtype=ep.dtype) * (p @ np.diagonal(ep, 0, -2, -1)[..., None]) - p * ep
    return c[..., None, None] * (v @ m @ uh)


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
# log|det A|: d log|det A| = Re tr(A^-1 dA) (the real part matters for complex A only)
logabsdet_p = Primitive("logabsdet", lambda a: np.linalg.slogdet(a)[1],
    jvp=lambda t, ans, a: real_p(_trace(solve_p(a, t))) if is_complex(a) else _trace(solve_p(a, t)),
    vjp=lambda g, ans, a: _scale(g, mT(inv_p(a))))

# --- phases of complex vectors, as LAPACK fixes them ---------------------------------------


def _real_at(rows, x, *others):
    """x with each column turned by a phase so that its entry at `rows` (a one-hot mask
    (..., m, k) or (m, 1)) is real, on the side of its real part, and `others` turned by
    the same phases. A column whose entry is already real is returned bit for bit, so
    LAPACK's own choice is kept; an entry 0 leaves its column as it is."""
    entry = np.sum(x * rows, axis=-2)
    size = np.abs(entry)
    turn = np.conj(entry) / np.where(size == 0, 1, size)  # not exactly 1 even for a real entry: not applied there
    turned = entry.imag != 0
    turn = np.where(turned, np.where(entry.real < 0, -turn, turn), 1)[..., None, :]
    # the entry is real to rounding after the turn; exactly, as LAPACK's zgeev makes it
    x = np.where(rows & turned[..., None, :], (x * turn).real, x * turn)
    return (x, *(y * turn for y in others)) if others else x


def _phase_fix(dx, x, rows):
    """i ψ, per column of x: the turns of phase that keep x's entries at `rows` real. The
    derivative of LAPACK's vectors is dx + x diag(i ψ), for dx any derivative of the
    vectors up to phase; ψ = -Im(dx_k / x_k), 0 where x_k = 0 (the phase is not fixed there)."""
    xk = sum_p(x * rows, (-2,), False)
    nonzero = xk != 0
    ratio = sum_p(dx * rows, (-2,), False) / where(nonzero, xk, 1.0)
    return -1j * imag_p(where(nonzero, ratio, 0.0))


def _phase_fix_adjoint(c, x, rows):
    """The adjoint of dx -> x diag(i ψ(dx)) (`_phase_fix`) for <X, Y> = Re tr(X^H Y), given
    c_j = Im((x^H X-bar)_jj) summed over the vectors that share the phase: a cotangent
    of dx, nonzero at the entries `rows` only."""
    xk = sum_p(x * rows, (-2,), False)
    nonzero = xk != 0
    return rows * _row(where(nonzero, -1j * c / where(nonzero, conj_p(xk), 1.0), 0.0))


def _phase_cotangent_weight(x, gx):
    """c_j = Im((x^H gx)_jj): how the pairing with gx changes with the phases of x's columns."""
    return imag_p(sum_p(conj_p(x) * gx, (-2,), False))


# --- cholesky: A = L L^H ------------------------------------------------------------------


def _cholesky_jvp(t, ans, a):
    # dL = L Φ(L^-1 dA L^-H)
    inner = _H(solve_p(ans, _H(solve_p(ans, t))))
    return ans @ _sym_part(inner)


def _cholesky_vjp(g, ans, a):
    # the adjoint of the JVP above: A-bar = L^-H Φ(L^H L-bar) L^-1
    lh = _H(ans)
    left = solve_p(lh, _sym_part(lh @ _conj(g)))
    return _conj(_H(solve_p(lh, _H(left))))


cholesky_p = Primitive("cholesky", np.linalg.cholesky, jvp=_cholesky_jvp, vjp=_cholesky_vjp)

# --- eigh: A = V diag(w) V^H, eigenvalues distinct ----------------------------------------


def eigh_arrays(a, uplo="L"):
    """np.linalg.eigh, its complex eigenvectors' first (uplo "L") or last ("U") entries
    made real, as LAPACK makes them (api/linalg.py returns these for arrays too)."""
    # the triangle LAPACK reads decides the eigenvectors' signs: the one NumPy would read
    w, v = np.linalg.eigh(a, UPLO=uplo)
    return (w, _real_at(_eigh_rows(v.shape[-1], uplo), v)) if is_complex(v) else (w, v)


def _eigh_rows(n, uplo):
    """The entry LAPACK keeps real in each eigenvector: the first for "L", the last for "U"."""
    return (np.arange(n) == (0 if uplo == "L" else n - 1))[:, None]


def _eigh_packed(a, uplo="L"):
    w, v = eigh_arrays(a, uplo)
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
    # M = V^H dA V: dw = diag(M), dV = V (F o M) + the phase term
    w, v = _unpack(ans)
    m = _H(v) @ t @ v
    dw = diagonal_p(m, 0, -2, -1)
    if is_complex(v):  # w is stored complex; M's diagonal is real for a Hermitian dA
        w, dw = real_p(w), real_p(dw)
    dv = v @ (_gaps_inverse(w) * m)
    if is_complex(v):
        dv = dv + v * _row(_phase_fix(dv, v, _eigh_rows(w.shape[-1], uplo)))
    return concatenate_p(reshape_p(dw, (1, dw.shape[-1]), 1), dv, axis=-2)


def _eigh_vjp(g, ans, a, uplo="L"):
    # the adjoint of the JVP: A-bar = V (diag(w-bar) + F o (V^H V-bar)) V^H
    w, v = _unpack(ans)
    gw, gv = _unpack(_conj(g))
    n = w.shape[-1]
    if is_complex(v):
        w, gw = real_p(w), real_p(gw)
        gv = gv + _phase_fix_adjoint(_phase_cotangent_weight(v, gv), v, _eigh_rows(n, uplo))
    middle = reshape_p(gw, (1, n), 1) * np.eye(n, dtype=w.dtype) + _gaps_inverse(w) * (_H(v) @ gv)
    return _conj(v @ middle @ _H(v))


eigh_p = Primitive("eigh", _eigh_packed, jvp=_eigh_jvp, vjp=_eigh_vjp)

# --- eig: A V = V diag(w), A general, eigenvalues distinct ----------------------------------
# NumPy's (LAPACK's) eigenvectors have unit 2-norm and their entry of largest modulus
# real. P = V^-1 dA V gives dw = diag(P) (holomorphic) and the eigenvectors' derivative
# V (F o P), up to a multiple of each vector, which the normalisation fixes.


def _largest_entries(v):
    """The one-hot mask (..., n, n) of each column's entry of largest modulus (LAPACK's)."""
    return np.arange(v.shape[-2])[:, None] == np.abs(v).argmax(axis=-2)[..., None, :]


# the rules' view of it: an op of its own, so that tt.jit stages it rather than reading v
largest_entries = NonDifferentiable("largest_entries", _largest_entries)


def eig_arrays(a):
    """np.linalg.eig, its complex eigenvectors' entries of largest modulus made real, as
    LAPACK makes them (api/linalg.py returns these for arrays too)."""
    w, v = np.linalg.eig(a)
    return (w, _real_at(_largest_entries(v), v)) if is_complex(v) else (w, v)


def _eig_packed(a):
    w, v = eig_arrays(a)
    return np.concatenate([w[..., None, :], v], axis=-2)


def _eig_normalization(dv, v):
    """The multiples of v's columns that keep them normalised as LAPACK does: unit 2-norm
    (Re(v^H dv) = 0) and, for complex vectors, the entry of largest modulus real."""
    c = -real_p(sum_p(_conj(v) * dv, (-2,), False))
    if is_complex(v):
        c = c + _phase_fix(dv, v, largest_entries(v))
    return v * _row(c)


def _eig_jvp(t, ans, a):
    w, v = _unpack(ans)
    p = solve_p(v, t @ v)
    dv = v @ (_gaps_inverse(w) * p)
    dv = dv + _eig_normalization(dv, v)
    return concatenate_p(_row(diagonal_p(p, 0, -2, -1)), dv, axis=-2)


def _eig_vjp(g, ans, a):
    # the adjoint of the JVP: A-bar = V^-H (diag(w-bar) + conj(F) o (V^H V-bar')) V^H, V-bar'
    # the cotangent of V (F o P), which the normalisation's adjoint gives
    w, v = _unpack(ans)
    gw, gv = _unpack(_conj(g))
    gv = gv - v * _row(real_p(sum_p(_conj(v) * gv, (-2,), False)))
    if is_complex(v):
        gv = gv + _phase_fix_adjoint(_phase_cotangent_weight(v, gv), v, largest_entries(v))
    vh = _H(v)
    middle = _diag_embed(gw) + _conj(_gaps_inverse(w)) * (vh @ gv)
    return _conj(solve_p(vh, middle @ vh))


eig_p = Primitive("eig", _eig_packed, jvp=_eig_jvp, vjp=_eig_vjp)


def _nearest_order(values, ours):
    """The permutation matrix P that puts each entry of `ours` (eig's eigenvalues) where the
    nearest entry of `values` (eigvals') is: (ours P)_i is nearest values_i."""
    nearest = np.abs(values[..., None, :] - ours[..., :, None]).argmin(axis=-2)  # column i: eig's index
    return (np.arange(values.shape[-1])[:, None] == nearest[..., None, :]).astype(values.dtype)


nearest_order = NonDifferentiable("nearest_order", _nearest_order)  # staged by tt.jit, as largest_entries


def _matched_eigenvectors(ans, a):
    """eig_p(a)'s eigenvectors, in the order of eigvals' eigenvalues `ans` (LAPACK's two
    drivers agree on the order, but each eigenvalue is matched to the nearest to be sure)."""
    w, v = _unpack(eig_p(a))
    return v @ nearest_order(ans, w)


def _eigvals_jvp(t, ans, a):
    # dw_i = (V^-1 dA V)_ii, with V from eig_p so that it differentiates again
    v = _matched_eigenvectors(ans, a)
    return diagonal_p(solve_p(v, t @ v), 0, -2, -1)


def _eigvals_vjp(g, ans, a):
    # holomorphic: the plain transpose, A-bar = V^-T diag(g) V^T
    v = _matched_eigenvectors(ans, a)
    return solve_p(mT(v), _col(g) * mT(v))


eigvals_p = Primitive("eigvals", np.linalg.eigvals, jvp=_eigvals_jvp, vjp=_eigvals_vjp)

# --- least squares, full column rank: x = (A^H A)^-1 A^H b --------------------------------


def _lstsq_parts(ans, a, b):
    x = _col(ans) if b.ndim == 1 else ans
    r = (_col(b) if b.ndim == 1 else b) - a @ x
    return x, r, _H(a) @ a


def _lstsq_da(t, ans, a, b):
    # d(A^H A) x = dA^H r - A^H dA x  =>  dx = (A^H A)^-1 (dA^H r - A^H dA x)
    x, r, gram = _lstsq_parts(ans, a, b)
    dx = solve_p(gram, _H(t) @ r - _H(a) @ (t @ x))
    return _uncol(dx) if b.ndim == 1 else dx


def _lstsq_db(t, ans, a, b):
    gram = _H(a) @ a
    if b.ndim == 1:
        return _uncol(solve_p(gram, _H(a) @ _col(t)))
    return solve_p(gram, _H(a) @ t)


def _lstsq_vjp_a(g, ans, a, b):
    # the adjoint: A-bar = r y^H - A y x^H, y = (A^H A)^-1 x-bar
    x, r, gram = _lstsq_parts(ans, a, b)
    g = _conj(g)
    y = solve_p(gram, _col(g) if b.ndim == 1 else g)
    return _conj(r @ _H(y) - (a @ y) @ _H(x))


def _lstsq_vjp_b(g, ans, a, b):
    g = _conj(g)
    y = solve_p(_H(a) @ a, _col(g) if b.ndim == 1 else g)
    return _conj(_uncol(a @ y) if b.ndim == 1 else a @ y)


lstsq_p = Primitive("lstsq", lambda a, b: np.linalg.lstsq(a, b, rcond=None)[0],
    jvp=(_lstsq_da, _lstsq_db), vjp=(_lstsq_vjp_a, _lstsq_vjp_b))

# --- svd: A = U diag(s) V^H, reduced, singular values distinct and nonzero ----------------


def _svd_rows(shape):
    """The entry LAPACK keeps real in each singular vector (the first), and whether it is
    in V's columns (m >= n) or in U's (m < n)."""
    m, n = shape[-2:]
    return (np.arange(n if m >= n else m) == 0)[:, None], m >= n


def svd_arrays(a):
    """U, s, V of np.linalg.svd(a, full_matrices=False), A = U diag(s) V^H, the complex
    singular vectors' phases fixed as LAPACK fixes them (api/linalg.py returns these for
    arrays too)."""
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    v = _np_mT(vh)
    if is_complex(v):
        v = v.conj()
        rows, in_v = _svd_rows(a.shape)
        v, u = _real_at(rows, v, u) if in_v else _real_at(rows, u, v)[::-1]
    return u, s, v


def _svd_packed(a):
    u, s, v = svd_arrays(a)
    return np.concatenate([s[..., None, :], u, v], axis=-2)


def svd_parts(packed, shape):
    """s, U and V of the packed svd of a matrix of this shape (api/linalg.py unpacks too);
    s is stored complex for a complex matrix."""
    m, n = shape[-2:]
    rows = (1 + m + n, min(m, n))
    s = getitem_p(packed, Index((0, slice(None)), rows))
    u = getitem_p(packed, Index((slice(1, 1 + m), slice(None)), rows))
    v = getitem_p(packed, Index((slice(1 + m, None), slice(None)), rows))
    return s, u, v


def _svd_jvp(t, ans, a):
    # dP = U^H dA V: ds = Re diag(dP); dU = U (F o (dP S + S dP^H)), dV = V (F o (S dP + dP^H S)),
    # F_ij = 1 / (s_j^2 - s_i^2); the columns a tall U (or V) leaves out add (I - U U^H) dA V S^-1.
    # Complex: Im diag(dP) = S (Im diag(U^H dU) - Im diag(V^H dV)) goes into dU, then both
    # turn by the phases that keep LAPACK's real entries real
    s, u, v = svd_parts(ans, a.shape)
    m, n = a.shape[-2:]
    dp = _H(u) @ t @ v
    ds = diagonal_p(dp, 0, -2, -1)
    if is_complex(dp):
        s, ds = real_p(s), real_p(ds)
    f = _gaps_inverse(s * s)
    dps, sdp = dp * _row(s), _col(s) * dp
    du = u @ (f * (dps + _H(dps)))
    dv = v @ (f * (sdp + _H(sdp)))
    if is_complex(dp):
        du = du + u * _row(1j * imag_p(diagonal_p(dp, 0, -2, -1)) / s)
    if m > n:
        tv = t @ v
        du = du + (tv - u @ (_H(u) @ tv)) / _row(s)
    if n > m:
        tu = _H(t) @ u
        dv = dv + (tu - v @ (_H(v) @ tu)) / _row(s)
    if is_complex(dp):
        rows, in_v = _svd_rows(a.shape)
        phases = _row(_phase_fix(dv, v, rows) if in_v else _phase_fix(du, u, rows))
        du, dv = du + u * phases, dv + v * phases
    return concatenate_p(_row(ds), du, dv, axis=-2)


def _svd_vjp(g, ans, a):
    # the adjoint of the JVP: A-bar = U (diag(s-bar) + (J + J^H) S + S (K + K^H)) V^H,
    # J = F o (U^H U-bar), K = F o (V^H V-bar), plus the adjoints of the tall and wide terms
    # (and, complex, of the phase terms)
    s, u, v = svd_parts(ans, a.shape)
    gs, gu, gv = svd_parts(_conj(g), a.shape)
    m, n = a.shape[-2:]
    if is_complex(u):
        s, gs = real_p(s), real_p(gs)
        rows, in_v = _svd_rows(a.shape)
        c = _phase_cotangent_weight(u, gu) + _phase_cotangent_weight(v, gv)
        if in_v:
            gv = gv + _phase_fix_adjoint(c, v, rows)
        else:
            gu = gu + _phase_fix_adjoint(c, u, rows)
    f = _gaps_inverse(s * s)
    uh_gu = _H(u) @ gu
    j, k = f * uh_gu, f * (_H(v) @ gv)
    middle = _diag_embed(gs) + (j + _H(j)) * _row(s) + _col(s) * (k + _H(k))
    if is_complex(u):
        middle = middle + _diag_embed(1j * imag_p(diagonal_p(uh_gu, 0, -2, -1)) / s)
    if m > n:
        gus = gu / _row(s)
        return _conj((u @ middle + gus - u @ (_H(u) @ gus)) @ _H(v))
    if n > m:
        gvs = _H(gv / _row(s))
        return _conj(u @ (middle @ _H(v) + gvs - (gvs @ v) @ _H(v)))
    return _conj(u @ middle @ _H(v))


def _svdvals_jvp(t, ans, a):
    # ds_i = Re(u_i^H dA v_i), with U and V from svd_p so that they differentiate again
    _, u, v = svd_parts(svd_p(a), a.shape)
    ds = sum_p(_conj(u) * (t @ v), (-2,), False)
    return real_p(ds) if is_complex(ds) else ds


def _svdvals_vjp(g, ans, a):
    _, u, v = svd_parts(svd_p(a), a.shape)
    return _conj((u * _row(g)) @ _H(v))


svd_p = Primitive("svd", _svd_packed, jvp=_svd_jvp, vjp=_svd_vjp)
svdvals_p = Primitive("svdvals", lambda a: np.linalg.svd(a, compute_uv=False), jvp=_svdvals_jvp, vjp=_svdvals_vjp)

# --- qr: A = Q R, m >= n, R invertible with a real diagonal (LAPACK's) ---------------------


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
    # C = Q^H dA R^-1; Ω = tril(C, -1) - tril(C, -1)^H (+ i Im diag(C), complex) keeps Q^H dQ
    # skew-Hermitian and dR upper triangular with a real diagonal: dQ = Q (Ω - C) + dA R^-1,
    # dR = (C - Ω) R
    q, r = qr_parts(ans, a.shape)
    x = _right_solve(t, r)
    c = _H(q) @ x
    low = tril_p(c, -1)
    omega = low - _H(low)
    if is_complex(c):
        omega = omega + 1j * imag_p(c) * _eye(c.shape[-1], c)
    return concatenate_p(q @ (omega - c) + x, (c - omega) @ r, axis=-2)


def _copyup(m):
    """The Hermitian matrix with M's upper triangle (and the real part of its diagonal)."""
    if not is_complex(m):
        return triu_p(m, 0) + mT(triu_p(m, 1))
    up = triu_p(m, 1)
    return up + _H(up) + real_p(m) * _eye(m.shape[-1], m)


def _qr_vjp(g, ans, a):
    # the adjoint of the JVP: with M = R-bar R^H - Q^H Q-bar, A-bar = (Q-bar + Q copyup(M)) R^-H
    q, r = qr_parts(ans, a.shape)
    gq, gr = qr_parts(_conj(g), a.shape)
    m = gr @ _H(r) - _H(q) @ gq
    return _conj(_right_solve(gq + q @ _copyup(m), _H(r)))


qr_p = Primitive("qr", _qr_packed, jvp=_qr_jvp, vjp=_qr_vjp)

# --- pinv, of constant rank: Golub & Pereyra (1973) ---------------------------------------


def _pinv_jvp(t, ans, a, **options):
    # dA+ = -A+ dA A+ + A+ A+^H dA^H (I - A A+) + (I - A+ A) dA^H A+^H A+
    p, th = ans, _H(t)
    left, right = p @ (_H(p) @ th), (th @ _H(p)) @ p
    return -(p @ t @ p) + left - (left @ a) @ p + right - p @ (a @ right)


def _pinv_vjp(g, ans, a, **options):
    # the adjoint of the JVP, term by term
    p, g = ans, _conj(g)
    gh = _H(g)
    left, right = gh @ (p @ _H(p)), (_H(p) @ p) @ gh
    return _conj(-(_H(p) @ g @ _H(p)) + left - a @ (p @ left) + right - (right @ p) @ a)


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
