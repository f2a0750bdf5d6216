"""`tt.linalg`: NumPy's linear-algebra functions, differentiable: solve, inv, det,
slogdet, cholesky, eigh, eigvalsh, eig, eigvals, svd, qr, pinv, norm, lstsq; and SciPy's
matrix exponential expm (also `tinytorch.scipy.linalg.expm`).

Stacks of matrices broadcast as in NumPy; the broadcasting is done here, with
differentiable ops, so the primitives always see operands with matching stacks.

Complex matrices are differentiable too (see rules/linalg.py for the convention).
The phases of complex eigenvectors and singular vectors are LAPACK's: one entry of
each vector real (eigh: the first, or the last for UPLO="U"; svd: the first entry of
each column of V = Vh^H when m >= n, of U when m < n; eig: the entry of largest
modulus). They are differentiated as such, so every function of them has its
derivative; a function that does not depend on the phases (|v|, v v^H, ...) has the
same derivative under any other choice, JAX's included.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ..primitive import innermost, unbox_all
from ..rules.linalg import (
    cholesky_p,
    det_p,
    eig_arrays,
    eig_p,
    eigh_arrays,
    eigh_p,
    eigvals_p,
    expm_p,
    inv_p,
    logabsdet_p,
    lstsq_p,
    pinv_p,
    qr_p,
    qr_parts,
    solve_p,
    svd_arrays,
    svd_p,
    svd_parts,
    svdvals_p,
)
from ..rules.math import absolute, conj_p, imag_p, real_p, sqrt, where
from ..rules.reductions import kept_shape, max_p, min_p, sum_p
from ..rules.shape import tril_p, triu_p
from ..values import box_or_array
from .common import is_box, neg_axes
from .indexing import getitem
from .manipulation import broadcast_to, moveaxis, reshape, swapaxes

__all__ = [
    "solve", "inv", "det", "slogdet", "cholesky", "eigh", "eigvalsh", "eig", "eigvals", "svd", "qr", "pinv", "norm",
    "lstsq", "expm",
]  # fmt: skip


class SlogdetResult(NamedTuple):
    sign: Any
    logabsdet: Any


class EighResult(NamedTuple):
    eigenvalues: Any
    eigenvectors: Any


class EigResult(NamedTuple):
    eigenvalues: Any
    eigenvectors: Any


class SVDResult(NamedTuple):
    U: Any
    S: Any
    Vh: Any


class QRResult(NamedTuple):
    Q: Any
    R: Any


def _square(a: Any, name: str) -> Any:
    a = box_or_array(a)
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise np.linalg.LinAlgError(f"{name}: last 2 dimensions of the array must be square, got {a.shape}")
    return a


def solve(a: Any, b: Any) -> Any:
    """x with a @ x = b (b a vector (n,) or a stack of matrices (..., n, k))."""
    a, b = _square(box_or_array(a), "solve"), box_or_array(b)
    if b.ndim == 1:
        if a.ndim == 2:
            return solve_p(a, b)
        b = broadcast_to(reshape(b, (-1, 1)), a.shape[:-1] + (1,))
        return reshape(solve_p(a, b), a.shape[:-1])
    stack = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    return solve_p(broadcast_to(a, stack + a.shape[-2:]), broadcast_to(b, stack + b.shape[-2:]))


def inv(a: Any) -> Any:
    return inv_p(_square(a, "inv"))


def det(a: Any) -> Any:
    """np.linalg.det; differentiable at every matrix, singular ones included (the
    derivative is the adjugate): to any order where a is well-conditioned, to second
    order elsewhere (beyond that a NotImplementedError)."""
    return det_p(_square(a, "det"))


def slogdet(a: Any) -> SlogdetResult:
    """(sign, log|det|): log|det| is differentiable; so is the sign det / |det| of a
    complex matrix (the sign of a real one is piecewise constant, a plain value).

    >>> import numpy as np
    >>> import tinytorch as tt
    >>> from tinytorch.autograd import grad
    >>> a = np.array([[2.0, 1.0], [1.0, 3.0]])
    >>> sign, logabsdet = tt.linalg.slogdet(a)
    >>> bool(np.isclose(logabsdet, np.log(5.0)))
    True
    >>> bool(np.allclose(grad(lambda a: tt.linalg.slogdet(a).logabsdet)(a), np.linalg.inv(a).T))
    True
    """
    a = _square(a, "slogdet")
    sign, logabs = np.linalg.slogdet(unbox_all(a))
    if is_box(a) and a.dtype.kind == "c":
        sign = _complex_sign(a, logabs)
    return SlogdetResult(sign, logabsdet_p(a))


def _complex_sign(a: Any, logabs: np.ndarray) -> Any:
    """det(A) / |det(A)| of complex A, differentiable: det(A / c) scaled by c = |det A|^(1/n)
    to modulus 1, so that it neither overflows nor underflows; 0 where det(A) = 0, as NumPy's."""
    singular = np.isneginf(logabs)
    scale = np.exp(np.where(singular, 0.0, logabs) / max(a.shape[-1], 1))
    unit = det_p(a / scale[..., None, None].astype(a.dtype))
    size = absolute(unit)
    return where(singular, 0.0, unit / where(singular, 1.0, size))


