"""SciPy's `scipy.linalg`, differentiable: SciPy's names and signatures, on arrays,
Duals and Variables alike, to any order in both modes, on (stacks of) real or complex
matrices.

`expm(a)`: the matrix exponential, the same function as `tt.linalg.expm`; its
derivatives are SciPy's Fréchet derivatives (`scipy.linalg.expm_frechet`).
`sqrtm(A)`: the principal square root (complex where SciPy's is).
`solve_triangular`, `solve_banded`, `solve_sylvester`: the structured solves, each
differentiated by another solve of its kind, and reading only what SciPy reads (the
derivatives of the entries a triangular or banded solve never reads are zero).

>>> import numpy as np
>>> from tinytorch.autograd import jvp
>>> from tinytorch.scipy.linalg import expm
>>> a, e = np.diag([1.0, 2.0]), np.array([[1.0, 0.0], [0.0, 0.0]])
>>> value, tangent = jvp(expm, (a,), (e,))        # d e^A along E, here e^1 in the corner
>>> bool(np.allclose(tangent, [[np.e, 0.0], [0.0, 0.0]]))
True
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.api.linalg import expm
from ..autograd.api.manipulation import broadcast_to, reshape
from ..autograd.rules.math import conj_p
from ..autograd.rules.scipy_linalg import solve_banded_p, solve_sylvester_p, solve_triangular_p, sqrtm_p
from ..autograd.values import box_or_array

__all__ = ["expm", "sqrtm", "solve_triangular", "solve_banded", "solve_sylvester"]

_TRANS = {0: 0, 1: 1, 2: 2, "N": 0, "T": 1, "C": 2}  # 2: the conjugate transpose


def _square(a: Any, what: str) -> Any:
    a = box_or_array(a)
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ValueError(f"expected square matrix: {what} has shape {a.shape}")
    return a


def _solved(solve: Any, a: Any, b: Any) -> Any:
    """solve(a, b) with SciPy's shapes: b one vector (n,) or a stack of matrices (..., n, k),
    the stacks of a and b broadcast (a's last two axes are its core)."""
    b = box_or_array(b)
    vector = b.ndim == 1
    if vector:
        b = reshape(b, (-1, 1))
    elif b.ndim == 0:
        raise ValueError("b must be a vector or a (stack of) matrices")
    if b.shape[-2] != a.shape[-1]:
        raise ValueError(f"shapes of a {a.shape} and b {b.shape} are incompatible")
    stack = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    x = solve(broadcast_to(a, stack + a.shape[-2:]), broadcast_to(b, stack + b.shape[-2:]))
    return reshape(x, x.shape[:-1]) if vector else x


def sqrtm(A: Any) -> Any:  # noqa: N803 (SciPy's name)
    """scipy.linalg.sqrtm: the principal square root X of a (stack of) square matrices,
    X @ X = A. As SciPy's, it is real for a real A whose root is real (no eigenvalue on
    the negative real axis) and complex otherwise (a stack is complex if one of its
    roots is); SciPy's deprecated `disp` and `blocksize` are not taken.

    Its derivative solves the Sylvester equation X dX + dX X = dA (`solve_sylvester`),
    so it is differentiable to any order wherever the root is (no eigenvalue 0).

    >>> import numpy as np
    >>> from tinytorch.autograd import jvp
    >>> value, tangent = jvp(sqrtm, (np.diag([4.0, 9.0]),), (np.eye(2),))
    >>> value
    array([[2., 0.],
           [0., 3.]])
    >>> tangent                                  # d sqrt(a) = 1 / (2 sqrt(a)) on the diagonal
    array([[0.25      , 0.        ],
           [0.        , 0.16666667]])
    """
    return sqrtm_p(_square(A, "A"))


def solve_triangular(
    a: Any,
    b: Any,
    trans: int | str = 0,
    lower: bool = False,
    unit_diagonal: bool = False,
    overwrite_b: bool = False,
    check_finite: bool = True,
) -> Any:
    """scipy.linalg.solve_triangular: x with op(a) x = b, op(a) = a (trans 0 or "N"), a^T
    (1, "T") or a^H (2, "C", a^T for real a), a read as triangular: only its lower
    (`lower=True`) or upper triangle is read, without the diagonal if `unit_diagonal`
    (taken as ones). The derivative in a is zero at the entries never read.
    `overwrite_b` is a hint SciPy may ignore, and so does tinytorch; inputs are always
    checked for being finite.

    >>> import numpy as np
    >>> from tinytorch.autograd import grad
    >>> a = np.array([[2.0, 7.0], [1.0, 4.0]])         # 7.0 lies outside the lower triangle
    >>> solve_triangular(a, np.array([2.0, 3.0]), lower=True)
    array([1. , 0.5])
    >>> grad(lambda a: solve_triangular(a, np.array([2.0, 3.0]), lower=True).sum())(a)
    array([[-0.375,  0.   ],
           [-0.25 , -0.125]])
    """
    if trans not in _TRANS:
        raise ValueError(f"incorrect value for trans: {trans!r} (0, 1, 2, 'N', 'T' or 'C')")
    a, trans = _square(a, "a"), _TRANS[trans]
    if trans == 2 and a.dtype.kind == "c":  # a^H x = b is conj(a)^T x = b: the primitive stays holomorphic
        a, trans = conj_p(a), 1
    options = {"trans": trans, "lower": bool(lower), "unit_diagonal": bool(unit_diagonal)}
    return _solved(lambda a, b: solve_triangular_p(a, b, **options), a, b)


def solve_banded(
    l_and_u: tuple[int, int],
    ab: Any,
    b: Any,
    overwrite_ab: bool = False,
    overwrite_b: bool = False,
    check_finite: bool = True,
) -> Any:
    """scipy.linalg.solve_banded: x with a x = b for the band matrix a with l diagonals
    below the main one and u above, stored by diagonals: a[i, j] = ab[u + i - j, j], ab
    of shape (l + u + 1, n). The entries of ab outside the matrix (the first u of row 0,
    ...) are never read, and their derivatives are zero. `overwrite_ab` and `overwrite_b`
    are hints SciPy may ignore, and so does tinytorch; inputs are always checked for
    being finite.

    >>> import numpy as np
    >>> from tinytorch.autograd import grad
    >>> ab = np.array([[0.0, 1.0, 1.0],      # the superdiagonal, after one unused entry
    ...                [4.0, 4.0, 4.0],      # the diagonal
    ...                [1.0, 1.0, 0.0]])     # the subdiagonal, then one unused entry
    >>> solve_banded((1, 1), ab, np.array([5.0, 6.0, 5.0]))
    array([1., 1., 1.])
    >>> g = grad(lambda ab: solve_banded((1, 1), ab, np.array([5.0, 6.0, 5.0])).sum())(ab)
    >>> g[:, 1]                               # -(a^-T 1) x^T at a's entries (0, 1), (1, 1), (2, 1)
    array([-0.21428571, -0.14285714, -0.21428571])
    >>> bool(g[0, 0] == g[2, 2] == 0.0)       # the unused entries
    True
    """
    lower, upper = (int(n) for n in l_and_u)
    ab = box_or_array(ab)
    if ab.ndim < 2 or ab.shape[-2] != lower + upper + 1:
        raise ValueError(
            f"invalid values for the number of lower and upper diagonals: l+u+1 ({lower + upper + 1}) "
            f"does not equal ab.shape[0] ({ab.shape[-2] if ab.ndim >= 2 else ab.shape})"
        )
    return _solved(lambda ab, b: solve_banded_p(ab, b, l_and_u=(lower, upper)), ab, b)


def solve_sylvester(a: Any, b: Any, q: Any) -> Any:
    """scipy.linalg.solve_sylvester: X with a X + X b = q, for square a (m x m) and b
    (n x n) with no eigenvalues summing to zero, q (m x n); stacks broadcast. Its
    derivative solves the same equation again (for dq - da X - X db). SciPy's algorithm,
    in complex arithmetic when any operand is complex: for real a and b with complex
    eigenvalues and a complex q, SciPy 1.17 itself returns a wrong X (it hands LAPACK's
    complex trsyl a real quasi-triangular Schur form), tinytorch the solution.

    >>> import numpy as np
    >>> from tinytorch.autograd import grad
    >>> a, b, q = np.diag([1.0, 2.0]), np.array([[3.0]]), np.array([[4.0], [10.0]])
    >>> solve_sylvester(a, b, q)                    # (a_ii + b) x_i = q_i
    array([[1.],
           [2.]])
    >>> grad(lambda b: solve_sylvester(a, b, q).sum())(b)   # -x_i / (a_ii + b), summed
    array([[-0.65]])
    """
    a, b, q = _square(a, "a"), _square(b, "b"), box_or_array(q)
    if q.ndim < 2 or q.shape[-2:] != (a.shape[-1], b.shape[-1]):
        raise ValueError(f"shapes of a {a.shape}, b {b.shape} and q {q.shape} are incompatible")
    stack = np.broadcast_shapes(a.shape[:-2], b.shape[:-2], q.shape[:-2])
    return solve_sylvester_p(*(broadcast_to(x, stack + x.shape[-2:]) for x in (a, b, q)))
