"""Rules for array manipulation and indexing: reshaping, broadcasting, transposing,
joining, flipping, padding, indexing, diagonals and triangles, casting, copying.

All of these are linear, so each entry gives only its transpose (the VJP). Their
parameters describe the trailing axes of the primal (`ndim` of them, negative
`axes`), which is what lets the same primitive act on a tangent or cotangent
carrying extra leading batch axes.
"""

from __future__ import annotations

import numpy as np

from ..primitive import Primitive

# --- reshaping and broadcasting ----------------------------------------------


# Array methods rather than np.* functions: the functions' dispatch wrappers cost
# more than the work on the small arrays these ops mostly see.

def _reshape(x, shape, ndim):
    x = np.asarray(x)
    if x.ndim == ndim:
        return x.reshape(shape)
    return x.reshape(x.shape[: x.ndim - ndim] + shape)


def aligned_shape(xshape, shape, ndim):
    """x's shape with new axes of length 1 after its batch axes, so that it broadcasts
    to `shape` over its last `ndim` axes (the batch axes lead, as NumPy would not put them)."""
    cut = len(xshape) - ndim
    return xshape[:cut] + (1,) * (len(shape) - ndim) + xshape[cut:]


def summed_axes(xshape, shape, ndim):
    """The axes to sum x (its last `ndim` axes broadcast from `shape`) over, back to `shape`."""
    cut = len(xshape) - ndim
    extra = ndim - len(shape)
    kept = tuple(cut + extra + i for i, d in enumerate(shape) if d == 1 and xshape[cut + extra + i] != 1)
    return tuple(range(cut, cut + extra)) + kept


def _broadcast_to(x, shape, ndim):
    x = np.asarray(x)
    lead = x.shape[: x.ndim - ndim]
    if ndim < len(shape):
        x = x.reshape(aligned_shape(x.shape, shape, ndim))
    return np.broadcast_to(x, lead + shape)


def _sum_to(x, shape, ndim):
    x = np.asarray(x)
    xshape = x.shape
    axes = summed_axes(xshape, shape, ndim)
    if axes:
        x = x.sum(axis=axes, keepdims=True)
    return x.reshape(xshape[: len(xshape) - ndim] + shape)


def trailing(x, ndim):
    """The shape of the last `ndim` axes of x."""
    shape = x.shape
    return shape[len(shape) - ndim :]


reshape_p = Primitive("reshape", _reshape, linear=True,
    vjp=lambda g, ans, x, shape, ndim: reshape_p(g, trailing(x, ndim), len(shape)))
broadcast_to_p = Primitive("broadcast_to", _broadcast_to, linear=True,
    vjp=lambda g, ans, x, shape, ndim: sum_to_p(g, trailing(x, ndim), len(shape)))
sum_to_p = Primitive("sum_to", _sum_to, linear=True,
    vjp=lambda g, ans, x, shape, ndim: broadcast_to_p(g, trailing(x, ndim), len(shape)))
def _astype(x, dtype):
    x = np.asarray(x)
    if x.dtype.kind == "c" and np.dtype(dtype).kind != "c":
        x = x.real  # the cast's transpose, real to complex, takes real parts (tt.astype warns users)
    return x.astype(dtype, copy=False)


astype_p = Primitive("astype", _astype, linear=True,
    vjp=lambda g, ans, x, dtype: astype_p(g, x.dtype))
# a real copy, not a view: writes to it (item assignment outside a graph) must not
# reach the original
copy_p = Primitive("copy", lambda x, order: np.array(x, order=order, copy=True), linear=True,
    vjp=lambda g, ans, x, order: g)

# --- transposing ---------------------------------------------------------------


def _transpose(x, axes):
    x = np.asarray(x)
    n, k = x.ndim, len(axes)
    return x.transpose(tuple(range(n - k)) + tuple(n + a for a in axes))


def _inverse_perm(axes):
    k = len(axes)
    inverse = [0] * k
    for i, a in enumerate(axes):
        inverse[a + k] = i - k
    return tuple(inverse)


transpose_p = Primitive("transpose", _transpose, linear=True,
    vjp=lambda g, ans, x, axes: transpose_p(g, _inverse_perm(axes)))


def mT(x):
    """The transpose of the last two axes (NumPy's `.mT`)."""
    return transpose_p(x, (-1, -2))

# --- rearranging, joining, padding ------------------------------------------------

flip_p = Primitive("flip", lambda x, axis: np.flip(x, axis), linear=True,
    vjp=lambda g, ans, x, axis: flip_p(g, axis))
roll_p = Primitive("roll", lambda x, shift, axis: np.roll(x, shift, axis), linear=True,
    vjp=lambda g, ans, x, shift, axis: roll_p(g, tuple(-s for s in shift), axis))


def _concatenate_jvp(tangents, ans, *xs, axis):
    i, ref = next((i, t) for i, t in enumerate(tangents) if t is not None)
    batch = ref.shape[: ref.ndim - xs[i].ndim]
    return concatenate_p(*[
        # zeros in the output's dtype: joined with a float64 input, a float32 tangent is float64
        t if t is not None else np.zeros(batch + x.shape, ans.dtype) for t, x in zip(tangents, xs)
    ], axis=axis)


