"""How the commonest primitives are written in generated code, as direct NumPy.

The primitives' impls are general: they take batch axes and normalized
parameters, and work out the full axes at every call. In a program every shape is
known, so an equation can be written as the NumPy expression it amounts to:
`v3 = v1 @ v2`, `v5 = v4.sum(axis=(0,))`. Each entry takes the equation and the
code of its inputs and returns an expression, or None to call the impl as it is.
Each expression computes what the impl computes on these shapes, the same NumPy
calls in the same order, so results are identical; the one exception is a stack of
matrices times one matrix, written as one matrix product (`_matmul`), which BLAS
may round differently in the last bits.

float64 scalars are Python floats in generated code (`SCALAR_EMITTERS`): Python's
arithmetic costs a fifth of NumPy's on scalars. Only operations whose Python form
gives what NumPy gives are written so (+, -, *, sin, cos, tanh, abs; not division,
exp, log or powers, which raise in Python where NumPy returns inf or nan); sin,
cos and tanh come from the C library through `math`, and may differ from NumPy's
in the last bit.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from ..autograd.rules.shape import Index, aligned_shape, summed_axes
from .ir import Equation, Literal, Var

Emitter = Callable[[Equation, list], "str | None"]

# How tightly an operator binds: an operand that binds more loosely needs parentheses.
_BINDING = {"+": 1, "-": 1, "*": 2, "/": 2, "@": 2, "unary": 3, "**": 4}
_ATOM = 5  # a name, a literal, a call, an attribute: never needs them
_OPERATOR = re.compile(r" (\*\*|[-+*/@]) ")


def binding(code: str) -> int:
    """How tightly code binds, from its loosest operator outside brackets. An input is
    a name or a literal unless codegen.py wrote a temporary into its reader."""
    outside, depth = [], 0
    for ch in code:
        depth += ch in "([{"
        depth -= ch in ")]}"
        outside.append(ch if depth == 0 else "_")
    loosest = min((_BINDING[op] for op in _OPERATOR.findall("".join(outside))), default=_ATOM)
    return min(loosest, _BINDING["unary"]) if code.startswith("-") else loosest


def operand(code: str, tightness: int) -> str:
    """code, in parentheses if it binds more loosely than tightness."""
    return code if binding(code) >= tightness else f"({code})"


def _binary(symbol: str) -> Emitter:
    # Python's operators group to the left: a right operand of the same binding needs
    # parentheses (a - (b - c)), a left one does not ((a - b) - c is a - b - c); ** groups
    # to the right, the other way round ((a ** b) ** c, a ** b ** c)
    level = _BINDING[symbol]
    left, right = (level + 1, level) if symbol == "**" else (level, level + 1)
    return lambda eq, a: f"{operand(a[0], left)} {symbol} {operand(a[1], right)}"


def _receiver(code: str) -> str:
    """code, as the object of an attribute or method (`x.sum()`)."""
    return operand(code, _ATOM)


def _numpy(name: str) -> Emitter:
    return lambda eq, a: f"np.{name}({', '.join(a)})"


def _shape(x: object) -> tuple | None:
    return x.shape if isinstance(x, Var) else None


def _reshape(eq: Equation, a: list) -> str:
    return f"{_receiver(a[0])}.reshape({eq.out.shape})"


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
        return f"np.broadcast_to({_receiver(a[0])}.reshape({aligned_shape(source, shape, ndim)}), {eq.out.shape})"
    return f"np.broadcast_to({a[0]}, {eq.out.shape})"


def _sum_to(eq: Equation, a: list) -> str | None:
    params = _params(eq)
    if params is None:
        return None
    source, shape, ndim = params
    axes = summed_axes(source, shape, ndim)
    if not axes:
        return f"{_receiver(a[0])}.reshape({eq.out.shape})"
    if tuple(n for i, n in enumerate(source) if i not in axes) == eq.out.shape:  # leading axes summed away
        return f"{_receiver(a[0])}.sum(axis={axes})"
    return f"{_receiver(a[0])}.sum(axis={axes}, keepdims=True).reshape({eq.out.shape})"


def _transpose(eq: Equation, a: list) -> str | None:
    source = _shape(eq.inputs[0])
    axes = eq.inputs[1].value if len(eq.inputs) > 1 and not isinstance(eq.inputs[1], Var) else None
    if source is None or axes is None:
        return None
    n, k = len(source), len(axes)
    full = tuple(range(n - k)) + tuple(n + axis for axis in axes)
    x = _receiver(a[0])
    return f"{x}.T" if full == tuple(reversed(range(n))) else f"{x}.transpose({full})"


def _matmul(eq: Equation, a: list) -> str:
    """a @ b; a stack of matrices times one matrix as one matrix product, which NumPy
    runs as a single BLAS call instead of one per matrix (a 100-stack of 1x200 rows
    times 200x100: 3x faster, analysis/staged.py's Hessian)."""
    a_shape, b_shape = (np.shape(x.value) if isinstance(x, Literal) else x.shape for x in eq.inputs)
    if len(b_shape) == 2 and len(a_shape) > 2:
        k = a_shape[-1]
        return f"({_receiver(a[0])}.reshape(-1, {k}) @ {operand(a[1], _ATOM)}).reshape({eq.out.shape})"
    return _binary("@")(eq, a)


def _getitem(eq: Equation, a: list) -> str | None:
    """x[0:5], x[:, 2]: basic indexing written out (integer-array indices stay with the impl)."""
    x, index = eq.inputs
    if not isinstance(x, Var) or not isinstance(index, Literal) or not isinstance(index.value, Index):
        return None
    if index.value.advanced:
        return None
    parts = [":"] * (len(x.shape) - index.value.ndim) + [_entry(e) for e in index.value.entries]
    return f"{_receiver(a[0])}[{', '.join(parts) or '()'}]"


def _entry(e: object) -> str:
    if isinstance(e, slice):
        text = f"{'' if e.start is None else e.start}:{'' if e.stop is None else e.stop}"
        return text if e.step is None else f"{text}:{e.step}"
    return str(int(e))


def _sum(eq: Equation, a: list) -> str | None:
    if len(a) != 3:
        return None
    return f"{_receiver(a[0])}.sum(axis={a[1]}, keepdims={a[2]})"


EMITTERS: dict[str, Emitter] = {
    # arithmetic: the operators the impls use (array_impl is operator.add, ...)
    "add": _binary("+"),
    "subtract": _binary("-"),
    "multiply": _binary("*"),
    "divide": _binary("/"),
    "power": _binary("**"),
    "negative": lambda eq, a: f"-{operand(a[0], _BINDING['unary'])}",
    "matmul": _matmul,
    # elementwise functions that are NumPy's ufuncs themselves
    **{name: _numpy(name) for name in ("sin", "cos", "tan", "tanh", "sinh", "cosh", "exp", "log", "sqrt", "square")},
    **{name: _numpy(name) for name in ("log1p", "expm1", "maximum", "minimum", "arctan", "absolute")},
    # shapes, with the full shapes known
    "reshape": _reshape,
    "broadcast_to": _broadcast_to,
    "sum_to": _sum_to,
    "transpose": _transpose,
    "sum": _sum,
    "getitem": _getitem,
}


def _scalar(template: str) -> Emitter:
    return lambda eq, a: template.format(*a)


SCALAR_EMITTERS: dict[str, Emitter] = {
    "add": _binary("+"),
    "subtract": _binary("-"),
    "multiply": _binary("*"),
    "negative": EMITTERS["negative"],
    "square": lambda eq, a: _binary("*")(eq, [a[0], a[0]]),
    "absolute": _scalar("abs({0})"),
    "sin": _scalar("math.sin({0})"),
    "cos": _scalar("math.cos({0})"),
    "tanh": _scalar("math.tanh({0})"),
}
