"""Operators, methods and NumPy interop shared by `Dual` and `Variable`.

Everything here forwards to tinytorch's NumPy-like functions, so a box behaves
like the array it holds: `x * y`, `x @ W`, `x.sum(axis=0)`, `np.sin(x)`,
`ndarray @ x`. NumPy calls on boxes are routed to the same functions through
`__array_ufunc__`/`__array_function__`; a NumPy function with no tinytorch
counterpart raises a `TypeError` instead of silently dropping the derivative.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import api
from .levels import Box
from .primitive import Primitive, dtype_of, is_complex, unbox_all
from .values import owned_copy
from .views import view_of


def _reduce_ufunc(ufunc: np.ufunc, a: Any, axis: Any = 0, keepdims: bool = False) -> Any:
    reducers = {np.add: api.sum, np.multiply: api.prod, np.maximum: api.max, np.minimum: api.min}
    if ufunc not in reducers:
        raise TypeError(f"numpy.{ufunc.__name__}.reduce has no tinytorch rule")
    return reducers[ufunc](a, axis=axis, keepdims=keepdims)


def _binary(name: str) -> tuple:
    """`x op other` and `other op x` for a box x: a box with a plain operand is applied
    straight away (the common case, `x * 2.0`), anything else dispatches as usual.
    The function is looked up in `api` at call time, as a plain call to it would be."""

    def op(self, other):
        prim = getattr(api, name)
        if isinstance(other, Box) or type(prim) is not Primitive:
            return prim(self, other)
        return self._apply(prim, self._level, self._nested, (self, other), _NO_KWARGS)

    def reflected(self, other):
        prim = getattr(api, name)
        if isinstance(other, Box) or type(prim) is not Primitive:
            return prim(other, self)
        return self._apply(prim, self._level, self._nested, (other, self), _NO_KWARGS)

    return op, reflected


_NO_KWARGS: dict = {}


def _is_view_key(key: Any, ndim: int) -> bool:
    """Whether x[key] is a view of x in NumPy: basic indexing (integers, slices,
    None, Ellipsis), unless integers alone pick out a single element."""
    entries = key if isinstance(key, tuple) else (key,)
    ints = 0
    for k in entries:
        if isinstance(k, (bool, np.bool_)):
            return False
        if isinstance(k, (int, np.integer)):
            ints += 1
        elif not (k is None or k is Ellipsis or isinstance(k, slice)):
            return False
    return ints < len(entries) or ints < ndim


def boxes_of(x: Any) -> Any:
    """x and the boxes under it, outermost first."""
    while isinstance(x, Box):
        yield x
        x = x._value


def holds_derivative(x: Any) -> bool:
    """Whether x, or a box under it, carries a derivative (a Variable that requires
    grad, a Dual with a tangent): converting it to an array would drop that."""
    return any(box._has_derivative() for box in boxes_of(x))


def own(x: Any) -> Any:
    """x as a new box or array that nothing else holds (what a box made by hand
    keeps): an in-place update of the caller's box or array must not reach it."""
    return api.copy(x) if isinstance(x, Box) else owned_copy(x)


def as_updated(new: Any, old: Any) -> Any:
    """The result of an in-place update of box `old`, as NumPy would store it: the
    same shape (NumPy refuses to broadcast the target) and dtype (cast back)."""
    if not isinstance(new, (Box, np.ndarray, np.generic)) or np.shape(new) != old.shape:
        raise ValueError(
            f"non-broadcastable output operand with shape {old.shape} doesn't match the broadcast shape {np.shape(new)}"
        )
    dtype = dtype_of(new)
    if dtype != old.dtype:
        if not np.can_cast(dtype, old.dtype, "same_kind"):
            raise TypeError(
                f"Cannot cast the result of an in-place update from {dtype} to {old.dtype} "
                "with casting rule 'same_kind'"
            )
        new = api.astype(new, old.dtype)
    if not (type(new) is type(old) and new._level == old._level):
        raise AssertionError(f"in-place update of a {type(old).__name__} produced a {type(new).__name__}")
    return new


