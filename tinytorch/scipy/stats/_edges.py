"""What the distributions share: SciPy's arguments made arrays of one floating dtype,
and SciPy's edges (nan for invalid parameters, fixed values outside the support and at
infinity) kept out of the derivatives.

Outside the support, and at x = +-inf, the formulas are evaluated at a point inside it
(`standardize`) and their values replaced afterwards (`finish`): the replacing `where`
sends a cotangent of 0 back, and 0 times the formula's derivative at x itself (log of a
negative x, (x - loc) / scale^2 at an infinite x) would be nan, which sums into the
derivatives of shared parameters. At the stand-in point the formula's derivative is
finite, so 0 comes back exactly (the double-where).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ...autograd import api as tt
from ...autograd.levels import Box
from ...autograd.primitive import dtype_of
from ._refusal import constant


def floats(*args: Any) -> tuple:
    """The arguments with plain ones as arrays of the arguments' common floating dtype
    (float64 unless float32 or another float leads, Python numbers deferring as in
    NumPy), boxes as they are. SciPy computes in float64; float32 in stays float32 here.
    Complex arguments are refused: the distributions are of real variables."""
    plain = [a if isinstance(a, (Box, int, float)) else np.asarray(a) for a in args]
    dtype = np.result_type(*[dtype_of(a) if isinstance(a, Box) else a for a in plain])
    if dtype.kind == "c":
        raise TypeError("tinytorch.scipy.stats: the distributions take real arguments, got complex numbers")
    if dtype.kind != "f":
        dtype = np.dtype(np.float64)
    return tuple(a if isinstance(a, Box) else np.asarray(a, dtype=dtype) for a in plain)


def any_of(*masks: Any) -> Any:
    """The elementwise or of plain masks (traced ones under tt.jit)."""
    out = masks[0]
    for mask in masks[1:]:
        out = tt.logical_or(out, mask)
    return out


def positive(*params: Any) -> tuple:
    """Parameters that must be positive, each with 1 where it is not (nan included), and
    the mask of where any is not: SciPy's nan there."""
    bad = [tt.logical_not(p > 0) for p in params]
    return [tt.where(b, 1.0, p) for b, p in zip(bad, params)], any_of(*bad)


class Standardized(NamedTuple):
    y: Any  # (x - loc) / scale inside the support, the stand-in elsewhere
    below: Any  # plain masks: below the support or -inf, ...
    above: Any  # ... above it or +inf


def standardize(x: Any, loc: Any, scale: Any, lower: float, upper: float, stand_in: float) -> Standardized:
    """(x - loc) / scale, with `stand_in` (a point of the support [lower, upper]) where it
    falls outside or is infinite. x itself is replaced there, before the division, whose
    derivative in scale reads its result."""
    y = (constant(x) - constant(loc)) / constant(scale)
    below = any_of(y < lower, y == -np.inf)
    above = any_of(y > upper, y == np.inf)
    x = tt.where(any_of(below, above), constant(loc) + stand_in * constant(scale), x)
    return Standardized((x - loc) / scale, below, above)


def finish(value: Any, invalid: Any, edges: Standardized | None = None, below: Any = None, above: Any = None) -> Any:
    """value, with `below` and `above` where `edges` says x is there, then nan where the
    parameters are `invalid` (which SciPy checks first); a plain 0-d result as a NumPy
    scalar, as SciPy returns it."""
    if edges is not None:
        value = tt.where(edges.below, below, tt.where(edges.above, above, value))
    value = tt.where(invalid, np.nan, value)
    return value[()] if isinstance(value, np.ndarray) else value
