"""checkpoint(f): trade compute for memory in reverse mode.

A checkpointed call runs f normally, then collapses the graph f recorded into a
single node whose inputs are the Variables f read from outside: its arguments
and anything it closed over (a layer's weights, say). f's intermediate values
are freed there and then. When backward reaches the node, f runs again and the
cotangent is pulled through that fresh graph, stopping at those same inputs;
with `create_graph` the recomputation is recorded, so derivatives of any order
work. Forward mode keeps nothing, so under Duals f simply runs.

Randomness. The recomputation must redo the forward pass exactly, dropout masks
included, so the random states f may draw from are saved before it runs and put
back for the recomputation (then returned to where backward found them), as
PyTorch's `preserve_rng_state=True` does: NumPy's global `np.random`, Python's
`random`, any state registered with `register_random_state` (tinytorch.core
registers the generator its layers share), and every `np.random.Generator` or
`RandomState` reachable from the call: its arguments, and from f (or what they
hold) the closure, default arguments, the globals its code names, an object's
attributes (a Module's, a submodule's), bound methods, partials and containers.
As a safety net, the recomputed output is compared with the forward pass's: a
difference (a random source not reached, an array changed in place since) is a
RuntimeError, not the gradient of another forward pass.
"""

from __future__ import annotations

import contextlib
import functools
import random
import types
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from . import reverse, versions
from .levels import Box, grad_mode
from .primitive import Primitive, unbox_all

# (get_state, set_state) of the global random states every checkpoint saves
_random_states: list[tuple[Callable[[], Any], Callable[[Any], None]]] = [
    (np.random.get_state, np.random.set_state),
    (random.getstate, random.setstate),
]


def register_random_state(get_state: Callable[[], Any], set_state: Callable[[Any], None]) -> None:
    """Have every checkpoint save `get_state()` before f runs and restore it with
    `set_state(...)` for the recomputation; for a random source f reaches through
    a module-level function rather than a generator it can see (tinytorch.core's
    shared default generator, which `manual_seed` replaces).
    """
    _random_states.append((get_state, set_state))


# not searched for generators: numbers, strings, arrays, boxes, code, the table itself
_OPAQUE = (Box, np.ndarray, np.generic, str, bytes, int, float, complex, type, types.ModuleType, Primitive)


def _names(code: types.CodeType) -> set:
    """The names a function's code (lambdas and comprehensions inside included) looks up."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _names(const)
    return names


def _generators(*roots: Any) -> list:
    """The NumPy generators reachable from `roots` (see the module docstring)."""
    found, seen, stack = [], set(), list(roots)
    while stack:
        obj = stack.pop()
        if obj is None or isinstance(obj, _OPAQUE) or id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, (np.random.Generator, np.random.RandomState)):
            found.append(obj)
        elif isinstance(obj, (list, tuple, set, frozenset)):
            stack.extend(obj)
        elif isinstance(obj, dict):
            stack.extend(obj.values())
        elif isinstance(obj, types.FunctionType):
            for cell in obj.__closure__ or ():
                with contextlib.suppress(ValueError):  # a cell not yet filled
                    stack.append(cell.cell_contents)
            stack += [obj.__defaults__, obj.__kwdefaults__]
            stack.extend(obj.__globals__[n] for n in _names(obj.__code__) if n in obj.__globals__)
        elif isinstance(obj, (types.MethodType, types.BuiltinMethodType)):
            stack += [obj.__self__, getattr(obj, "__func__", None)]
        elif isinstance(obj, functools.partial):
            stack += [obj.func, obj.args, obj.keywords]
        else:
            with contextlib.suppress(TypeError):  # no __dict__
                stack.extend(vars(obj).values())
    return found


def _accessors(gen: Any) -> tuple[Callable[[], Any], Callable[[Any], None]]:
    if isinstance(gen, np.random.Generator):
        bits = gen.bit_generator
        return (lambda: bits.state), (lambda state: setattr(bits, "state", state))
    return gen.get_state, gen.set_state


@contextlib.contextmanager
def _random_states_as(saved: list) -> Iterator[None]:
    """Run with the random states of `saved` (get, set, state), then put the current ones back."""
    current = [(set_state, get_state()) for get_state, set_state, _ in saved]
    for _, set_state, state in saved:
        set_state(state)
    try:
        yield
    finally:
        for set_state, state in reversed(current):
            set_state(state)


def _check_same_output(recomputed: Any, saved: Any) -> None:
    """Rounding may differ between the two runs (NumPy's SIMD loops depend on
    alignment), so values need only agree to sqrt(eps) of the output's scale."""
    a, b = np.asarray(unbox_all(recomputed)), np.asarray(unbox_all(saved))
    if np.array_equal(a, b):  # the usual case, and much cheaper than allclose
        return
    if a.shape != b.shape:
        difference = f"shape {a.shape} instead of {b.shape}"
    else:
        tol = np.sqrt(np.finfo(b.dtype).eps) if np.issubdtype(b.dtype, np.inexact) else 0.0
        scale = np.max(np.abs(b), initial=0.0, where=np.isfinite(b))
        if np.allclose(a, b, rtol=tol, atol=tol * scale, equal_nan=True):
            return
        difference = f"largest difference {np.max(np.abs(a - b)):.3g}"
    raise RuntimeError(
        f"checkpoint: recomputing f for backward gave a different output than the forward pass ({difference}), "
        "so its gradient would belong to another forward pass. f must be deterministic given the random states "
        "checkpoint restores (none with preserve_rng_state=False): NumPy's and Python's global ones, the "
        "generators reachable from the call (arguments, closure, globals named, attributes) and those given to "
        "register_random_state (from tinytorch.autograd.checkpoint); and no array f reads may change in place "
        "between the forward pass and backward"
    )


