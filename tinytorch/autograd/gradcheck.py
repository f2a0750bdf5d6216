"""gradcheck: derivatives from both modes, to first or second order, against
central finite differences in float64.

Order 2 checks the derivative functions themselves: x -> vjp(f, x)(u) and
x -> jvp(f, x, v) for fixed random u, v, each in both modes, which covers
reverse-over-reverse, forward-over-reverse, reverse-over-forward and
forward-over-forward.

Complex inputs and outputs are checked through their real and imaginary parts:
f is seen as a real function of twice as many real numbers, which is what a
derivative of a function of complex numbers is, holomorphic or not.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import api
from .jacobian import jacobian
from .primitive import is_complex, unbox_all
from .transforms import jvp, vjp
from .tree import flatten, unflatten


class GradcheckError(AssertionError):
    """A derivative disagrees with finite differences."""


def _flat_output(f: Callable) -> Callable:
    def g(*xs: Any) -> Any:
        leaves = [api.ravel(api.asarray(o)) for o in flatten(f(*xs))[0]]
        return api.concatenate(leaves) if leaves else np.zeros(0)

    return g


def _on_copies(f: Callable) -> Callable:
    """f, given its own copy of every array (an f that updates its inputs in place
    must not change the points the check evaluates it at)."""

    def fresh(*xs: Any) -> Any:
        return f(*[x.copy() if isinstance(x, np.ndarray) else x for x in xs])

    return fresh


def _numerical(g: Callable, values: list, eps: float) -> np.ndarray:
    columns = []
    for i, x in enumerate(values):
        for k in range(x.size):
            shifted = []
            for sign in (1.0, -1.0):
                xs = [v.copy() for v in values]
                xs[i].reshape(-1)[k] += sign * eps
                shifted.append(np.asarray(unbox_all(g(*xs)), dtype=np.float64))
            columns.append((shifted[0] - shifted[1]) / (2 * eps))
    m = np.size(np.asarray(unbox_all(g(*values))))
    return np.stack(columns, axis=1) if columns else np.zeros((m, 0))


def _analytic(g: Callable, values: list, mode: str) -> np.ndarray:
    blocks = jacobian(g, argnums=tuple(range(len(values))), mode=mode)(*values)
    # each block is (outputs, *input shape); by sizes, not -1, which an empty output leaves undefined
    return np.concatenate([np.asarray(b).reshape(np.shape(b)[0], np.size(v)) for b, v in zip(blocks, values)], axis=1)


def _locate(flat: int, shapes: list) -> tuple[int, tuple]:
    for i, shape in enumerate(shapes):
        size = int(np.prod(shape))
        if flat < size:
            return i, tuple(int(k) for k in np.unravel_index(flat, shape)) if shape else ()
        flat -= size
    raise IndexError(flat)


def _check(f: Callable, values: list, eps: float, atol: float, rtol: float, modes: Sequence[str], what: str) -> None:
    g = _flat_output(f)
    numerical = _numerical(g, values, eps)
    out_shapes = [np.shape(o) for o in flatten(f(*values))[0]]
    in_shapes = [x.shape for x in values]
    for mode in modes:
        analytic = _analytic(g, values, mode)
        if analytic.shape != numerical.shape:
            raise GradcheckError(f"{what}, {mode} mode: Jacobian shape {analytic.shape}, expected {numerical.shape}")
        excess = np.abs(analytic - numerical) - (atol + rtol * np.abs(numerical))
        # a NaN on either side is a failure: f is not differentiable there (or the rule is wrong)
        excess = np.where(np.isnan(analytic) | np.isnan(numerical), np.inf, excess)
        if excess.size and excess.max() > 0:
            row, col = np.unravel_index(int(np.argmax(excess)), excess.shape)
            out_i, out_pos = _locate(int(row), out_shapes)
            in_i, in_pos = _locate(int(col), in_shapes)
            raise GradcheckError(
                f"{what}, {mode} mode: worst entry d output[{out_i}]{list(out_pos)} / d input[{in_i}]"
                f"{list(in_pos)}: analytic {analytic[row, col]:.10g}, numerical {numerical[row, col]:.10g} "
                f"(atol={atol}, rtol={rtol}, {int((excess > 0).sum())} of {excess.size} entries off)"
            )


def gradcheck(
    f: Callable,
    inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-6,
    rtol: float = 1e-6,
    order: int = 1,
    modes: Sequence[str] = ("forward", "reverse"),
) -> bool:
    """Check f's derivatives in `modes`, to `order` 1 or 2, against central differences,
    entry by entry to `atol` plus `rtol` of the entry (as strict as HIPS autograd's
    check_grads). At order 2 the derivatives of vjp(f, x)(u) and jvp(f, x, v), at random
    u and v, are checked with respect to x and to u or v.

    `inputs` is an array or a tuple of float64 or complex128 arrays (f's
    positional arguments); complex inputs and outputs are checked through their
    real and imaginary parts. Returns True or raises `GradcheckError` naming f, the mode,
    and the worst (output, input) entry.

    >>> import numpy as np, tinytorch as tt
    >>> from tinytorch.autograd import gradcheck
    >>> gradcheck(tt.tanh, (np.array([0.3, -1.2]),), order=2)
    True
    """
    values = _float64_arrays(inputs)
    if order not in (1, 2):
        raise ValueError("gradcheck: order must be 1 or 2")
    unknown = set(modes) - {"forward", "reverse"}
    if unknown:
        raise ValueError(f"gradcheck: unknown modes {sorted(unknown)}")
    name = getattr(f, "__name__", repr(f))
    f = _on_copies(f)
    f, values = _as_real(f, values)
    _check(f, values, eps, atol, rtol, modes, f"gradcheck of {name} (order 1)")
    if order == 2:
        for what, derivative, directions in _derivative_functions(f, values, modes):
            _check(derivative, values + directions, eps, atol, rtol, modes, f"gradcheck of {name} (order 2, {what})")
    return True


def _float64_arrays(inputs: Any) -> list:
    """f's positional arguments as float64 arrays of gradcheck's own."""
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    values = []
    for i, x in enumerate(inputs):
        if not isinstance(x, (np.ndarray, np.generic, float)):
            raise TypeError(
                f"gradcheck takes arrays as inputs (f's positional arguments); input {i} is a "
                f"{type(x).__name__}: wrap f to take its leaves as arrays"
            )
        dtype = np.result_type(x)
        if dtype not in (np.float64, np.complex128):
            raise TypeError(
                f"gradcheck needs float64 or complex128 inputs for accurate differences; input {i} is {dtype}"
            )
        values.append(np.array(x, dtype=dtype, copy=True))
    return values


def _as_real(f: Callable, values: list) -> tuple[Callable, list]:
    """f as a function of real arrays with real outputs: each complex input is given as
    its real and imaginary parts, each complex output leaf is returned as its real and
    imaginary parts. f itself, when nothing is complex."""
    complex_in = [is_complex(x) for x in values]
    complex_out = any(is_complex(o) for o in flatten(f(*values))[0])
    if not any(complex_in) and not complex_out:
        return f, values

    def real_f(*parts: Any) -> Any:
        parts = iter(parts)
        xs = [next(parts) + 1j * next(parts) if c else next(parts) for c in complex_in]
        leaves = flatten(f(*xs))[0]
        return [part for o in leaves for part in ((api.real(o), api.imag(o)) if is_complex(o) else (o,))]

    real_values = [part for x, c in zip(values, complex_in) for part in ((x.real.copy(), x.imag.copy()) if c else (x,))]
    return real_f, real_values


def _derivative_functions(f: Callable, values: list, modes: Sequence[str]) -> list:
    """(x, u) -> vjp(f, x)(u) and (x, v) -> jvp(f, x, v), at random u and v: checked in both
    modes with respect to x and to the direction too, they cover every pairing of modes at
    second order, and how each rule depends on its cotangent or tangent (a wrong second-order
    rule of a linear function changes only that)."""
    rng = np.random.default_rng(0)
    out_leaves, out_def = flatten(f(*values))
    us = [rng.standard_normal(np.shape(o)) for o in out_leaves]
    vs = [rng.standard_normal(x.shape) for x in values]
    n, m = len(values), len(us)
    found = []
    if "reverse" in modes:
        found.append(
            ("reverse-mode derivative", lambda *a: vjp(f, *a[:n])[1](unflatten(out_def, list(a[n : n + m]))), us)
        )
    if "forward" in modes:
        found.append(("forward-mode derivative", lambda *a: jvp(f, a[:n], a[n:])[1], vs))
    return found
