"""SciPy's `scipy.signal`, differentiable: `convolve` and `correlate` of N-d real arrays
with SciPy's names, signatures, modes and values, on arrays, Duals and Variables alike,
to any order in both modes (each derivative is a convolution again).

>>> import numpy as np
>>> from tinytorch.autograd import jacobian
>>> from tinytorch.scipy.signal import convolve
>>> x, kernel = np.array([1.0, 2.0, 3.0]), np.array([1.0, -1.0])
>>> convolve(x, kernel)
array([ 1.,  1.,  1., -3.])
>>> jacobian(lambda k: convolve(x, k, mode="valid"))(kernel)   # d (x * k) / dk: x's windows, reversed
array([[2., 1.],
       [3., 2.]])
"""

from __future__ import annotations

from typing import Any

from ..autograd.api.manipulation import flip
from ..autograd.primitive import is_complex, unbox_all
from ..autograd.rules.math import conj_p as conjugate
from ..autograd.rules.signal import convolve_p
from ..autograd.values import box_or_array

__all__ = ["convolve", "correlate"]

MODES = ("full", "valid", "same")
METHODS = ("auto", "direct", "fft")


def _swapped(shape1: tuple, shape2: tuple) -> bool:
    """SciPy's rule for mode "valid": the larger input first, one at least as large as the other in every axis."""
    first = all(m >= n for m, n in zip(shape1, shape2))
    if not first and not all(n >= m for m, n in zip(shape1, shape2)):
        raise ValueError("For 'valid' mode, one must be at least as large as the other in every dimension")
    return not first


def convolve(in1: Any, in2: Any, mode: str = "full", method: str = "auto") -> Any:
    """scipy.signal.convolve: the N-dimensional convolution of in1 and in2 (of the same
    number of dimensions), of the full overlap ("full"), the part where in2 lies inside
    in1 ("valid": the inputs are swapped if in2 is the larger, and one must be at least
    as large as the other in every axis) or centred on in1 ("same"); `method` chooses
    SciPy's direct sum or FFT, for the value and every derivative.

    Differentiable in both inputs: the derivative in in1 is the correlation with in2 (the
    convolution with in2 flipped), and in in2 the correlation with in1. Unlike HIPS
    autograd's `convolve`, there are no `axes` or `dot_axes`: SciPy's signature, every
    axis convolved. An empty input gives SciPy's result, a constant.

    >>> import numpy as np
    >>> from tinytorch.autograd import grad
    >>> image, blur = np.arange(12.0).reshape(3, 4), np.full((2, 2), 0.25)
    >>> convolve(image, blur, mode="valid")
    array([[2.5, 3.5, 4.5],
           [6.5, 7.5, 8.5]])
    >>> grad(lambda k: convolve(image, k, mode="valid").sum())(blur)   # sums of image[1:, 1:], ..., image[:2, :3]
    array([[48., 42.],
           [24., 18.]])
    """
    if mode not in MODES:
        raise ValueError(f"Acceptable mode flags are 'valid', 'same', or 'full', not mode={mode}")
    if method not in METHODS:
        raise ValueError("Acceptable method flags are 'auto', 'direct', or 'fft'.")
    in1, in2 = box_or_array(in1), box_or_array(in2)
    if in1.ndim == in2.ndim == 0:
        return in1 * in2
    if in1.ndim != in2.ndim:
        raise ValueError("in1 and in2 should have the same dimensionality")
    if in1.size == 0 or in2.size == 0:
        import scipy.signal

        return scipy.signal.convolve(unbox_all(in1), unbox_all(in2), mode, method)
    if mode == "valid" and _swapped(in1.shape, in2.shape):
        in1, in2 = in2, in1
    return convolve_p(in1, in2, mode=mode, method=method, ndim=in1.ndim)


def correlate(in1: Any, in2: Any, mode: str = "full", method: str = "auto") -> Any:
    """scipy.signal.correlate: the cross-correlation of in1 and in2, which is their
    convolution with in2 flipped in every axis and conjugated (SciPy's modes and methods;
    equal to SciPy's values up to rounding).

    >>> import numpy as np
    >>> correlate(np.array([1.0, 2.0, 3.0]), np.array([0.0, 1.0, 0.5]), mode="same")
    array([2. , 3.5, 3. ])
    """
    in1, in2 = box_or_array(in1), box_or_array(in2)
    if is_complex(in2):  # SciPy's sum of in1 times conj(in2), shifted
        in2 = conjugate(in2)
    if in1.ndim == in2.ndim == 0 or in1.ndim != in2.ndim:
        return convolve(in1, in2, mode, method)
    return convolve(in1, flip(in2), mode, method)
