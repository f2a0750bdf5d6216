"""Forward mode: `Dual(primal, tangent)`.

An op on a Dual computes its primal with the primitive's impl and its tangent
with the primitive's JVP rules, summing one term per argument that carries a
tangent. A tangent of None is a symbolic zero: no rule runs for it and no zero
array is built. No tape is kept.

Tangents may carry leading batch axes (the transforms push a whole basis at
once); for elementwise ops the machinery lifts each tangent to the output's rank
before the rule runs and broadcasts the result to the output's shape after.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import versions
from .box_ops import BoxOps, as_updated, own
from .broadcasting import expanded, lifted
from .levels import FORWARD_BASE, Box, level_for_hand_made_box, level_of
from .values import complex_only_if, is_inexact, numpy_complex
from .views import update


class Dual(Box, BoxOps):
    """A value and its tangent (directional derivative), propagated by every op.

    >>> from tinytorch.autograd import Dual
    >>> import tinytorch as tt
    >>> y = tt.sin(Dual(0.0, 1.0)) * 3.0
    >>> float(y.primal), float(y.tangent)
    (0.0, 3.0)
    """

    # Only set when used: _replaced, the number of the latest in-place update
    # (versions.py); _view_of and _views, its place in a family of views (views.py).
    __slots__ = ("_tangent", "_replaced", "_view_of", "_views", "__weakref__")

    def __init__(self, primal: Any, tangent: Any = None) -> None:
        # copied: an in-place update of the caller's array or box must not change this Dual
        value = own(primal)
        inner = level_of(value)
        if tangent is not None:
            if not isinstance(value, Box) and not is_inexact(value):
                raise TypeError(
                    f"a Dual with a tangent needs a floating-point primal (or a complex one), got dtype {value.dtype}; "
                    "write 3.0 rather than 3, or pass a float array"
                )
            tangent = complex_only_if(own(tangent), value, "Dual: the tangent")
            if np.shape(tangent) != np.shape(value):
                raise ValueError(f"Dual: tangent shape {np.shape(tangent)} differs from primal shape {np.shape(value)}")
            if tangent.dtype != value.dtype:
                tangent = tangent.astype(value.dtype)
            inner = max(inner, level_of(tangent))
        self._value = value
        self._tangent = tangent
        self._level = level_for_hand_made_box(FORWARD_BASE, inner)
        self._nested = isinstance(value, Box)

    # read-only views: a Dual changes only through its own in-place operations
    @property
    def primal(self) -> Any:
        return _read_only(self._value)

    @property
    def tangent(self) -> Any:
        if self._tangent is None:
            return np.zeros_like(self._value)
        return _read_only(self._tangent)

    def __repr__(self) -> str:
        return f"Dual({self._value!r}, {self.tangent!r})"

    def _carries_derivative(self) -> bool:
        return self._tangent is not None

    _has_derivative = _carries_derivative

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        raise TypeError(
            "converting a Dual to a NumPy array would drop its tangent; use .primal "
            "(or a tinytorch function in place of the NumPy one; to build an array from Duals, use tt.stack)"
        )

    def _update_in_place(self, functional: Any, key: Any, value: Any, ufunc: Any = None) -> None:
        """NumPy's in-place semantics (`d[i] = v`, `d += v`): the Dual now holds
        `functional(its old self)`, primal and tangent alike; nothing is overwritten."""
        self._check_written_with(value)
        update(self, functional)

    def _take(self, functional: Any) -> None:
        """Make this Dual hold `functional(its old self)`."""
        new = as_updated(functional(new_dual(self._value, self._tangent, self._level)), self)
        self._value, self._tangent, self._nested = new._value, new._tangent, new._nested
        # a graph of an outer level that saved this Dual must not read the new value
        self._replaced = versions.note_write()

    @staticmethod
    def _apply(prim: Any, level: int, deep: bool, args: tuple, kwargs: dict) -> Dual:
        """prim applied to args, where Duals of `level` are the highest boxes: its impl
        on the primals, its JVP rules on the tangents (see `_apply_any`, the plain
        path). Ops of one or two arguments holding plain values, nearly all of them,
        are unrolled here: the plain path costs 75% more per scalar op
        (analysis/overhead.py)."""
        if deep or len(args) > 2:
            return _apply_any(prim, level, deep, args, kwargs)
        if len(args) == 1:
            x = args[0]
            value, t = x._value, x._tangent
            ans = prim.array_impl(value, **kwargs)
            if t is None:
                return new_dual(ans, None, level)
            if prim.jvp_joint is None:
                # a single argument is never broadcast against another
                return new_dual(ans, prim.jvps[0](t, ans, value, **kwargs), level)
            return new_dual(ans, prim.jvp_joint([t], ans, value, **kwargs), level)
        x, y = args
        if isinstance(x, Box):
            xv, tx = x._value, x._tangent
        else:
            xv, tx = (numpy_complex(x, y) if type(x) is complex else x), None
        if isinstance(y, Box):
            yv, ty = y._value, y._tangent
        else:
            yv, ty = (numpy_complex(y, x) if type(y) is complex else y), None
        ans = prim.array_impl(xv, yv, **kwargs) if kwargs else prim.array_impl(xv, yv)
        if tx is None and ty is None:
            t = None
        elif prim.linear and ty is None:
            t = prim(tx, yv, **kwargs)  # linear in x: the tangent goes through the op itself
        elif prim.broadcasting and not kwargs:
            t = _elementwise_output_tangent(prim.jvps, tx, ty, ans, xv, yv)
        else:
            t = output_tangent(prim, [tx, ty], ans, [xv, yv], kwargs)
        out = Dual.__new__(Dual)  # new_dual(ans, t, level), inline: a call costs 5% of a scalar op
        out._value = ans
        out._tangent = t
        out._level = level
        out._nested = False
        return out


def _apply_any(prim: Any, level: int, deep: bool, args: tuple, kwargs: dict) -> Dual:
    """The plain path of forward mode, for any arguments: unbox the Duals of `level`
    (the others, lower or plain, are constants here), apply the impl to the primals
    (`prim` itself when they hold boxes of lower levels, which then dispatch
    again), and the JVP rules to the tangents (None: a symbolic zero)."""
    primals = list(args)
    tangents = None
    for i, a in enumerate(args):
        if isinstance(a, Box) and a._level == level:
            primals[i] = a._value
            if a._tangent is not None:
                if tangents is None:
                    tangents = [None] * len(args)
                tangents[i] = a._tangent
        elif type(a) is complex:
            primals[i] = numpy_complex(a, *args)
    ans = prim(*primals, **kwargs) if deep else prim.array_impl(*primals, **kwargs)
    if tangents is None:
        return new_dual(ans, None, level)
    if prim.linear and all(t is None for t in tangents[1:]):
        return new_dual(ans, prim(tangents[0], *primals[1:], **kwargs), level)
    return new_dual(ans, output_tangent(prim, tangents, ans, primals, kwargs), level)


def _read_only(x: Any) -> Any:
    if not isinstance(x, np.ndarray):
        return x
    view = x.view()
    view.flags.writeable = False
    return view


def new_dual(value: Any, tangent: Any, level: int) -> Dual:
    out = Dual.__new__(Dual)
    out._value = value
    out._tangent = tangent
    out._level = level
    out._nested = isinstance(value, Box)
    return out


def _elementwise_output_tangent(jvps: Any, tx: Any, ty: Any, ans: Any, x: Any, y: Any) -> Any:
    """`output_tangent` for the common case: an elementwise op of two arguments."""
    # (the helpers are called only when there is work for them: this is the hot
    # path of every binary op on Duals)
    out = None
    if tx is not None:
        nb = tx.ndim - x.ndim
        out = jvps[0](lifted(tx, x, ans) if nb else tx, ans, x, y)
    if ty is not None:
        nb = ty.ndim - y.ndim
        term = jvps[1](lifted(ty, y, ans) if nb else ty, ans, x, y)
        out = term if out is None else out + term
    return out if out.shape[nb:] == ans.shape else expanded(out, ans, nb)


def output_tangent(prim: Any, tangents: list, ans: Any, primals: list, kwargs: dict) -> Any:
    """The output tangent of `prim` from its input tangents (None = zero)."""
    if prim.jvp_joint is not None:
        return prim.jvp_joint(tangents, ans, *primals, **kwargs)
    out = None
    for i, t in enumerate(tangents):
        if t is not None:
            nb = t.ndim - primals[i].ndim
            if prim.broadcasting:
                t = lifted(t, primals[i], ans)
            term = prim.jvps[i](t, ans, *primals, **kwargs)
            out = term if out is None else out + term
    return expanded(out, ans, nb) if prim.broadcasting else out
