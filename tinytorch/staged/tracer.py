"""Tracing: running a function once on Tracers, which record every op into a Program.

A `Tracer` is a box of its own kind, at a transform level like every other box,
holding the variable it stands for and the concrete value it has while tracing
(shapes and dtypes come from running each op once, so no op needs a shape rule).
While a function is traced, every call of a primitive or a non-differentiable
function goes through `Staging.bind` (the hooks of hooks.py): boxes of higher
levels (a `grad` inside the traced function) dispatch as usual, and what reaches
the trace's level is recorded. Arrays and Variables from outside the function
(its closure, a layer's weights) become captured inputs, read again at every
call; Python scalars become literals.

Simplifications happen as equations are recorded, never in a rewrite loop:
ops on literals and constants alone are computed at once, the rules of
simplify.py say when an equation is one of its inputs (`x * 1`, `I @ x`) or a
cheaper product, reshapes, broadcasts and casts that change nothing return their
input, and an equation equal to an earlier one (same op, inputs, parameters) is
merged into it. Equations no output needs are dropped at the end.

Conversions that need a traced value (`bool`, `float`, `int`, `np.asarray`, a
branch on it) raise `TracerConversionError`, naming the user's line.
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path
from typing import Any

import numpy as np

from ..autograd.api.creation import like
from ..autograd.box_ops import BoxOps
from ..autograd.levels import Box, new_transform_level
from ..autograd.primitive import NonDifferentiable, Primitive, _highest_box, unbox_all
from ..autograd.rules.shape import reshape_p
from .hooks import current
from .ir import Constant, Equation, Literal, Program, Var, constant
from .simplify import NO_OP_IF_SAME_TYPE, live, merge_key, same_input, same_type, scaled_rows

_PACKAGE = str(Path(__file__).resolve().parent.parent)
# np.shape, np.zeros_like, ...: they read only shapes and dtypes, which the trace fixes
_SHAPE_ONLY = frozenset(like)
_BITWISE = {
    "and": NonDifferentiable("bitwise_and", np.bitwise_and),
    "or": NonDifferentiable("bitwise_or", np.bitwise_or),
    "xor": NonDifferentiable("bitwise_xor", np.bitwise_xor),
    "not": NonDifferentiable("invert", np.invert),
}
_BITWISE_UFUNCS = {np.bitwise_and: "and", np.bitwise_or: "or", np.bitwise_xor: "xor", np.invert: "not"}


class TracerConversionError(TypeError):
    """A traced value was needed as a Python or NumPy value while tracing."""


def _user_frame() -> Any:
    """The innermost frame outside tinytorch (and NumPy): the user's code."""
    frame = sys._getframe(1)
    while frame is not None:
        name = frame.f_code.co_filename
        if not name.startswith(_PACKAGE) and "numpy" not in name and not name.startswith("<frozen"):
            return frame
        frame = frame.f_back
    return None


def user_line() -> str:
    """`file:line` of the user's code."""
    frame = _user_frame()
    return "" if frame is None else f"{Path(frame.f_code.co_filename).name}:{frame.f_lineno}"


