"""checkpoint(f): trade compute for memory in reverse mode.

A checkpointed call runs f normally, then collapses the graph f recorded into a
single node whose inputs are the Variables f read from outside: its arguments
and anything it closed over (a layer's weights, say). f's intermediate values
are freed there and then. When backward reaches the node, f runs again and the
cotangent is pulled through that fresh graph, stopping at those same inputs;
with `create_graph` the recomputation is recorded, so derivatives of any order
work. Forward mode keeps nothing, so under Duals f simply runs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from . import reverse
from .levels import Box, grad_mode
from .primitive import Primitive


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
    f, args, kwargs, inputs = call
    level = inputs[0]._level
    create_graph = isinstance(ans, Box) and ans._level == level  # the node itself, under create_graph
    previous = grad_mode.floor
    grad_mode.floor = min(previous, level - 1)  # record even if backward runs under no_grad
    try:
        out = f(*args, **kwargs)
    finally:
        grad_mode.floor = previous
    grads = reverse.backprop([(out, g)], level, create_graph=create_graph, retain_graph=create_graph,
                             stop=set(inputs))
    return [grads.get(x) for x in inputs]


CHECKPOINT = Primitive("checkpoint", lambda *values, call: call[0],
                       vjp_joint=_recompute, register=False)


def checkpoint(f: Callable[..., Any]) -> Callable[..., Any]:
    """f, evaluated so that reverse mode keeps only the Variables it reads from
    outside and recomputes the rest during backward. f returns one array.

    >>> import numpy as np, tinytorch as tt
    >>> from tinytorch.autograd import Variable, checkpoint
    >>> W = Variable(np.eye(2), requires_grad=True)
    >>> block = checkpoint(lambda x: tt.tanh(x @ W))   # W is read from the closure
    >>> tt.sum(block(np.zeros((1, 2)))).backward()
    >>> W.grad.tolist()
    [[0.0, 0.0], [0.0, 0.0]]
    """

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = next(reverse._sequence)
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
        node._kwargs = {"call": (f, args, kwargs, inputs)}
        node._argnums = tuple(range(len(inputs)))
        node._requires_grad = True
        node._seq = next(reverse._sequence)
        return node

    return wrapper
