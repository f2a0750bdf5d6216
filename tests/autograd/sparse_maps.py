"""Maps with known Jacobian structure, shared by the sparsity and coloured-Jacobian tests."""

from __future__ import annotations

import math

import tinytorch as tt


def tridiagonal(x):
    return tt.concatenate([x[:1], x[:-2] - 2.0 * x[1:-1] + x[2:] + tt.sin(x[1:-1]), x[-1:]])


def brusselator(x, a=1.0, b=3.0):
    """Two species on a periodic side x side grid, stored one after the other."""
    side = math.isqrt(x.size // 2)
    u, v = x[: side * side].reshape(side, side), x[side * side :].reshape(side, side)

    def lap(w):
        return tt.roll(w, 1, 0) + tt.roll(w, -1, 0) + tt.roll(w, 1, 1) + tt.roll(w, -1, 1) - 4.0 * w

    du = a + u * u * v - (b + 1.0) * u + 0.1 * lap(u)
    dv = b * u - u * u * v + 0.1 * lap(v)
    return tt.concatenate([du.reshape(-1), dv.reshape(-1)])


def arrowhead(x):
    return tt.concatenate([tt.sum(x * x)[None], x[0] * x[1:] + tt.exp(x[1:])])
