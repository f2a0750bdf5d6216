"""The pattern rule of each primitive: which inputs each output element can depend on.

A rule returns, per differentiated argument, the pattern of the primitive's local
Jacobian as a boolean `scipy.sparse` matrix (output size x that argument's size);
sparse_patterns.py multiplies them along the program (the chain rule, on patterns). Most
rules come from the primitive's kind:

- elementwise (broadcasting primitives): each output element reads the element of
  each argument it is broadcast from; `where` with a constant condition only the
  branch it takes;
- selections (reshape, transpose, getitem, pad, triu, ...): the primitive itself,
  applied to an array of element numbers, says where each output element comes from;
- reductions (sum, max, logsumexp, ...): an output element reads its whole group;
  along-axis maps (softmax, cumsum): the line it is on (the part before it, for cumsum);
- Fourier transforms: the line (plane, ...) along the transformed axes;
- products (matmul, einsum) and convolve: the elements sharing an index (their
  positions adding up, for convolve), and where the other operand is a constant, only
  where it is nonzero;
- linear algebra and losses: every input (a matrix function is dense in its matrix);
- a `tt.jit` call: its staged program's pattern.

A primitive with no rule here (a user's custom primitive, a solve) is treated as
dense, and sparse_patterns.py names it in a warning. A pattern never misses a nonzero at the input traced: it
can only hold entries whose derivative happens to be zero at this input.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp

from .primitive import unbox_all
from .rules.shape import summed_axes

Rule = Callable[..., list]  # rule(ans, args, wanted, kwargs) -> [pattern per wanted argument]


def _from_sources(sources: np.ndarray, in_size: int) -> sp.csr_array:
    """The selection pattern where output element i reads input element sources[i] - 1
    (0: reads nothing, a zero the primitive wrote)."""
    sources = np.asarray(sources).ravel()
    rows = np.flatnonzero(sources)
    data = np.ones(rows.size, dtype=bool)
    return sp.csr_array((data, (rows, sources[rows] - 1)), shape=(sources.size, in_size))


def _numbers(shape: tuple) -> np.ndarray:
    """Each element's number plus one: what a selection moves around."""
    return np.arange(1, int(np.prod(shape)) + 1).reshape(shape)


def _group_of(shape: tuple, kept: tuple) -> sp.csr_array:
    """The pattern from elements of `shape` to the groups they reduce into: `kept` is
    the shape of the result with the reduced axes kept as 1s."""
    groups = np.broadcast_to(_numbers(kept), shape)
    return _from_sources(groups, int(np.prod(kept))).T.tocsr()


def _reduced_shape(shape: tuple, axis: Any) -> tuple:
    if axis is None:
        return (1,) * len(shape)
    axes = {a % len(shape) for a in ((axis,) if np.isscalar(axis) else axis)}
    return tuple(1 if i in axes else d for i, d in enumerate(shape))


def _shape(x: Any) -> tuple:
    return np.shape(unbox_all(x))


def _value(x: Any) -> np.ndarray:
    return np.asarray(unbox_all(x))


# --- kinds ----------------------------------------------------------------------------------


def elementwise(ans: Any, args: tuple, wanted: tuple, kwargs: dict) -> list:
    out_shape = np.shape(ans)
    return [_from_sources(np.broadcast_to(_numbers(_shape(args[i])), out_shape), np.size(args[i])) for i in wanted]


def where(ans: Any, args: tuple, wanted: tuple, kwargs: dict) -> list:
    """where(condition, x, y), the condition a constant (it is never differentiated)."""
    taken = np.broadcast_to(_value(args[0]), np.shape(ans)).astype(bool)
    out = []
    for i in wanted:
        sources = np.broadcast_to(_numbers(_shape(args[i])), np.shape(ans))
        out.append(_from_sources(np.where(taken if i == 1 else ~taken, sources, 0), np.size(args[i])))
    return out


def selection(ans: Any, args: tuple, wanted: tuple, kwargs: dict, prim: Any) -> list:
    """A linear primitive that moves or zeroes elements: run on element numbers."""
    (i,) = wanted
    numbered = list(map(unbox_all, args))
    numbered[i] = _numbers(_shape(args[i]))
    return [_from_sources(prim.array_impl(*numbered, **kwargs), np.size(args[i]))]


