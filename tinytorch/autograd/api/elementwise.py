"""Elementwise functions with NumPy's names, and scipy.special's (erf, erfc,
gammaln, digamma, polygamma): the table's primitives themselves, plus the few
whose signature needs adapting (clip, where, select, nan_to_num, polygamma, sinc),
and complex numbers' parts (real, imag, conj, angle, sign of a complex number)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..levels import Box
from ..primitive import NonDifferentiable, innermost, is_complex, unbox_all
from ..rules import math as m
from ..rules import special as s

add, subtract, multiply, divide, negative, positive = m.add, m.subtract, m.multiply, m.divide, m.negative, m.positive
true_divide = divide
power, remainder, fmod, reciprocal = m.power, m.remainder, m.fmod, m.reciprocal
square, sqrt, cbrt = m.square, m.sqrt, m.cbrt
mod = remainder
absolute = abs = fabs = m.absolute
exp, exp2, expm1, log, log2, log10, log1p = m.exp, m.exp2, m.expm1, m.log, m.log2, m.log10, m.log1p
logaddexp, logaddexp2 = m.logaddexp, m.logaddexp2
sin, cos, tan, arcsin, arccos, arctan = m.sin, m.cos, m.tan, m.arcsin, m.arccos, m.arctan
arctan2, hypot = m.arctan2, m.hypot
deg2rad, rad2deg = m.deg2rad, m.rad2deg
radians, degrees = deg2rad, rad2deg
sinh, cosh, tanh, arcsinh, arccosh, arctanh = m.sinh, m.cosh, m.tanh, m.arcsinh, m.arccosh, m.arctanh
maximum, minimum, fmax, fmin = m.maximum, m.minimum, m.fmax, m.fmin
erf, erfc = s.erf, s.erfc
gammaln, digamma = s.gammaln, s.digamma
psi = digamma

globals().update(m.nondifferentiable)

_IMPORTED = {"annotations", "Any", "Box", "np", "innermost", "is_complex", "unbox_all", "m", "s", "NonDifferentiable"}
__all__ = [name for name in list(globals()) if not name.startswith("_") and name not in _IMPORTED]


def clip(a: Any, a_min: Any = None, a_max: Any = None, *, min: Any = None, max: Any = None) -> Any:  # noqa: A002
    """np.clip (also with NumPy 2.1's min=/max=); differentiable in `a` and in array bounds."""
    if min is not None or max is not None:
        if a_min is not None or a_max is not None:
            raise TypeError("clip: give a_min/a_max or min/max, not both")
        a_min, a_max = min, max
    return m.clip(a, -np.inf if a_min is None else a_min, np.inf if a_max is None else a_max)


def where(condition: Any, x: Any = None, y: Any = None) -> Any:
    """np.where; differentiable in x and y (the condition is a plain mask)."""
    if x is None and y is None:
        return np.where(unbox_all(condition))
    if x is None or y is None:
        raise ValueError("where: either both or neither of x and y should be given")
    return m.where(innermost(condition), x, y)  # a plain mask (a Tracer stays: it is staged)


def select(condlist: Any, choicelist: Any, default: Any = 0) -> Any:
    """np.select: the choice of the first true condition, element by element, else default;
    differentiable in the choices and the default."""
    if len(condlist) != len(choicelist):
        raise ValueError("list of cases must be same length as list of conditions")
    out = default
    for condition, choice in reversed(list(zip(condlist, choicelist))):
        out = where(condition, choice, out)
    return out


def nan_to_num(x: Any, copy: bool = True, nan: float = 0.0, posinf: Any = None, neginf: Any = None) -> Any:
    """np.nan_to_num: nan, inf and -inf replaced (inf by the dtype's largest finite value by
    default); the derivative is 1 where x was finite and 0 where it was replaced."""
    if not isinstance(x, Box):
        return np.nan_to_num(x, copy=copy, nan=nan, posinf=posinf, neginf=neginf)
    if not copy:
        raise NotImplementedError("nan_to_num(copy=False) of a box: it replaces in place; use copy=True")
    if is_complex(x):  # as NumPy does: the real and imaginary parts, each on its own
        parts = [nan_to_num(part, True, nan, posinf, neginf) for part in (m.real_p(x), m.imag_p(x))]
        return parts[0] + 1j * parts[1]
    if not np.issubdtype(x.dtype, np.floating):
        return x
    big = np.finfo(x.dtype).max
    posinf = big if posinf is None else posinf
    neginf = -big if neginf is None else neginf
    isnan, isfinite = m.nondifferentiable["isnan"], m.nondifferentiable["isfinite"]
    return where(isfinite(x), x, where(isnan(x), nan, where(x > 0, posinf, neginf)))


def polygamma(n: int, x: Any) -> Any:
    """scipy.special.polygamma(n, x), differentiable in x."""
    return s.polygamma_p(x, n=int(n))


def sinc(x: Any) -> Any:
    """np.sinc(x) = sin(pi x) / (pi x), 1 at 0; differentiable to any order, at 0 too."""
    return m.sinc_p(x, n=0)


# --- complex numbers ---------------------------------------------------------------------
real, imag = m.real_p, m.imag_p
conj = conjugate = m.conj_p


_angle_of_reals = NonDifferentiable("angle", np.angle)  # 0 or pi: plain values out, staged by tt.jit


def angle(z: Any, deg: bool = False) -> Any:
    """np.angle: the argument of z, in radians (degrees with deg=True). Piecewise
    constant on reals (0 or pi), so its derivative there is 0.

    >>> import tinytorch as tt
    >>> from tinytorch.autograd import grad
    >>> complex(grad(lambda z: tt.angle(z))(1j))   # d/dx - i d/dy of atan2(y, x) at (0, 1)
    (-1+0j)
    """
    if not is_complex(z):
        return _angle_of_reals(z, deg=deg)
    radians = m.arctan2(m.imag_p(z), m.real_p(z))
    return radians * (180.0 / np.pi) if deg else radians


class _Sign(NonDifferentiable):
    """np.sign: piecewise constant on reals (derivative 0); x / |x| on complex
    numbers (0 at 0), which is differentiable away from 0."""

    def __call__(self, x: Any) -> Any:
        if not (isinstance(x, Box) and is_complex(x)):
            return super().__call__(x)
        magnitude = m.absolute(x)
        return m.where(magnitude == 0, 0.0, x / m.where(magnitude == 0, 1.0, magnitude))


sign = _Sign("sign", np.sign)


def real_if_close(a: Any, tol: float = 100) -> Any:
    """np.real_if_close: a's real part if every imaginary part is within tol machine
    epsilons of 0, else a as it is."""
    plain = unbox_all(a)
    if not is_complex(plain) or np.asarray(np.real_if_close(plain, tol)).dtype.kind == "c":
        return a
    return m.real_p(a)


iscomplex = NonDifferentiable("iscomplex", np.iscomplex)
iscomplexobj = NonDifferentiable("iscomplexobj", np.iscomplexobj)
isrealobj = NonDifferentiable("isrealobj", np.isrealobj)
isreal = NonDifferentiable("isreal", np.isreal)
