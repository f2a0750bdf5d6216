"""What a checkpointed call can reach: the random states it may draw from (found,
saved and put back) and the Variables it may read, by one bounded search.

The recomputation must redo the forward pass exactly, dropout masks
included, so the random states f may draw from are saved before it runs and put
back for the recomputation (then returned to where backward found them), as
PyTorch's `preserve_rng_state=True` does: NumPy's global `np.random`, Python's
`random`, any state registered with `register_random_state` (tinytorch.core
registers the generator its layers share), and every `np.random.Generator`,
`RandomState`, bare `BitGenerator` or `random.Random` reachable from the call: its
arguments, and from f (or what they hold) the closure, default arguments, the
globals its code names, an object's attributes (a Module's, a submodule's, those
in `__slots__`) and its class's (a generator defined on the class), bound
methods, partials and containers, and the attributes of a module (or of its
submodules) that the code of a function reached names: `rngmod.rng` in f, with
rngmod a global or in its closure. The search runs on every call, so it is kept
cheap. Not followed: a module's other attributes and those that are code
(functions, classes), and a class's methods, so a generator only such code
reaches (a global one that a Module's forward, or a function f calls as
`utils.noise(x)`, draws from) is not found, and needs passing or
`register_random_state`; and a list, tuple, set or dict whose first 8 elements
(values) are all numbers, strings, None or arrays, taken for a container of data
(a list of losses: searching 300,000 numbers cost 0.07 s a call) holding no
generator or Variable.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import random
import types
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from . import reverse
from .levels import Box
from .primitive import Primitive

# (get_state, set_state) of the global random states every checkpoint saves
GLOBAL_STATES: list[tuple[Callable[[], Any], Callable[[Any], None]]] = [
    # NumPy's legacy global state: what np.random.random and friends draw from
    (lambda: np.random.get_state(), lambda state: np.random.set_state(state)),  # noqa: NPY002
    (random.getstate, random.setstate),
]


def register_random_state(get_state: Callable[[], Any], set_state: Callable[[Any], None]) -> None:
    """Have every checkpoint save `get_state()` before f runs and restore it with
    `set_state(...)` for the recomputation; for a random source f reaches through
    a module-level function rather than a generator it can see (tinytorch.core's
    shared default generator, which `manual_seed` replaces).
    """
    GLOBAL_STATES.append((get_state, set_state))


# not searched: numbers, strings, arrays, boxes (Variables are collected), code, the table
# itself, and SystemRandom (the operating system's entropy, which has no state to put back)
_OPAQUE = (
    Box,
    np.ndarray,
    np.generic,
    str,
    bytes,
    int,
    float,
    complex,
    types.ModuleType,
    Primitive,
    random.SystemRandom,
)
# what a container of data holds
_PLAIN = (np.ndarray, np.generic, str, bytes, int, float, complex, type(None))


@functools.cache
def _generators() -> tuple:
    """The generator types, and the generators behind the global states (numpy.random
    is imported on first use, not with tinytorch)."""
    kinds = (np.random.Generator, np.random.RandomState, np.random.BitGenerator, random.Random)
    return kinds, (np.random.random.__self__, random.random.__self__)


def code_names(code: types.CodeType) -> set:
    """The names a function's code (lambdas and comprehensions inside included) looks up."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= code_names(const)
    return names


