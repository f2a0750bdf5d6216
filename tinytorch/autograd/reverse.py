"""Reverse mode: `Variable` and the tape behind `backward()`.

An op on Variables computes its value with the primitive's impl and, when any
input requires grad, records a `Node`: the primitive, its inputs, its output
value and the nodes of the inputs that need a cotangent. A node holds no
reference to its output Variable, so an unreachable graph dies by refcount.

`backprop` walks the nodes reachable from the seeds in reverse creation order
(a node is always created after the nodes it depends on, so that order is
topological) with an explicit stack: no recursion, any depth. Without
`create_graph` the VJP rules run on plain values; with it they run on the
Variables themselves and are recorded too, so the result can be differentiated.
"""

from __future__ import annotations

import itertools
from operator import attrgetter
from typing import Any

import numpy as np

from .box_ops import BoxOps
from .data_view import tracked
from .levels import REVERSE_BASE, Box, grad_mode, hand_made_level, level_of
from .primitive import unbox_all
from .rules.shape import astype_p, sum_to_p
from .values import as_value, is_float

_sequence = itertools.count()
# Bumped by every in-place write to a Variable; nodes remember the epoch they
# were made in, so backward only inspects inputs when some write happened since.
_epoch = 0

_FREED = (
    "Trying to backward through the graph a second time (or to use saved values after "
    "they were released). Pass retain_graph=True to the first backward() to keep them."
)


class Node:
    """One recorded primitive application."""

    __slots__ = ("prim", "args", "kwargs", "ans", "parents", "seq", "epoch", "out_mutated")

    def __init__(self, prim: Any, args: tuple, kwargs: dict, ans: Any, parents: tuple) -> None:
        self.prim = prim
        self.args = args
        self.kwargs = kwargs
        self.ans = ans
        self.parents = parents
        self.seq = next(_sequence)
        self.epoch = _epoch
        self.out_mutated = 0

    def release(self) -> None:
        self.args = self.kwargs = self.ans = None


class LeafNode:
    """Where the gradient of a leaf Variable that requires grad accumulates."""

    __slots__ = ("grad", "seq", "shape", "dtype")
    parents = ()

    def __init__(self, shape: tuple, dtype: np.dtype) -> None:
        self.grad = None
        self.seq = next(_sequence)
        self.shape = shape
        self.dtype = dtype


