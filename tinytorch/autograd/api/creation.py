"""Array creation and casting. Constructors take no differentiable input and are
NumPy's own; `array`/`asarray` (which stack boxes), `astype`, `full_like`,
`linspace` and `copy` keep the derivative."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ..levels import Box
from ..primitive import NonDifferentiable, unbox_all
from ..rules.shape import astype_p, copy_p
from ..values import box_or_array
from .common import is_box
from .manipulation import broadcast_to, stack

_CONSTRUCTORS = [
    "zeros",
    "ones",
    "empty",
    "full",
    "arange",
    "logspace",
    "geomspace",
    "eye",
    "identity",
    "tri",
    "indices",
]
constructors = {name: getattr(np, name) for name in _CONSTRUCTORS}
_LIKE = ["zeros_like", "ones_like", "empty_like", "shape", "ndim", "size", "result_type"]
like = {name: NonDifferentiable(name, getattr(np, name)) for name in _LIKE}


def _holds_box(obj: Any) -> bool:
    if isinstance(obj, Box):
        return True
    if isinstance(obj, (list, tuple)):
        return any(_holds_box(o) for o in obj)
    return False


def array(object: Any, dtype: Any = None) -> Any:  # noqa: A002
    """np.array; nested lists holding boxes are stacked, so the derivative flows."""
    if isinstance(object, Box):
        return object if dtype is None else astype(object, dtype)
    if isinstance(object, (list, tuple)) and _holds_box(object):
        out = stack([array(o) for o in object])
        return out if dtype is None else astype(out, dtype)
    return np.array(object, dtype=dtype)


def asarray(a: Any, dtype: Any = None) -> Any:
    """np.asarray; boxes pass through (cast if `dtype` asks)."""
    if isinstance(a, Box) or _holds_box(a):
        return array(a, dtype)
    return np.asarray(a, dtype=dtype)


def astype(x: Any, dtype: Any) -> Any:
    """x as `dtype`; differentiable between floating and complex types, plain otherwise.
    Complex to real keeps the real part, with NumPy's ComplexWarning."""
    x = box_or_array(x)
    dtype = np.dtype(dtype)
    if not np.issubdtype(dtype, np.inexact):
        return np.asarray(unbox_all(x)).astype(dtype)
    if x.dtype == dtype:
        return x
    if x.dtype.kind == "c" and dtype.kind != "c" and is_box(x):
        warnings.warn(
            "Casting complex values to real discards the imaginary part", np.exceptions.ComplexWarning, stacklevel=2
        )
    return astype_p(x, dtype)


def full_like(a: Any, fill_value: Any, dtype: Any = None) -> Any:
    """np.full_like; differentiable in `fill_value` (the values of `a` are not used)."""
    plain = unbox_all(a)
    if not isinstance(fill_value, Box):
        return np.full_like(plain, fill_value, dtype=dtype)
    return broadcast_to(astype(fill_value, dtype or np.result_type(plain)), np.shape(plain))


def linspace(
    start: Any, stop: Any, num: int = 50, endpoint: bool = True, retstep: bool = False, dtype: Any = None, axis: int = 0
) -> Any:
    """np.linspace; differentiable in `start` and `stop` (it is linear in both)."""
    if not (isinstance(start, Box) or isinstance(stop, Box)):
        return np.linspace(start, stop, num, endpoint=endpoint, retstep=retstep, dtype=dtype, axis=axis)
    if axis != 0:
        raise NotImplementedError("linspace(axis != 0) of Variables or Duals")
    extent = asarray(stop) - asarray(start)
    fractions = np.linspace(0.0, 1.0, num, endpoint=endpoint, dtype=extent.dtype)
    fractions = fractions.reshape((num,) + (1,) * extent.ndim)
    out = asarray(start) + extent * fractions
    out = out if dtype is None else astype(out, dtype)
    if retstep:
        return out, extent / max(num - 1 if endpoint else num, 1)
    return out


def copy(a: Any, order: str = "K") -> Any:
    """np.copy; on a Dual or Variable, a new box the derivative flows through, as
    torch's `clone` (`box.copy()` is the same).

    >>> import tinytorch as tt
    >>> from tinytorch.autograd import grad
    >>> float(grad(lambda x: tt.copy(x) * 3.0)(2.0))
    3.0
    """
    return copy_p(box_or_array(a), order=order)
