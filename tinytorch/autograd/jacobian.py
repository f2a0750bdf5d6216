"""Jacobians and Hessians: jacobian (mode "auto", "forward" or "reverse"), jacfwd,
jacrev, hessian.

Never a loop over basis vectors: forward mode pushes a whole block of basis
tangents through one pass of f (a leading batch axis on every tangent), reverse
mode pulls a whole block of basis cotangents back through one recorded pass;
`chunk_size` bounds the block. The blocks' rows are then cut per (output, input)
pair into Jacobians shaped `out.shape + in.shape`. The passes themselves run in
`parallel.py`: here, or as tasks on the workers of an `executor=`.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from . import api
from .parallel import Call, Seed, chunk_size_for, seeded_passes
from .passes import (
    Argnums,
    Inputs,
    Recording,
    diff_inputs,
    float_output,
    output_value,
    record,
    zeros_like,
)
from .primitive import is_complex
from .tree import flatten, unflatten
from .values import engine_constant

if TYPE_CHECKING:
    from concurrent.futures import Executor


def _basis_block(start: int, stop: int, offset: int, size: int, shape: tuple, dtype: Any) -> Any:
    """Rows start..stop of the n x n identity, restricted to one leaf's columns."""
    lo, hi = max(start, offset), min(stop, offset + size)
    if lo >= hi:
        return None
    if (start, stop) == (offset, offset + size):
        return engine_constant(np.eye(size, dtype=dtype).reshape((size,) + shape))
    block = np.zeros((stop - start, size), dtype)
    block[np.arange(lo - start, hi - start), np.arange(lo - offset, hi - offset)] = 1
    return engine_constant(block.reshape((stop - start,) + shape))


def _offsets(values: list) -> list[int]:
    return [0, *itertools.accumulate(np.size(v) for v in values)][:-1]


def _reshape(x: Any, shape: tuple) -> Any:
    return x.reshape(shape) if isinstance(x, np.ndarray) else api.reshape(x, shape)


def _transpose(x: Any, axes: tuple) -> Any:
    return x.transpose(axes) if isinstance(x, np.ndarray) else api.transpose(x, axes)


def _assemble(rows: list, row_values: list, col_values: list, rows_are_outputs: bool) -> list:
    """Per (output, input) pair the Jacobian block of shape out.shape + in.shape.

    `rows[k]` stacks, along axis 0, the derivatives for every basis direction of
    the row side (inputs in forward mode, outputs in reverse mode).
    """
    row_offsets = _offsets(row_values)
    blocks = []
    for k, col in enumerate(col_values):
        full = rows[k]
        per_row = []
        for r, off in zip(row_values, row_offsets):
            part = full if len(row_values) == 1 else full[off : off + np.size(r)]
            part = _reshape(part, np.shape(r) + np.shape(col))
            if not rows_are_outputs:
                nr, nc = np.ndim(r), np.ndim(col)
                part = _transpose(part, tuple(range(nr, nr + nc)) + tuple(range(nr)))
            per_row.append(part)
        blocks.append(per_row)
    return blocks


def _chunks(n: int, chunk_size: int | None) -> list[tuple[int, int]]:
    step = n if chunk_size is None else int(chunk_size)
    return [(s, min(s + step, n)) for s in range(0, max(n, 1), step)] if n else [(0, 0)]


class _Basis(Sequence):
    """The basis directions, chunk by chunk, as seeds: each chunk's block of rows of the
    identity is built when read, here or on a worker, so that at most one chunk's is held.
    `leaves`: the (shape, dtype) of each leaf the directions run over."""

    def __init__(self, chunks: list[tuple[int, int]], leaves: list[tuple[tuple, Any]]) -> None:
        self.chunks, self.leaves = chunks, leaves
        self.offsets = [0, *itertools.accumulate(math.prod(shape) for shape, _ in leaves)][:-1]

    def __len__(self) -> int:
        return len(self.chunks)

    def __getitem__(self, k: Any) -> Any:
        if isinstance(k, slice):
            return _Basis(self.chunks[k], self.leaves)
        start, stop = self.chunks[k]
        blocks = [
            _basis_block(start, stop, o, math.prod(shape), shape, dtype)
            for (shape, dtype), o in zip(self.leaves, self.offsets)
        ]
        return Seed(stop - start, blocks)


def _chunk_size(chunk_size: int | None, directions: int, executor: Executor | None) -> int | None:
    return chunk_size if chunk_size is not None or executor is None else chunk_size_for(directions, executor)


