"""Rules for the special functions of scipy.special: the gamma and beta families,
the error function and the normal distribution, logit, the x log y forms
and the Bessel functions. Each is elementwise, its impl SciPy's ufunc, and its
rule written with the table's ops, so that it differentiates again (the
derivative of polygamma(n) is polygamma(n + 1)).

SciPy is imported when one of them is first called, not with tinytorch:
importing scipy.special takes several times as long as NumPy and tinytorch
together, and most programs never call these functions.

The incomplete gamma and beta functions are differentiated in x only, as in
HIPS autograd, and the Bessel functions in z (yn: x) only: their derivatives in a, b
and the order v are no closed form, and differentiating with respect to them
raises NotImplementedError.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from ..primitive import NonDifferentiable, Primitive, dtype_of, is_complex
from .math import elementwise, exp, log, log1p, sign, square, trunc
from .shape import astype_p

TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
SQRT_PI_OVER_2 = math.sqrt(math.pi) / 2.0
SQRT_2PI = math.sqrt(2.0 * math.pi)
SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
SQRT_HALF = math.sqrt(0.5)


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


def scipy_nondifferentiable(name):
    """scipy.special.<name> for a piecewise constant function: plain values out, derivative 0."""
    return NonDifferentiable(name, lambda *args, **kwargs: getattr(scipy_special(), name)(*args, **kwargs))


def refused(name, argument, differentiable):
    """The rule of an argument with no derivative: raises when that argument is differentiated."""
    def rule(t, ans, *args, **kwargs):
        raise NotImplementedError(
            f"{name}: the derivative with respect to {argument} is not implemented (only {differentiable} is differentiable)")

    return rule


def _in_result_dtype(rule):
    """The rule, its result cast to the primitive's dtype where they differ."""
    def cast(t, ans, *args, **kwargs):
        derivative = rule(t, ans, *args, **kwargs)
        dtype = dtype_of(ans)
        return derivative if dtype_of(derivative) == dtype else astype_p(derivative, dtype)

    return cast


def _polygamma(x, n):
    if np.iscomplexobj(x):  # SciPy's would raise a TypeError about its _zeta ufunc
        raise NotImplementedError(
            "polygamma of complex numbers: scipy.special.polygamma has none, so neither digamma's "
            "derivative nor gamma's second derivative is available for complex inputs")
    return np.asarray(scipy_special().polygamma(n, x)).astype(np.result_type(x), copy=False)[()]


def _real_z(rule, name):
    """The rule of a function whose derivative is real-only: ive(v, z) = iv(v, z) exp(-|Re z|)
    is not holomorphic in a complex z."""
    def real_only(t, ans, *args):
        if is_complex(args[-1]):
            raise NotImplementedError(f"{name}: the derivative for a complex argument is not implemented")
        return rule(t, ans, *args)

    return real_only


def _xexpy(x, y):
    # 0 where x == 0 even if exp(y) overflows or y is nan: a zero weight drops its term
    with np.errstate(over="ignore", invalid="ignore"):
        return np.where(x == 0, 0.0, x * np.exp(y))[()]


def _gamma_density(a, x):
    """x^(a-1) e^-x / Gamma(a), the derivative of gammainc(a, x) in x; xlogy keeps x = 0, a = 1 finite."""
    return exp(xlogy(a - 1.0, x) - x - gammaln(a))


# --- gamma and beta functions ------------------------------------------------------------
gamma = scipy_elementwise("gamma", lambda t, ans, x: t * (ans * digamma(x)))
rgamma = scipy_elementwise("rgamma", lambda t, ans, x: t * -(ans * digamma(x)))
gammaln = scipy_elementwise("gammaln", lambda t, ans, x: t * digamma(x))
digamma = scipy_elementwise("digamma", lambda t, ans, x: t * polygamma_p(x, n=1))
polygamma_p = Primitive("polygamma", _polygamma, broadcasting=True,
    jvp=lambda t, ans, x, n: t * polygamma_p(x, n=n + 1),
    vjp=lambda g, ans, x, n: g * polygamma_p(x, n=n + 1))
gammasgn = scipy_nondifferentiable("gammasgn")
beta = scipy_elementwise("beta",
    lambda t, ans, a, b: t * (ans * (digamma(a) - digamma(a + b))),
    lambda t, ans, a, b: t * (ans * (digamma(b) - digamma(a + b))))
betaln = scipy_elementwise("betaln",
    lambda t, ans, a, b: t * (digamma(a) - digamma(a + b)),
    lambda t, ans, a, b: t * (digamma(b) - digamma(a + b)))
# x^(a-1) (1-x)^(b-1) / B(a, b), in logarithms: B(a, b) underflows long before the ratio does.
# Cast: SciPy's betainc(2, 3, x) of a float32 x is float32, but betaln(2, 3) a float64 scalar.
betainc = scipy_elementwise("betainc", refused("betainc", "a", "x"), refused("betainc", "b", "x"),
    _in_result_dtype(lambda t, ans, a, b, x: t * exp(xlogy(a - 1.0, x) + xlog1py(b - 1.0, -x) - betaln(a, b))))
gammainc = scipy_elementwise("gammainc", refused("gammainc", "a", "x"), lambda t, ans, a, x: t * _gamma_density(a, x))
gammaincc = scipy_elementwise("gammaincc", refused("gammaincc", "a", "x"), lambda t, ans, a, x: -t * _gamma_density(a, x))

