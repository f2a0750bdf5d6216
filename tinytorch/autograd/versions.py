"""Sequence numbers: the order in which graph nodes are made and arrays are written.

Every reverse-mode node takes the next number when it is made, so sorting nodes
by number is a topological order. Every in-place write into an array a Variable
holds (through `Variable.data`, or an in-place update outside recording) stamps
the memory it wrote, that is the ndarray at the root of the written view's
`.base` chain, so that writes through any view of the same memory are seen.
`backward()` refuses a node that saved an array whose memory was written after
the node was made: the gradient would belong to values the forward pass never saw.

`last_write` is the number of the latest write or rebinding (an in-place update
that makes a Variable stand for a new node, see reverse.py), `last_rebind` of the
latest rebinding: nodes made after them need no checks, which keeps backward fast.
"""

from __future__ import annotations

import itertools
import weakref
from typing import Any

import numpy as np

sequence = itertools.count()
last_write = -1
last_rebind = -1

# id(root array) -> (stamp of its latest write, weak reference to the root)
_stamps: dict[int, tuple[int, weakref.ref]] = {}


def root_of(array: np.ndarray) -> np.ndarray:
    """The ndarray at the root of array's `.base` chain: the owner of its memory."""
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


def _forget(key: int) -> Any:
    return lambda _: _stamps.pop(key, None)


def note_write() -> int:
    """A new stamp, recorded as the latest write."""
    global last_write
    last_write = stamp = next(sequence)
    return stamp


def note_rebind() -> int:
    """A new stamp, recorded as the latest rebinding (and write)."""
    global last_rebind
    last_rebind = stamp = note_write()
    return stamp


def mark_written(array: Any) -> None:
    """Record that `array`'s memory was just written."""
    if not isinstance(array, np.ndarray):
        return
    stamp = note_write()
    root = root_of(array)
    key = id(root)
    entry = _stamps.get(key)
    if entry is not None and entry[1]() is root:
        _stamps[key] = (stamp, entry[1])
    else:
        _stamps[key] = (stamp, weakref.ref(root, _forget(key)))


def written_after(array: Any, seq: int) -> bool:
    """Whether `array`'s memory was written after the node numbered `seq` was made."""
    if not isinstance(array, np.ndarray):
        return False
    root = root_of(array)
    entry = _stamps.get(id(root))
    return entry is not None and entry[0] > seq and entry[1]() is root
