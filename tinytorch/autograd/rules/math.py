"""Rules for elementwise math, grouped as NumPy's "Mathematical functions" page.

An elementwise op has a diagonal Jacobian, so its JVP and its VJP are the same
expression: one rule `d(t, ans, *args)` per argument multiplies the incoming
tangent (or cotangent) by that argument's partial derivative. Broadcasting is
undone by the machinery, not here.

Complex numbers follow JAX's and HIPS autograd's convention: a cotangent pairs
with a tangent as Re(g t), without conjugation. So a holomorphic function's rule
is its real one, f'(x) times the tangent or the cotangent, in both modes; only
the functions that are not holomorphic (abs, real, imag, conj) have a JVP and a
VJP of their own.
"""

from __future__ import annotations

import cmath
import math
import operator

import numpy as np

from ..primitive import NonDifferentiable, Primitive, dtype_of, is_complex
from .shape import astype_p

LN2 = math.log(2.0)
LN10 = math.log(10.0)


def elementwise(name, impl, *rules, array_impl=None):
    return Primitive(name, impl, jvp=rules, vjp=rules, broadcasting=True, array_impl=array_impl)


def _pow_dx(t, ans, x, y):
    if isinstance(y, (int, float)):
        # constant exponents: the common ones without a power at all
        if y == 2:
            return t * (2.0 * x)
        if y == 1:
            return t
        return t * (y * x ** (y - 1)) if y != 0 else 0.0 * t
    # y * x**(y-1) is 0 * inf at x == y == 0, where the derivative is 0; x is
    # replaced there so that no inf reaches the derivatives of this expression.
    both_zero = (x == 0) & (y == 0)
    return t * where(both_zero, 0.0, y * where(both_zero, 1.0, x) ** (y - 1))


def _pow_dy(t, ans, x, y):
    # d/dy x**y = x**y log x; at x == 0 the limit is 0 for y > 0. A negative base with a
    # complex power has a complex result, and its log is the complex one.
    if isinstance(x, (int, float)):
        # a Python scalar stays weakly typed, so float32 stays float32
        if x < 0 and is_complex(ans):
            return t * (ans * cmath.log(x))
        log_x = math.log(x) if x > 0 else 0.0 if x == 0 else math.nan
        return t * (ans * log_x)
    if is_complex(ans) and not is_complex(x):
        x = astype_p(x, dtype_of(ans))
    return t * (ans * log(where(x == 0, 1.0, x)))


def _mask(cond, t):
    return t * cond


def _max_dx(t, ans, x, y):
    # ties split the derivative evenly, as in JAX
    return where(x > y, t, where(x == y, 0.5 * t, 0.0))


def _min_dx(t, ans, x, y):
    return where(x < y, t, where(x == y, 0.5 * t, 0.0))


def _to_returned(rule, nan_wins):
    """The rules (dx, dy) of an extremum of two operands whose derivative goes to the
    operand NumPy returns: with a NaN operand, the NaN (maximum, minimum; PyTorch gives
    it to both operands, JAX to neither) or the other one (fmax, fmin, as both do); x
    when both are NaN."""
    def dx(t, ans, x, y):
        return where(isnan(x if nan_wins else y), t, rule(t, ans, x, y))

    def dy(t, ans, x, y):
        returned, other = (y, x) if nan_wins else (x, y)
        return where(isnan(returned) & ~isnan(other), t, rule(t, ans, y, x))

    return dx, dy


# --- arithmetic ------------------------------------------------------------------------
add = elementwise("add", np.add, lambda t, ans, x, y: t, lambda t, ans, x, y: t, array_impl=operator.add)
subtract = elementwise("subtract", np.subtract, lambda t, ans, x, y: t, lambda t, ans, x, y: -t, array_impl=operator.sub)
multiply = elementwise("multiply", np.multiply, lambda t, ans, x, y: t * y, lambda t, ans, x, y: x * t, array_impl=operator.mul)
divide = elementwise("divide", np.divide, lambda t, ans, x, y: t / y, lambda t, ans, x, y: -(t * ans) / y, array_impl=operator.truediv)
negative = elementwise("negative", np.negative, lambda t, ans, x: -t, array_impl=operator.neg)
positive = elementwise("positive", np.positive, lambda t, ans, x: t)
power = elementwise("power", np.power, _pow_dx, _pow_dy, array_impl=operator.pow)
remainder = elementwise("remainder", np.remainder, lambda t, ans, x, y: t, lambda t, ans, x, y: -t * floor_divide(x, y))
fmod = elementwise("fmod", np.fmod, lambda t, ans, x, y: t, lambda t, ans, x, y: -t * trunc(x / y))
reciprocal = elementwise("reciprocal", np.reciprocal, lambda t, ans, x: -t * square(ans))
square = elementwise("square", np.square, lambda t, ans, x: t * (2.0 * x))
sqrt = elementwise("sqrt", np.sqrt, lambda t, ans, x: t * 0.5 / ans)
cbrt = elementwise("cbrt", np.cbrt, lambda t, ans, x: t / (3.0 * square(ans)))
absolute = Primitive("absolute", np.absolute, broadcasting=True, array_impl=operator.abs,
    jvp=lambda t, ans, x: real_p(t * _conj_unit(x, ans)) if is_complex(x) else t * sign(x),
    vjp=lambda g, ans, x: g * _conj_unit(x, ans) if is_complex(x) else g * sign(x))

