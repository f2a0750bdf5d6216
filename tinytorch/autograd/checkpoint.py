"""checkpoint(f): trade compute for memory in reverse mode.

A checkpointed call runs f normally, then collapses the graph f recorded into a
single node whose inputs are the Variables f read from outside: its arguments
and anything it closed over (a layer's weights, say). f's intermediate values
are freed there and then. When backward reaches the node, f runs again and the
cotangent is pulled through that fresh graph, stopping at those same inputs;
with `create_graph` the recomputation is recorded, so derivatives of any order
work. Forward mode keeps nothing, so under Duals f simply runs.

The recomputation sees what the forward pass saw: the random states f may draw
from (reach.py), its arguments, and the Variables it reads from outside.

What f reads. The recomputation starts from what the forward pass started from.
The call's arguments are kept as nodes keep theirs: arrays among them (in tuples,
lists and dicts too; array-likes such as core.Tensor become ndarrays) are copied
before f runs, so later writes to the caller's arrays cannot reach a gradient,
and Variables are taken as the nodes they stood for then, so an in-place update
of one since changes nothing. The Variables f can read from outside, constants
included (those reachable from the call, found as generators are, and those its
graph holds), are checked in backward: one whose memory has been written since
(through `.data`, or under `no_grad`) is a RuntimeError, and so is one that is
not an argument and has been rebound by an in-place update, since the
recomputation would read the new one. f updating in place a Variable that
requires grad from outside is a RuntimeError at once. Plain arrays f reads from
closures or globals cannot be copied or checked: they must not change between
forward and backward. As a safety net, the recomputed output is compared
with the forward pass's, to rounding: a difference (a random source not reached,
such an array changed since) is a RuntimeError, not the gradient of another
forward pass; a change the output does not show cannot be seen there.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from . import backprop, reverse, versions
from .levels import Box, grad_mode
from .primitive import Primitive, unbox_all
from .reach import GLOBAL_STATES, accessors, random_states_as, reachable


def _check_same_output(recomputed: Any, saved: Any) -> None:
    """Rounding may differ between the two runs (a SIMD loop's or a BLAS's order of
    operations can depend on alignment), so each value need only agree to 1e-10 (in
    single precision, 4 ulps) of itself, plus 4 ulps of the output's largest value
    for one that cancelled to near zero: loose enough for rounding amplified
    through f, tight enough to see 1.0 become 1.05 beside an entry of 1e9 (a floor
    of 1e-10 of the largest value would be 0.1 there)."""
    a, b = np.asarray(unbox_all(recomputed)), np.asarray(unbox_all(saved))
    if np.array_equal(a, b):  # the usual case (the same computation twice), and much cheaper than allclose
        return
    if a.shape != b.shape:
        difference = f"shape {a.shape} instead of {b.shape}"
    else:
        eps = np.finfo(b.dtype).eps if np.issubdtype(b.dtype, np.inexact) else 0.0  # integers: exact
        scale = np.max(np.abs(b), initial=0.0, where=np.isfinite(b))
        if np.allclose(a, b, rtol=max(1e-10, 4 * eps) if eps else 0.0, atol=4 * eps * scale, equal_nan=True):
            return
        difference = f"largest difference {np.max(np.abs(a - b)):.3g}"
    raise RuntimeError(
        f"checkpoint: recomputing f for backward gave a different output than the forward pass ({difference}), "
        "so its gradient would belong to another forward pass. f must be deterministic given the random states "
        "checkpoint restores (none with preserve_rng_state=False): NumPy's and Python's global ones, the "
        "generators reachable from the call (arguments, closure, globals named, attributes) and those given to "
        "register_random_state (from tinytorch.autograd.checkpoint); and no array f reads from a closure or a "
        "global may change between the forward pass and backward"
    )


def _outside(out: reverse.Variable, start: int, held: dict) -> tuple[list, list]:
    """What the graph below `out` reads from before `start`: the Variables that require
    grad, as its nodes saw them (the checkpoint node's inputs), and weak references to
    every Variable its nodes hold from there, constants included, and to those in
    `held`, to be checked for changes in backward (those that die with the graph were
    made by f)."""
    rebinding = versions.last_rebind > start  # else every Variable still stands for what f saw
    inputs, seen, stack = [], {id(out)}, [out]
    while stack:
        node = stack.pop()
        argnums = node._argnums
        for i, x in enumerate(node._args):
            if not isinstance(x, reverse.Variable):
                continue
            if rebinding and backprop.rebound_after(x, start):
                was = backprop.as_of(x, start)
                if getattr(was, "_seq", -1) < start:  # from outside, or a constant f made
                    if was._requires_grad:
                        # recomputing f would update the node the checkpoint's cotangents go to
                        raise RuntimeError(
                            f"checkpoint: f updated in place a Variable that requires grad and comes from "
                            f"outside it (shape {x.shape}: an argument, or read from a closure, a global or an "
                            "attribute); update a copy (x = x * 1.0), or update it outside f"
                        )
                    held[id(x)] = x
            if i not in argnums:
                held[id(x)] = x
                continue
            parent = backprop.as_of(x, node._seq) if rebinding else x
            if id(parent) not in seen:
                seen.add(id(parent))
                (inputs if parent._seq < start else stack).append(parent)
    held.update((id(x), x) for x in inputs)
    return inputs, [weakref.ref(x) for x in held.values()]


def _leaves(x: Any) -> Iterator[Any]:
    """What x's tuples, lists and dicts hold, all the way down."""
    if type(x) in (tuple, list):
        for v in x:
            yield from _leaves(v)
    elif type(x) is dict:
        for v in x.values():
            yield from _leaves(v)
    else:
        yield x


def _rebuilt(x: Any, leaf: Callable[[Any], Any]) -> Any:
    """x with `leaf` applied to what its tuples, lists and dicts hold."""
    if type(x) in (tuple, list):
        return type(x)(_rebuilt(v, leaf) for v in x)
    if type(x) is dict:
        return {k: _rebuilt(v, leaf) for k, v in x.items()}
    return leaf(x)


def _copy(x: Any) -> Any:
    """Arrays copied as nodes copy theirs, except that NumPy's keep their subclass (a
    masked array its mask); anything else as it is."""
    if isinstance(x, np.ndarray):
        return x.copy(order="K")
    if hasattr(type(x), "__array__") and not isinstance(x, (Box, np.generic)):
        return np.array(x)
    return x


def _check_unchanged(held: list, start: int, saved: tuple) -> None:
    """Refuse to recompute f if a Variable it reads from outside is no longer what the
    forward pass read: written in place since, or rebound (arguments excepted, since
    the recomputation gets them as they stood)."""
    if versions.last_write < start:  # nothing written or rebound since f began
        return
    passed = set(map(id, _leaves(saved)))
    for ref in held:
        x = ref()
        if x is None:
            continue
        was = backprop.as_of(x, start)
        if was is not x and id(x) not in passed:
            change = "rebound by an in-place update"
        elif backprop.stale(was, start):
            change = "written in place (through .data, or under no_grad)"
        else:
            continue
        kind = "requires grad" if was.requires_grad else "a constant"
        where = "an argument" if id(x) in passed else "reached through a closure, a global or an attribute"
        raise RuntimeError(
            f"checkpoint: a Variable that f reads or can reach from outside ({kind}, shape {x.shape}, dtype "
            f"{x.dtype}, {where}) was {change} after the forward pass began, so recomputing f for backward "
            "would not redo the forward pass; run the checkpointed call again after changing it"
        )


def _recompute(g: Any, ans: Any, *values: Any, call: tuple) -> list:
    """The VJP of a checkpointed call: run f again, pull g back to its inputs."""
    f, saved, start, inputs, held, random_states = call
    _check_unchanged(held, start, saved)
    # arrays copied afresh, should f write into them
    args, kwargs = _rebuilt(saved, lambda x: backprop.as_of(x, start) if isinstance(x, Box) else _copy(x))
    inputs = [backprop.as_of(x, start) for x in inputs]  # argument Variables may have been rebound since
    level = inputs[0]._level
    create_graph = isinstance(ans, Box) and ans._level == level  # the node itself, under create_graph
    previous = grad_mode.floor
    grad_mode.floor = min(previous, level - 1)  # record even if backward runs under no_grad
    try:
        with random_states_as(random_states):
            out = f(*args, **kwargs)
    finally:
        grad_mode.floor = previous
    _check_same_output(out, ans)
    grads = backprop.backprop([(out, g)], level, create_graph=create_graph, retain_graph=create_graph, stop=set(inputs))
    return [grads.get(x) for x in inputs]


CHECKPOINT = Primitive("checkpoint", lambda *values, call: call[0], vjp_joint=_recompute, register=False)


def _random_states(generators: list) -> list:
    """(get_state, set_state, the state now) of the global states and of `generators`."""
    return [(get, set_, get()) for get, set_ in GLOBAL_STATES + [accessors(gen) for gen in generators]]


def checkpoint(f: Callable[..., Any], *, preserve_rng_state: bool = True) -> Callable[..., Any]:
    """f, evaluated so that reverse mode keeps only the Variables it reads from
    outside and recomputes the rest during backward. f returns one array.

    The recomputation sees the random states and the arguments f saw, and refuses
    if a Variable f reads was changed since (see the module docstring).
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
        # the Variables too: f may read one through ops on constants, which record nothing
        generators, variables = reachable(f, args, kwargs)
        random_states = _random_states(generators) if preserve_rng_state else []
        # before f runs, which might write into them too
        saved = _rebuilt((args, kwargs), _copy)
        start = next(versions.sequence)
        out = f(*args, **kwargs)
        if isinstance(out, (tuple, list, dict)):
            raise NotImplementedError("checkpoint: f must return a single array, not a container")
        if not isinstance(out, reverse.Variable) or out._prim is None:
            return out  # nothing recorded at the output's level: nothing to save
        inputs, held = _outside(out, start, variables)
        if not inputs:
            return out
        call = (f, saved, start, inputs, held, random_states)
        return reverse.node(
            CHECKPOINT, out._value, out._level, tuple(inputs), {"call": call}, tuple(range(len(inputs)))
        )

    return wrapper
