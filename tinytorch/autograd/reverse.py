"""Reverse mode: `Variable` and the tape behind `backward()`.

A Variable made by an op is its own tape node, as in micrograd: it remembers
the primitive, the inputs (boxed, and unboxed for the VJP rules) and the input
Variables that need a cotangent. Nothing points from an input to its outputs,
so an unreachable graph dies by refcount.

`backprop` walks the nodes reachable from the seeds in reverse creation order
(a node is always made after the nodes it depends on, so that order is
topological) with an explicit stack: no recursion, any depth. Without
`create_graph` the VJP rules run on plain values; with it they run on the
Variables themselves and are recorded too, so the result can be differentiated.
After a backward without `retain_graph` each node drops its saved inputs and
its links to its parents.
"""

from __future__ import annotations

import itertools
from operator import attrgetter
from typing import Any

import numpy as np

from .box_ops import BoxOps
from .data_view import tracked
from .levels import REVERSE_BASE, TRANSFORM_BASE, Box, grad_mode, hand_made_level, level_of
from .primitive import unbox_all
from .rules.shape import astype_p, sum_to_p
from .values import as_value, is_float

_sequence = itertools.count()
# The sequence number of the latest in-place write to any Variable: backward only
# inspects a node's inputs when some write happened after the node was made.
_last_write = -1

_FREED = (
    "Trying to backward through the graph a second time (or to use saved values after "
    "they were released). Pass retain_graph=True to the first backward() to keep them."
)


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

    # _prim is None for leaves and constants. _args/_kwargs: the inputs as given
    # (None once released); _argnums: which of them are Variables needing a
    # cotangent. Nothing else is allocated per node: every object a long graph
    # keeps alive is work for Python's cyclic GC, which would otherwise cost more
    # than the rest of recording. _seq orders nodes; a write to a Variable's data
    # stamps it with a later _mutated number. _grad, _mutated and _base are only
    # set when used.
    __slots__ = ("_prim", "_args", "_kwargs", "_argnums", "_requires_grad", "_seq", "_grad", "_mutated",
                 "_base", "__weakref__")

    def __init__(self, data: Any, requires_grad: bool = False) -> None:
        value = as_value(data)
        if isinstance(value, np.ndarray) and (value is data or value.base is not None):
            # copied, as torch.tensor does: writes to the caller's array must not
            # reach a graph behind the engine's back
            value = value.copy()
        self._value = value
        self._level = hand_made_level(REVERSE_BASE, level_of(value))
        self._deep = isinstance(value, Box)
        self._prim = None
        self._argnums = ()
        self._requires_grad = False
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
        return getattr(self, "_grad", None)

    @grad.setter
    def grad(self, value: Any) -> None:
        if not (self._requires_grad and self._prim is None):
            raise RuntimeError("only leaf Variables that require grad have a .grad to set")
        self._grad = value

    def zero_grad(self) -> None:
        self._grad = None

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        if self._prim is not None:
            raise RuntimeError("requires_grad can only be changed on leaf Variables; use .detach() on this one")
        if flag and not is_float(self._value):
            raise TypeError(
                f"only floating-point Variables can require grad, got dtype {self.dtype}; "
                "write 5.0 rather than 5, or pass a float array"
            )
        if flag and not self._requires_grad:
            self._seq = next(_sequence)
            self._grad = None
        self._requires_grad = bool(flag)

    @property
    def is_leaf(self) -> bool:
        return self._prim is None

    @property
    def grad_fn(self) -> str | None:
        return None if self._prim is None else self._prim.name

    def detach(self) -> Variable:
        """The same data, cut from the graph (writes to either are seen by both)."""
        out = constant(self._value, self._level)
        out._base = self
        return out

    def _mark_mutated(self) -> None:
        global _last_write
        _last_write = stamp = next(_sequence)
        box = self
        while box is not None:
            box._mutated = stamp
            box = getattr(box, "_base", None)

    def __repr__(self) -> str:
        value = self._value
        body = repr(value) if isinstance(value, Box) else np.array2string(
            np.asarray(value), separator=", ", prefix="Variable(")
        if self._prim is not None:
            return f"Variable({body}, grad_fn={self._prim.name})"
        if self._requires_grad:
            return f"Variable({body}, requires_grad=True)"
        return f"Variable({body})"

    def _carries_derivative(self) -> bool:
        # hand-made Variables convert like PyTorch tensors (float(loss)); a
        # transform's Variables do not
        return self._requires_grad and self._level >= TRANSFORM_BASE

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        if self._requires_grad:
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
        from .api import NUMPY_HANDLERS

        op = NUMPY_HANDLERS[ufunc]
        self._update_in_place(lambda old: op(old, other), None, other, ufunc)
        return self

    def _update_in_place(self, functional: Any, key: Any, value: Any, ufunc: Any = None) -> None:
        """PyTorch's in-place semantics on an engine whose arrays are never overwritten
        while a graph may need them.

        Recording: the Variable is rebound to a new node computed from a snapshot of
        its old self, and graphs that used the old value are marked stale. Not
        recording (no_grad, or nothing requires grad): the array is written in place.
        """
        recording = self._level > grad_mode.floor and (
            self._requires_grad or (level_of(value) == self._level and value._requires_grad)
        )
        if recording and self._prim is None and self._requires_grad:
            raise RuntimeError(
                "a leaf Variable that requires grad is being used in an in-place operation; "
                "wrap the update in `with no_grad():`"
            )
        if recording:
            new = functional(_snapshot(self))
            for name in ("_value", "_deep", "_prim", "_args", "_kwargs", "_argnums", "_requires_grad"):
                setattr(self, name, getattr(new, name))
            self._mark_mutated()
            # the rebound node is newer than the write that made it
            self._seq = next(_sequence)
        else:
            target = self._value
            if not isinstance(target, np.ndarray):
                target = self._value = np.asarray(target)
            if ufunc is None:
                target[key] = unbox_all(value)
            else:
                ufunc(target, unbox_all(value), out=target, casting="same_kind")
            self._mark_mutated()

    # --- backward -----------------------------------------------------------------------
    def backward(self, gradient: Any = None, retain_graph: bool | None = None, create_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf), contracted with `gradient`, into every leaf's `.grad`.

        `gradient` defaults to 1 for a single-element Variable. `retain_graph`
        (default: `create_graph`) keeps saved values for another backward;
        `create_graph` records the backward pass so that `.grad` can be
        differentiated again.
        """
        if not self._requires_grad:
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
        grads = backprop([(self, gradient)], self._level, create_graph, retain_graph)
        for leaf, g in grads.items():
            g = _as_leaf_grad(g, leaf, create_graph)
            leaf._grad = g if leaf._grad is None else leaf._grad + g


def constant(value: Any, level: int) -> Variable:
    """A Variable that requires no grad."""
    out = Variable.__new__(Variable)
    out._value = value
    out._level = level
    out._deep = isinstance(value, Box)
    out._prim = None
    out._argnums = ()
    out._requires_grad = False
    return out


def leaf(value: Any, level: int) -> Variable:
    """A Variable that requires grad, at a transform's level."""
    out = constant(value, level)
    out._requires_grad = True
    out._seq = next(_sequence)
    out._grad = None
    return out