def _from_triangle(a: Any, lower: bool) -> Any:
    """The symmetric (Hermitian, for complex a) matrix that LAPACK sees when it reads one
    triangle of a: a complex diagonal's imaginary part is not read."""
    part, strict = (tril_p(a, -1), tril_p(a, 0)) if lower else (triu_p(a, 1), triu_p(a, 0))
    if a.dtype.kind != "c":
        return strict + swapaxes(part, -1, -2)
    diagonal = real_p(strict - part)
    return part + conj_p(swapaxes(part, -1, -2)) + diagonal


def cholesky(a: Any) -> Any:
    """L, lower triangular, with a = L L^H (reads the lower triangle of a, and the real
    part of a complex diagonal)."""
    a = _square(a, "cholesky")
    if not is_box(a):
        return np.linalg.cholesky(a)
    return cholesky_p(_from_triangle(a, lower=True))


def eigh(a: Any, UPLO: str = "L") -> EighResult:  # noqa: N803 (NumPy's name)
    """Eigenvalues (ascending) and eigenvectors of a symmetric (Hermitian) matrix, of which
    one triangle is read.

    Derivatives assume distinct eigenvalues (they blow up where two meet). A complex
    eigenvector's phase is LAPACK's: its first entry (the last for UPLO="U") is real;
    the derivatives are those of that choice (a function of |v| or v v^H, as HIPS
    autograd's tests take, does not depend on it)."""
    a = _square(a, "eigh")
    if UPLO not in ("L", "U"):
        raise ValueError("UPLO argument must be 'L' or 'U'")
    if not is_box(a):
        return EighResult(*eigh_arrays(a, UPLO))
    packed = eigh_p(_from_triangle(a, lower=UPLO == "L"), uplo=UPLO)
    w = getitem(packed, (..., 0, slice(None)))
    return EighResult(real_p(w) if w.dtype.kind == "c" else w, getitem(packed, (..., slice(1, None), slice(None))))


def eigvalsh(a: Any, UPLO: str = "L") -> Any:  # noqa: N803
    return eigh(a, UPLO).eigenvalues


def eig(a: Any) -> EigResult:
    """np.linalg.eig: the eigenvalues and (right) eigenvectors of a (stack of) general
    square matrices, complex where NumPy's are (a real matrix with complex eigenvalues).

    Differentiable where the eigenvalues are distinct (the derivatives blow up where two
    meet). The eigenvectors are NumPy's (LAPACK's): unit 2-norm, and the entry of largest
    modulus real; the derivatives are those of that normalisation, so they hold for any
    function of them. Other libraries normalise differently (JAX does not normalise the
    derivative at all): only functions that do not depend on the scale of each vector,
    such as its direction up to phase (|v| / |v|_2, v v^H / v^H v), agree across them.

    >>> import numpy as np
    >>> import tinytorch as tt
    >>> from tinytorch.autograd import grad
    >>> a = np.array([[2.0, 1.0], [0.0, 3.0]])
    >>> w, v = tt.linalg.eig(a)
    >>> w
    array([2., 3.])
    >>> # d w_1 / dA = y x^T / y^T x, with x = (1, 1) and y = (0, 1) its right and left eigenvectors
    >>> grad(lambda a: tt.linalg.eig(a).eigenvalues[1])(a)
    array([[0., 0.],
           [1., 1.]])
    """
    a = _square(a, "eig")
    if not is_box(a):
        return EigResult(*eig_arrays(a))
    packed = eig_p(a)
    return EigResult(getitem(packed, (..., 0, slice(None))), getitem(packed, (..., slice(1, None), slice(None))))


