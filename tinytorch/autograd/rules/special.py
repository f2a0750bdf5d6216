"""Rules for special functions of scipy.special: erf, erfc, gammaln, digamma and
polygamma. Each is elementwise and differentiable to any order (the derivative
of polygamma(n) is polygamma(n + 1)).

SciPy is imported when one of them is first called, not with tinytorch:
importing scipy.special takes several times as long as NumPy and tinytorch
together, and most programs never call these functions.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from ..primitive import Primitive
from .math import elementwise, exp, square

TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


@functools.cache
def scipy_special():
    """The scipy.special module, imported on the first call."""
    import scipy.special

    return scipy.special


def scipy_elementwise(name, *rules, scipy_name=None):
    """An elementwise primitive whose impl is the ufunc scipy.special.<scipy_name>
    (default: `name`). Its first call imports SciPy and puts the ufunc itself in
    place as the impl, so later calls cost what they would with SciPy imported
    up front."""
    scipy_name = scipy_name or name

    def import_and_call(*args, **kwargs):
        ufunc = getattr(scipy_special(), scipy_name)
        primitive.impl = primitive.array_impl = ufunc
        return ufunc(*args, **kwargs)

    import_and_call.__doc__ = f"scipy.special.{scipy_name}, imported on the first call."
    primitive = elementwise(name, import_and_call, *rules)
    return primitive


def _polygamma(x, n):
    return np.asarray(scipy_special().polygamma(n, x)).astype(np.result_type(x), copy=False)[()]


erf = scipy_elementwise("erf", lambda t, ans, x: t * (TWO_OVER_SQRT_PI * exp(-square(x))))
erfc = scipy_elementwise("erfc", lambda t, ans, x: t * (-TWO_OVER_SQRT_PI * exp(-square(x))))
gammaln = scipy_elementwise("gammaln", lambda t, ans, x: t * digamma(x))
digamma = scipy_elementwise("digamma", lambda t, ans, x: t * polygamma_p(x, n=1))
polygamma_p = Primitive("polygamma", _polygamma, broadcasting=True,
    jvp=lambda t, ans, x, n: t * polygamma_p(x, n=n + 1),
    vjp=lambda g, ans, x, n: g * polygamma_p(x, n=n + 1))