def _concatenate_vjp(argnum, g, ans, *xs, axis):
    start = sum(x.shape[axis] for x in xs[:argnum])
    stop = start + xs[argnum].shape[axis]
    entries = tuple(slice(start, stop) if d == ans.ndim + axis else slice(None) for d in range(ans.ndim))
    return getitem_p(g, Index(entries, ans.shape))


concatenate_p = Primitive("concatenate", lambda *xs, axis: np.concatenate(xs, axis=axis),
    jvp_joint=_concatenate_jvp, vjp=_concatenate_vjp, variadic=True)


def _pad(x, pad_width):
    return np.pad(x, ((0, 0),) * (np.ndim(x) - len(pad_width)) + pad_width)


def _unpad(g, ans, x, pad_width):
    shape = trailing(x, len(pad_width))
    entries = tuple(slice(before, before + n) for (before, _), n in zip(pad_width, shape))
    return getitem_p(g, Index(entries, ans.shape[ans.ndim - len(pad_width):]))


pad_p = Primitive("pad", _pad, linear=True, vjp=_unpad)

# --- indexing ----------------------------------------------------------------------


class Index:
    """A normalized index into the last `ndim` axes of an array.

    `entries` has one slice, int or integer array per axis: no Ellipsis, no
    newaxis, no boolean masks (the public `__getitem__` rewrites those). Leading
    axes beyond `ndim` are batch axes and are kept in front.
    """

    __slots__ = ("entries", "ndim", "out_ndim", "advanced", "separated", "adv_ndim")

    def __init__(self, entries, shape):
        self.entries = entries
        self.ndim = len(shape)
        arrays = [e for e in entries if isinstance(e, np.ndarray)]
        self.advanced = bool(arrays)
        if arrays:
            positions = [i for i, e in enumerate(entries) if not isinstance(e, slice)]
            self.separated = positions[-1] - positions[0] + 1 != len(positions)
            self.adv_ndim = len(np.broadcast_shapes(*(np.shape(e) for e in arrays)))
        else:
            self.separated = False
            self.adv_ndim = 0
        slices = sum(isinstance(e, slice) for e in entries)
        self.out_ndim = slices + self.adv_ndim

    def take(self, x):
        lead = np.ndim(x) - self.ndim
        out = x[(slice(None),) * lead + self.entries] if lead else x[self.entries]
        if lead and self.separated:
            # numpy puts the indexed axes first when advanced indices are not
            # adjacent; move the batch axes back in front of them.
            k = self.adv_ndim
            out = np.moveaxis(out, range(k, k + lead), range(lead))
        return out

    def scatter_add(self, g, shape):
        gshape = np.shape(g)
        lead = len(gshape) - self.out_ndim
        out = np.zeros(gshape[:lead] + shape, dtype=np.result_type(g))
        if lead and self.separated:
            k = self.adv_ndim
            g = np.moveaxis(g, range(lead), range(k, k + lead))
        key = (slice(None),) * lead + self.entries
        if self.advanced:
            np.add.at(out, key, g)
        else:
            out[key] = g
        return out


getitem_p = Primitive("getitem", lambda x, index: index.take(x), linear=True,
    vjp=lambda g, ans, x, index: scatter_add_p(g, index, trailing(x, index.ndim)))
scatter_add_p = Primitive("scatter_add", lambda g, index, shape: index.scatter_add(g, shape), linear=True,
    vjp=lambda g, ans, x, index, shape: getitem_p(g, index))

# --- diagonals and triangles -------------------------------------------------------------


def _diag_embed(g, offset, axis1, axis2, shape):
    lead = np.shape(g)[: np.ndim(g) - (len(shape) - 1)]
    out = np.zeros(lead + shape, dtype=np.result_type(g))
    view = np.moveaxis(out, (axis1, axis2), (-2, -1))
    n = np.shape(g)[-1]
    rows = np.arange(n) + max(-offset, 0)
    cols = np.arange(n) + max(offset, 0)
    view[..., rows, cols] = g
    return out


diagonal_p = Primitive("diagonal", lambda x, offset, axis1, axis2: np.diagonal(x, offset, axis1, axis2),
    linear=True, vjp=lambda g, ans, x, offset, axis1, axis2: diag_embed_p(g, offset, axis1, axis2, x.shape))
diag_embed_p = Primitive("diag_embed", _diag_embed, linear=True,
    vjp=lambda g, ans, x, offset, axis1, axis2, shape: diagonal_p(g, offset, axis1, axis2))
triu_p = Primitive("triu", lambda x, k: np.triu(x, k), linear=True, vjp=lambda g, ans, x, k: triu_p(g, k))
tril_p = Primitive("tril", lambda x, k: np.tril(x, k), linear=True, vjp=lambda g, ans, x, k: tril_p(g, k))