def _jac_forward(call: Call, chunk_size: int | None, inputs: Inputs, executor: Executor | None) -> tuple:
    values, in_def, _ = inputs
    n = sum(np.size(v) for v in values)
    chunks = _chunks(n, _chunk_size(chunk_size, n, executor))
    basis = _Basis(chunks, [(np.shape(v), v.dtype) for v in values])
    pushed = seeded_passes(call, "forward", basis, executor, inputs)
    out_values, out_def = pushed[0].values, pushed[0].treedef
    pieces = [
        [zeros_like((stop - start,) + np.shape(v), v) if t is None else t for v, t in zip(out_values, p.tangents)]
        for (start, stop), p in zip(chunks, pushed)
    ]
    columns = [
        api.concatenate([p[j] for p in pieces]) if len(pieces) > 1 else pieces[0][j] for j in range(len(out_values))
    ]
    blocks = _assemble(columns, values, out_values, rows_are_outputs=False)
    return out_def, in_def, blocks


def _jac_reverse(
    call: Call,
    chunk_size: int | None,
    inputs: Inputs,
    executor: Executor | None,
    recording: Recording | None = None,
) -> tuple:
    # recorded here to learn the outputs (with an executor, each task records its own pass)
    recording = recording or record(*call, "jacobian", inputs)
    out, level, values, in_def = recording.out, recording.level, recording.values, recording.treedef
    out_leaves, out_def = flatten(out)
    out_values = [output_value(o, level) for o in out_leaves]
    for v in out_values:
        float_output(v, "jacobian")
    m = sum(np.size(v) for v in out_values)
    chunks = _chunks(m, _chunk_size(chunk_size, m, executor))
    basis = _Basis(chunks, [(np.shape(v), zeros_like((), v).dtype) for v in out_values])
    pieces = seeded_passes(call, "reverse", basis, executor, inputs, recording)
    rows = [api.concatenate([p[i] for p in pieces]) if len(pieces) > 1 else pieces[0][i] for i in range(len(values))]
    blocks = _assemble(rows, out_values, values, rows_are_outputs=True)
    # blocks[i][j] is (input i, output j): regroup by output first
    return out_def, in_def, [[blocks[i][j] for i in range(len(values))] for j in range(len(out_values))]


# Forward mode keeps no tape, so it wins not only when n <= m but for every
# small n; measured by analysis/jacobian_modes.py (see the README for the grid).
FORWARD_UP_TO = 64


def _prefer_forward(n: int, m: int) -> bool:
    return n <= m or n <= FORWARD_UP_TO


class Jacobian:
    """The function returned by `jacobian`: call it like f. `last_mode` is the mode
    the latest call used ("forward" or "reverse"), which "auto" chose."""

    def __init__(
        self, f: Callable, argnums: Argnums, mode: str, chunk_size: int | None, executor: Executor | None
    ) -> None:
        functools.update_wrapper(self, f)
        self.f, self.argnums, self.mode, self.chunk_size, self.executor = f, argnums, mode, chunk_size, executor
        self.last_mode: str | None = None
        self._modes: dict = {}  # the mode "auto" chose for each input signature (shapes and dtypes)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        f, argnums, chunk_size, executor = self.f, self.argnums, self.chunk_size, self.executor
        chosen = self.mode
        recording = None
        inputs = diff_inputs(args, argnums, "jacobian")
        if chosen == "auto":
            values = inputs.values
            signature = tuple((v.shape, v.dtype) for v in values)
            chosen = self._modes.get(signature)
            if chosen is None:
                # learn the output size from a recorded pass that reverse mode can reuse
                recording = record(f, args, kwargs, argnums, "jacobian", inputs)
                outs = [output_value(o, recording.level) for o in flatten(recording.out)[0]]
                m = sum(np.size(o) for o in outs)
                n = sum(np.size(v) for v in values)
                # a complex output of real inputs has a (complex) Jacobian in forward mode only
                forward = _prefer_forward(n, m) or any(is_complex(o) for o in outs)
                chosen = self._modes[signature] = "forward" if forward else "reverse"
        self.last_mode = chosen
        call = Call(f, args, kwargs, argnums)
        if chosen == "forward":
            out_def, in_def, blocks = _jac_forward(call, chunk_size, inputs, executor)
        else:
            out_def, in_def, blocks = _jac_reverse(call, chunk_size, inputs, executor, recording)
        return unflatten(out_def, [unflatten(in_def, row) for row in blocks])


