"""Broadcasting for elementwise primitives, in one place for both modes.

An elementwise primitive (`broadcasting=True`) broadcasts its arguments against
each other, and its rules are written as if they had the output's shape. With a
batch of tangents or cotangents in front (the transforms push many at once), the
machinery lines the axes up: forward mode gives each argument's tangent the
output's rank before the rule runs (`lifted`) and the sum of the terms the
output's shape after (`expanded`); reverse mode sums each cotangent back to its
argument's shape (`unbroadcast`). The batch axes always stay in front.
"""

from __future__ import annotations

from typing import Any

from .rules.shape import broadcast_to_p, reshape_p, sum_to_p


def lifted(t: Any, x: Any, ans: Any) -> Any:
    """Tangent t of argument x, with size-1 axes inserted after its nb leading batch
    axes up to the output's rank, so that batch axes meet batch axes."""
    nb = t.ndim - x.ndim
    if nb and x.ndim < ans.ndim:
        return reshape_p(t, (1,) * (ans.ndim - x.ndim) + x.shape, x.ndim)
    return t


def expanded(t: Any, ans: Any, nb: int) -> Any:
    """An output tangent with nb leading batch axes, broadcast to the output's shape."""
    return t if t.shape[nb:] == ans.shape else broadcast_to_p(t, ans.shape, t.ndim - nb)


def unbroadcast(c: Any, x: Any, g: Any, ans: Any) -> Any:
    """Cotangent c of an argument x that was broadcast: summed back to x's shape,
    keeping the leading batch axes that the output's cotangent g carries."""
    nb = g.ndim - ans.ndim
    return c if c.shape[nb:] == x.shape else sum_to_p(c, x.shape, c.ndim - nb)
