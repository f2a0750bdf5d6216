"""Reverse mode's backward pass: order the nodes, pull each one back, accumulate.

A recorded Variable is a node (reverse.py): its primitive, its inputs as given,
and which of them need a cotangent. `backprop` walks the nodes reachable from
the seeds in reverse creation order, which is topological because a node is
always made after its inputs, with an explicit stack: no recursion, any depth.
Each node's VJP rules turn its cotangent into cotangents of its inputs, summed
per input; a real input of an op with a complex output keeps the real part of
its cotangent (the transpose of embedding the reals in the complex numbers).
Without `create_graph` the rules run on plain values; with it they run on the
Variables themselves and are recorded too, so the result can be
differentiated again. Without `retain_graph` a node drops its inputs once pulled
back, so the graph's memory goes as the pass goes.

In-place updates rebind a Variable to a new node and keep the ones it stood for
before (`_history`), and writes into memory are stamped (versions.py): an edge is
followed to the node its Variable stood for when the edge was made (`as_of`), and
a node whose inputs were overwritten since is refused.
"""

from __future__ import annotations

import bisect
from operator import attrgetter, itemgetter
from typing import Any

import numpy as np

from . import versions
from .broadcasting import unbroadcast
from .levels import Box
from .primitive import is_complex
from .rules.math import real_p
from .versions import written_after

# the cotangents of scalar ops, nearly all of them in scalar-heavy code: their dtype is
# known without reading it (reading it costs 3% of a scalar op's backward pass)
_REAL_SCALARS = frozenset({np.float64, np.float32, float})

_FREED = (
    "Trying to backward through the graph a second time (or to use saved values after "
    "they were released). Pass retain_graph=True to the first backward() to keep them."
)


def backprop(
    seeds: list, level: int, create_graph: bool = False, retain_graph: bool = False, stop: set | None = None
) -> dict:
    """Cotangents of the leaves reached from `seeds`, a list of (Variable, cotangent).
    Nodes in `stop` are treated as leaves: their cotangents are returned, not passed on."""
    last_write = versions.last_write
    cotangents: dict = {}
    for node, g in seeds:
        _accumulate(cotangents, node, g)
    leaves = {}
    # popped, not iterated: the sweep keeps no node it has passed, so their values go as it goes
    stack = in_backward_order(seeds, stop)[::-1]
    take = stack.pop
    while stack:
        node = take()
        g = cotangents.pop(node)  # every node in the order was reached through an edge
        if node._prim is None or (stop and node in stop):
            leaves[node] = g
            continue
        if node._args is None:
            raise RuntimeError(_FREED)
        args = node._args if node._seq > last_write else _inputs_as_recorded(node)
        _pull_back(node, g, args, level, create_graph, cotangents)
        if not retain_graph:
            node._args = node._kwargs = None
            node._argnums = ()
    return leaves


def _pull_back(node: Any, g: Any, args: tuple, level: int, create_graph: bool, cotangents: dict) -> None:
    """Run node's VJP rules on its cotangent g and add the results to its inputs'."""
    prim, kwargs = node._prim, node._kwargs
    if create_graph:
        values, ans = args, node
    else:
        ans = node._value
        # the commonest nodes unrolled: a comprehension costs about 5% of a scalar
        # op's time (analysis/overhead.py); a one-input node's input is of its level
        if len(args) == 1:
            values = (args[0]._value,)
        elif len(args) == 2:
            a, b = args
            values = (
                a._value if isinstance(a, Box) and a._level == level else a,
                b._value if isinstance(b, Box) and b._level == level else b,
            )
        else:
            values = [a._value if isinstance(a, Box) and a._level == level else a for a in args]
    # only a complex output's cotangent makes complex cotangents for real inputs, which
    # keep their real part: read once per node, it costs real programs nearly nothing
    complex_out = type(g) not in _REAL_SCALARS and g.dtype.kind == "c"
    if prim.vjp_joint is not None:
        pulled = prim.vjp_joint(g, ans, *values, **kwargs)
        for i in node._argnums:
            c = pulled[i]
            if c is not None:
                _accumulate(cotangents, args[i], real_p(c) if complex_out and not is_complex(values[i]) else c)
        return
    broadcasting = prim.broadcasting and len(args) > 1  # one argument is never broadcast
    for i in node._argnums:
        c = prim.vjps[i](g, ans, *values, **kwargs) if kwargs else prim.vjps[i](g, ans, *values)
        if broadcasting and c.shape != values[i].shape:
            c = unbroadcast(c, values[i], g, ans)
        if complex_out and not is_complex(values[i]):
            c = real_p(c)
        parent = args[i]
        previous = cotangents.get(parent)
        cotangents[parent] = c if previous is None else previous + c


def _accumulate(cotangents: dict, node: Any, c: Any) -> None:
    previous = cotangents.get(node)
    cotangents[node] = c if previous is None else previous + c


_by_sequence = attrgetter("_seq")


def in_backward_order(seeds: list, stop: set | None) -> list:
    """The nodes reachable from the seeds, latest first (a reverse topological order)."""
    last_rebind = versions.last_rebind
    stack = []
    seen = set()
    for node, _ in seeds:
        if node not in seen:
            seen.add(node)
            stack.append(node)
    order = []
    while stack:
        node = stack.pop()
        order.append(node)
        argnums = node._argnums
        if argnums and not (stop and node in stop):
            args = node._args
            if node._seq < last_rebind:
                args = [as_of(a, node._seq) for a in args]
            for i in argnums:
                parent = args[i]
                if parent not in seen:
                    seen.add(parent)
                    stack.append(parent)
    order.sort(key=_by_sequence, reverse=True)
    return order


def parents(node: Any) -> list:
    """The Variables a node passes cotangents to."""
    seq = node._seq
    return [as_of(node._args[i], seq) for i in node._argnums]


# --- versions: what a node saw when it was made ------------------------------------------

_stamp = itemgetter(0)


def as_of(x: Any, seq: int) -> Any:
    """The node Variable x stood for when the node numbered `seq` was made."""
    history = getattr(x, "_history", None)
    if history is None or history[-1][0] <= seq:
        return x
    return history[bisect.bisect_right(history, seq, key=_stamp)][1]


def rebound_after(x: Any, seq: int) -> bool:
    """Whether an in-place update rebound Variable x after the node numbered `seq` was made."""
    history = getattr(x, "_history", None)
    return history is not None and history[-1][0] > seq


def stale(x: Any, seq: int) -> bool:
    """Whether the value of x, or of a box under it, was replaced or its memory
    written after `seq`."""
    box = x
    while isinstance(box, Box) and not box._opaque:
        if getattr(box, "_replaced", -1) > seq:
            return True
        box = box._value
    return written_after(box, seq)


def _inputs_as_recorded(node: Any) -> tuple:
    """The node's inputs as they were when it was made; raises if any was overwritten since."""
    seq = node._seq
    args = tuple(as_of(a, seq) for a in node._args)
    for i, a in enumerate(args):
        if isinstance(a, Box) and stale(a, seq):
            raise RuntimeError(
                f"one of the Variables needed for gradient computation (input {i} of "
                f"{node._prim.name}) has been modified in place since it was used; "
                "recompute the forward pass after changing it"
            )
    if stale(node, seq):
        raise RuntimeError(
            f"the output of {node._prim.name} has been modified in place since it was "
            "computed; recompute the forward pass after changing it"
        )
    return args