def eigvals(a: Any) -> Any:
    """np.linalg.eigvals, differentiable where the eigenvalues are distinct (dw_i = y_i^T dA x_i
    over y_i^T x_i, with x_i and y_i the right and left eigenvectors)."""
    a = _square(a, "eigvals")
    return eigvals_p(a) if is_box(a) else np.linalg.eigvals(a)


def _matrices(a: Any, name: str) -> Any:
    a = box_or_array(a)
    if a.ndim < 2:
        raise np.linalg.LinAlgError(f"{name}: {a.ndim}-dimensional array given. Array must be at least two-dimensional")
    return a


def svd(a: Any, full_matrices: bool = True, compute_uv: bool = True, hermitian: bool = False) -> Any:
    """np.linalg.svd: SVDResult(U, S, Vh), or the singular values S alone (compute_uv=False).

    The singular values are differentiable wherever they are distinct (Re u_i^H dA v_i).
    U and Vh are differentiable for the reduced SVD (full_matrices=False, or a square
    matrix) with distinct nonzero singular values; the derivatives blow up where two
    singular values meet. Differentiating the extra columns of a full SVD, or a
    hermitian=True SVD, raises NotImplementedError. Complex singular vectors have
    LAPACK's phases: the first entry of each column of V = Vh^H is real when m >= n, of
    U when m < n; the derivatives are those of that choice.

    >>> import numpy as np
    >>> import tinytorch as tt
    >>> from tinytorch.autograd import grad
    >>> a = np.array([[3.0, 0.0], [4.0, 5.0]])
    >>> U, S, Vh = tt.linalg.svd(a)
    >>> bool(np.allclose(U * S @ Vh, a))
    True
    >>> g = grad(lambda a: tt.linalg.svd(a, compute_uv=False)[0])(a)   # d s_1 / dA = u_1 v_1^T
    >>> bool(np.allclose(g, np.outer(U[:, 0], Vh[0])))
    True
    """
    a = _matrices(a, "svd")
    m, n = a.shape[-2:]
    if not is_box(a):
        if compute_uv and not hermitian and a.dtype.kind == "c" and (m == n or not full_matrices):
            u, s, v = svd_arrays(a)  # the phases the derivatives are of
            return SVDResult(u, s, np.swapaxes(v, -1, -2).conj())
        result = np.linalg.svd(a, full_matrices=full_matrices, compute_uv=compute_uv, hermitian=hermitian)
        return SVDResult(*result) if compute_uv else result
    if hermitian:
        raise NotImplementedError("linalg.svd(hermitian=True) is not differentiable in tinytorch: use hermitian=False")
    if not compute_uv:
        return svdvals_p(a)
    if full_matrices and m != n:
        extra = f"the last {m - n} columns of U" if m > n else f"the last {n - m} rows of Vh"
        raise NotImplementedError(
            f"linalg.svd(full_matrices=True) of a {m}x{n} matrix is not differentiable: {extra} are not unique; "
            "use full_matrices=False"
        )
    s, u, v = svd_parts(svd_p(a), a.shape)
    if a.dtype.kind == "c":
        return SVDResult(u, real_p(s), conj_p(swapaxes(v, -1, -2)))
    return SVDResult(u, s, swapaxes(v, -1, -2))


def qr(a: Any, mode: str = "reduced") -> Any:
    """np.linalg.qr: QRResult(Q, R) for modes "reduced" and "complete", R alone for "r",
    LAPACK's (h, tau) for "raw".

    Differentiable for square and tall matrices (m >= n) of full column rank, in modes
    "reduced" and "r" ("complete" too when the matrix is square); other cases raise
    NotImplementedError when differentiated.

    >>> import numpy as np
    >>> import tinytorch as tt
    >>> from tinytorch.autograd import gradcheck
    >>> a = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 7.0]])
    >>> Q, R = tt.linalg.qr(a)
    >>> bool(np.allclose(Q @ R, a))
    True
    >>> gradcheck(lambda a: tt.linalg.qr(a).Q, (a,), order=2)
    True
    """
    a = _matrices(a, "qr")
    if mode not in ("reduced", "complete", "r", "raw"):
        raise ValueError(f"Unrecognized mode '{mode}'")
    if not is_box(a):
        result = np.linalg.qr(a, mode=mode)
        return QRResult(*result) if mode in ("reduced", "complete") else result
    m, n = a.shape[-2:]
    if mode == "raw":
        raise NotImplementedError("linalg.qr(mode='raw') is not differentiable in tinytorch: use mode='reduced'")
    if m < n:
        raise NotImplementedError(
            f"linalg.qr of a wide {m}x{n} matrix (m < n) is not differentiable in tinytorch: "
            "only square and tall matrices are"
        )
    if mode == "complete" and m != n:
        raise NotImplementedError(
            f"linalg.qr(mode='complete') of a {m}x{n} matrix is not differentiable: the last {m - n} columns "
            "of Q are not unique; use mode='reduced'"
        )
    q, r = qr_parts(qr_p(a), a.shape)
    return r if mode == "r" else QRResult(q, r)


