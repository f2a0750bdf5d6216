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
right. Updates that write memory directly (outside recording) need none of
this: the arrays of a family are NumPy views of each other.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

from .levels import Box


def view_of(view: Any, base: Any, derive: Callable[[Any], Any], put_back: Callable[[Any, Any], Any]) -> Any:
    """Register box `view` (= derive(base)) as a view of box `base`; returns `view`.
    put_back(base, view) is base with the view's values written back into it."""
    if not isinstance(base, Box) or not isinstance(view, Box) or view is base:
        return view
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


def propagate(box: Any) -> None:
    """After box was rebound by an in-place update: its bases take the new values,
    then every live view in the family is derived again."""
    node = box
    link = getattr(node, "_view_of", None)
    while link is not None:
        base, _, put_back = link
        base._rebind(lambda old, put_back=put_back, child=node: put_back(old, child))
        node = base
        link = getattr(node, "_view_of", None)
    stack = [node]
    while stack:
        parent = stack.pop()
        for ref in getattr(parent, "_views", ()):
            view = ref()
            if view is None:
                continue
            view._rebind(lambda old, derive=view._view_of[1], parent=parent: derive(parent))
            stack.append(view)