# --- complex numbers -----------------------------------------------------------------
# Each is linear over the reals: its JVP is itself on the tangent, its VJP the
# transpose under Re(g t). A real cotangent of real(x) pairs with Re(t), so it comes
# back as the complex g + 0i; that of imag(x), pairing with Im(t) = Re(-i t), as -i g.
def _conj_unit(x, ans):
    # conj(x) / |x|: |x|'s derivative in the pairing Re(g t); 0 at 0, as for a real |x|
    return conj_p(x) / where(ans == 0, 1.0, ans)


def _as_complex_like(g, x):
    return astype_p(g, x.dtype) if is_complex(x) else g


real_p = Primitive("real", np.real, linear=True, vjp=lambda g, ans, x: _as_complex_like(g, x))
imag_p = Primitive("imag", np.imag, linear=True,
    vjp=lambda g, ans, x: astype_p(g, x.dtype) * -1j if is_complex(x) else 0.0 * g)
conj_p = Primitive("conjugate", np.conjugate, linear=True, vjp=lambda g, ans, x: conj_p(g))

# --- exponents and logarithms --------------------------------------------------------
exp = elementwise("exp", np.exp, lambda t, ans, x: t * ans)
exp2 = elementwise("exp2", np.exp2, lambda t, ans, x: t * (ans * LN2))
expm1 = elementwise("expm1", np.expm1, lambda t, ans, x: t * (ans + 1.0))
log = elementwise("log", np.log, lambda t, ans, x: t / x)
log2 = elementwise("log2", np.log2, lambda t, ans, x: t / (x * LN2))
log10 = elementwise("log10", np.log10, lambda t, ans, x: t / (x * LN10))
log1p = elementwise("log1p", np.log1p, lambda t, ans, x: t / (x + 1.0))
logaddexp = elementwise("logaddexp", np.logaddexp, lambda t, ans, x, y: t * exp(x - ans), lambda t, ans, x, y: t * exp(y - ans))
logaddexp2 = elementwise("logaddexp2", np.logaddexp2, lambda t, ans, x, y: t * exp2(x - ans), lambda t, ans, x, y: t * exp2(y - ans))

# --- trigonometric -------------------------------------------------------------------
sin = elementwise("sin", np.sin, lambda t, ans, x: t * cos(x))
cos = elementwise("cos", np.cos, lambda t, ans, x: -t * sin(x))
tan = elementwise("tan", np.tan, lambda t, ans, x: t * (1.0 + square(ans)))
arcsin = elementwise("arcsin", np.arcsin, lambda t, ans, x: t / sqrt(1.0 - square(x)))
arccos = elementwise("arccos", np.arccos, lambda t, ans, x: -t / sqrt(1.0 - square(x)))
arctan = elementwise("arctan", np.arctan, lambda t, ans, x: t / (1.0 + square(x)))
arctan2 = elementwise("arctan2", np.arctan2, lambda t, ans, y, x: t * x / (square(x) + square(y)), lambda t, ans, y, x: -t * y / (square(x) + square(y)))
hypot = elementwise("hypot", np.hypot, lambda t, ans, x, y: t * x / ans, lambda t, ans, x, y: t * y / ans)
deg2rad = elementwise("deg2rad", np.deg2rad, lambda t, ans, x: t * (math.pi / 180.0))
rad2deg = elementwise("rad2deg", np.rad2deg, lambda t, ans, x: t * (180.0 / math.pi))