def _snapshot(v: Variable) -> Variable:
    old = constant(v._value, v._level)
    for name in ("_prim", "_args", "_kwargs", "_argnums", "_requires_grad", "_seq"):
        if hasattr(v, name):
            setattr(old, name, getattr(v, name))
    return old


def _apply(prim: Any, level: int, deep: bool, args: tuple, kwargs: dict) -> Variable:
    # Unrolled paths for one and two arguments: with `deep` False every box among
    # the arguments is a Variable of this level holding a plain value.
    if not deep and len(args) == 1:
        x = args[0]
        ans = prim.fast(x._value, **kwargs) if kwargs else prim.fast(x._value)
        argnums = (0,) if x._requires_grad else None
    elif not deep and len(args) == 2:
        x, y = args
        x_box, y_box = isinstance(x, Box), isinstance(y, Box)
        xv = x._value if x_box else x
        yv = y._value if y_box else y
        ans = prim.fast(xv, yv, **kwargs) if kwargs else prim.fast(xv, yv)
        if x_box and x._requires_grad:
            argnums = (0, 1) if y_box and y._requires_grad else (0,)
        else:
            argnums = (1,) if y_box and y._requires_grad else None
    else:
        values = list(args)
        argnums = []
        for i, a in enumerate(args):
            if isinstance(a, Box) and a._level == level:
                values[i] = a._value
                if a._requires_grad:
                    argnums.append(i)
        ans = prim(*values, **kwargs) if deep else prim.fast(*values, **kwargs)
        argnums = tuple(argnums) or None
    if argnums is None or level <= grad_mode.floor:
        return constant(ans, level)
    out = Variable.__new__(Variable)
    out._value = ans
    out._level = level
    out._deep = deep and isinstance(ans, Box)
    out._prim = prim
    out._args = args
    out._kwargs = kwargs
    out._argnums = argnums
    out._requires_grad = True
    out._seq = next(_sequence)
    return out


