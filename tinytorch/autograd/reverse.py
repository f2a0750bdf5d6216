"""Reverse mode: `Variable`, and how it records the ops applied to it.

A Variable made by an op is its own tape node, as in micrograd: it remembers
the primitive, the inputs as given and which of them need a cotangent. Nothing
points from an input to its outputs, so an unreachable graph dies by refcount.
`backward()` hands the node to backprop.py, which walks the graph back.

In-place updates (`y[i] = v`, `y += v`) never overwrite an array a graph may
need: the Variable is rebound to a new node, and keeps the ones it stood for
before so that older edges still find them (see `_rebind`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import versions
from .backprop import backprop
from .box_ops import BoxOps, holds_derivative, own
from .data_view import tracked
from .levels import REVERSE_BASE, TRANSFORM_BASE, Box, grad_mode, level_for_hand_made_box, level_of
from .primitive import unbox_all
from .rules.shape import astype_p
from .updates import UpdatesInPlace
from .values import PLAIN_SCALARS, complex_only_if, is_inexact, numpy_complex, saved_operand
from .versions import root_of, sequence


class Variable(Box, BoxOps, UpdatesInPlace):
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
    # (NumPy arrays among them copied; None once released); _argnums: which of
    # them are Variables needing a cotangent. Nothing else is allocated per node:
    # every object a long graph keeps alive is work for Python's cyclic GC, which
    # would otherwise cost more than the rest of recording. _seq orders nodes.
    # Only set when used: _grad; _replaced, the number of the latest replacement of
    # its value (`.data = `, an update under no_grad); _history, the nodes it stood
    # for before in-place updates rebound it, with when that happened (see
    # _rebind); _view_of and _views, its place in a family of views (views.py).
    __slots__ = (
        "_prim",
        "_args",
        "_kwargs",
        "_argnums",
        "_requires_grad",
        "_seq",
        "_grad",
        "_replaced",
        "_history",
        "_view_of",
        "_views",
        "__weakref__",
    )

    def __init__(self, data: Any, requires_grad: bool = False) -> None:
        # copied, as torch.tensor does: writes to the caller's array (or in-place
        # updates of the caller's box) must not reach a graph behind the engine's back
        value = own(data)
        self._value = value
        self._level = level_for_hand_made_box(REVERSE_BASE, level_of(value))
        self._nested = isinstance(value, Box)
        self._prim = None
        self._argnums = ()
        self._requires_grad = False
        if requires_grad:
            self.requires_grad = True

    # --- data and gradient --------------------------------------------------------------
    @property
    def data(self) -> Any:
        """The array held (a view that reports in-place writes, see data_view.py)."""
        value = self._value
        if isinstance(value, Box):
            return value
        if not isinstance(value, np.ndarray):
            value = self._value = np.asarray(value)
        return tracked(value)

    @data.setter
    def data(self, new: Any) -> None:
        self._value = own(new)
        self._nested = isinstance(self._value, Box)
        # graphs that saved this Variable would read the new value: they must refuse
        self._replaced = versions.note_write()

    def numpy(self) -> Any:
        return self.data

    @property
    def grad(self) -> Any:
        return getattr(self, "_grad", None)

    @grad.setter
    def grad(self, value: Any) -> None:
        if not (self._requires_grad and self._prim is None):
            raise RuntimeError("only leaf Variables that require grad have a .grad to set")
        if value is not None:
            if np.shape(value) != self.shape:
                raise RuntimeError(
                    f"assigned grad has shape {np.shape(value)}, but the Variable has shape {self.shape}"
                )
            if np.result_type(value) != self.dtype:
                raise RuntimeError(
                    f"assigned grad has dtype {np.result_type(value)}, but the Variable has dtype {self.dtype}"
                )
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
        if flag and not is_inexact(self._value):
            raise TypeError(
                f"only floating-point Variables (or complex ones) can require grad, got dtype {self.dtype}; "
                "write 5.0 rather than 5, or pass a float array"
            )
        if flag and not self._requires_grad:
            self._seq = next(sequence)
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
        return constant(self._value, self._level)

    def __repr__(self) -> str:
        value = self._value
        body = (
            repr(value)
            if isinstance(value, Box)
            else np.array2string(np.asarray(value), separator=", ", prefix="Variable(")
        )
        if self._prim is not None:
            return f"Variable({body}, grad_fn={self._prim.name})"
        if self._requires_grad:
            return f"Variable({body}, requires_grad=True)"
        return f"Variable({body})"

    def __reduce__(self) -> tuple:
        if self._nested or self._level >= TRANSFORM_BASE or (self._prim is not None and self._requires_grad):
            raise TypeError(
                "cannot pickle a Variable that is part of a graph or of a transform; "
                "pickle .detach() (its value) instead"
            )
        return Variable, (np.asarray(self._value), self._requires_grad)

    def _carries_derivative(self) -> bool:
        # hand-made Variables convert like PyTorch tensors (float(loss)); a
        # transform's Variables do not
        return self._requires_grad and self._level >= TRANSFORM_BASE

    def _has_derivative(self) -> bool:
        return self._requires_grad

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        if holds_derivative(self):
            raise TypeError(
                "converting a Variable that requires grad to a NumPy array would drop its "
                "gradient; use .detach() or .data, or a tinytorch function in place of the NumPy one "
                "(to build an array from Variables, use tt.stack or write into a Variable)"
            )
        value = np.asarray(unbox_all(self._value), dtype=dtype)
        if copy:
            return value.copy()
        # read-only: a graph may have saved this array, and writes that bypass .data
        # would go unnoticed
        view = value.view()
        view.flags.writeable = False
        return view

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
            if np.iscomplexobj(value):
                raise RuntimeError(
                    "backward() of a complex output needs `gradient=`: grad can be implicitly created only "
                    "for real outputs (differentiate tt.real(y) or tt.abs(y) ** 2, for example)"
                )
            gradient = np.ones_like(value)
        else:
            if isinstance(gradient, Box) and gradient._level == self._level and not create_graph:
                gradient = gradient._value
            if not isinstance(gradient, Box):
                # a copy: it may become a leaf's .grad, which the caller's array must not be
                gradient = complex_only_if(gradient, value, "backward(): gradient")
                gradient = np.array(gradient, dtype=np.result_type(value))
            if gradient.shape != np.shape(value):
                raise RuntimeError(
                    f"backward(): gradient has shape {gradient.shape}, output has shape {np.shape(value)}"
                )
        if retain_graph is None:
            retain_graph = create_graph
        grads = backprop([(self, gradient)], self._level, create_graph, retain_graph)
        given: set = set()  # .grad arrays are the leaves' own, writable, as in PyTorch
        for leaf, g in grads.items():
            g = _as_leaf_grad(g, leaf, create_graph)
            if isinstance(g, np.ndarray):
                if not g.flags.writeable or id(root_of(g)) in given:
                    g = g.copy()
                given.add(id(root_of(g)))
            leaf._grad = g if leaf._grad is None else leaf._grad + g


def constant(value: Any, level: int) -> Variable:
    """A Variable that requires no grad."""
    out = Variable.__new__(Variable)
    out._value = value
    out._level = level
    out._nested = isinstance(value, Box)
    out._prim = None
    out._argnums = ()
    out._requires_grad = False
    return out


def node(prim: Any, value: Any, level: int, args: tuple, kwargs: dict, argnums: tuple) -> Variable:
    """A Variable recording that `value` is `prim(*args, **kwargs)`, which passes
    cotangents to the arguments numbered `argnums`."""
    out = Variable.__new__(Variable)
    out._value = value
    out._level = level
    out._nested = isinstance(value, Box)
    out._prim = prim
    out._args = args
    out._kwargs = kwargs
    out._argnums = argnums
    out._requires_grad = True
    out._seq = next(sequence)
    return out


def leaf(value: Any, level: int) -> Variable:
    """A Variable that requires grad, at a transform's level."""
    out = constant(value, level)
    out._requires_grad = True
    out._seq = next(sequence)
    out._grad = None
    return out