class Variable(Box, BoxOps):
    """An array that records the operations applied to it, for `backward()`.

    >>> from tinytorch.autograd import Variable
    >>> x = Variable(5.0, requires_grad=True)
    >>> y = Variable(3.0, requires_grad=True)
    >>> z = x**2 + 2*x*y + y**3
    >>> z.backward()
    >>> float(x.grad), float(y.grad)
    (16.0, 37.0)
    """

    __slots__ = ("_node", "_mutated", "_base", "__weakref__")

    def __init__(self, data: Any, requires_grad: bool = False) -> None:
        value = as_value(data)
        self._value = value
        self._level = hand_made_level(REVERSE_BASE, level_of(value))
        self._deep = isinstance(value, Box)
        self._node = None
        self._mutated = 0
        self._base = None
        if requires_grad:
            self.requires_grad = True

    # --- data and gradient --------------------------------------------------------------
    @property
    def data(self) -> Any:
        """The array held (a view that reports in-place writes to this Variable)."""
        value = self._value
        if isinstance(value, Box):
            return value
        if not isinstance(value, np.ndarray):
            value = self._value = np.asarray(value)
        return tracked(value, self)

    @data.setter
    def data(self, new: Any) -> None:
        self._value = as_value(new)
        self._deep = isinstance(self._value, Box)
        self._mark_mutated()

    def numpy(self) -> Any:
        return self.data

    @property
    def grad(self) -> Any:
        node = self._node
        return node.grad if type(node) is LeafNode else None

    @grad.setter
    def grad(self, value: Any) -> None:
        if type(self._node) is not LeafNode:
            raise RuntimeError("only leaf Variables that require grad have a .grad to set")
        self._node.grad = value

    def zero_grad(self) -> None:
        if type(self._node) is LeafNode:
            self._node.grad = None

    @property
    def requires_grad(self) -> bool:
        return self._node is not None

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        if not self.is_leaf:
            raise RuntimeError(
                "requires_grad can only be changed on leaf Variables; use .detach() on this one"
            )
        if not flag:
            self._node = None
        elif self._node is None:
            if not is_float(self._value):
                raise TypeError(
                    f"only floating-point Variables can require grad, got dtype {self.dtype}; "
                    "write 5.0 rather than 5, or pass a float array"
                )
            self._node = LeafNode(self.shape, self.dtype)

    @property
    def is_leaf(self) -> bool:
        return self._node is None or type(self._node) is LeafNode

    @property
    def grad_fn(self) -> str | None:
        node = self._node
        return node.prim.name if type(node) is Node else None

    def detach(self) -> Variable:
        """The same data, cut from the graph (writes to either are seen by both)."""
        out = new_variable(self._value, self._level, None)
        out._base = self
        return out

    def _mark_mutated(self) -> None:
        global _epoch
        _epoch += 1
        box = self
        while box is not None:
            box._mutated = _epoch
            if type(box._node) is Node:
                box._node.out_mutated = _epoch
            box = box._base

    def __repr__(self) -> str:
        body = repr(self._value)
        if type(self._node) is Node:
            return f"Variable({body}, grad_fn={self._node.prim.name})"
        if self._node is not None:
            return f"Variable({body}, requires_grad=True)"
        return f"Variable({body})"

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        if self._node is not None:
            raise TypeError(
                "converting a Variable that requires grad to a NumPy array would drop its "
                "gradient; use .detach() or .data, or a tinytorch function in place of the NumPy one"
            )
        return np.asarray(unbox_all(self._value), dtype=dtype)

    # --- in-place updates ---------------------------------------------------------------
    def __setitem__(self, key: Any, value: Any) -> None:
        from .api import index_update

        self._update_in_place(lambda old: index_update(old, key, value), key, value)

    def __iadd__(self, other): return self._augmented(np.add, other)
    def __isub__(self, other): return self._augmented(np.subtract, other)
    def __imul__(self, other): return self._augmented(np.multiply, other)
    def __itruediv__(self, other): return self._augmented(np.divide, other)

    def _augmented(self, ufunc: np.ufunc, other: Any) -> Variable:
        from . import api

        op = api.NUMPY_HANDLERS[ufunc]
        self._update_in_place(lambda old: op(old, other), None, other, ufunc)
        return self

    def _update_in_place(self, functional: Any, key: Any, value: Any, ufunc: Any = None) -> None:
        """PyTorch's in-place semantics on an immutable-array engine.

        Recording: the Variable is rebound to a new node computed from a snapshot of
        its old self, and graphs that saved the old value are marked stale. Not
        recording (no_grad, or nothing requires grad): the array is written in place.
        """
        recording = self._level > grad_mode.floor and (
            self._node is not None or level_of(value) == self._level
        )
        if recording and type(self._node) is LeafNode:
            raise RuntimeError(
                "a leaf Variable that requires grad is being used in an in-place operation; "
                "wrap the update in `with no_grad():`"
            )
        if recording:
            old = new_variable(self._value, self._level, self._node)
            new = functional(old)
            self._value, self._node = new._value, new._node
            self._deep = isinstance(self._value, Box)
        else:
            plain = unbox_all(value)
            target = self._value
            if not isinstance(target, np.ndarray):
                target = self._value = np.asarray(target)
            if ufunc is None:
                target[key] = plain
            else:
                ufunc(target, plain, out=target, casting="same_kind")
        self._mark_mutated()

    # --- backward -----------------------------------------------------------------------
    def backward(
        self, gradient: Any = None, retain_graph: bool | None = None, create_graph: bool = False
    ) -> None:
        """Accumulate d(self)/d(leaf), contracted with `gradient`, into every leaf's `.grad`.

        `gradient` defaults to 1 for a single-element Variable. `retain_graph`
        (default: `create_graph`) keeps saved values for another backward;
        `create_graph` records the backward pass so that `.grad` can be
        differentiated again.
        """
        if self._node is None:
            raise RuntimeError(
                "backward() on a Variable that does not require grad: no input of the "
                "computation had requires_grad=True"
            )
        value = unbox_all(self._value)
        if gradient is None:
            if np.size(value) != 1:
                raise RuntimeError(
                    f"backward() needs `gradient=` for a non-scalar output (shape {np.shape(value)}); "
                    "grad can be implicitly created only for scalar outputs"
                )
            gradient = np.ones_like(value)
        else:
            if isinstance(gradient, Box) and gradient._level == self._level and not create_graph:
                gradient = gradient._value
            if not isinstance(gradient, Box):
                gradient = np.asarray(gradient, dtype=np.result_type(value))
            if gradient.shape != np.shape(value):
                raise RuntimeError(
                    f"backward(): gradient has shape {gradient.shape}, output has shape {np.shape(value)}"
                )
        if retain_graph is None:
            retain_graph = create_graph
        grads = backprop([(self._node, gradient)], self._level, create_graph, retain_graph)
        for leaf, g in grads.items():
            g = _as_leaf_grad(g, leaf, self._level, create_graph)
            leaf.grad = g if leaf.grad is None else leaf.grad + g