_NO_VALUE = object()  # rtol not given (NumPy tells that apart from rtol=None)


def pinv(a: Any, rcond: Any = None, hermitian: bool = False, *, rtol: Any = _NO_VALUE) -> Any:
    """np.linalg.pinv; differentiable where the rank is locally constant (Golub and
    Pereyra's formula), which holds at every matrix of full rank. rtol is passed on
    to NumPy (NumPy 2).

    >>> import numpy as np
    >>> import tinytorch as tt
    >>> from tinytorch.autograd import gradcheck
    >>> a = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 7.0]])
    >>> bool(np.allclose(tt.linalg.pinv(a), np.linalg.pinv(a)))
    True
    >>> gradcheck(tt.linalg.pinv, (a,), order=2)
    True
    """
    a = box_or_array(a)
    options = {"hermitian": hermitian}
    if rcond is not None:
        options["rcond"] = rcond
    if rtol is not _NO_VALUE:
        options["rtol"] = rtol
    if not is_box(a):
        return np.linalg.pinv(a, **options)
    # hermitian=True reads the lower triangle (NumPy's eigh does): its derivative is along symmetric directions
    return pinv_p(_from_triangle(a, lower=True) if hermitian else a, **options)


def expm(a: Any) -> Any:
    """scipy.linalg.expm, the matrix exponential of a (stack of) square matrices,
    differentiable to any order through SciPy's Fréchet derivative (expm_frechet).

    >>> import numpy as np
    >>> import tinytorch as tt
    >>> from tinytorch.autograd import grad
    >>> a = np.array([[0.0, 1.0], [-1.0, 0.0]])   # generates the rotations
    >>> bool(np.allclose(tt.linalg.expm(a), [[np.cos(1), np.sin(1)], [-np.sin(1), np.cos(1)]]))
    True
    >>> g = grad(lambda a: tt.trace(tt.linalg.expm(a)))(a)   # d tr(e^A) = tr(e^A dA)
    >>> bool(np.allclose(g, tt.linalg.expm(a).T))
    True
    """
    return expm_p(box_or_array(a))


def _squares(x: Any) -> Any:
    """|x|^2, smooth (for complex x, Re(x)^2 + Im(x)^2)."""
    if x.dtype.kind != "c":
        return x * x
    re, im = real_p(x), imag_p(x)
    return re * re + im * im


def _safe_sqrt_sum_squares(x: Any, axes: tuple, keepdims: bool) -> Any:
    # sqrt is not differentiable at 0; the norm's subgradient there is 0, as in PyTorch
    s = sum_p(_squares(x), axes, keepdims)
    if not is_box(s):
        return np.sqrt(s)
    nonzero = s > 0
    return where(nonzero, sqrt(where(nonzero, s, 1.0)), 0.0)


def _vector_norm(x: Any, ord: Any, axes: tuple, keepdims: bool) -> Any:  # noqa: A002
    if ord is None or ord == 2:
        return _safe_sqrt_sum_squares(x, axes, keepdims)
    if ord == np.inf:
        return max_p(absolute(x), axes, keepdims)
    if ord == -np.inf:
        return min_p(absolute(x), axes, keepdims)
    if ord == 0:
        real = np.finfo(np.result_type(x.dtype, 1.0)).dtype  # float64 for complex128, as NumPy's count
        return np.sum(innermost(x) != 0, axis=axes, keepdims=keepdims).astype(real)
    if ord == 1:
        return sum_p(absolute(x), axes, keepdims)
    return _power_norm(x, float(ord), axes, keepdims)