def concatenate(ans: Any, args: tuple, wanted: tuple, kwargs: dict, prim: Any) -> list:
    out = []
    for i in wanted:
        numbered = [np.zeros(_shape(a), dtype=np.int64) for a in args]
        numbered[i] = _numbers(_shape(args[i]))
        out.append(_from_sources(prim.array_impl(*numbered, **kwargs), np.size(args[i])))
    return out


def identity(ans: Any, args: tuple, wanted: tuple, kwargs: dict) -> list:
    return [sp.eye_array(np.size(ans), dtype=bool, format="csr")]


def reduction(ans: Any, args: tuple, wanted: tuple, kwargs: dict) -> list:
    shape = _shape(args[0])
    return [_group_of(shape, _reduced_shape(shape, kwargs.get("axis", args[1] if len(args) > 1 else None)))]


def sum_to(ans: Any, args: tuple, wanted: tuple, kwargs: dict) -> list:
    x, shape, ndim = args
    xshape = _shape(x)
    axes = set(summed_axes(xshape, shape, ndim))
    return [_group_of(xshape, tuple(1 if a in axes else d for a, d in enumerate(xshape)))]


def along_axis(ans: Any, args: tuple, wanted: tuple, kwargs: dict) -> list:
    """softmax and log_softmax: an element reads the whole line along the axis."""
    shape = _shape(args[0])
    group = _group_of(shape, _reduced_shape(shape, kwargs.get("axis", args[1] if len(args) > 1 else None)))
    return [(group.T @ group).tocsr()]


def cross_entropy(ans: Any, args: tuple, wanted: tuple, kwargs: dict) -> list:
    shape = _shape(args[0])  # (..., rows, classes) -> (..., rows): a row's logits
    return [_group_of(shape, shape[:-1] + (1,))]


def cumsum(ans: Any, args: tuple, wanted: tuple, kwargs: dict) -> list:
    x, axis = args[0], kwargs.get("axis", args[1] if len(args) > 1 else None)
    shape = _shape(x)
    lines = np.moveaxis(np.arange(int(np.prod(shape))).reshape(shape), axis, -1).reshape(-1, shape[axis])
    length = lines.shape[1]
    later, earlier = np.tril_indices(length)  # output position, input position
    rows = lines[:, later].ravel()
    cols = lines[:, earlier].ravel()
    size = lines.size
    return [sp.csr_array((np.ones(rows.size, dtype=bool), (rows, cols)), shape=(size, size))]


def scatter_add(ans: Any, args: tuple, wanted: tuple, kwargs: dict) -> list:
    g, index, shape = args
    targets = index.take(_numbers(np.shape(ans)))  # the output element each g element lands on
    if np.shape(targets) != _shape(g):
        return dense(ans, args, wanted, kwargs)
    return [_from_sources(targets, np.size(ans)).T.tocsr()]


def matmul(ans: Any, args: tuple, wanted: tuple, kwargs: dict) -> list:
    a_shape, b_shape = _shape(args[0]), _shape(args[1])
    if len(wanted) == 2 or len(a_shape) > 2 or len(b_shape) > 2:
        return _stacked_matmul(ans, args, wanted)
    # one traced operand against a constant matrix or vector: only where the constant is nonzero
    a2 = a_shape if len(a_shape) == 2 else (1, a_shape[0])
    b2 = b_shape if len(b_shape) == 2 else (b_shape[0], 1)
    if wanted == (1,):  # C[p, q] reads B[l, q] where A[p, l] != 0
        mask = _value(args[0]).reshape(a2) != 0
        return [sp.kron(sp.csr_array(mask), sp.eye_array(b2[1], dtype=bool), format="csr")]
    mask = _value(args[1]).reshape(b2) != 0  # C[p, q] reads A[p, l] where B[l, q] != 0
    return [sp.kron(sp.eye_array(a2[0], dtype=bool), sp.csr_array(mask.T), format="csr")]


def einsum(ans: Any, args: tuple, wanted: tuple, kwargs: dict) -> list:
    spec = kwargs["spec"]
    if "..." in spec or "->" not in spec:
        return dense(ans, args, wanted, kwargs)
    return products(ans, args, wanted, kwargs, spec)


