"""Views: NumPy's aliasing for in-place updates of boxes.

`y[1:]`, `y[0]` of a matrix, `y.reshape(...)`, `y.T` and `tt.flip(y)` of a
Variable or Dual are views of y, as in NumPy and PyTorch: an in-place update of
the view is seen by y, and an in-place update of y by its views. Boxes never
share arrays that a recorded graph could see change, so this is done by
rebinding (see `Variable._rebind`): a view keeps `_view_of = (base, derive,
put_back)` and its base keeps weak references to its views; after an in-place
update of any box in such a family, the base takes the new values
(`put_back(base, view)`, up to the root), then every live view is derived again
from its base (`derive(base)`, down from the root). Each step is an ordinary,
differentiable op, so every use before and after an update is differentiated
right. The root keeps the memory layout it had, as NumPy's array would.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from .levels import Box


def view_of(view: Any, base: Any, derive: Callable[[Any], Any], put_back: Callable[[Any, Any], Any]) -> Any:
    """Register box `view` (= derive(base)) as a view of box `base`; returns `view`.
    put_back(base, view) is base with the view's values written back into it."""
    if not isinstance(base, Box) or not isinstance(view, Box) or view is base or view._opaque:
        return view  # a traced array (tt.jit) is never updated in place
    view._view_of = (base, derive, put_back)
    refs = getattr(base, "_views", None)
    if refs is None:
        refs = base._views = []
    elif len(refs) >= 16 and not len(refs) & (len(refs) - 1):
        # drop dead views now and then (at powers of two: amortized constant cost)
        refs[:] = [r for r in refs if r() is not None]
    refs.append(weakref.ref(view))
    return view


def bases_of(box: Any) -> list:
    """The boxes `box` is a view of, nearest first."""
    found = []
    link = getattr(box, "_view_of", None)
    while link is not None:
        found.append(link[0])
        link = getattr(link[0], "_view_of", None)
    return found


def in_family(box: Any) -> bool:
    """Whether box is a view, or has live views."""
    return getattr(box, "_view_of", None) is not None or any(r() is not None for r in getattr(box, "_views", ()))


def update(box: Any, functional: Callable[[Any], Any]) -> None:
    """box becomes functional(box) (its `_take`), and its family follows: its bases
    take the new values, up to the root, then every live view is derived again."""
    bases = bases_of(box)
    root = bases[-1] if bases else box
    layout = _layout(root)
    box._take(functional)
    node = box
    for base in bases:
        _, _, put_back = node._view_of
        base._take(lambda old, put_back=put_back, child=node: put_back(old, child))
        node = base
    _restore_layout(root, layout)
    stack = [root]
    while stack:
        parent = stack.pop()
        for ref in getattr(parent, "_views", ()):
            view = ref()
            if view is not None:
                view._take(lambda old, derive=view._view_of[1], parent=parent: derive(parent))
                stack.append(view)


def _innermost(box: Any) -> Any:
    while isinstance(box._value, Box):
        box = box._value
    return box


def _layout(box: Any) -> str | None:
    value = _innermost(box)._value
    if not isinstance(value, np.ndarray):
        return None
    return "C" if value.flags.c_contiguous else "F" if value.flags.f_contiguous else None


def _restore_layout(box: Any, layout: str | None) -> None:
    """Give the root's new array the memory layout its old one had: NumPy writes
    into the same memory, and whether a later reshape is a view depends on it."""
    inner = _innermost(box)
    value = inner._value
    if layout is None or not isinstance(value, np.ndarray) or _layout(box) == layout:
        return
    inner._value = np.ascontiguousarray(value) if layout == "C" else np.asfortranarray(value)