class Tracer(Box, BoxOps):
    """A value of a function being traced: the program variable it stands for."""

    __slots__ = ("_var", "_staging", "_example")
    _opaque = True

    def __init__(self, staging: Staging, var: Var, concrete: Any) -> None:
        self._staging = staging
        self._var = var
        self._example = concrete
        self._level = staging.level
        self._nested = False

    # the value while tracing is one example, not the value at the next call: nothing
    # may read it except the recording itself (shapes and dtypes are fixed by the key)
    @property
    def _value(self) -> Any:
        raise self._conversion_error("reading the value of")

    shape = property(lambda self: self._var.shape)
    dtype = property(lambda self: self._var.dtype)
    ndim = property(lambda self: len(self._var.shape))
    size = property(lambda self: int(np.prod(self._var.shape, dtype=np.int64)))

    def __repr__(self) -> str:
        return f"Tracer({self._var.type_string()})"

    def __len__(self) -> int:
        if not self._var.shape:
            raise TypeError("len() of a 0-d traced array")
        return self._var.shape[0]

    def _conversion_error(self, what: str) -> TracerConversionError:
        return TracerConversionError(
            f"{what} a traced array ({self._var.type_string()}) at {user_line()}: under tt.jit its value is "
            "not known while the function is traced. Ways out: make the argument static "
            "(tt.jit(f, static_argnums=...)), choose with tt.where instead of branching, "
            "or call the function without tt.jit"
        )

    def __bool__(self) -> bool:
        raise self._conversion_error("bool() of (a branch on)")

    def __float__(self) -> float:
        raise self._conversion_error("float() of")

    def __int__(self) -> int:
        raise self._conversion_error("int() of")

    def __index__(self) -> int:
        raise self._conversion_error("using as an index")

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        raise self._conversion_error("converting to a NumPy array")

    def item(self) -> Any:
        raise self._conversion_error(".item() of")

    def tolist(self) -> Any:
        raise self._conversion_error(".tolist() of")

    def __format__(self, format_spec: str) -> str:
        raise self._conversion_error("formatting")

    def _carries_derivative(self) -> bool:
        return False

    # masks combined in rules (`(x >= lo) & (x <= hi)`): NumPy's bitwise ufuncs, staged
    def __and__(self, other: Any) -> Tracer:
        return _BITWISE["and"](self, other)

    def __rand__(self, other: Any) -> Tracer:
        return _BITWISE["and"](other, self)

    def __or__(self, other: Any) -> Tracer:
        return _BITWISE["or"](self, other)

    def __ror__(self, other: Any) -> Tracer:
        return _BITWISE["or"](other, self)

    def __xor__(self, other: Any) -> Tracer:
        return _BITWISE["xor"](self, other)

    def __rxor__(self, other: Any) -> Tracer:
        return _BITWISE["xor"](other, self)

    def __invert__(self) -> Tracer:
        return _BITWISE["not"](self)

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        # a plain mask combined with a traced one (np.bool_ & Tracer) reaches NumPy's ufunc
        staged = _BITWISE_UFUNCS.get(ufunc)
        if staged is not None and method == "__call__" and not kwargs:
            return _BITWISE[staged](*inputs)
        return BoxOps.__array_ufunc__(self, ufunc, method, *inputs, **kwargs)

    def _update_in_place(self, functional: Any, key: Any, value: Any, ufunc: Any = None) -> None:
        raise NotImplementedError(
            f"an in-place update of a traced array at {user_line()} (x[i] = v, x += v): tt.jit does not "
            "stage in-place updates yet; write it as a new array (y = x + v, tt.where), or call without tt.jit"
        )

    @staticmethod
    def _apply(prim: Any, level: int, deep: bool, args: tuple, kwargs: dict) -> Tracer:
        staging = current()
        if staging is None or staging.level != level:
            raise RuntimeError(
                "a traced array escaped its tt.jit trace (stored in a global or an attribute "
                "while tracing); return it from the function instead"
            )
        return staging.record(prim, args, kwargs)


