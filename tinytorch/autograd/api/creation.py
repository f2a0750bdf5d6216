"""Array creation. Constructors take no differentiable input and are NumPy's own;
`array`/`asarray`/`stack`-like building from boxes keeps the derivative."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..levels import Box
from ..primitive import NonDifferentiable
from .manipulation import stack
from .reductions import astype

_CONSTRUCTORS = ["zeros", "ones", "empty", "full", "arange", "linspace", "logspace", "geomspace",
                 "eye", "identity", "tri", "indices"]
constructors = {name: getattr(np, name) for name in _CONSTRUCTORS}
_LIKE = ["zeros_like", "ones_like", "empty_like", "full_like", "shape", "ndim", "size", "result_type"]
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
