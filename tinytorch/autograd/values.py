"""Normalizing what users put in a box: arrays, scalars, lists, other boxes."""

from __future__ import annotations

from typing import Any

import numpy as np

from .levels import Box


def as_value(x: Any) -> Any:
    """A box, or a plain ndarray (never a subclass, never an object array)."""
    if isinstance(x, Box):
        return x
    if type(x) is np.ndarray:
        return x
    if isinstance(x, np.ndarray):
        return x.view(np.ndarray)
    value = np.asarray(x)
    if value.dtype == object:
        raise TypeError(
            f"cannot hold {type(x).__name__} data as an array; to combine boxes use tt.stack"
        )
    return value


def is_float(value: Any) -> bool:
    return value.dtype.kind == "f"


def owned_copy(x: Any) -> Any:
    """A box as it is, anything else as a fresh ndarray that nothing else can write."""
    if isinstance(x, Box):
        return x
    value = np.array(x, subok=False)
    if value.dtype == object:
        raise TypeError(
            f"cannot hold {type(x).__name__} data as an array; to combine boxes use tt.stack"
        )
    return value


def real_floats(x: Any, what: str) -> Any:
    """x, refused if complex: casting a complex derivative to real would drop its
    imaginary part (complex numbers are not supported yet)."""
    if np.iscomplexobj(x if not isinstance(x, Box) else x.dtype.type(0)):
        raise TypeError(f"{what} is complex; tinytorch does not support complex numbers yet")
    return x
