"""Indexing with NumPy's semantics: `x[key]` (slices, integers, integer arrays,
boolean masks, Ellipsis, newaxis), take, take_along_axis, sort, functional index
updates, and the diagonal/triangle routines.

`getitem` rewrites any NumPy key into the table's normalized `Index` (one entry
per axis; masks become integer arrays) and a reshape for the new axes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..levels import Box
from ..primitive import unbox_all
from ..rules.linalg import diag_embed_p, diagonal_p, tril_p, triu_p
from ..rules.math import where
from ..rules.shape import Index, broadcast_to_p, getitem_p, reshape_p, scatter_add_p
from .common import neg_axis, normalize_axis_tuple, prep


def _key_entry(k: Any) -> Any:
    if isinstance(k, Box):
        k = unbox_all(k)
    if isinstance(k, (list, np.ndarray)) or (isinstance(k, np.generic) and k.dtype == bool):
        k = np.asarray(k)
        if k.dtype != bool and not np.issubdtype(k.dtype, np.integer):
            if k.size:
                raise IndexError("arrays used as indices must be of integer (or boolean) type")
            k = k.astype(np.intp)
    return k


def normalize_key(key: Any, shape: tuple) -> tuple[Index, tuple | None]:
    """An `Index` for `shape`, and the result shape when the key inserts new axes."""
    key = key if isinstance(key, tuple) else (key,)
    key = tuple(_key_entry(k) for k in key)
    if any(isinstance(k, (bool, np.bool_)) for k in key):
        raise NotImplementedError("indexing with a scalar boolean is not supported")
    consumed = sum(k.ndim if isinstance(k, np.ndarray) and k.dtype == bool else 1
                   for k in key if k is not None and k is not Ellipsis)
    if consumed > len(shape):
        raise IndexError(f"too many indices for array: array is {len(shape)}-dimensional, "
                         f"but {consumed} were indexed")
    # identity tests: `==` on an array entry would compare elementwise
    ellipses = [i for i, k in enumerate(key) if k is Ellipsis]
    if len(ellipses) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    fill = (slice(None),) * (len(shape) - consumed)
    if ellipses:
        i = ellipses[0]
        key = key[:i] + fill + key[i + 1:]
    else:
        key = key + fill
    entries = []
    for k in key:
        if isinstance(k, np.ndarray) and k.dtype == bool:
            entries.extend(np.nonzero(k))
        elif k is not None:
            entries.append(k)
    index = Index(tuple(entries), shape)
    new_shape = None
    if any(k is None for k in key):
        new_shape = np.broadcast_to(np.empty((), dtype=bool), shape)[key].shape
    return index, new_shape


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
    a = prep(a)
    if type(key) is int and a.ndim:
        return getitem_p(a, _int_index(key, a.shape))
    index, new_shape = normalize_key(key, a.shape)
    out = getitem_p(a, index)
    if new_shape is not None:
        out = reshape_p(out, new_shape, index.out_ndim)
    return out


def index_update(a: Any, key: Any, value: Any) -> Any:
    """`a` with `a[key] = value` applied, as a new array (differentiable in both)."""
    a = prep(a)
    index, _ = normalize_key(key, a.shape)
    hits = np.zeros(a.shape, dtype=np.intp)
    np.add.at(hits, index.entries, 1)
    if hits.max(initial=0) > 1:
        raise NotImplementedError("index update with repeated indices (numpy keeps the last write)")
    target_shape = np.broadcast_to(np.empty((), dtype=bool), a.shape)[index.entries].shape
    value = prep(value)
    if value.shape != target_shape:
        value = broadcast_to_p(value, target_shape, value.ndim)
    if value.dtype != a.dtype:
        value = value.astype(a.dtype)
    return where(hits > 0, scatter_add_p(value, index, a.shape), a)


def take(a: Any, indices: Any, axis: Any = None) -> Any:
    a = prep(a)
    indices = np.asarray(unbox_all(indices))
    if axis is None:
        return getitem(reshape_p(a, (a.size,), a.ndim), indices)
    axis = normalize_axis_tuple(axis, a.ndim)[0]
    return getitem(a, (slice(None),) * axis + (indices,))


def take_along_axis(arr: Any, indices: Any, axis: int) -> Any:
    arr = prep(arr)
    indices = np.asarray(unbox_all(indices))
    axis = normalize_axis_tuple(axis, arr.ndim)[0]
    if indices.ndim != arr.ndim:
        raise ValueError("take_along_axis: indices and arr must have the same number of dimensions")
    grid = np.ogrid[tuple(slice(n) for n in indices.shape)]
    entries = tuple(indices if i == axis else grid[i] for i in range(arr.ndim))
    return getitem_p(arr, Index(entries, arr.shape))


def sort(a: Any, axis: Any = -1) -> Any:
    """np.sort; the derivative follows each entry to its sorted position."""
    a = prep(a)
    if axis is None:
        a, axis = reshape_p(a, (a.size,), a.ndim), 0
    return take_along_axis(a, np.argsort(unbox_all(a), axis=axis), axis)


def diagonal(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    a = prep(a)
    return diagonal_p(a, int(offset), neg_axis(axis1, a.ndim), neg_axis(axis2, a.ndim))


def diag(v: Any, k: int = 0) -> Any:
    v = prep(v)
    if v.ndim == 1:
        n = v.shape[0] + abs(k)
        return diag_embed_p(v, int(k), -2, -1, (n, n))
    if v.ndim == 2:
        return diagonal_p(v, int(k), -2, -1)
    raise ValueError("diag: input must be 1-d or 2-d")


def triu(m: Any, k: int = 0) -> Any:
    m = prep(m)
    if m.ndim < 2:
        raise ValueError("triu: input must be at least 2-d")
    return triu_p(m, int(k))


def tril(m: Any, k: int = 0) -> Any:
    m = prep(m)
    if m.ndim < 2:
        raise ValueError("tril: input must be at least 2-d")
    return tril_p(m, int(k))
