"""`tt.fft`: NumPy's discrete Fourier transforms (`numpy.fft`), differentiable in both modes
to any order, on arrays, Duals and Variables alike.

fft, ifft, rfft, irfft, hfft, ihfft and their 2-d and n-d forms take NumPy 2's arguments
(`n` or `s`, `axis` or `axes`, `norm` in None, "backward", "ortho", "forward"), with its
semantics: an input padded with zeros or cropped to `n`, -1 in `s` for the whole axis,
repeated axes transformed again, and NumPy 2's DeprecationWarnings (`s` without `axes`,
None in `s`). `out=` is not taken. The values are NumPy's, bitwise: the same transforms
are run in the same order. fftshift and ifftshift are rolls; fftfreq and rfftfreq are
NumPy's own (no differentiable input).

Derivatives follow tinytorch's convention for complex numbers (JAX's and HIPS
autograd's): a cotangent pairs with a tangent as Re(g t). A real input of a transform
with complex output (fft of a real signal) gets the real part of its cotangent.
rules/fft.py derives the transposes.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ..rules.fft import SWAPPED, fftn_p, irfft_p, rfft_p
from ..rules.math import conj_p
from ..rules.shape import Index, getitem_p, pad_p
from ..values import box_or_array
from .common import neg_axis
from .manipulation import roll

__all__ = [
    "fft", "ifft", "rfft", "irfft", "hfft", "ihfft", "fft2", "ifft2", "fftn", "ifftn",
    "rfft2", "irfft2", "rfftn", "irfftn", "fftshift", "ifftshift", "fftfreq", "rfftfreq",
]  # fmt: skip

fftfreq = np.fft.fftfreq
rfftfreq = np.fft.rfftfreq


# --- arguments ------------------------------------------------------------------------------


def _norm(norm: str | None) -> str:
    if norm is None:
        return "backward"
    if isinstance(norm, str) and norm in SWAPPED:
        return norm
    raise ValueError(f'Invalid norm value {norm}; should be "backward", "ortho" or "forward".')


def _swapped(norm: str | None) -> str:
    """The norm of the transform in the other direction: hfft and ihfft are irfft and rfft
    scaled the other way."""
    return SWAPPED[_norm(norm)]


def _points(n: int) -> int:
    if n < 1:
        raise ValueError(f"Invalid number of FFT data points ({n}) specified.")
    return n


def _resized(x: Any, n: int, axis: int) -> Any:
    """x cropped or padded with zeros at the end to length n along `axis` (negative)."""
    have = x.shape[axis]
    if n < have:
        entries = tuple(slice(0, n) if d == x.ndim + axis else slice(None) for d in range(x.ndim))
        return getitem_p(x, Index(entries, x.shape))
    if n > have:
        return pad_p(x, ((0, n - have),) + ((0, 0),) * (-axis - 1))
    return x


def _cook(a: Any, s: Any, axes: Any, invreal: bool, stacklevel: int) -> tuple[list, list]:
    """NumPy's `_cook_nd_args`: the lengths and (negative) axes of an n-d transform, with
    NumPy 2's deprecations. A None left in the lengths means the 1-d transform's default."""
    shapeless = s is None
    if axes is not None:
        axes = [neg_axis(ax, a.ndim) for ax in axes]
    if shapeless:
        s = list(a.shape) if axes is None else [a.shape[ax] for ax in axes]
    s = list(s)
    if axes is None:
        if not shapeless:
            warnings.warn(
                "`axes` should not be `None` if `s` is not `None` (Deprecated in NumPy 2.0). In a future "
                "version of NumPy, this will raise an error and `s[i]` will correspond to the size along "
                "the transformed axis specified by `axes[i]`. To retain current behaviour, pass a sequence "
                "[0, ..., k-1] to `axes` for an array of dimension k.",
                DeprecationWarning,
                stacklevel=stacklevel,
            )
        axes = [neg_axis(ax, a.ndim) for ax in range(-len(s), 0)]
    if len(s) != len(axes):
        raise ValueError("Shape and axes have different lengths.")
    if invreal and shapeless:
        s[-1] = (a.shape[axes[-1]] - 1) * 2
    if any(n is None for n in s):
        warnings.warn(
            "Passing an array containing `None` values to `s` is deprecated in NumPy 2.0 and will raise an "
            "error in a future version of NumPy. To use the default behaviour of the corresponding 1-D "
            "transform, pass the value matching the default for its `n` parameter. To use the default "
            "behaviour for every axis, the `s` argument can be omitted.",
            DeprecationWarning,
            stacklevel=stacklevel,
        )
    s = [a.shape[ax] if n == -1 else n for n, ax in zip(s, axes)]
    return s, axes


# --- the transforms, on normalized arguments ---------------------------------------------------


def _c2c(a: Any, s: list, axes: list, inverse: bool, norm: str | None) -> Any:
    """The complex transforms along `axes`, in that order, each to its length in `s` (None:
    the axis as it is). Runs of distinct axes are one fftn: resizing an axis commutes
    with transforming the others; an axis met again starts a new run."""
    if not axes:
        return a
    norm = _norm(norm)
    run: list[int] = []
    for n, axis in zip(s, axes):
        if axis in run:
            a = fftn_p(a, axes=tuple(run), inverse=inverse, norm=norm)
            run = []
        a = _resized(a, _points(a.shape[axis] if n is None else n), axis)
        run.append(axis)
    return fftn_p(a, axes=tuple(run), inverse=inverse, norm=norm)


def _r2c(a: Any, n: int | None, axis: int, norm: str | None) -> Any:
    n = _points(a.shape[axis] if n is None else n)
    return rfft_p(_resized(a, n, axis), axis=axis, norm=_norm(norm))


def _c2r(a: Any, n: int | None, axis: int, norm: str | None) -> Any:
    n = _points(2 * (a.shape[axis] - 1) if n is None else n)
    return irfft_p(_resized(a, n // 2 + 1, axis), n=n, axis=axis, norm=_norm(norm))


def _nd(kind: str, a: Any, s: Any, axes: Any, norm: str | None) -> Any:
    """fftn, ifftn, rfftn or irfftn, as NumPy composes them from 1-d transforms."""
    a = box_or_array(a)
    # the warnings point at the caller of the public function (_cook, _nd, public, caller)
    s, axes = _cook(a, s, axes, invreal=kind == "irfftn", stacklevel=4)
    if kind in ("fftn", "ifftn"):  # last axis first
        return _c2c(a, s[::-1], axes[::-1], kind == "ifftn", norm)
    if kind == "rfftn":  # the real transform along the last axis, then the others, last first
        a = _r2c(a, s[-1], axes[-1], norm)
        return _c2c(a, s[-2::-1], axes[-2::-1], False, norm)
    a = _c2c(a, s[:-1], axes[:-1], True, norm)  # irfftn: the others, first first, then the real one
    return _c2r(a, s[-1], axes[-1], norm)


# --- one axis -------------------------------------------------------------------------------------


def fft(a: Any, n: int | None = None, axis: int = -1, norm: str | None = None) -> Any:
    """np.fft.fft: the discrete Fourier transform along one axis (cropped or padded to n).

    >>> import numpy as np
    >>> import tinytorch as tt
    >>> from tinytorch.autograd import grad
    >>> x = np.array([1.0, 2.0, 0.0, -1.0])
    >>> bool(np.array_equal(tt.fft.fft(x), np.fft.fft(x)))
    True
    >>> g = grad(lambda x: tt.sum(tt.abs(tt.fft.fft(x)) ** 2))(x)   # Parseval: n sum x^2
    >>> bool(np.allclose(g, 2 * 4 * x))
    True
    """
    a = box_or_array(a)
    return _c2c(a, [n], [neg_axis(axis, a.ndim)], False, norm)


def ifft(a: Any, n: int | None = None, axis: int = -1, norm: str | None = None) -> Any:
    """np.fft.ifft: the inverse discrete Fourier transform along one axis.

    >>> import numpy as np
    >>> import tinytorch as tt
    >>> x = np.array([1.0, 2.0, 0.0, -1.0])
    >>> bool(np.allclose(tt.fft.ifft(tt.fft.fft(x)), x))
    True
    """
    a = box_or_array(a)
    return _c2c(a, [n], [neg_axis(axis, a.ndim)], True, norm)


def rfft(a: Any, n: int | None = None, axis: int = -1, norm: str | None = None) -> Any:
    """np.fft.rfft: the n // 2 + 1 non-negative frequency terms of the DFT of a real signal.

    >>> import numpy as np
    >>> import tinytorch as tt
    >>> tt.fft.rfft(np.array([0.0, 1.0, 0.0, 0.0])).round(12)
    array([ 1.+0.j,  0.-1.j, -1.+0.j])
    """
    a = box_or_array(a)
    return _r2c(a, n, neg_axis(axis, a.ndim), norm)


def irfft(a: Any, n: int | None = None, axis: int = -1, norm: str | None = None) -> Any:
    """np.fft.irfft: the real signal of length n (default 2 (m - 1)) with rfft a; the
    imaginary parts of a's first and (n even) last terms are ignored, and so have
    derivative 0.

    >>> import numpy as np
    >>> import tinytorch as tt
    >>> x = np.array([1.0, 2.0, 0.0, -1.0, 3.0])
    >>> bool(np.allclose(tt.fft.irfft(tt.fft.rfft(x), n=5), x))
    True
    """
    a = box_or_array(a)
    return _c2r(a, n, neg_axis(axis, a.ndim), norm)


def hfft(a: Any, n: int | None = None, axis: int = -1, norm: str | None = None) -> Any:
    """np.fft.hfft: the (real) DFT of a signal with Hermitian symmetry, given by its first
    half: irfft of conj(a), scaled the other way.

    >>> import numpy as np
    >>> import tinytorch as tt
    >>> tt.fft.hfft(np.array([1.0, 2.0, 3.0]))
    array([ 8., -2.,  0., -2.])
    """
    a = box_or_array(a)
    return _c2r(conj_p(a), n, neg_axis(axis, a.ndim), _swapped(norm))


def ihfft(a: Any, n: int | None = None, axis: int = -1, norm: str | None = None) -> Any:
    """np.fft.ihfft: the inverse of hfft, for a real signal: conj(rfft(a)), scaled the
    other way.

    >>> import numpy as np
    >>> import tinytorch as tt
    >>> tt.fft.ihfft(np.array([8.0, -2.0, 0.0, -2.0])).real   # back to hfft's example
    array([1., 2., 3.])
    """
    a = box_or_array(a)
    return conj_p(_r2c(a, n, neg_axis(axis, a.ndim), _swapped(norm)))


# --- several axes ------------------------------------------------------------------------------


def fftn(a: Any, s: Any = None, axes: Any = None, norm: str | None = None) -> Any:
    """np.fft.fftn: the DFT over `axes` (all by default), each cropped or padded to `s`.

    >>> import numpy as np
    >>> import tinytorch as tt
    >>> x = np.arange(6.0).reshape(2, 3)
    >>> bool(np.array_equal(tt.fft.fftn(x, s=(3, 2), axes=(0, 1)), np.fft.fftn(x, s=(3, 2), axes=(0, 1))))
    True
    """
    return _nd("fftn", a, s, axes, norm)


def ifftn(a: Any, s: Any = None, axes: Any = None, norm: str | None = None) -> Any:
    """np.fft.ifftn: the inverse DFT over `axes` (all by default).

    >>> import numpy as np
    >>> import tinytorch as tt
    >>> x = np.arange(6.0).reshape(2, 3)
    >>> bool(np.allclose(tt.fft.ifftn(tt.fft.fftn(x)), x))
    True
    """
    return _nd("ifftn", a, s, axes, norm)


def fft2(a: Any, s: Any = None, axes: Any = (-2, -1), norm: str | None = None) -> Any:
    """np.fft.fft2: fftn over the last two axes by default.

    >>> import numpy as np
    >>> import tinytorch as tt
    >>> tt.fft.fft2(np.ones((2, 2))).real
    array([[4., 0.],
           [0., 0.]])
    """
    return _nd("fftn", a, s, axes, norm)


def ifft2(a: Any, s: Any = None, axes: Any = (-2, -1), norm: str | None = None) -> Any:
    """np.fft.ifft2: ifftn over the last two axes by default.

    >>> import numpy as np
    >>> import tinytorch as tt
    >>> tt.fft.ifft2(np.ones((2, 2))).real
    array([[1., 0.],
           [0., 0.]])
    """
    return _nd("ifftn", a, s, axes, norm)


def rfftn(a: Any, s: Any = None, axes: Any = None, norm: str | None = None) -> Any:
    """np.fft.rfftn: rfft along the last of `axes`, then fft along the others.

    >>> import numpy as np
    >>> import tinytorch as tt
    >>> tt.fft.rfftn(np.ones((2, 4))).shape
    (2, 3)
    """
    return _nd("rfftn", a, s, axes, norm)


def irfftn(a: Any, s: Any = None, axes: Any = None, norm: str | None = None) -> Any:
    """np.fft.irfftn: the inverse of rfftn; `s` gives the real output's lengths (the last
    one by default 2 (m - 1)).

    >>> import numpy as np
    >>> import tinytorch as tt
    >>> x = np.arange(15.0).reshape(3, 5)
    >>> bool(np.allclose(tt.fft.irfftn(tt.fft.rfftn(x), s=x.shape, axes=(0, 1)), x))
    True
    """
    return _nd("irfftn", a, s, axes, norm)


def rfft2(a: Any, s: Any = None, axes: Any = (-2, -1), norm: str | None = None) -> Any:
    """np.fft.rfft2: rfftn over the last two axes by default.

    >>> import numpy as np
    >>> import tinytorch as tt
    >>> tt.fft.rfft2(np.ones((2, 4))).real
    array([[8., 0., 0.],
           [0., 0., 0.]])
    """
    return _nd("rfftn", a, s, axes, norm)


def irfft2(a: Any, s: Any = None, axes: Any = (-2, -1), norm: str | None = None) -> Any:
    """np.fft.irfft2: irfftn over the last two axes by default.

    >>> import numpy as np
    >>> import tinytorch as tt
    >>> x = np.arange(12.0).reshape(3, 4)
    >>> bool(np.allclose(tt.fft.irfft2(tt.fft.rfft2(x)), x))
    True
    """
    return _nd("irfftn", a, s, axes, norm)


# --- shifts ------------------------------------------------------------------------------------


def _shifted(x: Any, axes: Any, sign: int) -> Any:
    x = box_or_array(x)
    if axes is None:
        axes = tuple(range(x.ndim))
        shift: Any = [sign * (d // 2) for d in x.shape]
    elif isinstance(axes, (int, np.integer)):
        shift = sign * (x.shape[axes] // 2)
    else:
        shift = [sign * (x.shape[ax] // 2) for ax in axes]
    return roll(x, shift, axes)


def fftshift(x: Any, axes: Any = None) -> Any:
    """np.fft.fftshift: the zero frequency moved to the centre (a roll by half each axis).

    >>> import numpy as np
    >>> import tinytorch as tt
    >>> tt.fft.fftshift(np.fft.fftfreq(5))
    array([-0.4, -0.2,  0. ,  0.2,  0.4])
    """
    return _shifted(x, axes, 1)


def ifftshift(x: Any, axes: Any = None) -> Any:
    """np.fft.ifftshift: the inverse of fftshift (they differ for odd lengths).

    >>> import numpy as np
    >>> import tinytorch as tt
    >>> tt.fft.ifftshift(tt.fft.fftshift(np.arange(5.0)))
    array([0., 1., 2., 3., 4.])
    """
    return _shifted(x, axes, -1)
