"""In-place updates of a Variable (`y[i] = v`, `y += v`, ...; the entry points are
BoxOps'), with PyTorch's semantics on an engine whose arrays are never
overwritten while a graph may need them.

Recording, the Variable is rebound to a new node computed from its old self,
and keeps the nodes it stood for before (`_history`): older edges still find
them (backprop.as_of). Under no_grad a Variable that requires grad keeps its
node and takes the new value. A plain Variable outside any view family that
nothing records has its array written, and the write stamped (versions.py).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from . import versions
from .box_ops import as_updated
from .levels import grad_mode, is_running
from .primitive import unbox_all
from .versions import mark_written
from .views import bases_of, in_family, update


class UpdatesInPlace:
    """What Variable does for an in-place update (a mixin)."""

    __slots__ = ()

    def _update_in_place(self, functional: Any, key: Any, value: Any, ufunc: Any = None) -> None:
        """PyTorch's in-place semantics on an engine whose arrays are never overwritten
        while a graph may need them.

        A plain Variable outside any view family that nothing records (no_grad, or
        nothing requires grad) has its array written in place. Otherwise it takes
        `functional(old self)` (`_take`), and its views and bases follow (views.py).
        """
        inner = self._check_written_with(value)
        recording = self._level > grad_mode.floor and (
            self._requires_grad or (inner == self._level and value._requires_grad)
        )
        if recording and _is_user_leaf(self):
            raise RuntimeError(
                "a leaf Variable that requires grad is being used in an in-place operation; "
                "wrap the update in `with no_grad():`"
            )
        if recording and any(_is_user_leaf(base) for base in bases_of(self)):
            raise RuntimeError(
                "a view of a leaf Variable that requires grad is being used in an in-place operation; "
                "wrap the update in `with no_grad():`"
            )
        if recording or self._nested or (inner and (inner < self._level or value._nested)) or in_family(self):
            update(self, functional)
            return
        target = self._value
        if not isinstance(target, np.ndarray) or not target.flags.writeable:
            # a NumPy scalar, or a read-only broadcast: NumPy's own result would have been a writable copy
            target = self._value = np.array(target)
        if ufunc is None:
            target[key] = unbox_all(value)
        else:
            ufunc(target, unbox_all(value), out=target, casting="same_kind")
        mark_written(target)

    def _take(self, functional: Any) -> None:
        """Become `functional(self)`: a new node (`_rebind`); or, for a Variable that
        requires grad while its level records nothing (no_grad), the same node with
        the new value, as a write into its array would leave it."""
        if self._requires_grad and self._level <= grad_mode.floor:
            new = as_updated(functional(self), self)
            self._value, self._nested = new._value, new._nested
            self._replaced = versions.note_write()  # graphs that saved the old value refuse
        else:
            self._rebind(functional)

    def _rebind(self, functional: Any) -> None:
        """Make this Variable stand for `functional(old self)`.

        Nodes recorded before keep referring to this object; backward resolves
        them to the node it stood for when they were made (`as_of`), which is
        kept in `_history`. So `z = y * 3; y += 1` differentiates both uses of y
        correctly, and so does `y *= y`.
        """
        old = type(self).__new__(type(self))
        _copy_state(self, old)
        new = as_updated(functional(old), old)
        _copy_state(new, self)
        # numbered after the new node, so that the new node's own reads of this
        # Variable (y *= y) resolve to `old`
        entry = (versions.note_rebind(), old)
        history = getattr(self, "_history", None)
        if history is None:
            self._history = [entry]
        else:
            history.append(entry)


def _is_user_leaf(x: Any) -> bool:
    """A leaf Variable that requires grad and is not a running transform's input
    (those are not the user's: they may be updated in place)."""
    return getattr(x, "_prim", True) is None and x._requires_grad and not is_running(x._level)


# What belongs to the object itself rather than to the node it stands for
_IDENTITY = ("_grad", "_history", "_view_of", "_views", "__weakref__")


@functools.cache
def _state(cls: type) -> tuple:
    """The slots that make a Variable the node it is, for _rebind."""
    return tuple(name for klass in cls.__mro__ for name in getattr(klass, "__slots__", ()) if name not in _IDENTITY)


def _copy_state(src: Any, dst: Any) -> None:
    for name in _state(type(dst)):
        if hasattr(src, name):
            setattr(dst, name, getattr(src, name))
        elif hasattr(dst, name):
            delattr(dst, name)