def reachable(*roots: Any, arrays: list | None = None) -> tuple[list, dict]:
    """The random generators and Variables (by id) reachable from `roots` (see the module
    docstring); the plain arrays too, into `arrays` if given."""
    generator_types, global_generators = _generators()
    found, variables, stack = [], {}, list(roots)
    seen = set(map(id, global_generators))
    while stack:
        obj = stack.pop()
        if isinstance(obj, reverse.Variable):
            variables[id(obj)] = obj
            continue
        if obj is None or isinstance(obj, _OPAQUE) or id(obj) in seen:
            _note_array(obj, arrays, seen)
            continue
        seen.add(id(obj))
        if isinstance(obj, generator_types):
            found.append(obj)
        elif isinstance(obj, (list, tuple, set, frozenset, dict)):
            values = obj.values() if isinstance(obj, dict) else obj
            # judged by its first elements (see the module docstring): searching a long
            # list of numbers would cost more than the call
            if not all(isinstance(v, _PLAIN) for v in itertools.islice(values, 8)):
                stack.extend(values)
        elif isinstance(obj, types.FunctionType):
            names = code_names(obj.__code__)
            held = [obj.__globals__[n] for n in names if n in obj.__globals__]
            for cell in obj.__closure__ or ():
                with contextlib.suppress(ValueError):  # a cell not yet filled
                    held.append(cell.cell_contents)
            stack += [*held, obj.__defaults__, obj.__kwdefaults__]
            stack.extend(_attributes(held, names))
        elif isinstance(obj, (types.MethodType, types.BuiltinMethodType)):
            stack += [obj.__self__, getattr(obj, "__func__", None)]
        elif isinstance(obj, functools.partial):
            stack += [obj.func, obj.args, obj.keywords]
        elif isinstance(obj, type):
            if obj.__module__ == "builtins":  # object, int, ...: nothing of the call's
                continue
            # its attributes, not its methods, properties or slots (descriptors): what
            # those reach is f's business only if f calls them, and then f names them
            stack.extend(v for v in vars(obj).values() if not hasattr(type(v), "__get__"))
            stack.extend(obj.__bases__)
        else:
            with contextlib.suppress(TypeError):  # no __dict__
                stack.extend(vars(obj).values())
            if hasattr(obj, "__slots__"):
                stack.extend(_slot_values(obj))
            stack.append(type(obj))
    return found, variables


def _note_array(obj: Any, arrays: list | None, seen: set) -> None:
    """Add a plain array met for the first time to `arrays`, when arrays are collected."""
    if arrays is not None and type(obj) is np.ndarray and id(obj) not in seen:
        seen.add(id(obj))
        arrays.append(obj)


def _attributes(held: list, names: set) -> list:
    """The attributes called one of `names` of the modules among `held`, and of the
    modules among those (pkg.sub.rng): what code using those names can read from
    them. Not functions (nor numpy's function-likes: descriptors, as for a class's
    attributes): those are a library's code, and following their globals would walk
    the library's (0.3 to 0.5 ms a call for `tt.sum(np.exp(x))`). Read from the
    modules' __dict__, so a module's __getattr__ (which may import or warn) is not run."""
    found, modules, seen = [], [m for m in held if isinstance(m, types.ModuleType)], set()
    while modules:
        module = modules.pop()
        if id(module) in seen:
            continue
        seen.add(id(module))
        attributes = vars(module)
        for value in (attributes[n] for n in names if n in attributes):
            if isinstance(value, types.ModuleType):
                modules.append(value)
            elif not (isinstance(value, type) or hasattr(type(value), "__get__")):
                found.append(value)
    return found


def _slot_values(obj: Any) -> Iterator[Any]:
    """The attributes `obj` keeps in `__slots__`, which vars() does not show."""
    for cls in type(obj).__mro__:
        for slot in vars(cls).values():
            if isinstance(slot, types.MemberDescriptorType):
                with contextlib.suppress(AttributeError):  # a slot not yet filled
                    yield slot.__get__(obj)


def accessors(gen: Any) -> tuple[Callable[[], Any], Callable[[Any], None]]:
    if isinstance(gen, random.Random):
        return gen.getstate, gen.setstate
    if isinstance(gen, np.random.RandomState):
        return gen.get_state, gen.set_state
    bits = gen.bit_generator if isinstance(gen, np.random.Generator) else gen
    return (lambda: bits.state), (lambda state: setattr(bits, "state", state))


@contextlib.contextmanager
def random_states_as(saved: list) -> Iterator[None]:
    """Run with the random states of `saved` (get, set, state), then put the current ones back."""
    current = [(set_state, get_state()) for get_state, set_state, _ in saved]
    for _, set_state, state in saved:
        set_state(state)
    try:
        yield
    finally:
        for set_state, state in reversed(current):
            set_state(state)
