"""The staged program: variables, equations, and the program that lists them.

An equation applies one primitive of the table (or a non-differentiable function)
to variables and literals: `c = multiply a 2.0`. A program has inputs (the
arguments of the function, flattened), captured inputs (arrays and Variables the
function read from outside: its closure, a layer's weights), equations in the
order they run, and outputs. It prints one equation a line, as JAX's jaxprs do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..autograd.levels import Box

_DTYPE_NAMES = {"float64": "f64", "float32": "f32", "float16": "f16", "int64": "i64", "int32": "i32", "bool": "bool"}


class Var:
    """A value of the program: its shape and dtype are known when it is made."""

    __slots__ = ("number", "shape", "dtype", "label")

    def __init__(self, number: int, shape: tuple, dtype: np.dtype) -> None:
        self.number = number
        self.shape = shape
        self.dtype = dtype
        self.label: str | None = None  # the user's name for it (an argument's), where known

    @property
    def name(self) -> str:
        return self.label or f"v{self.number}"

    def type_string(self) -> str:
        kind = _DTYPE_NAMES.get(self.dtype.name, self.dtype.name)
        return f"{kind}[{','.join(map(str, self.shape))}]"

    def __repr__(self) -> str:
        return self.name


class Literal:
    """A Python or NumPy scalar written into the program (a constant)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        return _short(self.value.item() if isinstance(self.value, np.generic) else self.value)


class Constant(np.ndarray):
    """An array that depends on shapes and literals alone: a seed of ones, a block of
    the identity (`values.engine_constant`), an op folded while recording. The program
    holds it as a literal. What NumPy computes from constants and numbers alone (a seed
    times 0.5, in a rule's plain arithmetic) is a Constant too; anything NumPy computes
    with another array (a closure's, read at every call) is a plain array."""

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        if any(isinstance(x, Box) for x in inputs):
            return NotImplemented  # the box records the op, with this Constant as a literal
        if kwargs.get("out") is not None:
            kwargs["out"] = tuple(_plain(o) for o in kwargs["out"])
        result = getattr(ufunc, method)(*map(_plain, inputs), **kwargs)
        return _marked(result, inputs)

    def __array_function__(self, func: Any, types: tuple, args: tuple, kwargs: dict) -> Any:
        if any(issubclass(t, Box) for t in types):
            return NotImplemented
        result = func(*_plain_tree(args), **_plain_tree(kwargs))
        return _marked(result, (args, kwargs))


def constant(array: np.ndarray) -> Constant:
    return array.view(Constant)


def _plain(x: Any) -> Any:
    return x.view(np.ndarray) if isinstance(x, Constant) else x


def _plain_tree(x: Any) -> Any:
    if isinstance(x, (list, tuple)):
        return type(x)(_plain_tree(v) for v in x)
    if isinstance(x, dict):
        return {k: _plain_tree(v) for k, v in x.items()}
    return _plain(x)


def _only_constants(x: Any) -> bool:
    """Whether x holds no array but Constants, and no box (numbers, dtypes, shapes and
    slices are part of what NumPy is asked, not data)."""
    if isinstance(x, (list, tuple)):
        return all(_only_constants(v) for v in x)
    if isinstance(x, dict):
        return all(_only_constants(v) for v in x.values())
    return isinstance(x, Constant) or not isinstance(x, (np.ndarray, Box))


def _marked(result: Any, inputs: Any) -> Any:
    if not _only_constants(inputs):
        return result
    if isinstance(result, np.ndarray):
        return constant(result)
    if isinstance(result, tuple):
        return tuple(constant(r) if isinstance(r, np.ndarray) else r for r in result)
    return result


@dataclass
class Equation:
    """`out = op(*inputs, **params)`; `where` is the user's line that made it."""

    op: Any  # a Primitive or a NonDifferentiable function
    inputs: tuple  # Var or Literal
    params: dict
    out: Var
    where: str = ""

    def __str__(self) -> str:
        params = "".join(f" {k}={_short(v)}" for k, v in self.params.items())
        args = " ".join(map(repr, self.inputs))
        return f"{self.out.name}:{self.out.type_string()} = {self.op.name}{params} {args}"


def _short(value: Any) -> str:
    if isinstance(value, np.ndarray):  # a constant array: its type, on one line
        kind = _DTYPE_NAMES.get(value.dtype.name, value.dtype.name)
        return f"const:{kind}[{','.join(map(str, value.shape))}]"
    text = repr(value)
    if " at 0x" in text:  # an object without a readable repr: its kind, not its address
        return f"<{type(value).__name__}>"
    return text if len(text) <= 40 else text[:37] + "..."


@dataclass
class Program:
    """A traced function: inputs, captured inputs, equations, outputs."""

    inputs: list  # Var, one per array argument (flattened)
    captured: list  # Var, one per array or Variable read from outside, in `sources`
    sources: list  # the captured objects themselves, read again at each call
    equations: list
    outputs: list  # Var or Literal
    stats: list = field(default_factory=list)  # (what, equations before, after)

    def __str__(self) -> str:
        head = " ".join(f"{v.name}:{v.type_string()}" for v in self.inputs)
        if self.captured:
            head += " ; captured " + " ".join(f"{v.name}:{v.type_string()}" for v in self.captured)
        lines = [f"{{ lambda {head} ."]
        lines += [f"    {eq}" for eq in self.equations]
        lines.append(f"  in ({', '.join(map(repr, self.outputs))}) }}")
        return "\n".join(lines)

    def to_dot(self) -> str:
        """The program as a Graphviz digraph (inputs as boxes, equations as ellipses)."""
        lines = ["digraph program {", "  rankdir=LR;"]
        for v in self.inputs + self.captured:
            lines.append(f'  {v.name} [shape=box, label="{v.name}: {v.type_string()}"];')
        for eq in self.equations:
            lines.append(f'  {eq.out.name} [label="{eq.op.name}\\n{eq.out.type_string()}"];')
            for x in eq.inputs:
                if isinstance(x, Var):
                    lines.append(f"  {x.name} -> {eq.out.name};")
        for i, out in enumerate(self.outputs):
            lines.append(f'  out{i} [shape=box, label="output {i}"];')
            if isinstance(out, Var):
                lines.append(f"  {out.name} -> out{i};")
        lines.append("}")
        return "\n".join(lines)