def _with_real_part(base: Any, real: Any) -> Any:
    """base with its real part replaced by `real` (the put-back of the view z.real)."""
    return real + 1j * api.imag(base) if is_complex(base) else real


def _with_imaginary_part(base: Any, imag: Any) -> Any:
    """base with its imaginary part replaced by `imag` (the put-back of the view z.imag)."""
    return api.real(base) + 1j * imag


class BoxOps:
    __slots__ = ()
    __array_priority__ = 1000.0
    __hash__ = object.__hash__

    # --- attributes of the primal -----------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self._value.shape

    @property
    def ndim(self) -> int:
        return self._value.ndim

    @property
    def size(self) -> int:
        return self._value.size

    @property
    def dtype(self) -> np.dtype:
        return self._value.dtype

    @property
    def T(self) -> Any:
        return api.transpose(self)

    @property
    def real(self) -> Any:
        # a view, as NumPy's: a write through it (z.real[0] = 1.0) reaches z
        return view_of(api.real(self), self, api.real, _with_real_part)

    @property
    def imag(self) -> Any:
        if not is_complex(self):  # NumPy's imaginary part of a real array: read-only zeros
            zeros = np.zeros(self.shape, self.dtype)
            zeros.flags.writeable = False
            return zeros
        return view_of(api.imag(self), self, api.imag, _with_imaginary_part)

    @property
    def mT(self) -> Any:
        return api.swapaxes(self, -1, -2)

    def __len__(self) -> int:
        return len(self._value)

    def __iter__(self) -> Any:
        return (self[i] for i in range(len(self)))

    def __bool__(self) -> bool:
        return bool(unbox_all(self._value))

    def __float__(self) -> float:
        self._check_conversion("float")
        return float(unbox_all(self._value))

    def __int__(self) -> int:
        self._check_conversion("int")
        return int(unbox_all(self._value))

    def _check_conversion(self, kind: str) -> None:
        # float(x) inside a differentiated function (math.sin(x), say) would drop the
        # derivative silently, also when x is wrapped in a box made by hand; a
        # Variable made by hand converts, as in PyTorch
        if any(box._carries_derivative() for box in boxes_of(self)):
            raise TypeError(
                f"{kind}() of a {type(self).__name__} that is being differentiated would drop its "
                "derivative; use tinytorch functions (tt.sin, not math.sin), or .item() to take the value. "
                "Writing it into a NumPy array does this too: build arrays with tt.stack, or write into a Variable"
            )

    def item(self) -> Any:
        """The value as a Python number (explicitly without its derivative)."""
        return np.asarray(unbox_all(self._value)).item()

    def tolist(self) -> Any:
        """The value as nested Python lists, like `ndarray.tolist` (without its derivative).

        >>> from tinytorch.autograd import Variable
        >>> Variable([[1.0, 2.0]], requires_grad=True).tolist()
        [[1.0, 2.0]]
        """
        return np.asarray(unbox_all(self._value)).tolist()

    def __format__(self, format_spec: str) -> str:
        """The value formatted as NumPy formats it: `f"{loss:.3f}"` for a single value.

        >>> from tinytorch.autograd import Variable
        >>> f"{Variable(2.0, requires_grad=True):.2f}"
        '2.00'
        """
        # an empty spec means str(), as for every object
        return format(unbox_all(self._value), format_spec) if format_spec else str(self)

    # fmt: off
    # --- arithmetic -------------------------------------------------------------------
    __add__, __radd__ = _binary("add")
    __sub__, __rsub__ = _binary("subtract")
    __mul__, __rmul__ = _binary("multiply")
    __truediv__, __rtruediv__ = _binary("divide")
    __pow__, __rpow__ = _binary("power")
    __matmul__, __rmatmul__ = _binary("matmul")
    __mod__, __rmod__ = _binary("remainder")
    def __floordiv__(self, other): return api.floor_divide(self, other)
    def __rfloordiv__(self, other): return api.floor_divide(other, self)
    def __neg__(self): return api.negative(self)
    def __pos__(self): return self
    def __abs__(self): return api.absolute(self)

    # comparisons are piecewise constant: plain boolean arrays, no derivative
    def __lt__(self, other): return api.less(self, other)
    def __le__(self, other): return api.less_equal(self, other)
    def __gt__(self, other): return api.greater(self, other)
    def __ge__(self, other): return api.greater_equal(self, other)
    def __eq__(self, other): return api.equal(self, other)
    def __ne__(self, other): return api.not_equal(self, other)
    # fmt: on

    def __getitem__(self, key):
        out = api.getitem(self, key)
        if type(key) is int and self.ndim == 1:  # a scalar, as NumPy's x[i]: not a view
            return out
        if _is_view_key(key, self.ndim):
            out = view_of(
                out, self, lambda base: api.getitem(base, key), lambda base, view: api.index_update(base, key, view)
            )
        return out

    # --- in-place updates, as NumPy's: each kind implements _update_in_place ---------
    def __setitem__(self, key, value):
        self._update_in_place(lambda old: api.index_update(old, key, value), key, value)

    # fmt: off
    def __iadd__(self, other): return self._augmented(np.add, other)
    def __isub__(self, other): return self._augmented(np.subtract, other)
    def __imul__(self, other): return self._augmented(np.multiply, other)
    def __itruediv__(self, other): return self._augmented(np.divide, other)
    def __ipow__(self, other): return self._augmented(np.power, other)
    def __imod__(self, other): return self._augmented(np.remainder, other)
    def __imatmul__(self, other): return self._augmented(np.matmul, other)
    # fmt: on

    def __ifloordiv__(self, other):
        raise TypeError(
            f"in-place floor division of a {type(self).__name__} is not differentiable; "
            "write y = y // d if you mean a constant"
        )

    def fill(self, value: Any) -> None:
        """Set every entry to `value`, in place (as ndarray.fill)."""
        self[...] = value

    def sort(self, axis: int = -1) -> None:
        """Sort in place along `axis` (as ndarray.sort); the derivative follows each entry."""
        self._update_in_place(lambda old: api.sort(old, axis), None, None)

    def __round__(self, ndigits: int | None = None) -> Any:
        self._check_conversion("round")
        value = unbox_all(self._value)
        return round(float(value), ndigits) if np.ndim(value) == 0 else np.round(value, ndigits or 0)

    def _augmented(self, ufunc: np.ufunc, other: Any) -> Any:
        op = api.NUMPY_HANDLERS[ufunc]
        self._update_in_place(lambda old: op(old, other), None, other, ufunc)
        return self

    def _check_written_with(self, value: Any) -> int:
        """The level of `value`, which must not be above this box's own."""
        inner = value._level if isinstance(value, Box) else 0
        if inner > self._level:
            raise RuntimeError(
                f"cannot write a {type(value).__name__} of an inner differentiation (a transform's input, "
                f"or a box made after this one) into a {type(self).__name__} made outside it, or computed "
                "only from boxes made outside it; write `y = y + x` (or tt.where / tt.stack) instead of "
                "updating y in place, or create the buffer inside the differentiated function"
            )
        return inner

    # fmt: off
    # --- methods, as on ndarray -------------------------------------------------------
    def sum(self, axis=None, keepdims=False): return api.sum(self, axis=axis, keepdims=keepdims)
    def mean(self, axis=None, keepdims=False): return api.mean(self, axis=axis, keepdims=keepdims)
    def prod(self, axis=None, keepdims=False): return api.prod(self, axis=axis, keepdims=keepdims)
    def max(self, axis=None, keepdims=False): return api.max(self, axis=axis, keepdims=keepdims)
    def min(self, axis=None, keepdims=False): return api.min(self, axis=axis, keepdims=keepdims)
    def var(self, axis=None, ddof=0, keepdims=False): return api.var(self, axis=axis, ddof=ddof, keepdims=keepdims)
    def std(self, axis=None, ddof=0, keepdims=False): return api.std(self, axis=axis, ddof=ddof, keepdims=keepdims)
    def cumsum(self, axis=None): return api.cumsum(self, axis=axis)
    def argmax(self, axis=None): return api.argmax(self, axis=axis)
    def argmin(self, axis=None): return api.argmin(self, axis=axis)
    def exp(self): return api.exp(self)
    def log(self): return api.log(self)
    def sqrt(self): return api.sqrt(self)
    def abs(self): return api.absolute(self)
    def conj(self): return api.conjugate(self)
    def conjugate(self): return api.conjugate(self)
    def sin(self): return api.sin(self)
    def cos(self): return api.cos(self)
    def tan(self): return api.tan(self)
    def tanh(self): return api.tanh(self)
    def sigmoid(self): return api.sigmoid(self)
    def relu(self): return api.relu(self)
    def softmax(self, axis=-1): return api.softmax(self, axis=axis)
    def log_softmax(self, axis=-1): return api.log_softmax(self, axis=axis)
    def clip(self, min=None, max=None): return api.clip(self, min, max)
    def dot(self, other): return api.dot(self, other)
    def astype(self, dtype): return api.astype(self, dtype)
    def copy(self, order="C"): return api.copy(self, order)
    def flatten(self): return api.ravel(self)
    def ravel(self): return api.ravel(self)
    def squeeze(self, axis=None): return api.squeeze(self, axis=axis)
    def swapaxes(self, axis1, axis2): return api.swapaxes(self, axis1, axis2)
    def diagonal(self, offset=0, axis1=0, axis2=1): return api.diagonal(self, offset, axis1, axis2)
    def trace(self, offset=0, axis1=0, axis2=1): return api.trace(self, offset, axis1, axis2)
    # fmt: on

    def reshape(self, *shape):
        return api.reshape(self, shape[0] if len(shape) == 1 else shape)

    def transpose(self, *axes):
        return api.transpose(self, axes[0] if len(axes) == 1 else (axes or None))

    # --- NumPy interop ----------------------------------------------------------------
    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        if "out" in kwargs:
            raise TypeError(
                f"ufunc {ufunc.__name__}(..., out=...) cannot store a result that involves a "
                f"{type(self).__name__}: its derivative would be dropped; write `buf = buf + x` "
                "(or np.add(...) without out=), or keep the buffer a Variable"
            )
        if kwargs and method == "__call__":
            raise TypeError(
                f"ufunc {ufunc.__name__}: keyword arguments ({', '.join(kwargs)}) are not "
                f"supported on a {type(self).__name__}; use tinytorch functions and .astype()"
            )
        if method == "reduce":
            return _reduce_ufunc(ufunc, *inputs, **kwargs)
        if method == "accumulate" and ufunc is np.add:
            return api.cumsum(*inputs, **kwargs)
        fn = api.NUMPY_HANDLERS.get(ufunc) if method == "__call__" else None
        if fn is None:
            suffix = "" if method == "__call__" else f".{method}"
            raise TypeError(
                f"ufunc {ufunc.__name__}{suffix} has no tinytorch rule, so it cannot take a "
                f"{type(self).__name__}; use a tinytorch function or .detach() the input"
            )
        return fn(*inputs, **kwargs)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        fn = api.NUMPY_HANDLERS.get(func)
        if fn is None:
            raise TypeError(
                f"{func.__module__}.{func.__name__} has no tinytorch rule, so it cannot take a "
                f"{type(self).__name__}; use a tinytorch function or .detach() the input"
            )
        return fn(*args, **kwargs)
