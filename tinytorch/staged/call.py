"""A compiled function called under reverse mode: one primitive whose VJP is compiled too.

When the arguments of a jitted function, or the Variables it reads from outside,
are being differentiated in reverse mode (`grad(tt.jit(f))`, a loss whose layer
weights require grad), the call is applied as the primitive `JIT_CALL`: its impl
runs the generated code and its VJP rule is the jitted VJP of the same program
(`evaluate` differentiated by `vjp`, traced once per set of differentiated inputs).
The rule recomputes the program's forward pass, as a checkpointed block does. With
`create_graph` the rule's own call is differentiated the same way, to any order.
"""

from __future__ import annotations

from typing import Any

from ..autograd.primitive import Primitive
from ..autograd.transforms import vjp
from .ir import Program, Var


def evaluate(program: Program, *values: Any) -> list:
    """The program's outputs, applying its equations' ops to `values` (boxes or arrays)."""
    env = {v.number: x for v, x in zip(program.inputs + program.captured, values)}
    for eq in program.equations:
        args = [env[a.number] if isinstance(a, Var) else a.value for a in eq.inputs]
        env[eq.out.number] = eq.op(*args, **eq.params)
    return [env[v.number] if isinstance(v, Var) else v.value for v in program.outputs]


def _impl(*values: Any, compiled: Any, wanted: tuple) -> Any:
    return compiled.generated.function(*values)[0]


def _vjp(g: Any, ans: Any, *values: Any, compiled: Any, wanted: tuple) -> list:
    cotangents = compiled.pullback(wanted)(list(values), g)
    pulled: list = [None] * len(values)
    for i, c in zip(wanted, cotangents):
        pulled[i] = c
    return pulled


JIT_CALL = Primitive("jit_call", _impl, vjp_joint=_vjp, variadic=True, register=False)


def pullback_function(program: Program, wanted: tuple) -> Any:
    """(values, g) -> the cotangents of the values numbered `wanted`, for a one-output program."""

    def pullback(values: list, g: Any) -> tuple:
        def of_wanted(*xs: Any) -> Any:
            full = list(values)
            for i, x in zip(wanted, xs):
                full[i] = x
            return evaluate(program, *full)[0]

        return vjp(of_wanted, *[values[i] for i in wanted])[1](g)

    return pullback