def jacobian(
    f: Callable,
    argnums: Argnums = 0,
    mode: str = "auto",
    chunk_size: int | None = None,
    executor: Executor | None = None,
    sparsity: Any = None,
) -> Any:
    """The Jacobian of f, shaped `out.shape + in.shape` for every output/input pair.

    mode "forward" pushes all n input tangents through f at once, "reverse"
    pulls all m output cotangents back at once; "auto" takes forward mode when
    n <= m or n is small (the measured crossover, see analysis/jacobian_modes.py),
    and reports its choice in `.last_mode`. `chunk_size` bounds how many basis
    vectors go through one pass (memory).

    `executor` (any `concurrent.futures.Executor`: a thread or process pool, a Dask
    client's `get_executor()`) computes the chunks on its workers, about one task of
    several chunks per worker (`parallel.py`), bitwise equal to the serial result with
    the same `chunk_size`; chunk_size None then gives each worker one chunk. Other
    processes need f picklable (any function when cloudpickle is installed, else a
    module-level one), and the result cannot be differentiated further.

    `sparsity` ("auto", or the pattern as a sparse or dense matrix, out.size x in.size)
    returns the Jacobian of f (one input array, one output array) as a
    `scipy.sparse.csr_array` computed in a few coloured passes (sparse_jacobian.py):
    "auto" traces the pattern at the first call for each input shape.

    >>> import numpy as np, tinytorch as tt
    >>> from tinytorch.autograd import jacobian
    >>> jac = jacobian(lambda x: x ** 2)
    >>> jac(np.array([1.0, 2.0])).tolist()
    [[2.0, 0.0], [0.0, 4.0]]
    >>> jac.last_mode
    'forward'
    """
    if mode not in ("auto", "forward", "reverse"):
        raise ValueError(f"jacobian: mode must be 'auto', 'forward' or 'reverse', got {mode!r}")
    if chunk_size is not None and not (isinstance(chunk_size, (int, np.integer)) and chunk_size >= 1):
        raise ValueError(f"jacobian: chunk_size must be a positive integer or None, got {chunk_size!r}")
    if executor is not None and not callable(getattr(executor, "submit", None)):
        raise TypeError(f"jacobian: executor must be a concurrent.futures.Executor or None, got {executor!r}")
    if sparsity is not None:
        from .sparse_jacobian import SparseJacobian, check_sparsity

        return SparseJacobian(f, argnums, check_sparsity(sparsity, "jacobian"), mode, chunk_size, executor)
    return Jacobian(f, argnums, mode, chunk_size, executor)


def jacfwd(
    f: Callable, argnums: Argnums = 0, chunk_size: int | None = None, executor: Executor | None = None
) -> Jacobian:
    """`jacobian` in forward mode.

    >>> import numpy as np, tinytorch as tt
    >>> from tinytorch.autograd import jacfwd
    >>> jacfwd(tt.sin)(np.zeros(2)).tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """
    return jacobian(f, argnums, "forward", chunk_size, executor)


def jacrev(
    f: Callable, argnums: Argnums = 0, chunk_size: int | None = None, executor: Executor | None = None
) -> Jacobian:
    """`jacobian` in reverse mode.

    >>> import numpy as np, tinytorch as tt
    >>> from tinytorch.autograd import jacrev
    >>> jacrev(lambda x: tt.sum(x * x))(np.array([1.0, 3.0])).tolist()
    [2.0, 6.0]
    """
    return jacobian(f, argnums, "reverse", chunk_size, executor)


def hessian(f: Callable, argnums: Argnums = 0, sparsity: Any = None) -> Callable:
    """The Hessian of f: forward mode over reverse mode, one pass of all n tangents.
    With `sparsity` ("auto" or the pattern, n x n), a symmetric `scipy.sparse.csr_array`
    from a star colouring and one pass of as many Hessian-vector products as colours.

    >>> import numpy as np, tinytorch as tt
    >>> from tinytorch.autograd import hessian
    >>> hessian(lambda x: x[0] ** 2 * x[1])(np.array([1.0, 2.0])).tolist()
    [[4.0, 2.0], [2.0, 0.0]]
    >>> chain = lambda x: tt.sum(x[1:] * x[:-1])
    >>> hessian(chain, sparsity="auto")(np.ones(4)).toarray().tolist()
    [[0.0, 1.0, 0.0, 0.0], [1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 0.0, 1.0], [0.0, 0.0, 1.0, 0.0]]
    """
    if sparsity is not None:
        from .sparse_jacobian import SparseHessian, check_sparsity

        return SparseHessian(f, argnums, check_sparsity(sparsity, "hessian"))
    return jacfwd(jacrev(f, argnums), argnums)
