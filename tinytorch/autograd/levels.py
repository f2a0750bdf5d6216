"""Levels: which differentiation a box belongs to, and which box an op handles first.

Every box (a `Dual` or a `Variable`) carries an integer level. A primitive applied
to boxes handles the boxes of the highest level present and treats every other
value, boxed at a lower level or not at all, as a constant. Each transform call
(`grad`, `jvp`, `jacobian`, ...) takes a fresh level above all existing ones, so
nested transforms never confuse each other's perturbations.

Boxes made by hand share one level per kind and per context: outside any
transform, the base levels below every transform level; inside a transform's
function, two levels the transform reserved just above its own, so that the
transform treats them as inner differentiations (as it would a nested
transform). A hand-made box that wraps another box sits just above what it wraps.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

REVERSE_BASE = 1
FORWARD_BASE = 2
TRANSFORM_BASE = 1000

_lock = threading.Lock()
_last_level = TRANSFORM_BASE


class Box:
    """Base of `Dual` and `Variable`: a value boxed at a level.

    `_value` is the primal (itself possibly a box of a lower level); `_deep` says
    the value holds boxes of lower levels, so ops on it must dispatch again.
    """

    __slots__ = ("_value", "_level", "_deep")


def new_level() -> int:
    """A level above every level handed out so far."""
    global _last_level
    with _lock:
        _last_level += 1
        return _last_level


def new_transform_level() -> int:
    """A level for a transform, with the two above it reserved for the Variables
    and the Duals made by hand while the transform's function runs."""
    global _last_level
    with _lock:
        _last_level += 3
        return _last_level - 2


class _Active(threading.local):
    def __init__(self) -> None:
        self.levels: list[int] = []


_active = _Active()


@contextlib.contextmanager
def running(level: int) -> Iterator[None]:
    """Mark the transform at `level` as running its function in this thread."""
    _active.levels.append(level)
    try:
        yield
    finally:
        _active.levels.pop()


def level_of(x: object) -> int:
    return x._level if isinstance(x, Box) else 0


def hand_made_level(base: int, inner: int) -> int:
    """Level of a box made by hand around a value whose own level is `inner`.

    Plain contents get the kind's shared level for the current context (see the
    module docstring). Boxed contents need a level above them; below the
    transform levels we keep the kind's parity (odd for Variables, even for
    Duals) so that all hand-made boxes of one kind and one depth still share a
    level and combine.
    """
    if _active.levels:
        shared = _active.levels[-1] + (1 if base == REVERSE_BASE else 2)
        return shared if inner < shared else new_level()
    if inner < base:
        return base
    if inner + 2 < TRANSFORM_BASE:
        level = inner + 1
        return level if (level - base) % 2 == 0 else level + 1
    return new_level()


class _GradMode(threading.local):
    # Variables at levels <= floor record no graph; 0 records everything.
    floor = 0


grad_mode = _GradMode()


@contextlib.contextmanager
def no_grad() -> Iterator[None]:
    """Stop recording reverse-mode graphs for every Variable that exists now.

    Thread-local, usable as a decorator too. Transforms called inside still
    differentiate, as `torch.func` does: their levels are created later.

    >>> from tinytorch.autograd import Variable, no_grad
    >>> x = Variable(2.0, requires_grad=True)
    >>> with no_grad():
    ...     y = x * x
    >>> y.requires_grad
    False
    """
    previous = grad_mode.floor
    grad_mode.floor = max(previous, _last_level)
    try:
        yield
    finally:
        grad_mode.floor = previous


@contextlib.contextmanager
def enable_grad() -> Iterator[None]:
    """Record graphs again inside a `no_grad` block (thread-local).

    >>> from tinytorch.autograd import Variable, no_grad, enable_grad
    >>> x = Variable(2.0, requires_grad=True)
    >>> with no_grad(), enable_grad():
    ...     y = x * x
    >>> y.requires_grad
    True
    """
    previous = grad_mode.floor
    grad_mode.floor = 0
    try:
        yield
    finally:
        grad_mode.floor = previous


def is_grad_enabled() -> bool:
    """Whether Variables made by hand record graphs in this thread."""
    return grad_mode.floor < REVERSE_BASE
