"""Indexing with NumPy's semantics: `x[key]` (slices, integers, integer arrays,
boolean masks, Ellipsis, newaxis), take, take_along_axis, sort, partition, functional index
updates, and the diagonal/triangle routines.

`getitem` rewrites any NumPy key into the table's normalized `Index` (one entry
per axis; masks become integer arrays), after a reshape that inserts the new
axes of None and scalar booleans.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..levels import Box
from ..primitive import NonDifferentiable, unbox_all
from ..rules.math import where
from ..rules.shape import (
    Index,
    broadcast_to_p,
    diag_embed_p,
    diagonal_p,
    getitem_p,
    reshape_p,
    scatter_add_p,
    tril_p,
    triu_p,
)
from ..values import box_or_array
from .common import neg_axis, normalize_axis_tuple


def _key_entry(k: Any) -> Any:
    if isinstance(k, Box):
        k = unbox_all(k)
    # a scalar boolean is a 0-d mask, and a tuple inside the key an index array, as in NumPy;
    # arrays are copied because the Index is saved in the graph, where later writes to the
    # caller's array must not reach
    if isinstance(k, (list, tuple, np.ndarray, bool, np.bool_)):
        array = np.array(k)
        if not array.size and not isinstance(k, np.ndarray):
            # NumPy reads an empty list as integers, whatever type np.array gives it; an array keeps its type
            array = array.astype(np.intp)
        if array.dtype != bool and not np.issubdtype(array.dtype, np.integer):
            raise IndexError("arrays used as indices must be of integer (or boolean) type")
        return array
    return k


def _is_mask(k: Any) -> bool:
    return isinstance(k, np.ndarray) and k.dtype == bool


def normalize_key(key: Any, shape: tuple) -> tuple[Index, tuple | None]:
    """An `Index`, and the shape to reshape to before applying it when the key
    inserts new axes (None, scalar booleans); the Index is for that shape."""
    key = key if isinstance(key, tuple) else (key,)
    key = _fill_ellipsis(tuple(_key_entry(k) for k in key), shape)
    entries, expanded = _entries_and_shape(key, shape)
    try:
        index = Index(tuple(entries), expanded)
    except ValueError:  # from broadcasting the advanced indices
        shapes = " ".join(str(np.shape(e)) for e in entries if isinstance(e, np.ndarray))
        raise IndexError(
            f"shape mismatch: indexing arrays could not be broadcast together with shapes {shapes}"
        ) from None
    return index, (None if expanded == shape else expanded)


def _fill_ellipsis(key: tuple, shape: tuple) -> tuple:
    """The key with its ellipsis (or its end) replaced by whole slices of the axes it does not index."""
    consumed = sum(k.ndim if _is_mask(k) else 1 for k in key if k is not None and k is not Ellipsis)
    if consumed > len(shape):
        raise IndexError(f"too many indices for array: array is {len(shape)}-dimensional, but {consumed} were indexed")
    # identity tests: `==` on an array entry would compare elementwise
    ellipses = [i for i, k in enumerate(key) if k is Ellipsis]
    if len(ellipses) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    fill = (slice(None),) * (len(shape) - consumed)
    if ellipses:
        i = ellipses[0]
        return key[:i] + fill + key[i + 1 :]
    return key + fill


def _entries_and_shape(key: tuple, shape: tuple) -> tuple[list, tuple]:
    """One entry per axis of the expanded shape (masks become their nonzero indices), and that shape.

    NumPy's model of a new axis: None inserts one of length 1 and keeps it whole; a 0-d
    mask inserts one and keeps its entry (True) or none (False), as an advanced index
    that broadcasts with the others."""
    entries: list = []
    expanded: list = []
    axis = 0
    for k in key:
        mask = _is_mask(k)
        if k is None or mask and k.ndim == 0:
            entries.append(slice(None) if k is None else np.flatnonzero(k))
            expanded.append(1)
            continue
        n = k.ndim if mask else 1
        dims = shape[axis : axis + n]
        if mask:
            for i, (d, m) in enumerate(zip(dims, k.shape)):
                if m and d != m:  # NumPy lets a mask axis of length 0 through
                    raise IndexError(
                        f"boolean index did not match indexed array along axis {axis + i}; "
                        f"size of axis is {d} but size of corresponding boolean axis is {m}"
                    )
            entries.extend(np.nonzero(k))
        else:
            entries.append(k)
        expanded.extend(dims)
        axis += n
    return entries, tuple(expanded)


_INT_KEYS: dict = {}  # (key, shape) -> Index, for the common x[i]


def _int_index(key: int, shape: tuple) -> Index:
    index = _INT_KEYS.get((key, shape))
    if index is None:
        if not -shape[0] <= key < shape[0]:
            raise IndexError(f"index {key} is out of bounds for axis 0 with size {shape[0]}")
        if len(_INT_KEYS) > 4096:
            _INT_KEYS.clear()
        index = _INT_KEYS[key, shape] = Index((key,) + (slice(None),) * (len(shape) - 1), shape)
    return index


def getitem(a: Any, key: Any) -> Any:
    """`a[key]` with NumPy's semantics for every kind of key, differentiable in `a`.

    >>> import numpy as np, tinytorch as tt
    >>> x = np.arange(6.0).reshape(2, 3)
    >>> tt.getitem(x, (np.array([True, False]), None, slice(1, None))).tolist()
    [[[1.0, 2.0]]]
    >>> tt.getitem(x, (..., False)).shape
    (2, 3, 0)
    """
    a = box_or_array(a)
    if type(key) is int and a.ndim:
        return getitem_p(a, _int_index(key, a.shape))
    try:
        index, expanded = normalize_key(key, a.shape)
        return getitem_p(a if expanded is None else reshape_p(a, expanded, a.ndim), index)
    except (IndexError, ValueError):
        _raise_numpy_error(key, a.shape)
        raise


def _raise_numpy_error(key: Any, shape: tuple) -> None:
    """Raise NumPy's own error for `key` on an array of `shape`, if it has one: ours
    may word it differently, or count the axes that None and scalar booleans insert."""
    plain = tuple(map(unbox_all, key)) if isinstance(key, tuple) else unbox_all(key)
    np.broadcast_to(np.empty((), dtype=bool), shape)[plain]


def index_update(a: Any, key: Any, value: Any) -> Any:
    """`a` with `a[key] = value` applied, as a new array (differentiable in both).
    A position indexed more than once keeps the write NumPy keeps (the last), and
    only that write has a derivative.

    >>> import numpy as np, tinytorch as tt
    >>> x = np.zeros(4)
    >>> tt.index_update(x, x == 0, np.arange(4.0)).tolist()
    [0.0, 1.0, 2.0, 3.0]
    >>> tt.index_update(x, [0, 0], [1.0, 2.0]).tolist()
    [2.0, 0.0, 0.0, 0.0]
    """
    a = box_or_array(a)
    try:
        index, expanded = normalize_key(key, a.shape)
    except (IndexError, ValueError):
        _raise_numpy_error(key, a.shape)
        raise
    base = a if expanded is None else reshape_p(a, expanded, a.ndim)
    target_shape = np.broadcast_to(np.empty((), dtype=bool), base.shape)[index.entries].shape
    # which element of the target NumPy writes last to each position (-1: none): NumPy's own
    # assignment decides, so repeated indices keep the write NumPy keeps
    writes = np.arange(int(np.prod(target_shape)), dtype=np.intp).reshape(target_shape)
    written = np.full(base.shape, -1, dtype=np.intp)
    try:
        written[index.entries] = writes
    except IndexError:  # an index out of bounds
        _raise_numpy_error(key, a.shape)
        raise
    value = box_or_array(value)
    if value.ndim and _is_element(key, a.ndim):
        raise ValueError("setting an array element with a sequence.")
    # as in NumPy, the value may carry extra leading axes of length 1
    extra = value.ndim - len(target_shape)
    if extra > 0 and value.shape[:extra] == (1,) * extra:
        value = reshape_p(value, value.shape[extra:], value.ndim)
    if value.shape != target_shape:
        value = broadcast_to_p(value, target_shape, value.ndim)
    if value.dtype != a.dtype:
        value = value.astype(a.dtype)
    kept = written[index.entries] == writes
    if not kept.all():
        # the overwritten values add zero, so only the last write has a derivative
        value = where(kept, value, np.zeros((), a.dtype))
    out = where(written >= 0, scatter_add_p(value, index, base.shape), base)
    return out if expanded is None else reshape_p(out, a.shape, len(expanded))


def _is_element(key: Any, ndim: int) -> bool:
    """Whether `key` is one integer per axis: NumPy's single-element assignment, which takes scalars only."""
    key = key if isinstance(key, tuple) else (key,)
    return len(key) == ndim and all(
        isinstance(k, (int, np.integer))
        and not isinstance(k, bool)
        or isinstance(k, np.ndarray)
        and k.ndim == 0
        and k.dtype.kind in "iu"
        for k in map(unbox_all, key)
    )


