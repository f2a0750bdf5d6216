"""Array manipulation with NumPy's signatures: reshaping, transposing, joining,
splitting, tiling, flipping, rolling, padding. Each reduces to a handful of the
table's linear primitives."""

from __future__ import annotations

import math
import operator
import warnings
from typing import Any

import numpy as np

from ..levels import Box
from ..primitive import example_of, unbox_all
from ..rules.shape import (
    Index,
    broadcast_to_p,
    concatenate_p,
    flip_p,
    getitem_p,
    pad_p,
    reshape_p,
    roll_p,
    transpose_p,
)
from ..values import box_or_array
from ..views import view_of
from .common import neg_axes, neg_axis, normalize_axis_tuple
from .indexing import index_update


def _resolve_shape(shape: Any, size: int) -> tuple[int, ...]:
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(operator.index(d) for d in shape)
    if -1 in shape:
        known = math.prod(d for d in shape if d != -1)
        if shape.count(-1) > 1 or known == 0 or size % known:
            raise ValueError(f"cannot reshape array of size {size} into shape {shape}")
        shape = tuple(size // known if d == -1 else d for d in shape)
    if math.prod(shape) != size:
        raise ValueError(f"cannot reshape array of size {size} into shape {shape}")
    return shape


def _reshaped(a: Any, shape: tuple) -> Any:
    """a reshaped; a view of a, as in NumPy, when NumPy's reshape is one."""
    out = reshape_p(a, shape, a.ndim)
    if isinstance(a, Box) and np.may_share_memory(example_of(out), example_of(a)):
        out = view_of(
            out,
            a,
            lambda base: reshape_p(base, shape, base.ndim),
            lambda base, view: reshape_p(view, base.shape, view.ndim),
        )
    return out


def reshape(a: Any, shape: Any) -> Any:
    a = box_or_array(a)
    shape = _resolve_shape(shape, a.size)
    return a if shape == a.shape else _reshaped(a, shape)


def ravel(a: Any) -> Any:
    return reshape(a, -1)


def expand_dims(a: Any, axis: Any) -> Any:
    a = box_or_array(a)
    axes = normalize_axis_tuple(axis, a.ndim + len(axis if isinstance(axis, tuple) else (axis,)))
    dims = iter(a.shape)
    shape = tuple(1 if i in axes else next(dims) for i in range(a.ndim + len(axes)))
    return _reshaped(a, shape)


def squeeze(a: Any, axis: Any = None) -> Any:
    a = box_or_array(a)
    if axis is None:
        axes = tuple(i for i, d in enumerate(a.shape) if d == 1)
    else:
        axes = normalize_axis_tuple(axis, a.ndim)
        if any(a.shape[i] != 1 for i in axes):
            raise ValueError("cannot select an axis to squeeze out which has size not equal to one")
    return _reshaped(a, tuple(d for i, d in enumerate(a.shape) if i not in axes))


def broadcast_to(array: Any, shape: Any) -> Any:
    array = box_or_array(array)
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    if np.broadcast_shapes(array.shape, shape) != shape:
        raise ValueError(f"cannot broadcast shape {array.shape} to {shape}")
    return array if shape == array.shape else broadcast_to_p(array, shape, array.ndim)


def transpose(a: Any, axes: Any = None) -> Any:
    a = box_or_array(a)
    n = a.ndim
    axes = tuple(range(n))[::-1] if axes is None else tuple(normalize_axis_tuple(axes, n))
    if sorted(axes) != list(range(n)):
        raise ValueError(f"axes {axes} don't match array of {n} dimensions")
    if axes == tuple(range(n)):
        return a
    perm = tuple(ax - n for ax in axes)
    inverse = tuple(int(i) - n for i in np.argsort(axes))
    return view_of(
        transpose_p(a, perm), a, lambda base: transpose_p(base, perm), lambda base, view: transpose_p(view, inverse)
    )


def rollaxis(a: Any, axis: int, start: int = 0) -> Any:
    """np.rollaxis: axis moved to just before position start (a view, as NumPy's)."""
    a = box_or_array(a)
    n = a.ndim
    axis = normalize_axis_tuple(axis, n)[0]
    if start < 0:
        start += n
    if not 0 <= start <= n:
        raise np.exceptions.AxisError(f"start={start} out of range for an array of {n} dimensions")
    if axis < start:
        start -= 1
    if axis == start:
        return a[...]
    return moveaxis(a, axis, start)


def swapaxes(a: Any, axis1: int, axis2: int) -> Any:
    a = box_or_array(a)
    perm = list(range(a.ndim))
    i, j = normalize_axis_tuple((axis1, axis2), a.ndim, allow_duplicate=True)
    perm[i], perm[j] = perm[j], perm[i]
    return transpose(a, perm)


def moveaxis(a: Any, source: Any, destination: Any) -> Any:
    a = box_or_array(a)
    src = normalize_axis_tuple(source, a.ndim)
    dst = normalize_axis_tuple(destination, a.ndim)
    if len(src) != len(dst):
        raise ValueError("moveaxis: source and destination must have the same number of elements")
    order = [i for i in range(a.ndim) if i not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return transpose(a, order)


_CASTINGS = ("no", "equiv", "safe", "same_kind", "unsafe")


def _cast(arrays: list, dtype: Any, casting: str) -> list:
    """The arrays in dtype, as NumPy's joining functions cast them (dtype=, casting=)."""
    if casting not in _CASTINGS:
        raise ValueError(f"casting must be one of {', '.join(map(repr, _CASTINGS))}")
    if dtype is None:
        return arrays
    dtype = np.dtype(dtype)
    for a in arrays:
        if not np.can_cast(a.dtype, dtype, casting=casting):
            raise TypeError(f"Cannot cast array data from {a.dtype!r} to {dtype!r} according to the rule {casting!r}")
    return [a if a.dtype == dtype else a.astype(dtype) for a in arrays]


def concatenate(arrays: Any, axis: Any = 0, *, dtype: Any = None, casting: str = "same_kind") -> Any:
    arrays = _cast([box_or_array(a) for a in arrays], dtype, casting)
    if not arrays:
        raise ValueError("need at least one array to concatenate")
    if axis is None:
        arrays = [ravel(a) for a in arrays]
        axis = 0
    if arrays[0].ndim == 0:
        raise ValueError("zero-dimensional arrays cannot be concatenated")
    return concatenate_p(*arrays, axis=neg_axis(axis, arrays[0].ndim))


def stack(arrays: Any, axis: int = 0, *, dtype: Any = None, casting: str = "same_kind") -> Any:
    arrays = _cast([box_or_array(a) for a in arrays], dtype, casting)
    if not arrays:
        raise ValueError("need at least one array to stack")
    if len({a.shape for a in arrays}) != 1:
        raise ValueError("all input arrays must have the same shape")
    shape = arrays[0].shape
    axis = normalize_axis_tuple(axis, len(shape) + 1)[0]
    expanded = shape[:axis] + (1,) + shape[axis:]
    return concatenate_p(*[reshape_p(a, expanded, len(shape)) for a in arrays], axis=axis - len(shape) - 1)


def hstack(tup: Any, *, dtype: Any = None, casting: str = "same_kind") -> Any:
    arrays = [atleast_1d(a) for a in tup]
    return concatenate(arrays, axis=0 if arrays[0].ndim == 1 else 1, dtype=dtype, casting=casting)


def vstack(tup: Any, *, dtype: Any = None, casting: str = "same_kind") -> Any:
    return concatenate([atleast_2d(a) for a in tup], axis=0, dtype=dtype, casting=casting)


def row_stack(tup: Any, *, dtype: Any = None, casting: str = "same_kind") -> Any:
    """np.row_stack: vstack under its old name, deprecated by NumPy 2.0 and here with NumPy's
    DeprecationWarning (kept because code written for NumPy 1, HIPS autograd's tests among it,
    still calls it).

    >>> import warnings
    >>> import numpy as np
    >>> import tinytorch as tt
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", DeprecationWarning)
    ...     tt.row_stack([np.array([1.0, 2.0]), np.array([3.0, 4.0])])
    array([[1., 2.],
           [3., 4.]])
    """
    warnings.warn("`row_stack` alias is deprecated. Use `tt.vstack` directly.", DeprecationWarning, stacklevel=2)
    return vstack(tup, dtype=dtype, casting=casting)


def atleast_1d(a: Any) -> Any:
    a = box_or_array(a)
    return reshape(a, (1,)) if a.ndim == 0 else a


def atleast_2d(a: Any) -> Any:
    a = box_or_array(a)
    return reshape(a, (1,) * (2 - a.ndim) + a.shape) if a.ndim < 2 else a


def atleast_3d(a: Any) -> Any:
    a = box_or_array(a)
    if a.ndim >= 3:
        return a
    return reshape(a, {0: (1, 1, 1), 1: (1, *a.shape, 1), 2: (*a.shape, 1)}[a.ndim])


def column_stack(tup: Any) -> Any:
    """1-D arrays as columns, 2-D ones as they are, side by side."""
    arrays = [box_or_array(a) for a in tup]
    return concatenate([reshape(a, (a.size, 1)) if a.ndim < 2 else a for a in arrays], axis=1)


def dstack(tup: Any) -> Any:
    return concatenate([atleast_3d(a) for a in tup], axis=2)


def append(arr: Any, values: Any, axis: Any = None) -> Any:
    if axis is None:
        return concatenate([ravel(arr), ravel(values)], axis=0)
    return concatenate([arr, values], axis=axis)


def rot90(m: Any, k: int = 1, axes: tuple = (0, 1)) -> Any:
    """m rotated by 90 degrees k times, from the first axis towards the second."""
    m = box_or_array(m)
    if len(axes) != 2:
        raise ValueError("len(axes) must be 2.")
    first, second = (neg_axis(a, m.ndim) for a in axes)
    if first == second:
        raise ValueError("Axes must be different.")
    k %= 4
    if k == 0:
        return m[...]
    if k == 2:
        return flip(flip(m, first), second)
    order = list(range(m.ndim))
    order[first], order[second] = order[second], order[first]
    return transpose(flip(m, second), order) if k == 1 else flip(transpose(m, order), second)


def _along(a: Any, axis: int, start: int, stop: int) -> Any:
    """a[..., start:stop, ...] along `axis`: a view of a, as NumPy's split pieces are."""
    entries = tuple(slice(start, stop) if i == axis else slice(None) for i in range(a.ndim))
    return view_of(
        getitem_p(a, Index(entries, a.shape)),
        a,
        lambda base: getitem_p(base, Index(entries, base.shape)),
        lambda base, view: index_update(base, entries, view),
    )


def array_split(ary: Any, indices_or_sections: Any, axis: int = 0) -> list:
    ary = box_or_array(ary)
    axis = normalize_axis_tuple(axis, ary.ndim)[0]
    n = ary.shape[axis]
    if isinstance(indices_or_sections, (int, np.integer)):
        sections = int(indices_or_sections)
        if sections <= 0:
            raise ValueError("number of sections must be larger than 0")
        each, extra = divmod(n, sections)
        sizes = [each + 1] * extra + [each] * (sections - extra)
        bounds = np.concatenate([[0], np.cumsum(sizes)])
    else:
        bounds = np.concatenate([[0], np.asarray(indices_or_sections, dtype=int), [n]])
    bounds = np.clip(bounds, 0, n)
    return [_along(ary, axis, int(lo), int(max(lo, hi))) for lo, hi in zip(bounds[:-1], bounds[1:])]


def split(ary: Any, indices_or_sections: Any, axis: int = 0) -> list:
    if isinstance(indices_or_sections, (int, np.integer)):
        n = box_or_array(ary).shape[axis]
        if n % indices_or_sections:
            raise ValueError("array split does not result in an equal division")
    return array_split(ary, indices_or_sections, axis)


def vsplit(ary: Any, indices_or_sections: Any) -> list:
    if np.ndim(ary) < 2:
        raise ValueError("vsplit only works on arrays of 2 or more dimensions")
    return split(ary, indices_or_sections, axis=0)


def hsplit(ary: Any, indices_or_sections: Any) -> list:
    if np.ndim(ary) == 0:
        raise ValueError("hsplit only works on arrays of 1 or more dimensions")
    return split(ary, indices_or_sections, axis=1 if np.ndim(ary) > 1 else 0)


def dsplit(ary: Any, indices_or_sections: Any) -> list:
    if np.ndim(ary) < 3:
        raise ValueError("dsplit only works on arrays of 3 or more dimensions")
    return split(ary, indices_or_sections, axis=2)


def flip(m: Any, axis: Any = None) -> Any:
    m = box_or_array(m)
    axes = neg_axes(axis, m.ndim)
    return view_of(flip_p(m, axes), m, lambda base: flip_p(base, axes), lambda base, view: flip_p(view, axes))


def fliplr(m: Any) -> Any:
    return flip(m, 1)


def flipud(m: Any) -> Any:
    return flip(m, 0)


def roll(a: Any, shift: Any, axis: Any = None) -> Any:
    a = box_or_array(a)
    if axis is None:
        return reshape(roll(ravel(a), shift, 0), a.shape)
    axes = tuple(neg_axis(ax, a.ndim) for ax in np.atleast_1d(axis))
    shifts = tuple(int(sh) for sh in np.broadcast_to(shift, (len(axes),)))
    return roll_p(a, shifts, axes)


def tile(A: Any, reps: Any) -> Any:
    A = box_or_array(A)
    reps = (reps,) if isinstance(reps, (int, np.integer)) else tuple(reps)
    d = max(len(reps), A.ndim)
    reps = (1,) * (d - len(reps)) + reps
    shape = (1,) * (d - A.ndim) + A.shape
    spread = tuple(x for r, s in zip(reps, shape) for x in (1, s))
    wide = tuple(x for r, s in zip(reps, shape) for x in (r, s))
    x = broadcast_to_p(reshape_p(A, spread, A.ndim), wide, 2 * d)
    return reshape_p(x, tuple(r * s for r, s in zip(reps, shape)), 2 * d)


def repeat(a: Any, repeats: Any, axis: Any = None) -> Any:
    a = box_or_array(a)
    if axis is None:
        a, axis = ravel(a), 0
    axis = normalize_axis_tuple(axis, a.ndim)[0]
    if np.ndim(repeats) == 0:
        r = int(repeats)
        inner = a.shape[: axis + 1] + (1,) + a.shape[axis + 1 :]
        wide = a.shape[: axis + 1] + (r,) + a.shape[axis + 1 :]
        x = broadcast_to_p(reshape_p(a, inner, a.ndim), wide, a.ndim + 1)
        return reshape_p(x, a.shape[:axis] + (a.shape[axis] * r,) + a.shape[axis + 1 :], a.ndim + 1)
    picks = np.repeat(np.arange(a.shape[axis]), repeats)
    entries = tuple(picks if i == axis else slice(None) for i in range(a.ndim))
    return getitem_p(a, Index(entries, a.shape))


_INDEX_MODES = {"edge", "reflect", "symmetric", "wrap"}


def pad(array: Any, pad_width: Any, mode: str = "constant", constant_values: Any = 0) -> Any:
    array = box_or_array(array)
    widths = tuple((int(b), int(e)) for b, e in np.broadcast_to(np.asarray(pad_width, dtype=int), (array.ndim, 2)))
    if mode == "constant":
        out = pad_p(array, widths)
        if np.any(np.asarray(constant_values) != 0):
            out = out + np.pad(np.zeros(array.shape, array.dtype), widths, constant_values=unbox_all(constant_values))
        return out
    if mode in _INDEX_MODES:
        # these modes only copy entries around: gather them by their flat index
        source = np.pad(np.arange(array.size).reshape(array.shape), widths, mode=mode)
        return getitem_p(ravel(array), Index((source,), (array.size,)))
    raise NotImplementedError(f"pad(mode={mode!r}) is not differentiable in tinytorch")
