"""The graph a Variable has recorded, as plain data: to draw it, count it, learn from it.

`backward_graph(y)` lists the nodes `y.backward()` would visit, in the order it
visits them (y first, the leaves last), each with the nodes it passes cotangents to.
It reads the graph and changes nothing.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from .backprop import in_backward_order, parents
from .reverse import Variable


class GraphNode(NamedTuple):
    """One node of a recorded graph; `inputs` are positions in the same list."""

    op: str  # the primitive's name, or "leaf" for a Variable made with requires_grad=True
    shape: tuple
    inputs: tuple[int, ...]  # the nodes it passes cotangents to, one entry per argument that needs one
    variable: Variable


def backward_graph(y: Any) -> list[GraphNode]:
    """The nodes y.backward() would visit, in its order: y first, then each node after
    every node that passes cotangents to it (a reverse topological order).

    >>> from tinytorch.autograd import Variable, backward_graph
    >>> x = Variable(2.0, requires_grad=True)
    >>> [(n.op, n.inputs) for n in backward_graph(x * x + x)]
    [('add', (1, 2)), ('multiply', (2, 2)), ('leaf', ())]
    """
    if not isinstance(y, Variable):
        raise TypeError(f"backward_graph takes a Variable, not {type(y).__name__}")
    if y._prim is None and not y._requires_grad:
        raise ValueError(
            "this Variable recorded no graph: it does not require grad (made under no_grad, or from constants)"
        )
    order = in_backward_order([(y, None)], None)
    position = {id(node): i for i, node in enumerate(order)}
    graph = []
    for node in order:
        if node._prim is not None and node._args is None:
            raise RuntimeError(
                "the graph was released by backward(); take backward_graph(y) before it, "
                "or pass retain_graph=True to backward()"
            )
        op = "leaf" if node._prim is None else node._prim.name
        inputs = () if node._prim is None else tuple(position[id(p)] for p in parents(node))
        graph.append(GraphNode(op, node.shape, inputs, node))
    return graph
