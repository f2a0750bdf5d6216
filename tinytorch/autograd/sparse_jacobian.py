"""Sparse Jacobians and Hessians in a few compressed passes.

`jacobian(f, sparsity=...)` and `hessian(f, sparsity=...)` (jacobian.py) land here.
With the pattern known (given, or traced once per input shape by sparse_patterns.py),
columns that share no row are summed into one tangent, so one forward pass per
colour computes all of them; rows likewise for reverse passes. A dense row would
make every column its own colour: the plan sends the few dense rows to reverse
passes and colours the rest by column (or the dense columns to forward passes and
the rest by row), whichever costs least, counting a reverse pass as
`REVERSE_PASS_COST` forward ones. All the colours of a mode go through one batched
pass (a block of tangents or cotangents), and the compressed results are read back
into a `scipy.sparse.csr_array` by index arithmetic.

A Hessian is symmetric: a star colouring of its pattern and one batched
Hessian-vector product pass (forward over reverse) give every entry directly, from
its row or from its column.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import scipy.sparse as sp

from .colorings import as_pattern, column_coloring, star_coloring
from .parallel import Call, Seed, seeded_passes
from .passes import Argnums, Inputs, diff_inputs, float_output, output_value, plain, record
from .sparse_patterns import hessian_sparsity, sparsity
from .transforms import grad
from .tree import flatten

# A reverse pass of a block of cotangents against a forward pass of a block of tangents of
# the same size, measured by analysis/sparse.py on stencil maps (1.2 to 1.4).
REVERSE_PASS_COST = 1.3
# rows (columns) with more nonzeros than this many times the mean are the plan's dense ones
DENSE_FACTOR = 4


class Plan(NamedTuple):
    """How a pattern's entries are computed: the colour of each column seeded in forward
    passes and of each row in reverse passes (-1: not seeded; None: no passes of that
    mode), and which entries (in the pattern's CSR order) are read from reverse passes."""

    pattern: sp.csr_array
    column_colors: np.ndarray | None
    row_colors: np.ndarray | None
    from_reverse: np.ndarray

    @property
    def passes(self) -> tuple[int, int]:
        """The forward and reverse passes (colours) the plan takes."""
        count = lambda c: 0 if c is None else int(c.max(initial=-1)) + 1  # noqa: E731
        return count(self.column_colors), count(self.row_colors)


def plan(pattern: Any, mode: str = "auto") -> Plan:
    """The cheapest way to compute a Jacobian of this pattern by coloured passes: all
    forward ("forward"), all reverse ("reverse"), or ("auto") the cheapest of those and
    of dense rows by reverse (or dense columns by forward) with the rest coloured."""
    pattern = as_pattern(pattern)
    m, n = pattern.shape
    entries = pattern.nnz
    if mode == "forward":
        return Plan(pattern, column_coloring(pattern), None, np.zeros(entries, dtype=bool))
    if mode == "reverse":
        return Plan(pattern, None, column_coloring(as_pattern(pattern.T)), np.ones(entries, dtype=bool))
    rows_nnz, cols_nnz = np.diff(pattern.indptr), np.bincount(pattern.indices, minlength=n)
    dense_rows = rows_nnz > DENSE_FACTOR * max(entries / max(m, 1), 1)
    dense_cols = cols_nnz > DENSE_FACTOR * max(entries / max(n, 1), 1)
    # a colouring needs at least as many colours as its densest row (column): skip the ones
    # that cannot win before colouring them (a dense row makes the column graph complete)
    bounds = {
        "forward": rows_nnz.max(initial=0),
        "reverse": cols_nnz.max(initial=0) * REVERSE_PASS_COST,
        "dense rows": (rows_nnz[~dense_rows].max(initial=0) if dense_rows.any() else np.inf),
        "dense columns": (cols_nnz[~dense_cols].max(initial=0) * REVERSE_PASS_COST if dense_cols.any() else np.inf),
    }
    best, best_cost = None, np.inf
    for way in sorted(bounds, key=bounds.get):
        if bounds[way] >= best_cost:
            break
        found = _split(pattern, way, dense_rows, dense_cols)
        forward, reverse = found.passes
        cost = forward + REVERSE_PASS_COST * reverse
        if cost < best_cost:
            best, best_cost = found, cost
    return best if best is not None else plan(pattern, "forward")


def _split(pattern: sp.csr_array, way: str, dense_rows: np.ndarray, dense_cols: np.ndarray) -> Plan:
    m, n = pattern.shape
    rows = np.repeat(np.arange(m), np.diff(pattern.indptr))
    cols = pattern.indices
    if way == "forward":
        return plan(pattern, "forward")
    if way == "reverse":
        return plan(pattern, "reverse")
    if way == "dense rows":  # those rows by reverse passes, the others by forward passes
        reverse = dense_rows[rows]
        row_colors = _colors_of(as_pattern(pattern.T), dense_rows)
        column_colors = column_coloring(_keep_rows(pattern, ~dense_rows))
        return Plan(pattern, column_colors, row_colors, reverse)
    forward = dense_cols[cols]  # those columns by forward passes, the others by reverse passes
    column_colors = _colors_of(pattern, dense_cols)
    row_colors = column_coloring(_keep_rows(as_pattern(pattern.T), ~dense_cols))
    return Plan(pattern, column_colors, row_colors, ~forward)


def _keep_rows(pattern: sp.csr_array, keep: np.ndarray) -> sp.csr_array:
    return as_pattern(pattern[np.flatnonzero(keep)])


def _colors_of(pattern: sp.csr_array, chosen: np.ndarray) -> np.ndarray:
    """A column colouring of the chosen columns only (-1 for the others)."""
    colors = np.full(pattern.shape[1], -1)
    colors[chosen] = column_coloring(as_pattern(pattern[:, np.flatnonzero(chosen)]))
    return colors


def _seeds(colors: np.ndarray) -> np.ndarray:
    """One row per colour, 1 at the positions of that colour: the compressed directions."""
    count = int(colors.max(initial=-1)) + 1
    seeded = np.flatnonzero(colors >= 0)
    block = np.zeros((count, colors.size))
    block[colors[seeded], seeded] = 1.0
    return block


class SparseJacobian:
    """The function `jacobian(f, sparsity=...)` returns: f's Jacobian as a
    `scipy.sparse.csr_array` (out.size x in.size). `last_plan` is the plan the latest
    call used."""

    def __init__(
        self, f: Callable, argnums: Argnums, sparsity: Any, mode: str, chunk_size: int | None, executor: Any = None
    ) -> None:
        functools.update_wrapper(self, f)
        self.f, self.argnums, self.mode, self.chunk_size, self.executor = f, argnums, mode, chunk_size, executor
        self.sparsity = None if isinstance(sparsity, str) else as_pattern(sparsity)
        self.last_plan: Plan | None = None
        self._plans: dict = {}  # input signature -> plan

    def __call__(self, *args: Any, **kwargs: Any) -> sp.csr_array:
        inputs = _one_input(args, self.argnums, "jacobian")
        x = inputs.values[0]
        key = (x.shape, x.dtype)
        found = self._plans.get(key)
        if found is None:
            pattern = self.sparsity if self.sparsity is not None else self._traced(args, kwargs)
            if pattern.shape[1] != x.size:
                raise ValueError(f"jacobian: the sparsity pattern has {pattern.shape[1]} columns, the input {x.size}")
            found = self._plans[key] = plan(pattern, self.mode)
        jacobian, missed = self._evaluate(found, args, kwargs, inputs)
        if missed:
            # a pattern read at another input (a branch, a where, the zeros of another argument)
            # or given too narrow: never returned, traced again here and joined to the old one
            if self.sparsity is not None:
                raise ValueError(
                    "jacobian: the sparsity pattern given misses nonzeros of the Jacobian at this input "
                    "(a probe J v disagrees with the coloured result); pass sparsity='auto' or a wider pattern"
                )
            pattern = as_pattern(found.pattern + self._traced(args, kwargs))
            found = self._plans[key] = plan(pattern, self.mode)
            jacobian, missed = self._evaluate(found, args, kwargs, inputs)
            if missed:
                raise RuntimeError(
                    "jacobian(sparsity='auto'): the traced pattern misses nonzeros (a bug: please report)"
                )
        self.last_plan = found
        return jacobian

    def _traced(self, args: tuple, kwargs: dict) -> sp.csr_array:
        found = sparsity(self.f, self.argnums)(*args, **kwargs)
        x = diff_inputs(args, self.argnums, "jacobian").values[0]
        if found.shape[1] != x.size:
            raise ValueError(f"jacobian: the sparsity pattern has {found.shape[1]} columns, the input {x.size}")
        return found

    def _evaluate(self, plan: Plan, args: tuple, kwargs: dict, inputs: Inputs) -> tuple[sp.csr_array, bool]:
        """The coloured Jacobian, and whether it missed nonzeros: one random direction more
        rides along in a batched pass (J v in the forward pass, or u^T J in a reverse-only
        plan's) and is compared with the same product of the result."""
        pattern = plan.pattern
        m, n = pattern.shape
        rows = np.repeat(np.arange(m), np.diff(pattern.indptr))
        cols = pattern.indices
        values = np.zeros(pattern.nnz)
        x = inputs.values[0]
        call = Call(self.f, args, kwargs, self.argnums)
        forward, reverse = plan.passes
        probe_forward = forward > 0 or reverse == 0
        probe = np.random.default_rng(0).standard_normal(n if probe_forward else m)
        dtype = x.dtype
        if probe_forward:
            colors = plan.column_colors if forward else np.full(n, -1)
            out = _pushed(
                call, inputs, np.vstack([_seeds(colors), probe]).astype(x.dtype), m, self.chunk_size, self.executor
            )
            dtype, probed, out = out.dtype, out[-1], out[:-1]
            taken = ~plan.from_reverse
            values[taken] = out[plan.column_colors[cols[taken]], rows[taken]] if forward else 0.0
        if reverse:
            cotangents = _seeds(plan.row_colors)
            out = _pulled(
                call,
                inputs,
                cotangents if probe_forward else np.vstack([cotangents, probe]),
                self.chunk_size,
                self.executor,
            )
            dtype = out.dtype if not probe_forward else np.result_type(dtype, out.dtype)
            if not probe_forward:
                probed, out = out[-1], out[:-1]
            taken = plan.from_reverse
            values[taken] = out[plan.row_colors[rows[taken]], cols[taken]]
        found = sp.csr_array((values.astype(dtype), pattern.indices, pattern.indptr), shape=pattern.shape)
        product, magnitude = (found, abs(found)) if probe_forward else (found.T, abs(found).T)
        scale = magnitude @ np.abs(probe) + np.abs(probed)
        missed = np.abs(product @ probe - probed) > _PROBE_TOLERANCE[np.dtype(dtype).itemsize] * scale + 1e-300
        return found, bool(missed.any())


# how far the probe may differ from the coloured result's product (relative to the sum of
# magnitudes): the rounding of two summation orders, by precision
_PROBE_TOLERANCE = {8: 1e-9, 4: 1e-3, 2: 1e-1}


def check_sparsity(sparsity: Any, transform: str) -> Any:
    """ "auto" or a pattern (any sparse or dense matrix): refuses other strings early."""
    if isinstance(sparsity, str) and sparsity != "auto":
        raise ValueError(f'{transform}: sparsity must be "auto" or a pattern, got {sparsity!r}')
    return sparsity


def _one_input(args: tuple, argnums: Argnums, transform: str) -> Inputs:
    if not isinstance(argnums, (int, np.integer)):
        raise NotImplementedError(f"{transform}(sparsity=...): one input array (an int argnums), got {argnums!r}")
    inputs = diff_inputs(args, argnums, transform)
    if len(inputs.values) != 1:
        raise NotImplementedError(f"{transform}(sparsity=...): one input array, not a tree of {len(inputs.values)}")
    return inputs


def _blocks(seeds: np.ndarray, chunk_size: int | None) -> list:
    step = len(seeds) if chunk_size is None else int(chunk_size)
    return [seeds[i : i + step] for i in range(0, len(seeds), max(step, 1))]


def _pushed(call: Call, inputs: Inputs, tangents: np.ndarray, m: int, chunk_size: Any, executor: Any) -> np.ndarray:
    """J S^T for seed rows S (colours x n): one forward pass per block of colours."""
    shape = inputs.values[0].shape
    seeds = [Seed(len(b), [b.reshape((-1,) + shape)]) for b in _blocks(tangents, chunk_size)]
    pieces = []
    for seed, (values, out_tangents, _) in zip(seeds, seeded_passes(call, "forward", seeds, executor, inputs)):
        if len(values) != 1:
            raise NotImplementedError("jacobian(sparsity=...): f must return one array")
        float_output(values[0], "jacobian(sparsity=...)")  # a complex output: refused as in reverse mode
        t = out_tangents[0]
        pieces.append(np.zeros((seed.size, m)) if t is None else np.reshape(plain(t), (seed.size, m)))
    return np.concatenate(pieces)


def _pulled(call: Call, inputs: Inputs, cotangents: np.ndarray, chunk_size: Any, executor: Any) -> np.ndarray:
    """W J for seed rows W (colours x m): one recorded pass, pulled back per block (with an
    executor, one recorded pass per task)."""
    recording = record(call.f, call.args, call.kwargs, call.argnums, "jacobian", inputs)
    outputs = flatten(recording.out)[0]
    if len(outputs) != 1:
        raise NotImplementedError("jacobian(sparsity=...): f must return one array")
    value = output_value(outputs[0], recording.level)
    float_output(value, "jacobian")
    blocks = _blocks(cotangents.astype(value.dtype), chunk_size)
    seeds = [Seed(len(b), [b.reshape((-1,) + np.shape(value))]) for b in blocks]
    pulled = seeded_passes(call, "reverse", seeds, executor, inputs, None if executor else recording)
    return np.concatenate([np.reshape(g, (seed.size, -1)) for seed, (g,) in zip(seeds, pulled)])


class SparseHessian:
    """The function `hessian(f, sparsity=...)` returns: f's Hessian as a symmetric
    `scipy.sparse.csr_array` (n x n), by a star colouring and one batched pass of
    Hessian-vector products. `colors` holds the latest call's colouring."""

    def __init__(self, f: Callable, argnums: Argnums, sparsity: Any) -> None:
        functools.update_wrapper(self, f)
        self.f, self.argnums = f, argnums
        self.sparsity = None if isinstance(sparsity, str) else as_pattern(sparsity)
        self.colors: np.ndarray | None = None
        self._plans: dict = {}

    def __call__(self, *args: Any, **kwargs: Any) -> sp.csr_array:
        inputs = _one_input(args, self.argnums, "hessian")
        x = inputs.values[0]
        key = (x.shape, x.dtype)
        if key not in self._plans:
            given = (
                self.sparsity if self.sparsity is not None else hessian_sparsity(self.f, self.argnums)(*args, **kwargs)
            )
            self._plans[key] = self._colored(given, x.size)
        found, missed = self._evaluate(*self._plans[key], args, kwargs, inputs)
        if missed:  # as SparseJacobian: a pattern of another input, or given too narrow
            if self.sparsity is not None:
                raise ValueError(
                    "hessian: the sparsity pattern given misses nonzeros of the Hessian at this input "
                    "(a probe H v disagrees with the coloured result); pass sparsity='auto' or a wider pattern"
                )
            traced = hessian_sparsity(self.f, self.argnums)(*args, **kwargs)
            self._plans[key] = self._colored(self._plans[key][0] + traced, x.size)
            found, missed = self._evaluate(*self._plans[key], args, kwargs, inputs)
            if missed:
                raise RuntimeError(
                    "hessian(sparsity='auto'): the traced pattern misses nonzeros (a bug: please report)"
                )
        self.colors = self._plans[key][1]
        return found

    @staticmethod
    def _colored(pattern: Any, n: int) -> tuple:
        pattern = as_pattern(pattern)
        if pattern.shape != (n, n):
            raise ValueError(f"hessian: the sparsity pattern is {pattern.shape}, the input has {n} elements")
        pattern = as_pattern(pattern + pattern.T)
        return pattern, star_coloring(pattern)

    def _evaluate(self, pattern: Any, colors: Any, args: tuple, kwargs: dict, inputs: Inputs) -> tuple:
        """The Hessian from one batched pass of Hessian-vector products, one per colour and
        one more in a random direction v, and whether H v disagrees with the result's."""
        x = inputs.values[0]
        gradient = Call(grad(self.f, self.argnums), args, kwargs, self.argnums)
        probe = np.random.default_rng(0).standard_normal(x.size)
        seeds = np.vstack([_seeds(colors), probe]).astype(x.dtype)
        compressed = _pushed(gradient, inputs, seeds, x.size, None, None)
        found = _symmetric_entries(pattern, colors, compressed[:-1])
        scale = abs(found) @ np.abs(probe) + np.abs(compressed[-1])
        tolerance = _PROBE_TOLERANCE[np.dtype(compressed.dtype).itemsize]
        return found, bool(np.any(np.abs(found @ probe - compressed[-1]) > tolerance * scale + 1e-300))


def _symmetric_entries(pattern: sp.csr_array, colors: np.ndarray, compressed: np.ndarray) -> sp.csr_array:
    """H from compressed = S^T H (colours x n): entry (i, j) is compressed[color j, i] when j
    is the only column of its colour in row i, else compressed[color i, j] (a star
    colouring guarantees one of the two)."""
    n = pattern.shape[0]
    rows = np.repeat(np.arange(n), np.diff(pattern.indptr))
    cols = pattern.indices
    per_color = sp.csr_array((np.ones(colors.size), (np.arange(n), colors)), shape=(n, int(colors.max()) + 1))
    alone = (pattern.astype(np.float64) @ per_color).toarray() == 1  # alone[i, c]: one column of c in row i
    direct = alone[rows, colors[cols]]
    mirrored = alone[cols, colors[rows]]
    if not (direct | mirrored).all():
        raise RuntimeError("hessian(sparsity=...): the colouring is not a star colouring of the pattern")
    values = np.where(direct, compressed[colors[cols], rows], compressed[colors[rows], cols])
    return sp.csr_array((values, pattern.indices, pattern.indptr), shape=pattern.shape)
