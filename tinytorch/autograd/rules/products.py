"""Rules for products: matmul and einsum.

matmul promotes 1-D operands to matrices and broadcasts its stack axes, so its
rules work in that promoted, rank-aligned form (where a batch axis on one side
can never pair up with a stack axis of the other) and reshape back at the end.
einsum rules rewrite the subscripts, giving the batch axes fresh letters.
"""

from __future__ import annotations

import string

import numpy as np

from ..primitive import Primitive
from .shape import mT, reshape_p, sum_to_p

# --- matmul ----------------------------------------------------------------------------


def _promoted(a_shape, b_shape):
    """Shapes of a, b and a @ b with 1-D operands made matrices, all of one rank."""
    a2 = a_shape if len(a_shape) >= 2 else (1,) + a_shape
    b2 = b_shape if len(b_shape) >= 2 else b_shape + (1,)
    rank = max(len(a2), len(b2))
    a2 = (1,) * (rank - len(a2)) + a2
    b2 = (1,) * (rank - len(b2)) + b2
    stack = np.broadcast_shapes(a2[:-2], b2[:-2])
    return a2, b2, stack + (a2[-2], b2[-1])


# With a plain matrix on the other side (no stack axes), matmul's own broadcasting
# keeps any batch axes of t or g in front: no promotion needed.

def _scale_vector(s, v):
    """(batch of) scalars s times a vector v: batch + v.shape."""
    return reshape_p(s, (1,), 0) * v


def _matmul_dlhs(t, ans, a, b):
    if b.ndim == 2 or a.ndim == b.ndim == 1:
        return t @ b
    a2, b2, out2 = _promoted(a.shape, b.shape)
    prod = reshape_p(t, a2, a.ndim) @ reshape_p(b, b2, b.ndim)
    return reshape_p(prod, ans.shape, len(out2))


def _matmul_drhs(t, ans, a, b):
    if a.ndim == 2:
        return a @ t if b.ndim >= 2 else t @ a.T
    if a.ndim == b.ndim == 1:
        return t @ a
    a2, b2, out2 = _promoted(a.shape, b.shape)
    prod = reshape_p(a, a2, a.ndim) @ reshape_p(t, b2, b.ndim)
    return reshape_p(prod, ans.shape, len(out2))


def _matmul_vjp_lhs(g, ans, a, b):
    if b.ndim == 2:
        return g @ b.T
    if a.ndim == b.ndim == 1:
        return _scale_vector(g, b)
    a2, b2, out2 = _promoted(a.shape, b.shape)
    grad = reshape_p(g, out2, ans.ndim) @ mT(reshape_p(b, b2, b.ndim))
    return reshape_p(sum_to_p(grad, a2, len(out2)), a.shape, len(a2))


def _matmul_vjp_rhs(g, ans, a, b):
    if a.ndim == 2:
        return a.T @ g if b.ndim >= 2 else g @ a
    if a.ndim == b.ndim == 1:
        return _scale_vector(g, a)
    a2, b2, out2 = _promoted(a.shape, b.shape)
    grad = mT(reshape_p(a, a2, a.ndim)) @ reshape_p(g, out2, ans.ndim)
    return reshape_p(sum_to_p(grad, b2, len(out2)), b.shape, len(b2))


matmul_p = Primitive("matmul", np.matmul, jvp=(_matmul_dlhs, _matmul_drhs),
    vjp=(_matmul_vjp_lhs, _matmul_vjp_rhs))

# --- einsum ----------------------------------------------------------------------------


def _fresh_letters(spec, n):
    free = [c for c in string.ascii_letters if c not in spec]
    if len(free) < n:
        raise NotImplementedError("einsum: too many axes to differentiate (52-letter limit)")
    return "".join(free[:n])


def _einsum_jvp(argnum, t, ans, *operands, spec):
    ins, out = spec.split("->")
    ins = ins.split(",")
    batch = _fresh_letters(spec, t.ndim - operands[argnum].ndim)
    ins[argnum] = batch + ins[argnum]
    args = list(operands)
    args[argnum] = t
    return einsum_p(*args, spec=",".join(ins) + "->" + batch + out)


def _einsum_vjp(argnum, g, ans, *operands, spec):
    ins, out = spec.split("->")
    ins = ins.split(",")
    target = ins[argnum]
    batch = _fresh_letters(spec, g.ndim - ans.ndim)
    others = [s for i, s in enumerate(ins) if i != argnum]
    args = [g] + [x for i, x in enumerate(operands) if i != argnum]
    subs = [batch + out] + others
    x = operands[argnum]
    # A letter repeated in the target (a diagonal) gets a fresh name tied to the
    # original by an identity matrix; a letter found nowhere else (summed out
    # inside this operand) is brought in by a vector of ones.
    renamed = []
    spare = _fresh_letters(spec + batch, len(target))
    for pos, c in enumerate(target):
        size = x.shape[pos]
        if c in renamed:
            fresh = spare[pos]
            subs.append(c + fresh)
            args.append(np.eye(size, dtype=x.dtype))
            renamed.append(fresh)
        else:
            if c not in out and all(c not in s for s in others):
                subs.append(c)
                args.append(np.ones(size, dtype=x.dtype))
            renamed.append(c)
    return einsum_p(*args, spec=",".join(subs) + "->" + batch + "".join(renamed))


def _einsum(*operands, spec):
    # Path optimization (and BLAS) pays off for many or large operands only.
    big = len(operands) > 2 or sum(np.size(x) for x in operands) > 4096
    return np.einsum(spec, *operands, optimize=big)


einsum_p = Primitive("einsum", _einsum,
    jvp=_einsum_jvp, vjp=_einsum_vjp, variadic=True)