Variable._apply = staticmethod(_apply)


def _as_leaf_grad(g: Any, leaf: Variable, create_graph: bool) -> Any:
    dtype = leaf.dtype
    if isinstance(g, Box) and g._level == leaf._level:
        return g if g.dtype == dtype else astype_p(g, dtype)
    if not isinstance(g, Box):
        g = np.asarray(g)
        if g.dtype != dtype:
            g = g.astype(dtype)
    return constant(g, leaf._level) if create_graph else g


def _check_unmodified(node: Variable) -> None:
    for i, a in enumerate(node._args):
        if isinstance(a, Variable) and getattr(a, "_mutated", -1) > node._seq:
            raise RuntimeError(
                f"one of the Variables needed for gradient computation (input {i} of "
                f"{node._prim.name}) has been modified in place since it was used; "
                "recompute the forward pass after changing it"
            )
    if getattr(node, "_mutated", -1) > node._seq:
        raise RuntimeError(
            f"the output of {node._prim.name} has been modified in place since it was "
            "computed; recompute the forward pass after changing it"
        )


_by_sequence = attrgetter("_seq")


def parents(node: Variable) -> list:
    """The Variables a node passes cotangents to."""
    return [node._args[i] for i in node._argnums]


def _unboxed(args: tuple, level: int) -> list:
    return [a._value if isinstance(a, Box) and a._level == level else a for a in args]


def backprop(seeds: list, level: int, create_graph: bool = False, retain_graph: bool = False,
             stop: set | None = None) -> dict:
    """Cotangents of the leaves reached from `seeds`, a list of (Variable, cotangent).
    Nodes in `stop` are treated as leaves: their cotangents are returned, not passed on."""
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
            for i in argnums:
                parent = args[i]
                if parent not in seen:
                    seen.add(parent)
                    stack.append(parent)
    order.sort(key=_by_sequence, reverse=True)

    cotangents: dict = {}
    for node, g in seeds:
        cotangents[node] = cotangents[node] + g if node in cotangents else g
    leaves = {}
    last_write = _last_write
    for node in order:
        g = cotangents.pop(node)  # every node in `order` was reached through an edge
        prim = node._prim
        if prim is None or (stop and node in stop):
            leaves[node] = g
            continue
        args = node._args
        if args is None:
            raise RuntimeError(_FREED)
        if node._seq < last_write:
            _check_unmodified(node)
        kwargs = node._kwargs
        if create_graph:
            values, ans = args, node
        else:
            ans = node._value
            if len(args) == 1:
                values = (args[0]._value,)
            elif len(args) == 2:
                a, b = args
                values = (a._value if isinstance(a, Box) and a._level == level else a,
                          b._value if isinstance(b, Box) and b._level == level else b)
            else:
                values = _unboxed(args, level)
        if prim.vjp_joint is None:
            vjps = prim.vjps
            broadcasting = prim.broadcasting and len(args) > 1  # one argument is never broadcast
            for i in node._argnums:
                c = vjps[i](g, ans, *values, **kwargs) if kwargs else vjps[i](g, ans, *values)
                if broadcasting:
                    x = values[i]
                    if c.shape != x.shape:
                        # undo broadcasting: sum back to x's shape, keeping batch axes
                        nb = g.ndim - ans.ndim
                        if c.shape[nb:] != x.shape:
                            c = sum_to_p(c, x.shape, c.ndim - nb)
                parent = args[i]
                previous = cotangents.get(parent)
                cotangents[parent] = c if previous is None else previous + c
        else:
            joint = prim.vjp_joint(g, ans, *values, **kwargs)
            for i in node._argnums:
                c = joint[i]
                if c is not None:
                    parent = args[i]
                    previous = cotangents.get(parent)
                    cotangents[parent] = c if previous is None else previous + c
        if not retain_graph:
            node._args = node._kwargs = None
            node._argnums = ()
    return leaves
