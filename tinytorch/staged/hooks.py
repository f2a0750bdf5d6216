"""Which thread is tracing, and the hooks every call goes through while one is.

While any thread traces a function for tt.jit, `Primitive.__call__`,
`NonDifferentiable.__call__` and the `_apply` of Variable and Dual are replaced by
hooks that send this thread's calls to its trace (`Staging.bind`, `Staging.record`)
and let other threads run as usual; backprop's step through a node is hooked too,
so that its ops are written under the user's line that made the node. The
originals are put back when the last trace ends, so eager calls pay nothing for
tt.jit.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from ..autograd import backprop, values
from ..autograd.forward import Dual
from ..autograd.levels import transform_running
from ..autograd.primitive import NonDifferentiable, Primitive
from ..autograd.reverse import Variable
from .ir import constant

if TYPE_CHECKING:
    from .tracer import Staging


class _Local(threading.local):
    def __init__(self) -> None:
        self.stack: list[Staging] = []


_local = _Local()
_hook_lock = threading.Lock()
_tracing_threads = 0


def current() -> Staging | None:
    """The trace this thread is recording, if any."""
    return _local.stack[-1] if _local.stack else None


def _constant(array: np.ndarray) -> np.ndarray:
    return array if current() is None else constant(array)


def _staged(original: Any) -> Any:
    """Primitive.__call__ (or NonDifferentiable's) while some thread traces: this
    thread's calls go to its trace, other threads' run as usual."""

    def call(op: Any, *args: Any, **kwargs: Any) -> Any:
        staging = current()
        if staging is None:
            return original(op, *args, **kwargs)
        return staging.bind(op, args, kwargs)

    return call


def _outside_floats(a: Any) -> bool:
    return type(a) is np.ndarray and a.dtype.kind == "f"  # not a Constant, a subclass


def _staged_apply(original: Any) -> Any:
    """A box kind's _apply while some thread traces. Operators such as `x * 2.0` call
    it directly; a box from outside the function (a layer's weights) must be recorded
    too, so that the program reads it at every call."""

    def apply(prim: Any, level: int, nested: bool, args: tuple, kwargs: dict) -> Any:
        staging = current()
        if staging is not None:
            if level < staging.level:
                return staging.record(prim, args, kwargs)
            # an array from outside, as an operand of a derivative's op: its Tracer, so that
            # the rules (which may combine plain operands with NumPy's operators) record their
            # use of it instead of computing with the values it has now
            # (integer and boolean arrays stay as they are: indices and labels are part of the
            # program, watched for changes by jit.py)
            if any(_outside_floats(a) for a in args):
                args = tuple(staging.traced(a) if _outside_floats(a) else a for a in args)
                nested = True
            out = original(prim, level, nested, args, kwargs)
            if isinstance(out, Variable):
                staging.made_at[out] = staging.where()
            return out
        return original(prim, level, nested, args, kwargs)

    return staticmethod(apply)


def _staged_pull_back(original: Any) -> Any:
    """backprop's step through one node while some thread traces: the ops it records
    are written under the user's line that made the node."""

    def pull_back(node: Any, *rest: Any) -> None:
        staging = current()
        if staging is None:
            return original(node, *rest)
        outer = staging.pulling_back
        staging.pulling_back = staging.made_at.get(node, outer)
        try:
            return original(node, *rest)
        finally:
            staging.pulling_back = outer

    return pull_back


# Installed while any thread traces, removed after: eager calls pay nothing for tt.jit
# (a test in Primitive.__call__ instead cost 1-2% of a scalar op, analysis/overhead.py).
_HOOKS = [
    (Primitive, "__call__", _staged),
    (NonDifferentiable, "__call__", _staged),
    (Variable, "_apply", lambda original: _staged_apply(original.__func__)),
    (Dual, "_apply", lambda original: _staged_apply(original.__func__)),
    (backprop, "_pull_back", _staged_pull_back),
]
_originals: list = []


def _install_hooks() -> None:
    for cls, name, staged in _HOOKS:
        original = cls.__dict__[name]
        _originals.append((cls, name, original))
        setattr(cls, name, staged(original))
    values.borrowing = lambda: current() is not None
    values.made_constant = _constant


def _remove_hooks() -> None:
    while _originals:
        cls, name, original = _originals.pop()
        setattr(cls, name, original)
    values.borrowing = None
    values.made_constant = None


@contextlib.contextmanager
def tracing(staging: Staging) -> Iterator[None]:
    """Record this thread's primitive calls into `staging`."""
    global _tracing_threads
    with _hook_lock:
        _tracing_threads += 1
        if _tracing_threads == 1:
            _install_hooks()
    _local.stack.append(staging)
    try:
        with transform_running(staging.level):
            yield
    finally:
        _local.stack.pop()
        with _hook_lock:
            _tracing_threads -= 1
            if _tracing_threads == 0:
                _remove_hooks()
