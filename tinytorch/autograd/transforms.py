"""Function transforms, with JAX's shapes: grad, value_and_grad, jvp, vjp,
jacobian (jacfwd, jacrev), hessian, hvp.

Each call takes a fresh level, boxes its inputs at that level (Duals for forward
mode, Variables for reverse mode), runs the function and reads the derivative
off the boxes of that level; anything else is a constant to it. Arguments and
results may be containers (tuple, list, dict) of arrays. Jacobians push a whole
block of basis tangents (or cotangents) through one pass, never one per loop.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import api, versions
from .backprop import as_of, backprop
from .forward import Dual, new_dual
from .levels import Box, new_transform_level, running
from .primitive import unbox_all
from .reverse import Variable, leaf
from .tree import LEAF, TreeDef, flatten, tree_map, unflatten
from .values import as_value, is_float, real_floats

Argnums = int | Sequence[int]


def _float_input(x: Any, transform: str) -> Any:
    value = as_value(x)
    if not is_float(value):
        raise TypeError(
            f"{transform} requires floating-point inputs, got dtype {value.dtype}; "
            "pass floats (e.g. 3.0, or x.astype(float)) for the arguments being differentiated"
        )
    return value


def _argnum_tuple(argnums: Argnums, nargs: int) -> tuple[int, ...]:
    single = isinstance(argnums, (int, np.integer))
    nums = (argnums,) if single else tuple(argnums)
    if any(isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) for n in nums):
        raise TypeError(f"argnums must be an integer or a sequence of integers, got {argnums!r}")
    nums = tuple(int(n) for n in nums)
    for n in nums:
        if not -nargs <= n < nargs:
            raise ValueError(f"argnums {argnums} out of range for {nargs} positional arguments")
    nums = tuple(n % nargs for n in nums)
    if len(nums) > 1 and len(set(nums)) != len(nums):
        raise ValueError(f"argnums {argnums} names an argument twice")
    return nums


def _diff_inputs(args: tuple, argnums: Argnums, transform: str) -> tuple[list, TreeDef, tuple]:
    """The leaves being differentiated (as float values), their structure, their positions."""
    nums = _argnum_tuple(argnums, len(args))
    tree = args[nums[0]] if isinstance(argnums, (int, np.integer)) else tuple(args[n] for n in nums)
    leaves, treedef = flatten(tree)
    return [_float_input(x, transform) for x in leaves], treedef, nums


def _substitute(args: tuple, argnums: Argnums, nums: tuple, treedef: TreeDef, boxed: list) -> list:
    args = list(args)
    tree = boxed[0] if treedef is LEAF else unflatten(treedef, boxed)
    if isinstance(argnums, (int, np.integer)):
        args[nums[0]] = tree
    else:
        for n, sub in zip(nums, tree):
            args[n] = sub
    return args


def _seen_from(x: Any, level: int) -> Any:
    """x as the transform at `level` sees it: boxes of inner levels (made by hand
    inside f, or by transforms nested in it) are inner perturbations, so their
    primal values are what f computed."""
    while isinstance(x, Box) and x._level > level:
        x = x._value
    return x


def _plain(x: Any) -> Any:
    """x without the boxes that carry no derivative (a constant Variable or a Dual
    without tangent, e.g. from a closure): what a transform returns is an array
    unless it is itself being differentiated from outside."""
    while (isinstance(x, Variable) and not x._requires_grad) or (isinstance(x, Dual) and x._tangent is None):
        x = x._value
    return x


def _strip(x: Any, level: int) -> Any:
    x = _seen_from(x, level)
    return _plain(x._value if isinstance(x, Box) and x._level == level else x)


def _recorded(x: Any, level: int) -> Any:
    """The Variable of `level` behind output x, if x depends on the inputs; else None."""
    x = _seen_from(x, level)
    return x if isinstance(x, Variable) and x._level == level and x._requires_grad else None


def _tangent(x: Any, level: int) -> Any:
    x = _seen_from(x, level)
    return x._tangent if isinstance(x, Dual) and x._level == level else None


def _float_output(value: Any, transform: str) -> None:
    """Transforms differentiate floating-point outputs only (as jax.grad does): the
    derivative of anything else would be a silent zero."""
    dtype = getattr(value, "dtype", None)
    if dtype is None:
        if value is None or not isinstance(value, (int, float, complex, np.generic)):
            raise TypeError(f"{transform} needs f to return floating-point arrays, got {type(value).__name__}")
        dtype = np.result_type(value)
    if dtype.kind != "f":
        raise TypeError(
            f"{transform} needs f to return floating-point arrays, got dtype {dtype}"
            + ("; complex numbers are not supported yet" if dtype.kind == "c" else
               "; an integer or boolean output has no derivative (return a float, e.g. x.astype(float))")
        )


def _zeros(shape: tuple, like: Any) -> np.ndarray:
    dtype = np.result_type(unbox_all(like))
    return np.zeros(shape, dtype if np.issubdtype(dtype, np.inexact) else np.float64)


def _as_dtype(g: Any, like: Any) -> Any:
    return g if g.dtype == like.dtype else api.astype(g, like.dtype)


# --- reverse mode ----------------------------------------------------------------------


def _record(f: Callable, args: tuple, kwargs: dict, argnums: Argnums, transform: str,
            inputs: tuple | None = None) -> tuple:
    """Run f with the differentiated leaves as Variables of a fresh level."""
    values, treedef, nums = inputs or _diff_inputs(args, argnums, transform)
    level = new_transform_level()
    # each pass gets its own copy: f may write into its input (under no_grad, or
    # through .data), which must reach neither the caller's array nor another pass
    boxed = [leaf(v.copy() if isinstance(v, np.ndarray) else v, level) for v in values]
    made = [b._seq for b in boxed]
    with running(level):
        out = f(*_substitute(args, argnums, nums, treedef, boxed), **kwargs)
    if made and versions.last_rebind > made[0]:
        # f updated an input in place: the leaf is the node it stood for at first
        boxed = [as_of(b, seq) for b, seq in zip(boxed, made)]
    return out, level, values, boxed, treedef


def _pull(seeds: list, level: int, values: list, nodes: list, batch: tuple, retain: bool) -> list:
    grads = backprop(seeds, level, retain_graph=retain) if seeds else {}
    out = []
    for v, node in zip(values, nodes):
        g = grads.get(node)
        out.append(_zeros(batch + np.shape(v), v) if g is None else _as_dtype(_plain(g), v))
    return out


def value_and_grad(f: Callable, argnums: Argnums = 0, has_aux: bool = False) -> Callable:
    """f's value and its gradient with respect to argument(s) `argnums`.

    f must return a scalar (or `(scalar, aux)` with `has_aux=True`).

    >>> import numpy as np, tinytorch as tt
    >>> from tinytorch.autograd import value_and_grad
    >>> value, g = value_and_grad(lambda x: tt.sum(x ** 2))(np.array([1.0, 2.0]))
    >>> float(value), g.tolist()
    (5.0, [2.0, 4.0])
    """

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        out, level, values, nodes, treedef = _record(f, args, kwargs, argnums, "grad")
        if has_aux:
            if not (isinstance(out, (tuple, list)) and len(out) == 2):
                raise TypeError("with has_aux=True, f must return a pair (output, aux)")
            out, aux = out
        value = _strip(out, level)
        _float_output(value, "grad")
        if np.shape(value) != ():
            raise TypeError(
                f"grad requires a scalar output; f returned shape {np.shape(value)} "
                "(use jacobian or vjp for non-scalar outputs)"
            )
        node = _recorded(out, level)
        seeds = [] if node is None else [(node, np.ones_like(unbox_all(value)))]
        grads = unflatten(treedef, _pull(seeds, level, values, nodes, (), retain=False))
        if has_aux:
            return (value, tree_map(lambda a: _strip(a, level), aux)), grads
        return value, grads

    return wrapper


def grad(f: Callable, argnums: Argnums = 0, has_aux: bool = False) -> Callable:
    """The gradient of scalar-valued f with respect to argument(s) `argnums`.

    >>> import tinytorch as tt
    >>> from tinytorch.autograd import grad
    >>> float(grad(tt.sin)(0.0))
    1.0
    >>> float(grad(grad(lambda x: x ** 3))(2.0))
    12.0
    """
    vg = value_and_grad(f, argnums, has_aux)

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        value, g = vg(*args, **kwargs)
        return (g, value[1]) if has_aux else g

    return wrapper


def vjp(f: Callable, *primals: Any, has_aux: bool = False) -> tuple:
    """f's output and a function pulling output cotangents back to the inputs.

    >>> import numpy as np, tinytorch as tt
    >>> from tinytorch.autograd import vjp
    >>> out, pullback = vjp(lambda x: x * 3.0, np.array([1.0, 2.0]))
    >>> pullback(np.array([1.0, 10.0]))[0].tolist()
    [3.0, 30.0]
    """
    out, level, values, nodes, in_def = _record(f, primals, {}, tuple(range(len(primals))), "vjp")
    if has_aux:
        out, aux = out
    out_leaves, out_def = flatten(out)
    out_values = [_strip(o, level) for o in out_leaves]
    for v in out_values:
        _float_output(v, "vjp")
    out_nodes = [_recorded(o, level) for o in out_leaves]

    def pullback(cotangent: Any) -> tuple:
        leaves, treedef = flatten(cotangent)
        if treedef != out_def:
            raise ValueError(f"cotangent structure {treedef} does not match output structure {out_def}")
        seeds = []
        for node, v, c in zip(out_nodes, out_values, leaves):
            if not isinstance(c, Box):
                # a copy: the result must not alias the caller's cotangent
                c = np.array(real_floats(c, "vjp: the cotangent"), dtype=np.result_type(unbox_all(v)))
            if c.shape != np.shape(v):
                raise ValueError(f"cotangent shape {c.shape} does not match output shape {np.shape(v)}")
            if node is not None:
                seeds.append((node, c))
        return tuple(unflatten(in_def, _pull(seeds, level, values, nodes, (), retain=True)))

    primal_out = unflatten(out_def, out_values)
    if has_aux:
        return primal_out, pullback, tree_map(lambda a: _strip(a, level), aux)
    return primal_out, pullback


# --- forward mode ----------------------------------------------------------------------


def _push(f: Callable, args: tuple, kwargs: dict, argnums: Argnums, tangents: list,
          inputs: tuple | None = None) -> tuple:
    """Run f with the differentiated leaves as Duals carrying `tangents` (None = zero)."""
    values, treedef, nums = inputs or _diff_inputs(args, argnums, "jvp")
    level = new_transform_level()
    boxed = [new_dual(v, t, level) for v, t in zip(values, tangents)]
    with running(level):
        out = f(*_substitute(args, argnums, nums, treedef, boxed), **kwargs)
    leaves, out_def = flatten(out)
    out_values = [_strip(o, level) for o in leaves]
    for v in out_values:
        _float_output(v, "jvp")
    out_tangents = [_tangent(o, level) for o in leaves]
    return out_values, out_tangents, out_def


def jvp(f: Callable, primals: Sequence, tangents: Sequence) -> tuple:
    """f's output and its directional derivative along `tangents`.

    >>> import tinytorch as tt
    >>> from tinytorch.autograd import jvp
    >>> out, t = jvp(tt.exp, (0.0,), (2.0,))
    >>> float(out), float(t)
    (1.0, 2.0)
    """
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError("jvp: primals and tangents must be tuples (or lists) of arguments")
    p_def = flatten(tuple(primals))[1]
    t_leaves, t_def = flatten(tuple(tangents))
    if p_def != t_def:
        raise ValueError(f"jvp: tangents structure {t_def} does not match primals structure {p_def}")
    argnums = tuple(range(len(primals)))
    inputs = _diff_inputs(tuple(primals), argnums, "jvp")
    ts = []
    for p, t in zip(inputs[0], t_leaves):
        t = real_floats(as_value(t), "jvp: a tangent")
        if np.shape(t) != np.shape(p):
            raise ValueError(f"jvp: tangent shape {np.shape(t)} does not match primal shape {np.shape(p)}")
        ts.append(t if t.dtype == p.dtype else api.astype(t, p.dtype))
    values, tans, out_def = _push(f, tuple(primals), {}, argnums, ts, inputs)
    tans = [_zeros(np.shape(v), v) if t is None else _plain(t) for v, t in zip(values, tans)]
    return unflatten(out_def, values), unflatten(out_def, tans)


# --- Jacobians ---------------------------------------------------------------------------


def _basis_block(start: int, stop: int, offset: int, size: int, shape: tuple, dtype: Any) -> Any:
    """Rows start..stop of the n x n identity, restricted to one leaf's columns."""
    lo, hi = max(start, offset), min(stop, offset + size)
    if lo >= hi:
        return None
    if (start, stop) == (offset, offset + size):
        return np.eye(size, dtype=dtype).reshape((size,) + shape)
    block = np.zeros((stop - start, size), dtype)
    block[np.arange(lo - start, hi - start), np.arange(lo - offset, hi - offset)] = 1
    return block.reshape((stop - start,) + shape)


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
            part = full if len(row_values) == 1 else full[off: off + np.size(r)]
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