def products(ans: Any, args: tuple, wanted: tuple, kwargs: dict, spec: str) -> list:
    """A multilinear product: an output element reads the elements of an operand that agree
    with it on the indices they share; every value of an index summed over."""
    inputs, output = spec.split("->")
    letters = inputs.split(",")
    out = []
    for i in wanted:
        shape = _shape(args[i])
        shared = [c for c in dict.fromkeys(letters[i]) if c in output]
        out.append(_agreeing(np.shape(ans), output, shape, letters[i], shared))
    return out


def _agreeing(out_shape: tuple, out_letters: str, in_shape: tuple, in_letters: str, shared: list) -> sp.csr_array:
    """Pairs (output element, input element) whose coordinates agree on the shared letters."""
    sizes = {c: d for c, d in zip(in_letters, in_shape)}
    key_shape = tuple(sizes[c] for c in shared)
    out_key = _coordinates_key(out_shape, out_letters, shared, key_shape)
    in_key = _coordinates_key(in_shape, in_letters, shared, key_shape)
    keys = int(np.prod(key_shape))
    to_key = sp.csr_array((np.ones(out_key.size, dtype=bool), (np.arange(out_key.size), out_key)), (out_key.size, keys))
    from_key = sp.csr_array((np.ones(in_key.size, dtype=bool), (in_key, np.arange(in_key.size))), (keys, in_key.size))
    return (to_key @ from_key).tocsr()


def _coordinates_key(shape: tuple, letters: str, shared: list, key_shape: tuple) -> np.ndarray:
    """Per element of an array indexed by `letters`, the flat number of its shared coordinates."""
    if not shared:
        return np.zeros(int(np.prod(shape)), dtype=np.int64)
    grids = np.indices(shape).reshape(len(shape), -1)
    coordinates = [grids[letters.index(c)] for c in shared]
    return np.ravel_multi_index(coordinates, key_shape)


def _stacked_matmul(ans: Any, args: tuple, wanted: tuple) -> list:
    """matmul as einsum "...ij,...jk->...ik", stack axes broadcast: C[..., p, q] reads row p
    of A and column q of B, of the stack element it is in."""
    a_shape, b_shape = _shape(args[0]), _shape(args[1])
    a_full = a_shape if len(a_shape) > 1 else (1,) + a_shape  # a vector as a row, b's as a column
    b_full = b_shape if len(b_shape) > 1 else b_shape + (1,)
    batch = np.broadcast_shapes(a_full[:-2], b_full[:-2])
    names = "".join(chr(ord("A") + d) for d in range(len(batch)))
    out_shape, out_letters = batch + (a_full[-2], b_full[-1]), names + "ik"
    out = []
    for i, full, letters in ((0, a_full, "ij"), (1, b_full, "jk")):
        if i in wanted:
            own = names[len(names) - (len(full) - 2) :] + letters
            # a stack axis of length 1 is broadcast: agreeing on it means nothing
            shared = [c for c, d in zip(own, full) if c in out_letters and d != 1]
            out.append(_agreeing(out_shape, out_letters, full, own, shared))
    return out


