"""Rules for special functions of scipy.special: erf, erfc, gammaln, digamma and
polygamma. Each is elementwise and differentiable to any order (the derivative
of polygamma(n) is polygamma(n + 1)).
"""

from __future__ import annotations

import math

import numpy as np
import scipy.special as sc

from ..primitive import Primitive
from .math import elementwise, exp, square

TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _polygamma(x, n):
    return np.asarray(sc.polygamma(n, x)).astype(np.result_type(x), copy=False)[()]


erf = elementwise("erf", sc.erf, lambda t, ans, x: t * (TWO_OVER_SQRT_PI * exp(-square(x))))
erfc = elementwise("erfc", sc.erfc, lambda t, ans, x: t * (-TWO_OVER_SQRT_PI * exp(-square(x))))
gammaln = elementwise("gammaln", sc.gammaln, lambda t, ans, x: t * digamma(x))
digamma = elementwise("digamma", sc.digamma, lambda t, ans, x: t * polygamma_p(x, n=1))
polygamma_p = Primitive("polygamma", _polygamma, broadcasting=True,
    jvp=lambda t, ans, x, n: t * polygamma_p(x, n=n + 1),
    vjp=lambda g, ans, x, n: g * polygamma_p(x, n=n + 1))