def take(a: Any, indices: Any, axis: Any = None) -> Any:
    a = box_or_array(a)
    # np.take casts its indices to integers (True is 1, not a mask)
    indices = np.asarray(unbox_all(indices)).astype(np.intp)
    if axis is None:
        return getitem(reshape_p(a, (a.size,), a.ndim), indices)
    axis = normalize_axis_tuple(axis, a.ndim)[0]
    return getitem(a, (slice(None),) * axis + (indices,))


def take_along_axis(arr: Any, indices: Any, axis: Any) -> Any:
    arr = box_or_array(arr)
    indices = np.array(unbox_all(indices))  # a copy: the Index built from it is saved in the graph
    if axis is None:
        if indices.ndim != 1:
            raise ValueError("when axis=None, `indices` must have a single dimension.")
        arr, axis = reshape_p(arr, (arr.size,), arr.ndim), 0
    axis = normalize_axis_tuple(axis, arr.ndim)[0]
    if not np.issubdtype(indices.dtype, np.integer):
        raise IndexError("`indices` must be an integer array")
    if indices.ndim != arr.ndim:
        raise ValueError("`indices` and `arr` must have the same number of dimensions")
    # the other axes broadcast between indices and arr, as in NumPy
    grid = np.ogrid[tuple(slice(n) for n in arr.shape)]
    entries = tuple(indices if i == axis else grid[i] for i in range(arr.ndim))
    try:
        index = Index(entries, arr.shape)
    except ValueError:
        raise IndexError(
            f"shape mismatch: indices of shape {indices.shape} do not broadcast against an array of shape {arr.shape}"
        ) from None
    return getitem_p(arr, index)