def _jac_forward(f: Callable, args: tuple, kwargs: dict, argnums: Argnums, chunk_size: int | None,
                 inputs: tuple) -> tuple:
    values, in_def, _ = inputs
    n = sum(np.size(v) for v in values)
    offsets = _offsets(values)
    pieces: list = []
    out_values = out_def = None
    for start, stop in _chunks(n, chunk_size):
        tangents = [_basis_block(start, stop, o, np.size(v), np.shape(v), v.dtype)
                    for v, o in zip(values, offsets)]
        out_values, out_tans, out_def = _push(f, args, kwargs, argnums, tangents, inputs)
        pieces.append([_zeros((stop - start,) + np.shape(v), v) if t is None else _plain(t)
                       for v, t in zip(out_values, out_tans)])
    columns = [api.concatenate([p[j] for p in pieces]) if len(pieces) > 1 else pieces[0][j]
               for j in range(len(out_values))]
    blocks = _assemble(columns, values, out_values, rows_are_outputs=False)
    return out_def, in_def, blocks


def _jac_reverse(f: Callable, args: tuple, kwargs: dict, argnums: Argnums, chunk_size: int | None,
                 inputs: tuple, recorded: tuple | None = None) -> tuple:
    out, level, values, nodes, in_def = recorded or _record(f, args, kwargs, argnums, "jacobian", inputs)
    out_leaves, out_def = flatten(out)
    out_values = [_strip(o, level) for o in out_leaves]
    for v in out_values:
        _float_output(v, "jacobian")
    out_nodes = [_recorded(o, level) for o in out_leaves]
    m = sum(np.size(v) for v in out_values)
    offsets = _offsets(out_values)
    chunks = _chunks(m, chunk_size)
    pieces = []
    for k, (start, stop) in enumerate(chunks):
        seeds = []
        for v, node, o in zip(out_values, out_nodes, offsets):
            c = _basis_block(start, stop, o, np.size(v), np.shape(v), _zeros((), v).dtype)
            if c is not None and node is not None:
                seeds.append((node, c))
        pieces.append(_pull(seeds, level, values, nodes, (stop - start,), retain=k < len(chunks) - 1))
    rows = [api.concatenate([p[i] for p in pieces]) if len(pieces) > 1 else pieces[0][i]
            for i in range(len(values))]
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

    def __init__(self, f: Callable, argnums: Argnums, mode: str, chunk_size: int | None) -> None:
        functools.update_wrapper(self, f)
        self.f, self.argnums, self.mode, self.chunk_size = f, argnums, mode, chunk_size
        self.last_mode: str | None = None
        self._modes: dict = {}  # the mode "auto" chose for each input signature (shapes and dtypes)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        f, argnums, chunk_size = self.f, self.argnums, self.chunk_size
        chosen = self.mode
        recorded = None
        inputs = _diff_inputs(args, argnums, "jacobian")
        if chosen == "auto":
            values = inputs[0]
            signature = tuple((v.shape, v.dtype) for v in values)
            chosen = self._modes.get(signature)
            if chosen is None:
                # learn the output size from a recorded pass that reverse mode can reuse
                recorded = _record(f, args, kwargs, argnums, "jacobian", inputs)
                m = sum(np.size(_strip(o, recorded[1])) for o in flatten(recorded[0])[0])
                n = sum(np.size(v) for v in values)
                chosen = self._modes[signature] = "forward" if _prefer_forward(n, m) else "reverse"
        self.last_mode = chosen
        if chosen == "forward":
            out_def, in_def, blocks = _jac_forward(f, args, kwargs, argnums, chunk_size, inputs)
        else:
            out_def, in_def, blocks = _jac_reverse(f, args, kwargs, argnums, chunk_size, inputs, recorded)
        return unflatten(out_def, [unflatten(in_def, row) for row in blocks])


