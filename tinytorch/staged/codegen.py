"""Generated code: a Program written out as one straight-line Python function.

Each line computes what one line of the user's code did, with a comment naming
it: equations are written as the NumPy (or float) expressions they amount to, and
a temporary read once, by an equation of the same user line, is written into its
reader's expression instead of getting a line and a name of its own
(`v5 = math.tanh(math.sin(x) * 1.01 + 0.1)`). Python then keeps it on its stack:
storing every temporary in a local of its own made a chain of scalar ops twice as
slow (analysis/staged.py). Each stored temporary is dropped after its last use,
so memory goes as eager execution's would. The source is registered in
`linecache`, so a traceback through it shows the generated line.
"""

from __future__ import annotations

import itertools
import linecache
import math
import re
from collections.abc import Callable
from typing import Any

import numpy as np

from ..autograd.primitive import Primitive, registry
from ..autograd.tree import TreeDef
from .emit import EMITTERS, SCALAR_EMITTERS
from .ir import Equation, Program, Var

_counter = itertools.count(1)
# the longest expression written into another's line: readable lines, and far from
# the parser's limit on nesting
_LONGEST_INLINE = 80
# written as themselves (exact types: NumPy's scalars subclass float and print as np.float64(...))
_INLINE = (bool, int, str, type(None))


class Generated:
    """The source of a program and the function compiled from it."""

    def __init__(self, program: Program, name: str, out_tree: TreeDef | None = None, scalars: bool = True) -> None:
        self._args = (program, name, out_tree)
        self.scalars = scalars  # float64 scalars as Python floats (emit.py)
        self._without_math: Generated | None = None
        self.namespace: dict[str, Any] = {"np": np, "math": math}
        self._names: dict[int, str] = {}  # id(object) -> its name in the namespace
        # the function returns f's result as f does when its structure can be written as a
        # literal (tuples, lists, dicts of str keys): rebuilding it cost 3-4 us a call
        self.structured = out_tree is not None and _literal_structure(out_tree)
        self.source = self._write(program, name, out_tree if self.structured else None)
        self.filename = f"<tinytorch.jit {name} #{next(_counter)}>"
        lines = self.source.splitlines(True)
        linecache.cache[self.filename] = (len(self.source), None, lines, self.filename)
        exec(compile(self.source, self.filename, "exec"), self.namespace)
        self.function: Callable[..., tuple] = self.namespace[name]

    def without_math(self) -> Callable[..., tuple] | None:
        """The same program with NumPy for float64 scalars too, or None if this one uses no
        `math` function. math.sin and math.cos raise ValueError at inf where NumPy returns
        nan: a call that raises ValueError runs this version instead, which then raises
        only what eager execution would."""
        if not self.scalars or "math." not in self.source:
            return None
        if self._without_math is None:
            self._without_math = Generated(*self._args, scalars=False)
        return self._without_math.function

    def _bind(self, obj: Any, hint: str) -> str:
        """A name in the namespace for obj (a function, or a constant too big to inline)."""
        name = self._names.get(id(obj))
        if name is None:
            # a hint is a primitive's name, which may be no identifier ("<lambda>")
            name = f"{re.sub(r'[^0-9a-zA-Z_]', '', hint) or 'f'}_{len(self._names)}"
            name = name if name.isidentifier() else f"f{name}"
            while name in self.namespace:
                name += "_"
            self._names[id(obj)] = name
            self.namespace[name] = obj
        return name

    def _literal(self, value: Any) -> str:
        if _inline(value) or (isinstance(value, tuple) and all(_inline(v) for v in value)):
            return repr(value)
        return self._bind(value, "c")

    def _atom(self, atom: Any) -> str:
        return atom.name if isinstance(atom, Var) else self._literal(atom.value)

    def _write(self, program: Program, name: str, out_tree: TreeDef | None) -> str:
        params = [v.name for v in program.inputs + program.captured]
        lines = [f"def {name}({', '.join(params)}):"]
        # float64 scalars become Python floats (emit.py says why); these variables hold one
        self.floats = {v.number for v in program.inputs + program.captured if self.scalars and _is_float_scalar(v)}
        names = {v.number: v.name for v in program.inputs + program.captured}
        names.update((eq.out.number, eq.out.name) for eq in program.equations)
        lines += [f"    {names[n]} = float({names[n]})" for n in sorted(self.floats)]
        inline = _written_into_reader(program)
        pending: dict[int, tuple[str, set]] = {}  # temporaries waiting for their reader: code, names read
        statements = []  # (variable, expression, where, numbers of the stored variables it reads)
        for eq in program.equations:
            args, reads = [], set()
            for a in eq.inputs:
                if isinstance(a, Var) and a.number in pending:
                    code, read = pending.pop(a.number)
                    args.append(code)  # emit.py adds the parentheses an operator needs
                    reads |= read
                else:
                    args.append(self._atom(a))
                    if isinstance(a, Var):
                        reads.add(a.number)
            expression = self._expression(eq, args)
            if eq.out.number in inline and len(expression) <= _LONGEST_INLINE:
                pending[eq.out.number] = (expression, reads)
            else:
                statements.append((eq.out, expression, eq.where, reads))
        last_use = {n: i for i, (_, _, _, reads) in enumerate(statements) for n in reads}
        arguments = {v.number for v in program.inputs + program.captured}
        kept = arguments | {v.number for v in program.outputs if isinstance(v, Var)}
        for i, (out, expression, where, reads) in enumerate(statements):
            line = f"    {out.name} = {expression}"
            lines.append(f"{line}  # {where}" if where else line)
            # arrays are freed at their last use; a Python float costs nothing to keep
            dead = sorted(n for n in reads - kept - self.floats if last_use[n] == i)
            if dead:
                lines.append(f"    del {', '.join(names[n] for n in dead)}")
        # a result is a new array, as eager execution's are: an input returned as it is (x * 1
        # folded) or a result returned twice (merged equations) is copied
        returned: set = set()
        outputs = []
        for v in program.outputs:
            code = self._output(v)
            if isinstance(v, Var) and v.number not in self.floats and (v.number in arguments or v.number in returned):
                code = f"{code}.copy()"
            returned.add(getattr(v, "number", None))
            outputs.append(code)
        if out_tree is None:
            lines.append(f"    return ({''.join(o + ', ' for o in outputs)})")
        else:
            lines.append(f"    return {_structure(out_tree, iter(outputs))}")
        return "\n".join(lines) + "\n"

    def _expression(self, eq: Any, args: list) -> str:
        """The equation's right-hand side, given its inputs' code: Python float arithmetic on
        float64 scalars, direct NumPy where emit.py knows the primitive, else its impl."""
        known = not eq.params and registry.get(eq.op.name) is eq.op
        scalar = SCALAR_EMITTERS.get(eq.op.name)
        if (
            scalar is not None
            and known
            and self.scalars
            and _is_float_scalar(eq.out)
            and all(self._is_float(a) for a in eq.inputs)
        ):
            self.floats.add(eq.out.number)
            # a float64 literal is written as a Python float: the same value, and only floats meet it here
            return scalar(
                eq, [code if isinstance(a, Var) else repr(float(a.value)) for a, code in zip(eq.inputs, args)]
            )
        # anything else sees a NumPy scalar, as in eager execution (with its methods: .reshape, .sum)
        args = [
            f"np.float64({code})" if self._is_float(a) and isinstance(a, Var) else code
            for a, code in zip(eq.inputs, args)
        ]
        emitter = EMITTERS.get(eq.op.name)
        if emitter is not None and known:
            expression = emitter(eq, args)
            if expression is not None:
                return expression
        impl = eq.op.array_impl if isinstance(eq.op, Primitive) else eq.op.impl
        args += [f"{k}={self._literal(v)}" for k, v in eq.params.items()]
        return f"{self._bind(impl, eq.op.name)}({', '.join(args)})"

    def _is_float(self, atom: Any) -> bool:
        if isinstance(atom, Var):
            return atom.number in self.floats
        return type(atom.value) in (float, int, np.float64) and math.isfinite(atom.value)

    def _output(self, atom: Any) -> str:
        if isinstance(atom, Var):
            return f"np.float64({atom.name})" if atom.number in self.floats else atom.name
        if isinstance(atom.value, np.ndarray):
            return f"{self._bind(atom.value, 'c')}.copy()"  # a constant output: a new array each call
        return self._literal(atom.value)


