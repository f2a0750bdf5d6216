"""`Variable.data`: an ndarray view that reports in-place writes.

NumPy arrays have no version counter, so a graph cannot tell that an array it
saved for backward was overwritten. `Variable.data` therefore hands out this
view: every in-place write through it (item assignment, augmented assignment,
`out=`, `ufunc.at`, `.flat[...] =`, `fill`, `np.copyto`, ...) stamps the memory
it writes (versions.py), and `backward()` refuses to use a graph that saved any
view of that memory before the write. The view is read-only to NumPy itself, so
that writes which would go around it (through `np.asarray(v.data)`, a memoryview,
`out=` of a random generator, ...) raise instead of going unnoticed; its own
write methods open it for the one write. Anything computed from the view is a
plain ndarray again.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .versions import mark_written

# NumPy functions that write into an argument, and the name of that argument
_WRITERS = {
    np.copyto: "dst",
    np.put: "a",
    np.place: "arr",
    np.putmask: "a",
    np.fill_diagonal: "a",
    np.put_along_axis: "arr",
}


def _plain(x: Any) -> Any:
    return x.view(np.ndarray) if isinstance(x, DataView) else x


def _opened(x: Any) -> Any:
    """A writable plain view for a write through DataView x (stamped as written);
    anything else as it is."""
    if not isinstance(x, DataView):
        return x
    mark_written(x)
    view = x.view(np.ndarray)
    view.flags.writeable = True
    return view


class DataView(np.ndarray):
    def __setitem__(self, key: Any, value: Any) -> None:
        _opened(self)[key] = value

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        out = kwargs.get("out")
        if out:
            kwargs["out"] = tuple(_opened(o) for o in out)
        if method == "at":
            inputs = (_opened(inputs[0]), *inputs[1:])
        result = getattr(ufunc, method)(*(_plain(x) for x in inputs), **kwargs)
        if out:
            return out[0] if len(out) == 1 else out
        return result

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        if func in _WRITERS:
            name = _WRITERS[func]
            if args:
                args = (_opened(args[0]), *args[1:])
            else:
                kwargs = {**kwargs, name: _opened(kwargs.get(name))}
        out = kwargs.get("out")
        if out is not None:
            kwargs = {**kwargs, "out": tuple(map(_opened, out)) if isinstance(out, tuple) else _opened(out)}
        return super().__array_function__(func, types, args, kwargs)

    @property
    def flat(self) -> _Flat:
        return _Flat(self)

    def fill(self, value: Any) -> None:
        _opened(self).fill(value)

    def sort(self, *args: Any, **kwargs: Any) -> None:
        _opened(self).sort(*args, **kwargs)

    def put(self, *args: Any, **kwargs: Any) -> None:
        _opened(self).put(*args, **kwargs)

    def partition(self, *args: Any, **kwargs: Any) -> None:
        _opened(self).partition(*args, **kwargs)


class _Flat:
    """`DataView.flat`: NumPy's flat iterator, reporting item assignment."""

    def __init__(self, view: DataView) -> None:
        self._view = view
        self._flat = view.view(np.ndarray).flat

    def __getitem__(self, key: Any) -> Any:
        return self._flat[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        _opened(self._view).flat[key] = value

    def __iter__(self) -> Any:
        return iter(self._flat)

    def __len__(self) -> int:
        return len(self._flat)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return np.asarray(self._flat, dtype=dtype)


def tracked(value: np.ndarray) -> DataView:
    view = value.view(DataView)
    view.flags.writeable = False
    return view
