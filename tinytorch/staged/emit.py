"""How the commonest primitives are written in generated code, as direct NumPy.

The primitives' impls are general: they take batch axes and normalized
parameters, and work out the full axes at every call. In a program every shape is
known, so an equation can be written as the NumPy expression it amounts to:
`v3 = v1 @ v2`, `v5 = v4.sum(axis=(0,))`. Each entry takes the equation and the
code of its inputs and returns an expression, or None to call the impl as it is.
Each expression computes what the impl computes on these shapes, the same NumPy
calls in the same order, so results are identical.

float64 scalars are Python floats in generated code (`SCALAR_EMITTERS`): Python's
arithmetic costs a fifth of NumPy's on scalars. Only operations whose Python form
gives what NumPy gives are written so (+, -, *, sin, cos, tanh, abs; not division,
exp, log or powers, which raise in Python where NumPy returns inf or nan); sin,
cos and tanh come from the C library through `math`, and may differ from NumPy's
in the last bit.
"""

from __future__ import annotations

from collections.abc import Callable

from ..autograd.rules.shape import aligned_shape, summed_axes
from .ir import Equation, Var

Emitter = Callable[[Equation, list], "str | None"]


def _binary(symbol: str) -> Emitter:
    return lambda eq, a: f"{a[0]} {symbol} {a[1]}"


def _numpy(name: str) -> Emitter:
    return lambda eq, a: f"np.{name}({', '.join(a)})"


def _shape(x: object) -> tuple | None:
    return x.shape if isinstance(x, Var) else None


def _reshape(eq: Equation, a: list) -> str:
    return f"{a[0]}.reshape({eq.out.shape})"


def _params(eq: Equation) -> tuple | None:
    """The input's shape and the (shape, ndim) parameters of a broadcast or an unbroadcast."""
    if len(eq.inputs) != 3 or not isinstance(eq.inputs[0], Var) or isinstance(eq.inputs[1], Var):
        return None
    return eq.inputs[0].shape, eq.inputs[1].value, eq.inputs[2].value


def _broadcast_to(eq: Equation, a: list) -> str | None:
    params = _params(eq)
    if params is None:
        return None
    source, shape, ndim = params
    if ndim < len(shape) and len(source) > ndim:  # new axes go after the batch axes, not in front of them
        return f"np.broadcast_to({a[0]}.reshape({aligned_shape(source, shape, ndim)}), {eq.out.shape})"
    return f"np.broadcast_to({a[0]}, {eq.out.shape})"


def _sum_to(eq: Equation, a: list) -> str | None:
    params = _params(eq)
    if params is None:
        return None
    source, shape, ndim = params
    axes = summed_axes(source, shape, ndim)
    if not axes:
        return f"{a[0]}.reshape({eq.out.shape})"
    return f"{a[0]}.sum(axis={axes}, keepdims=True).reshape({eq.out.shape})"


def _transpose(eq: Equation, a: list) -> str | None:
    source = _shape(eq.inputs[0])
    axes = eq.inputs[1].value if len(eq.inputs) > 1 and not isinstance(eq.inputs[1], Var) else None
    if source is None or axes is None:
        return None
    n, k = len(source), len(axes)
    full = tuple(range(n - k)) + tuple(n + axis for axis in axes)
    return f"{a[0]}.T" if full == tuple(reversed(range(n))) else f"{a[0]}.transpose({full})"


def _sum(eq: Equation, a: list) -> str | None:
    if len(a) != 3:
        return None
    return f"{a[0]}.sum(axis={a[1]}, keepdims={a[2]})"


EMITTERS: dict[str, Emitter] = {
    # arithmetic: the operators the impls use (array_impl is operator.add, ...)
    "add": _binary("+"),
    "subtract": _binary("-"),
    "multiply": _binary("*"),
    "divide": _binary("/"),
    "power": _binary("**"),
    "negative": lambda eq, a: f"-{a[0]}",
    "matmul": _binary("@"),
    # elementwise functions that are NumPy's ufuncs themselves
    **{name: _numpy(name) for name in ("sin", "cos", "tan", "tanh", "sinh", "cosh", "exp", "log", "sqrt", "square")},
    **{name: _numpy(name) for name in ("log1p", "expm1", "maximum", "minimum", "arctan", "absolute")},
    # shapes, with the full shapes known
    "reshape": _reshape,
    "broadcast_to": _broadcast_to,
    "sum_to": _sum_to,
    "transpose": _transpose,
    "sum": _sum,
}


def _scalar(template: str) -> Emitter:
    return lambda eq, a: template.format(*a)


SCALAR_EMITTERS: dict[str, Emitter] = {
    "add": _scalar("{0} + {1}"),
    "subtract": _scalar("{0} - {1}"),
    "multiply": _scalar("{0} * {1}"),
    "negative": _scalar("-{0}"),
    "square": _scalar("{0} * {0}"),
    "absolute": _scalar("abs({0})"),
    "sin": _scalar("math.sin({0})"),
    "cos": _scalar("math.cos({0})"),
    "tanh": _scalar("math.tanh({0})"),
}