def run_generated(generated: Generated, args: tuple) -> Any:
    """The generated function on args; on a ValueError, its version without `math` (which
    raises at inf where NumPy gives nan), which raises again only what NumPy raises."""
    try:
        return generated.function(*args)
    except ValueError:
        fallback = generated.without_math()
        if fallback is None:
            raise
        return fallback(*args)


def _literal_structure(tree: TreeDef) -> bool:
    """Whether a result of this structure can be written as a Python literal."""
    if tree.kind is None or tree.kind is type(None):
        return True
    if tree.kind is dict and not all(type(k) is str for k in tree.meta):
        return False
    return tree.kind in (tuple, list, dict) and all(_literal_structure(c) for c in tree.children)


def _structure(tree: TreeDef, outputs: Any) -> str:
    """The code of a result of this structure, taking its leaves' code from `outputs`."""
    if tree.kind is None:
        return next(outputs)
    if tree.kind is type(None):
        return "None"
    parts = [_structure(c, outputs) for c in tree.children]
    if tree.kind is dict:
        return "{" + ", ".join(f"{k!r}: {p}" for k, p in zip(tree.meta, parts)) + "}"
    if tree.kind is list:
        return "[" + ", ".join(parts) + "]"
    return "(" + "".join(p + ", " for p in parts) + ")"


def _is_float_scalar(v: Var) -> bool:
    return v.shape == () and v.dtype == np.float64


def _inline(value: Any) -> bool:
    return type(value) in _INLINE or (type(value) is float and math.isfinite(value))


def _written_into_reader(program: Program) -> set:
    """The temporaries read once, by an equation of the same user line: each is written
    into its reader's expression. Equations are pure, so computing one later, where it
    is read, gives the same value."""
    reads: dict[int, int] = {}
    reader: dict[int, Equation] = {}
    for eq in program.equations:
        for a in eq.inputs:
            if isinstance(a, Var):
                reads[a.number] = reads.get(a.number, 0) + 1
                reader[a.number] = eq
    outputs = {v.number for v in program.outputs if isinstance(v, Var)}
    return {
        eq.out.number
        for eq in program.equations
        if reads.get(eq.out.number) == 1
        and eq.out.number not in outputs
        and eq.out.label is None
        and reader[eq.out.number].where == eq.where
    }
