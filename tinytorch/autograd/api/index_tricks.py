"""NumPy's `r_` and `c_`: arrays joined by index syntax, `tt.r_[a, 0:3, b]`, on boxes too.

Slices become ranges as NumPy makes them (`0:1:5j`: five points of a linspace),
numbers and arrays join along the first axis (`r_`) or as columns (`c_`). NumPy's
string directives (`r_["0,2", ...]`) are not supported.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..values import box_or_array
from .manipulation import atleast_1d, atleast_2d, concatenate, reshape


class _Joined:
    def __init__(self, name: str, columns: bool) -> None:
        self.name, self.columns = name, columns

    def __repr__(self) -> str:
        return f"tt.{self.name}"

    def __getitem__(self, key: Any) -> Any:
        items = key if isinstance(key, tuple) else (key,)
        if items and isinstance(items[0], str):
            raise NotImplementedError(f"tt.{self.name}: NumPy's string directives ({items[0]!r}) are not supported")
        pieces = [self._piece(item) for item in items]
        return concatenate(pieces, axis=-1 if self.columns else 0)

    def _piece(self, item: Any) -> Any:
        x = np.r_[item] if isinstance(item, slice) else atleast_1d(box_or_array(item))
        if not self.columns:
            return x
        return reshape(x, (-1, 1)) if np.ndim(x) == 1 else atleast_2d(x)


r_ = _Joined("r_", columns=False)
c_ = _Joined("c_", columns=True)