def _power_norm(x: Any, p: float, axes: tuple, keepdims: bool) -> Any:
    """sum(|x|^p)^(1/p), with the derivative of a zero entry 0, as in PyTorch.

    At 0, |x|^p has derivatives 0 up to order p, infinite or undefined ones beyond:
    they are masked to 0, except for even p, where |x|^p = x^p is exact to any order.
    The norm is 0 at the zero vector (p > 0) or wherever an entry is 0 (p < 0);
    there its derivative is 0 too (a subgradient)."""
    nonzero = innermost(x) != 0
    if p > 0 and p % 2 == 0:
        terms = _squares(x) ** (p / 2) if x.dtype.kind == "c" else x**p
    else:
        terms = where(nonzero, where(nonzero, absolute(x), 1.0) ** p, 0.0)
    s = sum_p(terms, axes, keepdims)
    zero = innermost(s) == 0 if p > 0 else ~np.all(nonzero, axis=axes, keepdims=keepdims)
    return where(zero, 0.0, where(zero, 1.0, s) ** (1.0 / p))


def _matrix_norm(x: Any, ord: Any, axes: tuple, keepdims: bool) -> Any:  # noqa: A002
    row, col = axes
    if ord in (None, "fro"):
        return _safe_sqrt_sum_squares(x, axes, keepdims)
    if ord in (1, -1):
        sums = sum_p(absolute(x), (row,), True)
        pick = max_p if ord == 1 else min_p
    elif ord in (np.inf, -np.inf):
        sums = sum_p(absolute(x), (col,), True)
        pick = max_p if ord == np.inf else min_p
    elif isinstance(ord, str) and ord == "nuc" or ord in (2, -2):
        s = svdvals_p(moveaxis(x, axes, (-2, -1)))
        out = max_p(s, (-1,), False) if ord == 2 else min_p(s, (-1,), False) if ord == -2 else sum_p(s, (-1,), False)
        return reshape(out, kept_shape(x.shape, axes)) if keepdims else out
    else:
        raise ValueError("Invalid norm order for matrices.")
    out = pick(sums, axes, True)
    return out if keepdims else reshape(out, tuple(d for i, d in enumerate(out.shape) if i - out.ndim not in axes))


def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Any:  # noqa: A002
    """np.linalg.norm; its derivative at a zero vector is 0 (a subgradient), and so is
    that of a zero entry of a vector (PyTorch's convention). The matrix norms
    ord=2, -2 and "nuc" are the largest, the smallest and the sum of the singular
    values, differentiable where those are distinct.

    >>> import numpy as np
    >>> import tinytorch as tt
    >>> from tinytorch.autograd import grad
    >>> a = np.array([[3.0, 0.0], [4.0, 5.0]])
    >>> U, S, Vh = np.linalg.svd(a)
    >>> bool(np.isclose(tt.linalg.norm(a, 2), S[0]))
    True
    >>> bool(np.allclose(grad(lambda a: tt.linalg.norm(a, 2))(a), np.outer(U[:, 0], Vh[0])))   # u_1 v_1^T
    True
    """
    x = box_or_array(x)
    if axis is None:
        if ord is None:
            return _safe_sqrt_sum_squares(x, neg_axes(None, x.ndim), keepdims)
        if x.ndim not in (1, 2):
            raise ValueError("Improper number of dimensions to norm.")
        axis = tuple(range(x.ndim))
    axes = tuple(a - x.ndim if a >= 0 else a for a in np.atleast_1d(axis).tolist())
    neg_axes(axes, x.ndim)  # validates
    if len(axes) == 1:
        return _vector_norm(x, ord, axes, keepdims)
    if len(axes) == 2:
        return _matrix_norm(x, ord, axes, keepdims)
    raise ValueError("Improper number of dimensions to norm.")


def lstsq(a: Any, b: Any, rcond: Any = None) -> tuple:
    """np.linalg.lstsq; x is differentiable where a has full column rank.

    Returns (x, residuals, rank, singular values) like NumPy; the last three are
    plain values."""
    a, b = box_or_array(a), box_or_array(b)
    if a.ndim != 2 or b.ndim not in (1, 2):
        raise ValueError("lstsq: a must be 2-d and b 1-d or 2-d")
    _, residuals, rank, sv = np.linalg.lstsq(unbox_all(a), unbox_all(b), rcond=rcond)
    if rank < a.shape[1] and (is_box(a) or is_box(b)):
        raise NotImplementedError("lstsq of a rank-deficient matrix is not differentiable in tinytorch")
    return lstsq_p(a, b), residuals, rank, sv