class Staging:
    """The recording of one trace: its level, equations and captured inputs."""

    def __init__(self) -> None:
        self.level = new_transform_level()
        self.equations: list[Equation] = []
        self.inputs: list[Var] = []
        self.captured: dict[int, tuple[Var, Any]] = {}  # id(source) -> (var, source)
        self._numbers = itertools.count(1)
        self._merged: dict = {}  # equation key -> Tracer, for merging equal equations
        self.ops_seen = 0
        self._traced: dict[int, Tracer] = {}  # id(captured array) -> its Tracer
        # the user's line that made each reverse-mode node: its backward pass is written
        # under that line (`pulling_back`), not under the line that called the transform
        self.made_at: dict = {}
        self.pulling_back = ""
        self._made_by: dict[int, Equation] = {}  # variable number -> the equation that made it
        self._tracers: dict[int, Tracer] = {}  # variable number -> its Tracer
        self._caller = _user_frame()  # where tt.jit was called: ops made there are the transforms' own

    def new_input(self, value: np.ndarray) -> Tracer:
        tracer = self._tracer(value)
        self.inputs.append(tracer._var)
        return tracer

    def _tracer(self, concrete: Any) -> Tracer:
        concrete = concrete if isinstance(concrete, (np.ndarray, np.generic)) else np.asarray(concrete)
        tracer = Tracer(self, Var(next(self._numbers), concrete.shape, concrete.dtype), concrete)
        self._tracers[tracer._var.number] = tracer
        return tracer

    def bind(self, op: Any, args: tuple, kwargs: dict) -> Any:
        """Apply op while tracing: dispatch to boxes above the trace's level, else record."""
        top, nested = _highest_box(args)
        if top is not None and top._level > self.level:
            if isinstance(op, Primitive):
                return top._apply(op, top._level, nested, args, kwargs)
            args = tuple(self._seen_here(a) for a in args)  # a comparison: its boxes carry no derivative
        return self.record(op, args, kwargs)

    def _seen_here(self, x: Any) -> Any:
        """x with the boxes of levels above the trace's removed: what the trace sees."""
        while isinstance(x, Box) and x._level > self.level:
            x = x._value
        return x

    def atom(self, x: Any) -> Var | Literal:
        """What an argument is in the program: a variable (traced, or read from outside
        at every call) or a literal (a Python value: scalars, shapes, dtypes, indices)."""
        if isinstance(x, Tracer):
            if x._staging is not self:
                raise RuntimeError("a traced array of another tt.jit trace was used here; return it from its function")
            return x._var
        if isinstance(x, Constant):
            value = x.view(np.ndarray)
            return Literal(value[()] if value.ndim == 0 else value)
        if isinstance(x, (Box, np.ndarray)):
            return self.capture(x)
        return Literal(x)

    def _is_constant(self, x: Any) -> bool:
        return not isinstance(x, (Box, np.ndarray)) or isinstance(x, Constant)

    def traced(self, array: np.ndarray) -> Any:
        """The Tracer standing for an array from outside (captured), or a constant as it is."""
        if isinstance(array, Constant):
            return array
        found = self._traced.get(id(array))
        if found is None:
            found = self._traced[id(array)] = Tracer(self, self.capture(array), array)
        return found

    def capture(self, source: Any) -> Var:
        """The variable standing for an array or box from outside the function, read at every call."""
        found = self.captured.get(id(source))
        if found is None:
            value = np.asarray(unbox_all(source))
            found = self.captured[id(source)] = (Var(next(self._numbers), value.shape, value.dtype), source)
        return found[0]

    def where(self) -> str:
        """The user's line an op being recorded comes from; "" for a transform's own work
        after the function returned (assembling a Jacobian's rows)."""
        if self.pulling_back:
            return self.pulling_back
        frame = _user_frame()
        if frame is None or frame is self._caller:
            return ""
        return f"{Path(frame.f_code.co_filename).name}:{frame.f_lineno}"

    def concrete(self, x: Any) -> Any:
        if isinstance(x, Tracer):
            return x._example
        x = unbox_all(x)
        return x.view(np.ndarray) if isinstance(x, Constant) else x

    def record(self, op: Any, args: tuple, kwargs: dict) -> Any:
        self.ops_seen += 1
        values = [self.concrete(a) for a in args]
        if op.name in _SHAPE_ONLY and isinstance(op, NonDifferentiable):
            return op.impl(*values, **kwargs)
        if all(self._is_constant(a) for a in args):  # Python values and constants alone: computed now
            value = op.impl(*values, **kwargs)
            return constant(value) if isinstance(value, np.ndarray) else value
        atoms = tuple(self.atom(a) for a in args)
        same = same_input(op, atoms)
        if same is not None and isinstance(args[same], Tracer):
            return args[same]
        s = scaled_rows(op, atoms, self._made_by)
        if s is not None and s.number in self._tracers:  # diag(s) @ m: s as a column, times m
            return reshape_p(self._tracers[s.number], (max(s.shape), 1), len(s.shape)) * args[1]
        key = merge_key(op, atoms, kwargs)
        if key in self._merged:
            return self._merged[key]
        value = op.impl(*values, **kwargs)
        x = args[0]
        if op.name in NO_OP_IF_SAME_TYPE and isinstance(x, Tracer) and same_type(value, x._var):
            return x
        out = self._tracer(value)
        self.equations.append(Equation(op, atoms, dict(kwargs), out._var, self.where()))
        self._made_by[out._var.number] = self.equations[-1]
        self._merged[key] = out
        return out

    def output(self, x: Any) -> Var | Literal:
        """An output of the traced function, as the program returns it."""
        return self.atom(self._seen_here(x))

    def program(self, outputs: list) -> Program:
        captured = [var for var, _ in self.captured.values()]
        sources = [source for _, source in self.captured.values()]
        recorded = len(self.equations)
        equations = live(self.equations, outputs)
        stats = [
            ("ops traced", self.ops_seen, self.ops_seen),
            ("merged, folded and identities removed while recording", self.ops_seen, recorded),
            ("dead code removed", recorded, len(equations)),
        ]
        return Program(list(self.inputs), captured, sources, equations, outputs, stats)
