"""What a trace read from outside the function, checked at every call: integer and boolean
arrays it can reach (indices, masks: part of the program), the names through which it
read its captured arrays, and the random states it must not have drawn from."""

from __future__ import annotations

import contextlib
import functools
import types
from collections.abc import Callable
from typing import Any

import numpy as np

from ..autograd.reach import GLOBAL_STATES, accessors, code_names, reachable


def watched_arrays(fun: Callable) -> tuple[list, list]:
    """(array, copy) of the integer and boolean arrays fun can reach (reach.py's search):
    indices and masks, which a trace keeps as part of the program; and the random states
    it can reach, with their values now."""
    arrays: list = []
    generators, _ = reachable(fun, arrays=arrays)
    states = [(get, get()) for get, _ in GLOBAL_STATES + [accessors(gen) for gen in generators]]
    return [(a, a.copy()) for a in arrays if a.dtype.kind in "biu"], states


def names_of(fun: Callable, sources: list) -> list:
    """(read, source): how fun, or a function it closes over or names as a global, reads each
    captured source directly (a closure cell, a global name), so that rebinding the name to
    another array is seen. Sources reached through objects (a layer's attribute) are not followed."""
    wanted = {id(source) for source in sources}
    found, stack, seen = [], [fun], set()
    while stack:
        f = stack.pop()
        if id(f) in seen:
            continue
        seen.add(id(f))
        if isinstance(f, functools.partial):
            stack.append(f.func)
        elif isinstance(f, types.MethodType):
            stack.append(f.__func__)
        elif isinstance(f, types.FunctionType):
            for cell in f.__closure__ or ():
                with contextlib.suppress(ValueError):  # a cell not yet filled
                    _bound_to(cell.cell_contents, lambda cell=cell: cell.cell_contents, wanted, found, stack)
            names, scope = code_names(f.__code__), f.__globals__
            for name in names & scope.keys():
                _bound_to(scope[name], lambda name=name, scope=scope: scope.get(name), wanted, found, stack)
        elif callable(f) and hasattr(f, "__dict__"):  # a transform's object (Jacobian, Jitted): what it wraps
            stack.extend(v for v in vars(f).values() if callable(v))
    return found


def _bound_to(value: Any, read: Callable, wanted: set, found: list, stack: list) -> None:
    if id(value) in wanted:
        found.append((read, value))
    elif isinstance(value, (types.FunctionType, functools.partial, types.MethodType)):
        stack.append(value)


def _same(a: Any, b: Any) -> bool:
    """Equality of random states, which hold arrays."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(a, b)
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return a == b


def refuse_random_draws(states: list, fun: Callable) -> None:
    """Random numbers drawn while tracing would be constants of the program: the same at every call."""
    if any(not _same(get(), before) for get, before in states):
        raise NotImplementedError(
            f"tt.jit({getattr(fun, '__name__', 'f')}): the function draws random numbers (NumPy's or Python's "
            "generators) while it is traced, so every call would reuse the same draws. Draw them outside and "
            "pass them as arguments (a dropout mask, noise), or call the function without tt.jit"
        )