# --- hyperbolic ----------------------------------------------------------------------
sinh = elementwise("sinh", np.sinh, lambda t, ans, x: t * cosh(x))
cosh = elementwise("cosh", np.cosh, lambda t, ans, x: t * sinh(x))
tanh = elementwise("tanh", np.tanh, lambda t, ans, x: t * (1.0 - square(ans)))
arcsinh = elementwise("arcsinh", np.arcsinh, lambda t, ans, x: t / sqrt(square(x) + 1.0))
arccosh = elementwise("arccosh", np.arccosh, lambda t, ans, x: t / sqrt(square(x) - 1.0))
arctanh = elementwise("arctanh", np.arctanh, lambda t, ans, x: t / (1.0 - square(x)))

# --- other special functions ---------------------------------------------------------
_SINC_SERIES_TERMS = 16  # |pi x| < 2: the last term is below 1e-24 of the first


def _sinc(x, n):
    """The n-th derivative of np.sinc, sin(pi x) / (pi x): np.sinc itself for n == 0.

    With f(u) = sin(u) / u and u = pi x it is pi**n f^(n)(u). Near 0, where the
    closed form is 0 / 0, f^(n) is its Maclaurin series
    sum_k (-1)**k u**(2k - n) / ((2k + 1) (2k - n)!) over 2k >= n; elsewhere
    Leibniz's rule on sin(u) * u**-1."""
    if n == 0:
        return np.sinc(x)
    x = np.asarray(x)
    dtype = x.dtype if np.issubdtype(x.dtype, np.inexact) else np.dtype(np.float64)
    u = math.pi * x.astype(np.complex128 if x.dtype.kind == "c" else np.float64)  # both formulas are holomorphic
    near = np.abs(u) < 2.0
    series = np.zeros_like(u)
    first = (n + 1) // 2
    for k in range(first, first + _SINC_SERIES_TERMS):
        series += (-1) ** k * u ** (2 * k - n) / ((2 * k + 1) * math.factorial(2 * k - n))
    v = np.where(near, 1.0, u)  # no 1 / 0 where the series is taken
    leibniz = sum(math.comb(n, j) * np.sin(v + j * math.pi / 2) * (-1) ** (n - j) * math.factorial(n - j) / v ** (n - j + 1)
                  for j in range(n + 1))
    return (math.pi ** n * np.where(near, series, leibniz)).astype(dtype, copy=False)[()]


# the n-th derivative's derivative is the (n + 1)-th: finite at 0, to any order
sinc_p = Primitive("sinc", _sinc, broadcasting=True,
    jvp=lambda t, ans, x, n: t * sinc_p(x, n=n + 1),
    vjp=lambda g, ans, x, n: g * sinc_p(x, n=n + 1))

# --- extrema, clipping, selection ----------------------------------------------------
maximum = elementwise("maximum", np.maximum, *_to_returned(_max_dx, nan_wins=True))
minimum = elementwise("minimum", np.minimum, *_to_returned(_min_dx, nan_wins=True))
fmax = elementwise("fmax", np.fmax, *_to_returned(_max_dx, nan_wins=False))
fmin = elementwise("fmin", np.fmin, *_to_returned(_min_dx, nan_wins=False))
# x gets the derivative where lo <= x <= hi, ties included (PyTorch's convention); with
# lo >= hi NumPy returns hi outside that, so hi gets it (PyTorch drops it at lo == hi)
clip = elementwise("clip", np.clip,
    lambda t, ans, x, lo, hi: _mask((x >= lo) & (x <= hi), t),
    lambda t, ans, x, lo, hi: _mask((x < lo) & (lo < hi), t),
    lambda t, ans, x, lo, hi: _mask((x > hi) | ((x < lo) & (hi <= lo)), t))
where = elementwise("where", np.where,
    None,
    lambda t, ans, c, x, y: where(c, t, 0.0),
    lambda t, ans, c, x, y: where(c, 0.0, t))

# --- piecewise constant: zero derivative ---------------------------------------------
_NONDIFF = [
    "sign", "floor", "ceil", "trunc", "rint", "round", "around", "fix", "floor_divide",
    "equal", "not_equal", "less", "less_equal", "greater", "greater_equal",
    "logical_and", "logical_or", "logical_not", "logical_xor", "isnan", "isinf",
    "isfinite", "signbit", "isclose", "allclose", "array_equal", "heaviside",
]
nondifferentiable = {name: NonDifferentiable(name, getattr(np, name)) for name in _NONDIFF}
sign = nondifferentiable["sign"]
isnan = nondifferentiable["isnan"]
trunc = nondifferentiable["trunc"]
floor_divide = nondifferentiable["floor_divide"]
