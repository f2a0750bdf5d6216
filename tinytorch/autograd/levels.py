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
import functools
import inspect
import threading
from collections.abc import Callable, Generator, Iterator
from typing import Any

REVERSE_BASE = 1
FORWARD_BASE = 2
TRANSFORM_BASE = 1000

_lock = threading.Lock()
_last_level = TRANSFORM_BASE


class Box:
    """Base of `Dual` and `Variable`: a value boxed at a level.

    `_value` is the primal (itself possibly a box of a lower level); `_nested` says
    the value holds boxes of lower levels, so ops on it must dispatch again.
    """

    __slots__ = ("_value", "_level", "_nested")
    # a box whose value may not be read (a tt.jit Tracer: its value while tracing is one
    # example, not the value at the next call); shape and dtype are always known
    _opaque = False


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
def transform_running(level: int) -> Iterator[None]:
    """Mark the transform at `level` as running its function in this thread."""
    _active.levels.append(level)
    try:
        yield
    finally:
        _active.levels.pop()


def is_running(level: int) -> bool:
    """Whether `level` is the level of a transform running its function in this thread."""
    return level in _active.levels


def level_of(x: object) -> int:
    return x._level if isinstance(x, Box) else 0


def level_for_hand_made_box(base: int, inner: int) -> int:
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
    def __init__(self) -> None:
        # Variables at levels <= floor record no graph; 0 records everything
        self.floor = 0
        self.saved: list[int] = []  # the floors to restore, one per open block


grad_mode = _GradMode()


class _GradModeBlock:
    """A context manager that sets this thread's grad mode, usable as a decorator
    bare or called, as in PyTorch. Subclasses give the floor the block sets
    (`_floor`). It keeps no state of its own, so one instance can be entered from
    several threads, or re-entered, at once."""

    def __new__(cls, func: Callable | None = None) -> Any:
        block = super().__new__(cls)
        return block if func is None else block(func)

    def __enter__(self) -> None:
        grad_mode.saved.append(grad_mode.floor)
        grad_mode.floor = self._floor()

    def __exit__(self, *exc_info: object) -> None:
        grad_mode.floor = grad_mode.saved.pop()

    def __call__(self, func: Callable) -> Callable:
        if inspect.isgeneratorfunction(func):
            return self._around_each_step(func)

        @functools.wraps(func)
        def in_block(*args: Any, **kwargs: Any) -> Any:
            with self:
                return func(*args, **kwargs)

        return in_block

    def _around_each_step(self, func: Callable[..., Generator]) -> Callable[..., Generator]:
        """A generator function whose every step runs in the block, as PyTorch's
        `_wrap_generator` does: calling it only creates the generator, and between
        steps the caller's mode holds, whichever thread the caller is."""

        @functools.wraps(func)
        def stepped(*args: Any, **kwargs: Any) -> Generator:
            gen = func(*args, **kwargs)
            try:
                with self:
                    response = gen.send(None)
                while True:
                    try:
                        request = yield response
                    except GeneratorExit:
                        with self:
                            gen.close()
                        raise
                    except BaseException as e:
                        with self:
                            response = gen.throw(e)
                    else:
                        with self:
                            response = gen.send(request)
            except StopIteration as stop:
                return stop.value

        return stepped


class no_grad(_GradModeBlock):
    """Stop recording reverse-mode graphs for every Variable that exists now.

    Thread-local; a decorator too, `@no_grad` or `@no_grad()`, which on a generator
    function covers each of its steps. Transforms called inside still differentiate,
    as `torch.func` does: their levels are created later.

    >>> from tinytorch.autograd import Variable, no_grad
    >>> x = Variable(2.0, requires_grad=True)
    >>> with no_grad():
    ...     y = x * x
    >>> y.requires_grad
    False
    >>> @no_grad
    ... def square(v):
    ...     return v * v
    >>> square(x).requires_grad
    False
    """

    def _floor(self) -> int:
        return max(grad_mode.floor, _last_level)


class enable_grad(_GradModeBlock):
    """Record graphs again inside a `no_grad` block (thread-local; `@enable_grad`
    or `@enable_grad()` as a decorator, around each step of a generator function).

    >>> from tinytorch.autograd import Variable, no_grad, enable_grad
    >>> x = Variable(2.0, requires_grad=True)
    >>> with no_grad(), enable_grad():
    ...     y = x * x
    >>> y.requires_grad
    True
    """

    def _floor(self) -> int:
        return 0


def is_grad_enabled() -> bool:
    """Whether Variables made by hand record graphs in this thread."""
    return grad_mode.floor < REVERSE_BASE