def convolve(ans: Any, args: tuple, wanted: tuple, kwargs: dict) -> list:
    """convolve(x, y): output element n reads x[k] and y[j] with k + j = n + the mode's offset;
    where the other operand is a constant, only the products with its nonzeros."""
    ndim, mode = kwargs["ndim"], kwargs["mode"]
    sx, sy, so = _shape(args[0]), _shape(args[1]), np.shape(ans)
    if len(sx) != ndim or len(sy) != ndim:  # stacked operands (rules of rules)
        return dense(ans, args, wanted, kwargs)
    offset = {"full": 0, "valid": np.subtract(sy, 1), "same": np.subtract(sy, 1) // 2}[mode]
    at = np.indices(sx).reshape(ndim, -1, 1) + np.indices(sy).reshape(ndim, 1, -1) - np.reshape(offset, (-1, 1, 1))
    inside = np.all((at >= 0) & (at < np.reshape(so, (ndim, 1, 1))), axis=0)  # (x element, y element)
    if len(wanted) == 1:
        nonzero = _value(args[1 - wanted[0]]).reshape(-1) != 0
        inside &= nonzero[None, :] if wanted == (0,) else nonzero[:, None]
    xs, ys = np.nonzero(inside)
    rows = np.ravel_multi_index(tuple(at[:, xs, ys]), so)
    data = np.ones(rows.size, dtype=bool)
    return [sp.csr_array((data, (rows, ys if i else xs)), shape=(int(np.prod(so)), np.size(args[i]))) for i in wanted]


def transform(ans: Any, args: tuple, wanted: tuple, kwargs: dict) -> list:
    """A Fourier transform (fftn, rfft, irfft): an output element reads the whole line (plane,
    ...) of the input along the transformed axes that it lies on; every element when every
    axis is transformed."""
    shape = _shape(args[0])
    axes = kwargs["axes"] if "axes" in kwargs else (kwargs["axis"],)
    transformed = {a % len(shape) for a in axes}
    if len(transformed) == len(shape):
        return [ALL]
    letters = "".join(chr(ord("a") + d) for d in range(len(shape)))
    shared = [c for d, c in enumerate(letters) if d not in transformed]
    return [_agreeing(np.shape(ans), letters, shape, letters, shared)]


ALL = "all"  # the pattern of a dense local Jacobian, applied without forming it


def dense(ans: Any, args: tuple, wanted: tuple, kwargs: dict) -> list:
    """Every output element reads every element of every differentiated argument."""
    return [ALL for _ in wanted]


def staged(ans: Any, args: tuple, wanted: tuple, kwargs: dict) -> list:
    """A `tt.jit` call under differentiation: the pattern of its program, traced the same way."""
    from ..staged.call import evaluate
    from .sparse_patterns import sparsity

    program = kwargs["compiled"].program
    found = sparsity(lambda *values: evaluate(program, *values)[0], argnums=wanted)(*map(_value, args))
    edges = np.cumsum([0] + [np.size(args[i]) for i in wanted])
    return [found[:, start:stop].tocsr() for start, stop in zip(edges[:-1], edges[1:])]


# --- the table ------------------------------------------------------------------------------

SELECTIONS = {
    "reshape", "broadcast_to", "transpose", "getitem", "flip", "roll", "pad",
    "diagonal", "diag_embed", "triu", "tril", "copy",
}  # fmt: skip
RULES: dict[str, Rule] = {
    "astype": identity,
    "real": identity,
    "imag": identity,  # of a real input, zero: a pattern may hold entries whose derivative is zero
    "conjugate": identity,
    "where": where,
    "sum": reduction,
    "max": reduction,
    "min": reduction,
    "logsumexp": reduction,
    "sum_to": sum_to,
    "softmax": along_axis,
    "log_softmax": along_axis,
    "cross_entropy": cross_entropy,
    "cumsum": cumsum,
    "scatter_add": scatter_add,
    "matmul": matmul,
    "einsum": einsum,
    "jit_call": staged,
    "convolve": convolve,
    "fftn": transform,
    "rfft": transform,
    "irfft": transform,
}
# dense by nature: a function of a whole matrix (dense within a stack, and across it here)
DENSE = {
    "det", "logabsdet", "inv", "solve", "cholesky", "eigh", "lstsq", "adjugate", "adjugate_derivative",
    "svd", "svdvals", "qr", "pinv", "expm", "expm_frechet", "sqrtm", "solve_triangular", "solve_banded",
    "solve_sylvester", "eig", "eigvals",
}  # fmt: skip


def rule_of(prim: Any) -> Rule | None:
    """The pattern rule of a primitive; None when it has none (dense, with a warning)."""
    name = prim.name
    if name in RULES:
        return RULES[name]
    if name in SELECTIONS:
        return lambda ans, args, wanted, kwargs: selection(ans, args, wanted, kwargs, prim)
    if name == "concatenate":
        return lambda ans, args, wanted, kwargs: concatenate(ans, args, wanted, kwargs, prim)
    if name in DENSE:
        return dense
    if prim.broadcasting:  # built in or declared so (primitive(broadcasting=True)): elementwise
        return elementwise
    return None