def sort(a: Any, axis: Any = -1) -> Any:
    """np.sort; the derivative follows each entry to its sorted position."""
    a = box_or_array(a)
    if axis is None:
        a, axis = reshape_p(a, (a.size,), a.ndim), 0
    return take_along_axis(a, np.argsort(unbox_all(a), axis=axis), axis)


def partition(a: Any, kth: Any, axis: Any = -1, kind: str = "introselect", order: Any = None) -> Any:
    """np.partition, with NumPy's arrangement of the values; the derivative follows each
    entry to its position. (Matching equal values by rank finds, for every position of
    NumPy's result, an input entry holding its value: np.argpartition may arrange the
    entries otherwise.)"""
    if order is not None:
        raise NotImplementedError("partition: order= (structured arrays) is not supported")
    a = box_or_array(a)
    if axis is None:
        a, axis = reshape_p(a, (a.size,), a.ndim), 0
    value = unbox_all(a)
    arranged = np.partition(value, kth, axis=axis, kind=kind)
    by_rank = np.argsort(value, axis=axis, kind="stable")
    positions = np.empty_like(by_rank)
    np.put_along_axis(positions, np.argsort(arranged, axis=axis, kind="stable"), by_rank, axis=axis)
    return take_along_axis(a, positions, axis)


argpartition = NonDifferentiable("argpartition", np.argpartition)


def diagonal(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    a = box_or_array(a)
    return diagonal_p(a, int(offset), neg_axis(axis1, a.ndim), neg_axis(axis2, a.ndim))


def diag(v: Any, k: int = 0) -> Any:
    v = box_or_array(v)
    if v.ndim == 1:
        n = v.shape[0] + abs(k)
        return diag_embed_p(v, int(k), -2, -1, (n, n))
    if v.ndim == 2:
        return diagonal_p(v, int(k), -2, -1)
    raise ValueError("diag: input must be 1-d or 2-d")


def triu(m: Any, k: int = 0) -> Any:
    m = box_or_array(m)
    if m.ndim < 2:
        raise ValueError("triu: input must be at least 2-d")
    return triu_p(m, int(k))


def tril(m: Any, k: int = 0) -> Any:
    m = box_or_array(m)
    if m.ndim < 2:
        raise ValueError("tril: input must be at least 2-d")
    return tril_p(m, int(k))
