"""Rules for the structured solves and the square root of `tinytorch.scipy.linalg`:
solve_triangular, solve_banded, solve_sylvester and sqrtm, whose values are SciPy's.

Shapes: the matrix operand is a stack (S..., ., n) and the right-hand side b (or q) a
stack of matrices (E..., S..., n, k): the public functions turn a vector b into one
column and broadcast the stacks, and the extra leading axes E come from the rules
themselves, which solve against batched tangents and cotangents.

Each derivative is another solve of the same kind: the triangular and banded ones
read only the entries the solve reads (one triangle; the stored band), so their
derivatives are zero elsewhere; d sqrtm(A) is the Sylvester equation X dX + dX X = dA.
SciPy is imported on the first call.

On complex matrices all four are holomorphic (solve_triangular takes trans 0 and 1
only; the public function turns a conjugate transpose, trans 2, into trans 1 of
conj(a)), so their rules are the real ones: a VJP is the plain transpose.
"""

from __future__ import annotations

import functools
import operator

import numpy as np

from ..broadcasting import unbroadcast  # a cotangent computed over leading axes, summed back
from ..primitive import Primitive
from .reductions import sum_p
from .shape import Index, concatenate_p, getitem_p, mT, pad_p, reshape_p, tril_p, triu_p


def _each_matrix(solve, a, b):
    """solve(a_i, b_i) for each matrix a_i of a's stack (S...) and b (E..., S..., n, k):
    one call per matrix, b's extra leading axes folded into its columns."""
    a, b = np.asarray(a), np.asarray(b)
    n, k = b.shape[-2:]
    extra = b.shape[: b.ndim - a.ndim]
    out = np.empty(b.shape, np.result_type(a, b, np.float32))
    for i in np.ndindex(a.shape[:-2]):
        at = (Ellipsis, *i, slice(None), slice(None))
        x = solve(a[i], np.moveaxis(b[at], -2, 0).reshape(n, -1))
        out[at] = np.moveaxis(x.reshape((n, *extra, k)), 0, -2)
    return out


def _lifted(t, a, b):
    """a's tangent with b's extra stack axes, so that its batch axes stay in front."""
    extra = b.ndim - a.ndim
    return reshape_p(t, (1,) * extra + a.shape, a.ndim) if extra else t


# --- solve_triangular: op(A) X = B, A one triangle of a, op(A) = A (trans 0) or A^T (1, 2) ---


def _solve_triangular(a, b, trans, lower, unit_diagonal):
    import scipy.linalg

    return _each_matrix(lambda a, b: scipy.linalg.solve_triangular(a, b, trans, lower, unit_diagonal), a, b)


def _triangle(x, lower, unit_diagonal):
    """The entries of x the solve reads: one triangle, without the diagonal taken as ones."""
    k = 1 if unit_diagonal else 0
    return tril_p(x, -k) if lower else triu_p(x, k)


def _triangular_da(t, ans, a, b, trans, lower, unit_diagonal):
    # op(dA) X + op(A) dX = 0, dA restricted to the triangle read
    dt = _triangle(_lifted(t, a, b), lower, unit_diagonal)
    rhs = (mT(dt) if trans else dt) @ ans
    return -solve_triangular_p(a, rhs, trans=trans, lower=lower, unit_diagonal=unit_diagonal)


def _triangular_vjp_b(g, ans, a, b, trans, lower, unit_diagonal):
    return solve_triangular_p(a, g, trans=0 if trans else 1, lower=lower, unit_diagonal=unit_diagonal)


def _triangular_vjp_a(g, ans, a, b, trans, lower, unit_diagonal):
    gb = _triangular_vjp_b(g, ans, a, b, trans, lower, unit_diagonal)
    outer = ans @ mT(gb) if trans else gb @ mT(ans)
    return unbroadcast(_triangle(-outer, lower, unit_diagonal), a, g, ans)


solve_triangular_p = Primitive("solve_triangular", _solve_triangular,
    jvp=(_triangular_da, lambda t, ans, a, b, **options: solve_triangular_p(a, t, **options)),
    vjp=(_triangular_vjp_a, _triangular_vjp_b))

# --- solve_banded: A X = B, A stored by diagonals, A[i, j] = ab[u + i - j, j] ------------


def _solve_banded(ab, b, l_and_u):
    import scipy.linalg

    return _each_matrix(lambda ab, b: scipy.linalg.solve_banded(l_and_u, ab, b), ab, b)


def _shifted(v, d, axis):
    """w[..., j, ...] = v[..., j + d, ...] along axis (-1 or -2), 0 where j + d is outside."""
    core = v.shape[v.ndim + axis :]
    n = core[0]
    if d == 0:
        return v
    if abs(d) >= n:
        return np.zeros(v.shape, v.dtype)
    rest = (slice(None),) * (len(core) - 1)
    kept = getitem_p(v, Index((slice(max(d, 0), n + min(d, 0)), *rest), core))
    return pad_p(kept, ((max(-d, 0), max(d, 0)),) + ((0, 0),) * (len(core) - 1))


def _band_row(ab, r):
    return getitem_p(ab, Index((r, slice(None)), ab.shape[-2:]))


def _band_times(dab, x, u):
    """dA X for dA stored by diagonals as dab: row r of dab is the diagonal at offset u - r,
    so (dA X)[i] = sum_r dab[r, i + u - r] X[i + u - r]."""
    n = dab.shape[-1]
    terms = [_shifted(reshape_p(_band_row(dab, r), (n, 1), 1) * x, u - r, -2) for r in range(dab.shape[-2])]
    return functools.reduce(operator.add, terms)