def _outside_inputs(out: reverse.Variable, start: int) -> list:
    """The Variables older than `start` that the graph below `out` reads."""
    found, seen, stack = [], {id(out)}, [out]
    while stack:
        node = stack.pop()
        for parent in reverse.parents(node):
            if id(parent) in seen:
                continue
            seen.add(id(parent))
            if parent._seq < start:
                found.append(parent)
            else:
                stack.append(parent)
    return found


def _recompute(g: Any, ans: Any, *values: Any, call: tuple) -> list:
    """The VJP of a checkpointed call: run f again, pull g back to its inputs."""
    f, args, kwargs, inputs, random_states = call
    level = inputs[0]._level
    create_graph = isinstance(ans, Box) and ans._level == level  # the node itself, under create_graph
    previous = grad_mode.floor
    grad_mode.floor = min(previous, level - 1)  # record even if backward runs under no_grad
    try:
        with _random_states_as(random_states):
            out = f(*args, **kwargs)
    finally:
        grad_mode.floor = previous
    _check_same_output(out, ans)
    grads = reverse.backprop([(out, g)], level, create_graph=create_graph, retain_graph=create_graph,
                             stop=set(inputs))
    return [grads.get(x) for x in inputs]


CHECKPOINT = Primitive("checkpoint", lambda *values, call: call[0],
                       vjp_joint=_recompute, register=False)


def checkpoint(f: Callable[..., Any], *, preserve_rng_state: bool = True) -> Callable[..., Any]:
    """f, evaluated so that reverse mode keeps only the Variables it reads from
    outside and recomputes the rest during backward. f returns one array.

    The recomputation sees the random states f saw (see the module docstring).
    `preserve_rng_state=False` skips saving and restoring them (NumPy's global
    state is slow to copy: about 0.3 ms per forward and backward of a call), for
    an f that draws nothing; a recomputed output that differs from the forward
    pass's is an error either way.

    >>> import numpy as np, tinytorch as tt
    >>> from tinytorch.autograd import Variable, checkpoint
    >>> W = Variable(np.eye(2), requires_grad=True)
    >>> block = checkpoint(lambda x: tt.tanh(x @ W))   # W is read from the closure
    >>> tt.sum(block(np.zeros((1, 2)))).backward()
    >>> W.grad.tolist()
    [[0.0, 0.0], [0.0, 0.0]]
    >>> rng = np.random.default_rng(0)
    >>> x = Variable(np.ones(4), requires_grad=True)
    >>> y = checkpoint(lambda a: a * (rng.random(4) < 0.5))(x)   # a random mask, drawn alike when recomputed
    >>> tt.sum(y).backward()
    >>> bool(np.array_equal(x.grad, y.data))                     # d sum(a * mask) / da = mask = y at a = 1
    True
    """

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        random_states = []
        if preserve_rng_state:
            accessors = _random_states + [_accessors(gen) for gen in _generators(f, args, kwargs)]
            random_states = [(get, set_, get()) for get, set_ in accessors]
        start = next(versions.sequence)
        out = f(*args, **kwargs)
        if isinstance(out, (tuple, list, dict)):
            raise NotImplementedError("checkpoint: f must return a single array, not a container")
        if not isinstance(out, reverse.Variable) or out._prim is None:
            return out  # nothing recorded at the output's level: nothing to save
        inputs = _outside_inputs(out, start)
        if not inputs:
            return out
        node = reverse.Variable.__new__(reverse.Variable)
        node._value = out._value
        node._level = out._level
        node._deep = out._deep
        node._prim = CHECKPOINT
        node._args = tuple(inputs)
        node._kwargs = {"call": (f, args, kwargs, inputs, random_states)}
        node._argnums = tuple(range(len(inputs)))
        node._requires_grad = True
        node._seq = next(versions.sequence)
        return node

    return wrapper
