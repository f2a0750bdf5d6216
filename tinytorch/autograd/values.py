"""Normalizing what users hand to tinytorch (arrays, scalars, lists, Tensors,
boxes) and checking what goes into a box."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .levels import Box
from .primitive import dtype_of, is_complex

_NUMPY_VALUES = (np.ndarray, np.generic)

# Set by tinytorch.staged while a function is traced: whether this thread is tracing. A
# traced program must read the arrays the function reads at every call, not copies made
# once while tracing.
borrowing: Callable[[], bool] | None = None
# Also set while tracing: marks the arrays the engine makes from shapes alone (a seed of
# ones, a block of the identity), which a traced program may fold as constants.
made_constant: Callable[[np.ndarray], np.ndarray] | None = None


def engine_constant(array: np.ndarray) -> np.ndarray:
    """`array`, made by the engine from shapes alone (see `made_constant`)."""
    return array if made_constant is None else made_constant(array)


def box_or_array(x: Any, *, plain: bool = False) -> Any:
    """A box as it is, anything else as an ndarray: how the NumPy-like functions,
    the layers and the transforms take their arguments.

    A list or tuple holding boxes is stacked (nested lists level by level).
    NumPy's own values (ndarrays of any subclass, NumPy scalars) stay as they are,
    so that the NumPy-like functions return what NumPy would; anything else (a
    list, a Python scalar, a Tensor) goes through np.asarray. With plain=True,
    NumPy's values become plain ndarrays too (a subclass viewed as an ndarray, a
    scalar as a 0-d array), as layers and boxes hold them.
    """
    # boxes and plain ndarrays first: nearly every call, and the cheapest tests
    if isinstance(x, Box) or type(x) is np.ndarray:
        return x
    if not plain and isinstance(x, _NUMPY_VALUES):
        return x
    if type(x) in (list, tuple) and _holds_box(x):
        # a list of boxes (tt.mean([a, a + 2])): stacked, as NumPy stacks a list of arrays
        from .api.manipulation import stack  # the api is built on this module

        return stack(x)
    return np.asarray(x)


def _holds_box(x: Any) -> bool:
    return isinstance(x, Box) or (type(x) in (list, tuple) and any(_holds_box(v) for v in x))


def as_value(x: Any) -> Any:
    """x as a transform's input or tangent: `box_or_array(x, plain=True)`, refusing
    what NumPy can hold only as objects (a list holding None): a box holds numbers."""
    value = box_or_array(x, plain=True)
    if not isinstance(x, (Box, np.ndarray)) and value.dtype == object:
        raise TypeError(f"cannot hold {type(x).__name__} data as an array; to combine boxes use tt.stack")
    return value


def is_inexact(value: Any) -> bool:
    """Whether value's dtype can carry a derivative: floating or complex."""
    return value.dtype.kind in "fc"


def owned_copy(x: Any) -> Any:
    """A box as it is, anything else as a fresh ndarray that nothing else can write."""
    if isinstance(x, Box):
        return x
    value = np.array(x, subok=False)
    if value.dtype == object:
        raise TypeError(f"cannot hold {type(x).__name__} data as an array; to combine boxes use tt.stack")
    return value


def complex_only_if(x: Any, like: Any, what: str) -> Any:
    """x, a tangent or cotangent for `like`, refused if complex where `like` is real:
    casting it to real would drop its imaginary part silently."""
    if is_complex(x) and not is_complex(like):
        raise TypeError(f"{what} is complex, for a real value; pass its real part (np.real) if that is what you mean")
    return x


# Operand types that cannot change after the forward pass: kept as they are
PLAIN_SCALARS = frozenset(
    {
        float,
        int,
        bool,
        complex,
        np.float64,
        np.float32,
        np.float16,
        np.int64,
        np.int32,
        np.bool_,
        np.complex128,
        np.complex64,
        type(None),
    }
)


def saved_operand(a: Any) -> Any:
    """A plain operand as a node keeps it: arrays (NumPy's, lists, anything with
    __array__) copied, so that writes to the caller's arrays after the forward pass
    cannot change the gradient."""
    if type(a) in PLAIN_SCALARS or isinstance(a, Box):
        return a
    if isinstance(a, np.ndarray) and borrowing is not None and borrowing():
        return a  # traced by tt.jit: the program reads the caller's array at every call
    if isinstance(a, (np.ndarray, list)) or (hasattr(type(a), "__array__") and not isinstance(a, np.generic)):
        a = np.array(a)
    return a


def numpy_complex(z: complex, *others: Any) -> np.complexfloating:
    """A Python complex met by a box, as NumPy's: np.float64 * 1j would be a Python complex,
    which has no dtype. Its precision is what NumPy 2 gives the Python scalar beside the
    arrays among `others` (a weak scalar: float32 * 1j is complex64)."""
    dtypes = [dtype_of(o) for o in others if isinstance(o, (Box, np.ndarray, np.generic))]
    return np.result_type(*dtypes, z).type(z)