def _transposed_band(ab, l, u):  # noqa: E741 (SciPy's name)
    """A^T by diagonals (l and u swapped): its row r is row l + u - r of ab, shifted by r - l."""
    rows = [_shifted(_band_row(ab, l + u - r), r - l, -1) for r in range(l + u + 1)]
    n = ab.shape[-1]
    return concatenate_p(*[reshape_p(row, (1, n), 1) for row in rows], axis=-2)


def _banded_da(t, ans, ab, b, l_and_u):
    return -solve_banded_p(ab, _band_times(_lifted(t, ab, b), ans, l_and_u[1]), l_and_u=l_and_u)


def _banded_vjp_b(g, ans, ab, b, l_and_u):
    lower, upper = l_and_u
    return solve_banded_p(_transposed_band(ab, lower, upper), g, l_and_u=(upper, lower))


def _banded_vjp_ab(g, ans, ab, b, l_and_u):
    # <G, dA X> summed along each stored diagonal: ab-bar[r, j] = -sum_c X[j, c] G-bar[j - u + r, c]
    gb, u = _banded_vjp_b(g, ans, ab, b, l_and_u), l_and_u[1]
    n = ab.shape[-1]
    rows = [sum_p(ans * _shifted(gb, r - u, -2), (-1,), False) for r in range(ab.shape[-2])]
    return unbroadcast(-concatenate_p(*[reshape_p(row, (1, n), 1) for row in rows], axis=-2), ab, g, ans)


solve_banded_p = Primitive("solve_banded", _solve_banded,
    jvp=(_banded_da, lambda t, ans, ab, b, l_and_u: solve_banded_p(ab, t, l_and_u=l_and_u)),
    vjp=(_banded_vjp_ab, _banded_vjp_b))

# --- solve_sylvester: A X + X B = Q --------------------------------------------------------


def _solve_sylvester(a, b, q):
    """SciPy's algorithm (Bartels-Stewart: Schur forms, then LAPACK's trsyl), the Schur forms
    of A and B computed once for all the right-hand sides q stacks beyond them."""
    from scipy.linalg import get_lapack_funcs, schur

    dtype = np.result_type(a, b, q, np.float32)
    a, b, q = (np.asarray(x, dtype) for x in (a, b, q))
    out = np.empty(q.shape, dtype)
    if q.size == 0:
        return out
    for i in np.ndindex(a.shape[:-2]):
        # (complex Schur forms for complex matrices: "real" is SciPy's argument, and the
        # conjugate transposes are SciPy's too)
        r, u = schur(a[i], output="real")
        s, v = schur(b[i].conj().T, output="real")
        (trsyl,) = get_lapack_funcs(("trsyl",), (r, s))
        for e in np.ndindex(q.shape[: q.ndim - a.ndim]):
            y, scale, info = trsyl(r, s, np.dot(np.dot(u.conj().T, q[e + i]), v), tranb="C")
            if info < 0:
                raise np.linalg.LinAlgError(f"Illegal value encountered in the {-info} term")
            out[e + i] = np.dot(np.dot(u, scale * y), v.conj().T)
    return out


def _sylvester_vjp_q(g, ans, a, b, q):
    # the transpose of Q -> X: A^T Y + Y B^T = G
    return solve_sylvester_p(mT(a), mT(b), g)


solve_sylvester_p = Primitive("solve_sylvester", _solve_sylvester,
    # dA X + A dX + dX B + X dB = dQ: dX solves the same equation for dQ - dA X - X dB
    jvp=(lambda t, ans, a, b, q: solve_sylvester_p(a, b, -(_lifted(t, a, q) @ ans)),
         lambda t, ans, a, b, q: solve_sylvester_p(a, b, -(ans @ _lifted(t, b, q))),
         lambda t, ans, a, b, q: solve_sylvester_p(a, b, t)),
    vjp=(lambda g, ans, a, b, q: unbroadcast(-(_sylvester_vjp_q(g, ans, a, b, q) @ mT(ans)), a, g, ans),
         lambda g, ans, a, b, q: unbroadcast(-(mT(ans) @ _sylvester_vjp_q(g, ans, a, b, q)), b, g, ans),
         _sylvester_vjp_q))

# --- sqrtm: X X = A, the principal root ---------------------------------------------------


def _sqrtm(a):
    import scipy.linalg

    a = np.asarray(a)
    roots = {}
    for i in np.ndindex(a.shape[:-2]):
        root = scipy.linalg.sqrtm(a[i])
        # a real matrix's root is real where it can be (SciPy's own choice), complex where an
        # eigenvalue is on the negative real axis; a stack takes the dtype of its complex roots
        roots[i] = root.real if np.iscomplexobj(root) and not np.iscomplexobj(a) and not root.imag.any() else root
    out = np.empty(a.shape, np.result_type(a, np.float32, *(r.dtype for r in roots.values())))
    for i, root in roots.items():
        out[i] = root
    return out


sqrtm_p = Primitive("sqrtm", _sqrtm,
    # X dX + dX X = dA, and its transpose X^T Y + Y X^T = G (holomorphic: no conjugation)
    jvp=lambda t, ans, a: solve_sylvester_p(ans, ans, t),
    vjp=lambda g, ans, a: solve_sylvester_p(mT(ans), mT(ans), g))
