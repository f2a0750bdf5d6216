"""Argument handling shared by the NumPy-like functions."""

from __future__ import annotations

from typing import Any

from ..levels import Box

try:
    from numpy.lib.array_utils import normalize_axis_index, normalize_axis_tuple
except ImportError:  # numpy < 2
    from numpy.core.multiarray import normalize_axis_index  # type: ignore[no-redef]
    from numpy.core.numeric import normalize_axis_tuple  # type: ignore[no-redef]


def neg_axes(axis: Any, ndim: int) -> tuple[int, ...]:
    """`axis` (None, int or tuple) as a sorted tuple of negative axes."""
    if axis is None:
        return tuple(range(-ndim, 0))
    return tuple(sorted(a - ndim for a in normalize_axis_tuple(axis, ndim)))


def neg_axis(axis: int, ndim: int) -> int:
    return normalize_axis_index(axis, ndim) - ndim


def is_box(a: Any) -> bool:
    return isinstance(a, Box)
