"""`Tensor`: the plain, non-differentiable array of the TinyTorch course, on NumPy.

A Tensor wraps an ndarray and offers the arithmetic, shape and reduction
methods TinyTorch users know. It records nothing: for gradients, wrap it in a
`Variable` (`Variable(tensor, requires_grad=True)`), or pass it to a layer or
to a `tt.*` function, which accept it as the array it holds.

Arithmetic between Tensors, or with Python numbers, gives a Tensor. Mixed with
anything else (a NumPy array or scalar, a Variable, a Dual) the other operand's
type decides, as NumPy does: so a Tensor never ends up inside the engine's graphs
in place of an array.

>>> from tinytorch.core.tensor import Tensor
>>> a = Tensor([[1.0, 2.0], [3.0, 4.0]])
>>> (a @ a.T + 1).sum(axis=0)
Tensor([18., 38.])
>>> a.reshape(4).mean().item()
2.5
"""

from __future__ import annotations

import numbers
import operator
from collections.abc import Callable
from typing import Any

import numpy as np


def _wrap(array: Any) -> Tensor:
    out = Tensor.__new__(Tensor)
    out._data = np.asarray(array)
    return out


def _binary(op: Callable[[Any, Any], Any], reflected: bool = False) -> Callable[[Tensor, Any], Any]:
    def method(self: Tensor, other: Any) -> Any:
        if isinstance(other, Tensor):
            other = other._data
        # Python numbers only: NumPy scalars and arrays defer to NumPy (see module docstring)
        elif not isinstance(other, numbers.Number) or isinstance(other, np.generic):
            return NotImplemented
        return _wrap(op(other, self._data) if reflected else op(self._data, other))

    return method


class Tensor:
    """An n-dimensional array of numbers: NumPy's, without gradients."""

    __slots__ = ("_data",)

    def __init__(self, data: Any, dtype: Any = None) -> None:
        if isinstance(data, Tensor):
            data = data._data
        self._data = np.array(data, dtype=dtype)

    # --- the array ---------------------------------------------------------------------
    @property
    def data(self) -> np.ndarray:
        """The NumPy array held (shared, not copied)."""
        return self._data

    @property
    def shape(self) -> tuple[int, ...]:
        return self._data.shape

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def size(self) -> int:
        return self._data.size

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    def numpy(self) -> np.ndarray:
        return self._data

    def item(self) -> Any:
        return self._data.item()

    def astype(self, dtype: Any) -> Tensor:
        return _wrap(self._data.astype(dtype))

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        if copy:
            return np.array(self._data, dtype=dtype)
        return np.asarray(self._data, dtype=dtype)

    def __len__(self) -> int:
        return len(self._data)

    def __getitem__(self, key: Any) -> Tensor:
        if isinstance(key, Tensor):
            key = key._data
        return _wrap(self._data[key])

    def __setitem__(self, key: Any, value: Any) -> None:
        """NumPy's item assignment, in place (values are cast to this Tensor's dtype)."""
        if isinstance(key, Tensor):
            key = key._data
        self._data[key] = value._data if isinstance(value, Tensor) else value

    # --- Python scalars: NumPy's rules (without __bool__, Python would use __len__) ------
    def __bool__(self) -> bool:
        # NumPy's ValueError for more than one element ("truth value ... is ambiguous")
        return bool(self._data)

    def __float__(self) -> float:
        return float(self._scalar())

    def __int__(self) -> int:
        return int(self._scalar())

    def _scalar(self) -> Any:
        if self._data.size != 1:
            raise TypeError(
                f"only single-element Tensors can be converted to Python scalars, this one has shape {self.shape}"
            )
        return self._data.item()

    def __repr__(self) -> str:
        return f"Tensor({np.array2string(self._data, separator=', ', prefix='Tensor(')})"

    # --- arithmetic --------------------------------------------------------------------
    __add__, __radd__ = _binary(operator.add), _binary(operator.add, reflected=True)
    __sub__, __rsub__ = _binary(operator.sub), _binary(operator.sub, reflected=True)
    __mul__, __rmul__ = _binary(operator.mul), _binary(operator.mul, reflected=True)
    __truediv__, __rtruediv__ = _binary(operator.truediv), _binary(operator.truediv, reflected=True)
    __floordiv__, __rfloordiv__ = _binary(operator.floordiv), _binary(operator.floordiv, reflected=True)
    __mod__, __rmod__ = _binary(operator.mod), _binary(operator.mod, reflected=True)
    __pow__, __rpow__ = _binary(operator.pow), _binary(operator.pow, reflected=True)
    __matmul__, __rmatmul__ = _binary(operator.matmul), _binary(operator.matmul, reflected=True)
    __lt__, __le__ = _binary(operator.lt), _binary(operator.le)
    __gt__, __ge__ = _binary(operator.gt), _binary(operator.ge)
    __eq__, __ne__ = _binary(operator.eq), _binary(operator.ne)
    __hash__ = None

    def __neg__(self) -> Tensor:
        return _wrap(-self._data)

    def __abs__(self) -> Tensor:
        return _wrap(abs(self._data))

    def matmul(self, other: Tensor) -> Tensor:
        return self @ other

    # --- shape -------------------------------------------------------------------------
    def reshape(self, *shape: Any) -> Tensor:
        return _wrap(self._data.reshape(*shape))

    def transpose(self, *axes: Any) -> Tensor:
        return _wrap(self._data.transpose(*axes))

    @property
    def T(self) -> Tensor:
        return _wrap(self._data.T)

    def flatten(self) -> Tensor:
        return _wrap(self._data.flatten())

    def squeeze(self, axis: Any = None) -> Tensor:
        return _wrap(self._data.squeeze(axis))

    # --- reductions (NumPy's keywords pass through, so np.sum(tensor) works too) -------
    def sum(self, axis: Any = None, keepdims: bool = False, **kwargs: Any) -> Tensor:
        return _wrap(self._data.sum(axis=axis, keepdims=keepdims, **kwargs))

    def mean(self, axis: Any = None, keepdims: bool = False, **kwargs: Any) -> Tensor:
        return _wrap(self._data.mean(axis=axis, keepdims=keepdims, **kwargs))

    def max(self, axis: Any = None, keepdims: bool = False, **kwargs: Any) -> Tensor:
        return _wrap(self._data.max(axis=axis, keepdims=keepdims, **kwargs))

    def min(self, axis: Any = None, keepdims: bool = False, **kwargs: Any) -> Tensor:
        return _wrap(self._data.min(axis=axis, keepdims=keepdims, **kwargs))

    def var(self, axis: Any = None, keepdims: bool = False, **kwargs: Any) -> Tensor:
        return _wrap(self._data.var(axis=axis, keepdims=keepdims, **kwargs))

    def std(self, axis: Any = None, keepdims: bool = False, **kwargs: Any) -> Tensor:
        return _wrap(self._data.std(axis=axis, keepdims=keepdims, **kwargs))

    def argmax(self, axis: Any = None, **kwargs: Any) -> Tensor:
        return _wrap(self._data.argmax(axis=axis, **kwargs))

    def argmin(self, axis: Any = None, **kwargs: Any) -> Tensor:
        return _wrap(self._data.argmin(axis=axis, **kwargs))