def jacobian(f: Callable, argnums: Argnums = 0, mode: str = "auto", chunk_size: int | None = None) -> Jacobian:
    """The Jacobian of f, shaped `out.shape + in.shape` for every output/input pair.

    mode "forward" pushes all n input tangents through f at once, "reverse"
    pulls all m output cotangents back at once; "auto" takes forward mode when
    n <= m or n is small (the measured crossover, see analysis/jacobian_modes.py),
    and reports its choice in `.last_mode`. `chunk_size` bounds how many basis
    vectors go through one pass (memory).

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
    return Jacobian(f, argnums, mode, chunk_size)


def jacfwd(f: Callable, argnums: Argnums = 0, chunk_size: int | None = None) -> Jacobian:
    """`jacobian` in forward mode.

    >>> import numpy as np, tinytorch as tt
    >>> from tinytorch.autograd import jacfwd
    >>> jacfwd(tt.sin)(np.zeros(2)).tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """
    return jacobian(f, argnums, "forward", chunk_size)


def jacrev(f: Callable, argnums: Argnums = 0, chunk_size: int | None = None) -> Jacobian:
    """`jacobian` in reverse mode.

    >>> import numpy as np, tinytorch as tt
    >>> from tinytorch.autograd import jacrev
    >>> jacrev(lambda x: tt.sum(x * x))(np.array([1.0, 3.0])).tolist()
    [2.0, 6.0]
    """
    return jacobian(f, argnums, "reverse", chunk_size)


def hessian(f: Callable, argnums: Argnums = 0) -> Callable:
    """The Hessian of f: forward mode over reverse mode, one pass of all n tangents.

    >>> import numpy as np, tinytorch as tt
    >>> from tinytorch.autograd import hessian
    >>> hessian(lambda x: x[0] ** 2 * x[1])(np.array([1.0, 2.0])).tolist()
    [[4.0, 2.0], [2.0, 0.0]]
    """
    return jacfwd(jacrev(f, argnums), argnums)


def hvp(f: Callable, x: Any, v: Any) -> Any:
    """The Hessian of scalar f at x times v, without forming the Hessian.

    >>> import numpy as np, tinytorch as tt
    >>> from tinytorch.autograd import hvp
    >>> hvp(lambda x: tt.sum(x ** 3), np.array([1.0, 2.0]), np.array([1.0, 0.0])).tolist()
    [6.0, 0.0]
    """
    for value in flatten(x)[0]:
        _float_input(value, "hvp")
    return jvp(grad(f), (x,), (v,))[1]