def _apply(prim: Any, level: int, deep: bool, args: tuple, kwargs: dict) -> Variable:
    """prim applied to args, where Variables of `level` are the highest boxes: its
    impl on the values, recorded as a node if an argument requires grad (see
    `_apply_any`, the plain path). Ops of one or two arguments holding plain
    values, nearly all of them, are unrolled here: the plain path costs 55% more
    per scalar op, value and gradient (analysis/overhead.py)."""
    if deep or len(args) > 2:
        return _apply_any(prim, level, deep, args, kwargs)
    if len(args) == 1:
        x = args[0]
        ans = prim.array_impl(x._value, **kwargs) if kwargs else prim.array_impl(x._value)
        argnums = (0,) if x._requires_grad else None
    else:
        x, y = args
        x_box, y_box = isinstance(x, Box), isinstance(y, Box)
        xv = x._value if x_box else x
        yv = y._value if y_box else y
        if not (x_box and y_box) and (type(xv) is complex or type(yv) is complex):
            xv, yv = (numpy_complex(v, xv, yv) if type(v) is complex else v for v in (xv, yv))
            args = (x if x_box else xv, y if y_box else yv)
        ans = prim.array_impl(xv, yv, **kwargs) if kwargs else prim.array_impl(xv, yv)
        if x_box and x._requires_grad:
            argnums = (0, 1) if y_box and y._requires_grad else (0,)
        else:
            argnums = (1,) if y_box and y._requires_grad else None
        if argnums is not None and not (x_box and y_box):
            if not x_box and type(xv) not in PLAIN_SCALARS:
                args = (saved_operand(xv), y)
            elif not y_box and type(yv) not in PLAIN_SCALARS:
                args = (x, saved_operand(yv))
    if argnums is None or level <= grad_mode.floor:
        return constant(ans, level)
    if kwargs:
        kwargs = {k: saved_operand(v) for k, v in kwargs.items()}
    out = Variable.__new__(Variable)  # node(...), inline: the call costs 4% of a scalar op
    out._value = ans
    out._level = level
    out._nested = False
    out._prim = prim
    out._args = args
    out._kwargs = kwargs
    out._argnums = argnums
    out._requires_grad = True
    out._seq = next(sequence)
    return out


def _apply_any(prim: Any, level: int, deep: bool, args: tuple, kwargs: dict) -> Variable:
    """The plain path of reverse mode, for any arguments: unbox the Variables of
    `level` (the others, lower or plain, are constants here), apply the impl to the
    values (`prim` itself when they hold boxes of lower levels, which then dispatch
    again), and record a node over the arguments that require grad, keeping copies
    of the plain arrays among them (later writes to those must not change a gradient)."""
    args = tuple(numpy_complex(a, *args) if type(a) is complex else a for a in args)
    values = list(args)
    argnums = []
    for i, a in enumerate(args):
        if isinstance(a, Box) and a._level == level:
            values[i] = a._value
            if a._requires_grad:
                argnums.append(i)
    ans = prim(*values, **kwargs) if deep else prim.array_impl(*values, **kwargs)
    if not argnums or level <= grad_mode.floor:
        return constant(ans, level)
    saved_kwargs = {k: saved_operand(v) for k, v in kwargs.items()}
    return node(prim, ans, level, tuple(map(saved_operand, args)), saved_kwargs, tuple(argnums))


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
