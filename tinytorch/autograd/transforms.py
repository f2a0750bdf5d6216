"""Function transforms with JAX's shapes: grad, value_and_grad, vjp, jvp, hvp
(jacobian, jacfwd, jacrev and hessian are in jacobian.py).

Each call runs f in one pass at a fresh level (passes.py) and reads the
derivative off the boxes of that level; anything else is a constant to it.
Arguments and results may be containers (tuple, list, dict) of arrays.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import api
from .levels import Box
from .passes import (
    Argnums,
    diff_inputs,
    float_input,
    float_output,
    output_node,
    output_value,
    plain,
    pull_back,
    push_forward,
    record,
    zeros_like,
)
from .primitive import dtype_of, is_complex, shape_of
from .tree import flatten, tree_map, unflatten
from .values import as_value, complex_only_if, engine_constant


def value_and_grad(f: Callable, argnums: Argnums = 0, has_aux: bool = False) -> Callable:
    """f's value and its gradient with respect to argument(s) `argnums`.

    f must return a scalar, or an array of one element (or `(scalar, aux)` with
    `has_aux=True`).

    >>> import numpy as np, tinytorch as tt
    >>> from tinytorch.autograd import value_and_grad
    >>> value, g = value_and_grad(lambda x: tt.sum(x ** 2))(np.array([1.0, 2.0]))
    >>> float(value), g.tolist()
    (5.0, [2.0, 4.0])
    """

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        recording = record(f, args, kwargs, argnums, "grad")
        out, level = recording.out, recording.level
        if has_aux:
            if not (isinstance(out, (tuple, list)) and len(out) == 2):
                raise TypeError("with has_aux=True, f must return a pair (output, aux)")
            out, aux = out
        value = output_value(out, level)
        float_output(value, "grad")
        if np.size(value) != 1:  # a single number of any shape, (1,) too, as backward() takes it
            raise TypeError(
                f"grad requires a scalar output; f returned shape {np.shape(value)} "
                "(use jacobian or vjp for non-scalar outputs)"
            )
        node = output_node(out, level)
        seeds = [] if node is None else [(node, engine_constant(np.ones(shape_of(value), dtype_of(value))))]
        grads = unflatten(recording.treedef, pull_back(recording, seeds, (), retain=False))
        if has_aux:
            return (value, tree_map(lambda a: output_value(a, level), aux)), grads
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


def holomorphic_grad(f: Callable, argnums: Argnums = 0) -> Callable:
    """The complex derivative f'(z) of a holomorphic scalar f of complex argument(s).

    For a real function of complex inputs, `grad` gives df/dx - i df/dy (the
    convention of JAX and HIPS autograd; PyTorch's is its conjugate). For a
    holomorphic f that of Re f is f'(z), by the Cauchy-Riemann equations, and this
    is how it is computed. f is not checked to be holomorphic: on one that is not,
    the result is the gradient of Re f.

    >>> import tinytorch as tt
    >>> from tinytorch.autograd import holomorphic_grad
    >>> complex(holomorphic_grad(lambda z: z ** 2)(1.0 + 2.0j))
    (2+4j)
    """
    real_grad = grad(lambda *args, **kwargs: api.real(f(*args, **kwargs)), argnums)

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        for value in diff_inputs(args, argnums, "holomorphic_grad").values:
            if not is_complex(value):
                raise TypeError(
                    f"holomorphic_grad needs complex inputs, got dtype {value.dtype}: pass complex values "
                    "(e.g. 1.0 + 0j); a real input would give the derivative of Re f only"
                )
        return real_grad(*args, **kwargs)

    return wrapper


def vjp(f: Callable, *primals: Any, has_aux: bool = False) -> tuple:
    """f's output and a function pulling output cotangents back to the inputs.

    >>> import numpy as np, tinytorch as tt
    >>> from tinytorch.autograd import vjp
    >>> out, pullback = vjp(lambda x: x * 3.0, np.array([1.0, 2.0]))
    >>> pullback(np.array([1.0, 10.0]))[0].tolist()
    [3.0, 30.0]
    """
    recording = record(f, primals, {}, tuple(range(len(primals))), "vjp")
    out, level = recording.out, recording.level
    if has_aux:
        out, aux = out
    out_leaves, out_def = flatten(out)
    out_values = [output_value(o, level) for o in out_leaves]
    for v in out_values:
        float_output(v, "vjp", complex_ok=True)
    out_nodes = [output_node(o, level) for o in out_leaves]

    def pullback(cotangent: Any) -> tuple:
        leaves, treedef = flatten(cotangent)
        if treedef != out_def:
            raise ValueError(f"cotangent structure {treedef} does not match output structure {out_def}")
        seeds = []
        for node, v, c in zip(out_nodes, out_values, leaves):
            if not isinstance(c, Box):
                # a copy: the result must not alias the caller's cotangent
                c = np.array(complex_only_if(c, v, "vjp: the cotangent"), dtype=dtype_of(v))
            if c.shape != np.shape(v):
                raise ValueError(f"cotangent shape {c.shape} does not match output shape {np.shape(v)}")
            if node is not None:
                seeds.append((node, c))
        return tuple(unflatten(recording.treedef, pull_back(recording, seeds, (), retain=True)))

    primal_out = unflatten(out_def, out_values)
    if has_aux:
        return primal_out, pullback, tree_map(lambda a: output_value(a, level), aux)
    return primal_out, pullback


# --- forward mode ----------------------------------------------------------------------


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
    inputs = diff_inputs(tuple(primals), argnums, "jvp")
    ts = []
    for p, t in zip(inputs.values, t_leaves):
        t = complex_only_if(as_value(t), p, "jvp: a tangent")
        if np.shape(t) != np.shape(p):
            raise ValueError(f"jvp: tangent shape {np.shape(t)} does not match primal shape {np.shape(p)}")
        ts.append(t if t.dtype == p.dtype else api.astype(t, p.dtype))
    pushed = push_forward(f, tuple(primals), {}, argnums, ts, inputs)
    tans = [zeros_like(np.shape(v), v) if t is None else plain(t) for v, t in zip(pushed.values, pushed.tangents)]
    return unflatten(pushed.treedef, pushed.values), unflatten(pushed.treedef, tans)


def hvp(f: Callable, x: Any, v: Any) -> Any:
    """The Hessian of scalar f at x times v, without forming the Hessian.

    >>> import numpy as np, tinytorch as tt
    >>> from tinytorch.autograd import hvp
    >>> hvp(lambda x: tt.sum(x ** 3), np.array([1.0, 2.0]), np.array([1.0, 0.0])).tolist()
    [6.0, 0.0]
    """
    for value in flatten(x)[0]:
        float_input(value, "hvp")
    return jvp(grad(f), (x,), (v,))[1]