def new_variable(value: Any, level: int, node: Any) -> Variable:
    out = Variable.__new__(Variable)
    out._value = value
    out._level = level
    out._deep = isinstance(value, Box)
    out._node = node
    out._mutated = 0
    out._base = None
    return out


def _apply(prim: Any, level: int, deep: bool, args: tuple, kwargs: dict) -> Variable:
    values = list(args)
    parents = None
    for i, a in enumerate(args):
        if isinstance(a, Box) and a._level == level:
            values[i] = a._value
            node = a._node
            if node is not None:
                if parents is None:
                    parents = []
                parents.append((i, node))
    ans = prim(*values, **kwargs) if deep else prim.fast(*values, **kwargs)
    if parents is None or level <= grad_mode.floor:
        return new_variable(ans, level, None)
    return new_variable(ans, level, Node(prim, args, kwargs, ans, tuple(parents)))


Variable._apply = staticmethod(_apply)


def _as_leaf_grad(g: Any, leaf: LeafNode, level: int, create_graph: bool) -> Any:
    if isinstance(g, Box) and g._level == level:
        return g if g.dtype == leaf.dtype else astype_p(g, leaf.dtype)
    if not isinstance(g, Box):
        g = np.asarray(g)
        if g.dtype != leaf.dtype:
            g = g.astype(leaf.dtype)
    return new_variable(g, level, None) if create_graph else g


def _unbroadcast(c: Any, x: Any, g: Any, ans: Any) -> Any:
    """Sum a cotangent that broadcasting made larger back to x's shape (batch kept)."""
    nb = g.ndim - ans.ndim
    if c.shape[nb:] != x.shape:
        c = sum_to_p(c, x.shape, c.ndim - nb)
    return c


def _check_unmodified(node: Node) -> None:
    for i, a in enumerate(node.args):
        if isinstance(a, Variable) and a._mutated > node.epoch:
            raise RuntimeError(
                f"one of the Variables needed for gradient computation (input {i} of "
                f"{node.prim.name}) has been modified in place since it was used; "
                "recompute the forward pass after changing it"
            )
    if node.out_mutated > node.epoch:
        raise RuntimeError(
            f"the output of {node.prim.name} has been modified in place since it was "
            "computed; recompute the forward pass after changing it"
        )


def backprop(seeds: list, level: int, create_graph: bool = False, retain_graph: bool = False) -> dict:
    """Cotangents of the leaf nodes reached from `seeds`, a list of (node, cotangent)."""
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
        for _, parent in node.parents:
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
    order.sort(key=attrgetter("seq"), reverse=True)

    cotangents: dict = {}
    for node, g in seeds:
        cotangents[node] = cotangents[node] + g if node in cotangents else g
    leaves = {}
    epoch = _epoch
    for node in order:
        g = cotangents.pop(node, None)
        if g is None:
            continue
        if type(node) is LeafNode:
            leaves[node] = g
            continue
        args = node.args
        if args is None:
            raise RuntimeError(_FREED)
        if node.epoch != epoch:
            _check_unmodified(node)
        prim, ans, kwargs = node.prim, node.ans, node.kwargs
        if create_graph:
            values = args
            ans = new_variable(ans, level, node)
        else:
            values = [a._value if isinstance(a, Box) and a._level == level else a for a in args]
        for i, parent in node.parents:
            c = prim.vjp_rule(i)(g, ans, *values, **kwargs)
            if prim.broadcasting:
                c = _unbroadcast(c, values[i], g, ans)
            cotangents[parent] = cotangents[parent] + c if parent in cotangents else c
        if not retain_graph:
            node.release()
    return leaves