# --- error function, normal distribution -------------------------------------------------
erf = scipy_elementwise("erf", lambda t, ans, x: t * (TWO_OVER_SQRT_PI * exp(-square(x))))
erfc = scipy_elementwise("erfc", lambda t, ans, x: t * (-TWO_OVER_SQRT_PI * exp(-square(x))))
erfinv = scipy_elementwise("erfinv", lambda t, ans, x: t * (SQRT_PI_OVER_2 * exp(square(ans))))
erfcinv = scipy_elementwise("erfcinv", lambda t, ans, x: t * (-SQRT_PI_OVER_2 * exp(square(ans))))
erfcx = scipy_elementwise("erfcx", lambda t, ans, x: t * (2.0 * x * ans - TWO_OVER_SQRT_PI))
ndtr = scipy_elementwise("ndtr", lambda t, ans, x: t * (exp(-0.5 * square(x)) / SQRT_2PI))
# the density over ndtr, sqrt(2 / pi) / erfcx(-x / sqrt 2): both underflow far out on the left,
# and exp(-x^2 / 2 - log_ndtr(x)) cancels there (inf instead of 1e10 at x = -1e10)
log_ndtr = scipy_elementwise("log_ndtr", lambda t, ans, x: t * (SQRT_2_OVER_PI / erfcx(x * -SQRT_HALF)))
ndtri = scipy_elementwise("ndtri", lambda t, ans, x: t * (SQRT_2PI * exp(0.5 * square(ans))))

# --- logit, and products with a logarithm or an exponential ------------------------------
logit = scipy_elementwise("logit", lambda t, ans, x: t / (x * (1.0 - x)))
# JAX's rules: in x, log(y) (-inf at y = 0, where xlogy(x, 0) = -inf for every x > 0); in y,
# x / y (0 along x = 0 where y > 0, nan at (0, 0))
xlogy = scipy_elementwise("xlogy", lambda t, ans, x, y: t * log(y), lambda t, ans, x, y: t * x / y)
xlog1py = scipy_elementwise("xlog1py", lambda t, ans, x, y: t * log1p(y), lambda t, ans, x, y: t * x / (1.0 + y))
# x e^y, 0 where x == 0: logsumexp's weighted terms. The rule in y is `ans`, 0 exactly where
# x == 0 (no 0 * inf), and differentiating that in x gives back e^y.
xexpy = elementwise("xexpy", _xexpy, lambda t, ans, x, y: t * exp(y), lambda t, ans, x, y: t * ans)

# --- Bessel functions --------------------------------------------------------------------
# In z, the recurrences that stay finite at z = 0: J'_v = (J_{v-1} - J_{v+1}) / 2, Y'_v
# likewise, I'_v = (I_{v-1} + I_{v+1}) / 2, K'_v = -(K_{v-1} + K_{v+1}) / 2; the scaled
# ive(v, z) = iv(v, z) e^-|z| adds -sign(z) ive(v, z), 0 at the kink z = 0, as abs has.
j0 = scipy_elementwise("j0", lambda t, ans, x: -t * j1(x))
j1 = scipy_elementwise("j1", lambda t, ans, x: t * (0.5 * (j0(x) - jv(2.0, x))))
y0 = scipy_elementwise("y0", lambda t, ans, x: -t * y1(x))
y1 = scipy_elementwise("y1", lambda t, ans, x: t * (0.5 * (y0(x) - yv(2.0, x))))
i0 = scipy_elementwise("i0", lambda t, ans, x: t * i1(x))
i1 = scipy_elementwise("i1", lambda t, ans, x: t * (0.5 * (i0(x) + iv(2.0, x))))
i0e = scipy_elementwise("i0e", lambda t, ans, x: t * (i1e(x) - sign(x) * ans))
i1e = scipy_elementwise("i1e", lambda t, ans, x: t * (0.5 * (i0e(x) + ive(2.0, x)) - sign(x) * ans))
jv = scipy_elementwise("jv", refused("jv", "the order v", "z"), lambda t, ans, v, z: t * (0.5 * (jv(v - 1.0, z) - jv(v + 1.0, z))))
yv = scipy_elementwise("yv", refused("yv", "the order v", "z"), lambda t, ans, v, z: t * (0.5 * (yv(v - 1.0, z) - yv(v + 1.0, z))))
# SciPy's yn truncates a float order toward zero (with a RuntimeWarning), so its rule takes the
# orders trunc(n) -+ 1: n -+ 1 would truncate wrongly between -1 and 1 (at n = 0.5, n - 1 to 0,
# not -1) and warn again. An int order gives float64 even for a float32 x (SciPy's 'ld->d'
# loop), a float one float32: the rule's result is cast to the value's dtype.
yn = scipy_elementwise("yn", refused("yn", "the order n", "x"), _in_result_dtype(lambda t, ans, n, x: t * (0.5 * (yn(trunc(n) - 1.0, x) - yn(trunc(n) + 1.0, x)))))
iv = scipy_elementwise("iv", refused("iv", "the order v", "z"), lambda t, ans, v, z: t * (0.5 * (iv(v - 1.0, z) + iv(v + 1.0, z))))
ive = scipy_elementwise("ive", refused("ive", "the order v", "z"), _real_z(lambda t, ans, v, z: t * (0.5 * (ive(v - 1.0, z) + ive(v + 1.0, z)) - sign(z) * ans), "ive"))
kv = scipy_elementwise("kv", refused("kv", "the order v", "z"), lambda t, ans, v, z: t * (-0.5 * (kv(v - 1.0, z) + kv(v + 1.0, z))))
