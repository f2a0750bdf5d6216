"""A compiled function called under reverse mode: one primitive whose VJP is compiled too.

When the arguments of a jitted function, or the Variables it reads from outside,
are being differentiated (`grad(tt.jit(f))`, a loss whose layer weights require
grad, `jvp` or `jacfwd` around it), the call is applied as the primitive
`JIT_CALL`. Its JVP rule is the jitted forward pass of the program with tangents
(batched as jacfwd pushes them).

The VJP of the program (`evaluate` differentiated by `vjp`) is traced once per set
of differentiated inputs, with the cotangent as an input, and `split` in two by
dependence on it: the equations that do not read the cotangent are the forward
pass, which the impl runs, keeping the values the others read (the residuals, as
JAX's partial evaluation does); the rest is the backward pass, which the VJP rule
runs on them. With `create_graph`, or after the residuals were used
(`retain_graph`), the rule is the jitted VJP itself, recomputing the forward pass
as a checkpointed block does, and differentiable again, to any order.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.levels import Box
from ..autograd.passes import output_node, output_value, pull_back, push_forward, record
from ..autograd.primitive import Primitive
from .codegen import Generated, run_generated
from .ir import Program, Var
from .simplify import live


def evaluate(program: Program, *values: Any) -> list:
    """The program's outputs, applying its equations' ops to `values` (boxes or arrays)."""
    env = {v.number: x for v, x in zip(program.inputs + program.captured, values)}
    for eq in program.equations:
        args = [env[a.number] if isinstance(a, Var) else a.value for a in eq.inputs]
        env[eq.out.number] = eq.op(*args, **eq.params)
    return [env[v.number] if isinstance(v, Var) else v.value for v in program.outputs]


class Residuals:
    """What one call's forward pass keeps for its backward pass (used once)."""

    __slots__ = ("kept",)

    def __init__(self) -> None:
        self.kept: list | None = None


def _impl(*values: Any, compiled: Any, wanted: tuple, residuals: Residuals) -> Any:
    halves = compiled.halves(wanted, values) if wanted else None
    if halves is None:
        return run_generated(compiled.generated, values)  # one output, returned as it is
    out, *residuals.kept = halves.forward(*values)
    return out


def _vjp(g: Any, ans: Any, *values: Any, compiled: Any, wanted: tuple, residuals: Residuals) -> list:
    plain = not any(isinstance(x, Box) for x in (g, *values))
    if plain and residuals.kept is not None and np.shape(g) == compiled.program.outputs[0].shape:
        kept, residuals.kept = residuals.kept, None
        cotangents = compiled.halves(wanted, values).backward(*values, g, *kept)
    else:
        cotangents = compiled.pullback(wanted)(list(values), g)
    pulled: list = [None] * len(values)
    for i, c in zip(wanted, cotangents):
        pulled[i] = c
    return pulled


def _jvp(tangents: list, ans: Any, *values: Any, compiled: Any, wanted: tuple, residuals: Residuals) -> Any:
    moving = tuple(i for i, t in enumerate(tangents) if t is not None)
    if not moving:
        return None
    return compiled.pushforward(moving)(list(values), [tangents[i] for i in moving])


JIT_CALL = Primitive("jit_call", _impl, jvp_joint=_jvp, vjp_joint=_vjp, variadic=True, register=False)


def _of_wanted(program: Program, values: list, wanted: tuple) -> Any:
    """The program's output as a function of the values numbered `wanted`, the others fixed."""

    def of_wanted(*xs: Any) -> Any:
        full = list(values)
        for i, x in zip(wanted, xs):
            full[i] = x
        return evaluate(program, *full)[0]

    return of_wanted


def _pulled(program: Program, values: list, wanted: tuple, g: Any) -> tuple[Any, list]:
    """The output, and the cotangents of the values numbered `wanted`. g may carry leading
    batch axes (a block of cotangents, as jacrev pulls back): the engine's own reverse pass
    takes them, as every rule does."""
    xs = tuple(values[i] for i in wanted)
    recording = record(_of_wanted(program, values, wanted), xs, {}, tuple(range(len(xs))), "vjp")
    node = output_node(recording.out, recording.level)
    seeds = [] if node is None else [(node, g)]
    batch = np.shape(g)[: np.ndim(g) - len(program.outputs[0].shape)]
    return output_value(recording.out, recording.level), pull_back(recording, seeds, batch, retain=False)


def pullback_function(program: Program, wanted: tuple) -> Any:
    """(values, g) -> the cotangents of the values numbered `wanted`, for a one-output program."""
    return lambda values, g: _pulled(program, values, wanted, g)[1]


def pushforward_function(program: Program, moving: tuple) -> Any:
    """(values, tangents) -> the output's tangent from tangents of the values numbered `moving`
    (None: zero). Tangents may carry leading batch axes, as jacfwd pushes them."""

    def pushforward(values: list, tangents: list) -> Any:
        xs = tuple(values[i] for i in moving)
        pushed = push_forward(_of_wanted(program, values, moving), xs, {}, tuple(range(len(xs))), tangents)
        return pushed.tangents[0]

    return pushforward


def joint_function(program: Program, wanted: tuple) -> Any:
    """(values, g) -> (the output, then the cotangents of the values numbered `wanted`)."""

    def joint(values: list, g: Any) -> tuple:
        out, cotangents = _pulled(program, values, wanted, g)
        return (out, *cotangents)

    return joint


class Halves:
    """A joint program split by dependence on the cotangent, its last input (see the module docstring)."""

    def __init__(self, joint: Program, name: str) -> None:
        inputs, g = joint.inputs[:-1], joint.inputs[-1]
        reads_g = {g.number}
        forward, backward = [], []
        for eq in joint.equations:
            if any(isinstance(a, Var) and a.number in reads_g for a in eq.inputs):
                backward.append(eq)
                reads_g.add(eq.out.number)
            else:
                forward.append(eq)
        made = {eq.out.number: eq.out for eq in forward}
        read = [a for eq in backward for a in eq.inputs] + joint.outputs[1:]
        kept = list({a.number: a for a in read if isinstance(a, Var) and a.number in made}.values())
        forward = live(forward, [joint.outputs[0], *kept])
        first = Program(inputs, joint.captured, joint.sources, forward, [joint.outputs[0], *kept])
        second = Program([*inputs, g, *kept], joint.captured, joint.sources, backward, joint.outputs[1:])
        self.forward = _bound(Generated(first, f"{name}_forward"), joint.sources)
        self.backward = _bound(Generated(second, f"{name}_backward"), joint.sources)


def _bound(generated: Generated, sources: list) -> Any:
    """The generated function with the program's captured arrays passed at every call."""
    return lambda *args: run_generated(generated, (*args, *sources))
