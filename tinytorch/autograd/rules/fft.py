"""Rules for the discrete Fourier transforms, the primitives behind `tt.fft` (api/fft.py).

Three primitives, each over whole axes; the public functions first pad or crop the input
to the lengths asked for with `pad` and `getitem`, whose transposes come with them:

- fftn(x, axes, inverse, norm): NumPy's complex `fft` (or `ifft`) along each axis of
  `axes` in turn, in the order given (NumPy's order, which the public functions keep);
- rfft(x, axis, norm): the first n // 2 + 1 terms of the DFT of a real x of length n;
- irfft(y, n, axis, norm): the real signal of length n whose rfft is y (y has n // 2 + 1
  terms; NumPy ignores the imaginary parts of its first and, for an even n, last term).

The scale of a transform of length n is, forward: 1 ("backward", the default), 1 / sqrt(n)
("ortho"), 1 / n ("forward"); inverse: the forward scale of the swapped norm ("backward"
<-> "forward"). With w = exp(-2 pi i / n), so that the forward DFT is X_k = s sum_j x_j w^jk:

fftn is C-linear, and a cotangent pairs with a tangent as Re(g t) without conjugation
(rules/math.py), so its transpose is its plain transpose. The DFT matrix [w^jk] is
symmetric and so is its scaled conjugate, the inverse; along several axes the transform is
a Kronecker product of such matrices, symmetric too. So fftn's VJP is fftn itself, with the
same direction and the same norm (not the inverse: that would be the adjoint).

rfft and irfft are only R-linear (real in, or real out). With c_k = 1 for k = 0 and for
k = n / 2 (n even), and c_k = 2 for the other k < n // 2 + 1 (the terms standing for a
conjugate pair):

- rfft: Re(sum_k g_k X_k) = sum_j x_j s Re(sum_k g_k w^jk), so the cotangent of x is
  s Re(sum_k g_k w^jk). irfft computes x_j = s' sum_k c_k Re(u_k w^-jk) (that is how the
  imaginary parts of its end terms drop out), so with u = conj(g) / c and s' = s (the
  swapped norm), irfft(conj(g) / c) is exactly that cotangent.
- irfft: sum_j h_j x_j = sum_k Re(y_k c_k s sum_j h_j w^-jk), so the cotangent of y is
  c_k s conj(sum_j h_j w^jk) for a real h: c times the conjugate of rfft(h) with the
  swapped norm.

Each rule is a transform again, so every order is one more transform.
"""

from __future__ import annotations

import numpy as np

from ..primitive import Primitive, dtype_of
from .math import conj_p

SWAPPED = {"backward": "forward", "ortho": "ortho", "forward": "backward"}


def _fftn(x, axes, inverse, norm):
    transform = np.fft.ifft if inverse else np.fft.fft
    for axis in axes:
        x = transform(x, axis=axis, norm=norm)
    return x


def _halves(n, axis, like):
    """c along `axis` (negative), shaped to broadcast against an rfft of length-n signals:
    1 for the zero frequency and (n even) the last, 2 for the terms that stand for a pair."""
    c = np.full(n // 2 + 1, 2.0, dtype=np.finfo(dtype_of(like)).dtype)
    c[0] = 1.0
    if n % 2 == 0:
        c[-1] = 1.0
    return c.reshape(c.shape + (1,) * (-axis - 1))


def _rfft_vjp(g, ans, x, axis, norm):
    n = x.shape[axis]
    return irfft_p(conj_p(g) / _halves(n, axis, g), n=n, axis=axis, norm=SWAPPED[norm])


def _irfft_vjp(h, ans, y, n, axis, norm):
    return _halves(n, axis, h) * conj_p(rfft_p(h, axis=axis, norm=SWAPPED[norm]))


fftn_p = Primitive("fftn", _fftn, linear=True,
    vjp=lambda g, ans, x, axes, inverse, norm: fftn_p(g, axes=axes, inverse=inverse, norm=norm))
rfft_p = Primitive("rfft", lambda x, axis, norm: np.fft.rfft(x, axis=axis, norm=norm), linear=True, vjp=_rfft_vjp)
irfft_p = Primitive("irfft", lambda y, n, axis, norm: np.fft.irfft(y, n, axis=axis, norm=norm), linear=True,
    vjp=_irfft_vjp)
