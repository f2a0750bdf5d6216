"""The ops the program fuzzer composes (see fuzz_programs.py), in families.

Each op builds, for a shape it must produce, the source text of a call to the
public `tt` API (or to NumPy, which defers to tinytorch, or to an operator or a
method), drawing its operands with the shapes the call needs and mapping them
into the call's domain.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from fuzz_programs import MAG, Builder, Expr, Op, image, lit, registry

import tinytorch as tt
from tinytorch.scipy import special

OPS: list[Op] = []
op = registry(OPS)


def rank_at_least(k: int) -> dict:
    return {"accepts": lambda s: len(s) >= k, "root_shape": lambda b: b.shape(k, 3)}


def union(*es: Expr, extra: float = 0.0) -> tuple[float, float]:
    return min([e.lo for e in es] + [extra]), max([e.hi for e in es] + [extra])


def with_np(name: str, text: str) -> list[str]:
    """`text` spelled tt.<name>(...), and np.<name>(...) when NumPy hands it to tinytorch."""
    return [f"tt.{name}{text}", f"np.{name}{text}"]


def axis_text(axes: list[int], ndim: int, b: Builder) -> str:
    """An axis argument naming `axes` of an ndim-dimensional array, in one of its spellings."""
    if len(axes) == ndim and ndim and b.integer(0, 2) == 0:
        return ", axis=None"
    spelled = [a - ndim if b.coin() else a for a in axes]
    return f", axis={spelled[0] if len(spelled) == 1 else tuple(spelled)}"


# --- elementwise math ---------------------------------------------------------------------
# Each function is listed with its domain: how its operand is mapped into it.


def moderate(b: Builder, e: Expr) -> Expr:
    return b.scaled(e, MAG)


def nonzero(b: Builder, e: Expr) -> Expr:
    return b.away(e)


def small(r: float) -> Callable:
    return lambda b, e: b.scaled(e, r)


def above(low: float) -> Callable:
    return lambda b, e: b.above(e, low)


UNARY_MATH = [
    ("sin", moderate),
    ("cos", moderate),
    ("tanh", moderate),
    ("arctan", moderate),
    ("arcsinh", moderate),
    ("sinc", moderate),
    ("square", moderate),
    ("negative", moderate),
    ("positive", moderate),
    ("deg2rad", moderate),
    ("rad2deg", small(0.05)),
    ("exp", small(2)),
    ("exp2", small(2)),
    ("expm1", small(2)),
    ("sinh", small(2)),
    ("cosh", small(2)),
    ("tan", small(1.2)),
    ("arcsin", small(0.8)),
    ("arccos", small(0.8)),
    ("arctanh", small(0.8)),
    ("log", above(0.3)),
    ("log2", above(0.3)),
    ("log10", above(0.3)),
    ("log1p", above(-0.6)),
    ("sqrt", above(0.3)),
    ("arccosh", above(1.3)),
    ("reciprocal", nonzero),
    ("cbrt", nonzero),
    ("absolute", nonzero),
    ("abs", nonzero),
    ("fabs", nonzero),
]
OPERATOR_SPELLINGS = {
    "negative": ["(-{})"],
    "positive": ["(+{})"],
    "absolute": ["abs({})"],
    "square": ["({} ** 2)"],
    "sqrt": ["({} ** 0.5)"],
    "reciprocal": ["(1.0 / {})"],
}


def unary(b: Builder, name: str, e: Expr) -> Expr:
    spellings = [f"tt.{name}({e.text})"]
    if isinstance(getattr(np, name, None), np.ufunc):
        spellings.append(f"np.{name}({e.text})")
    spellings += [s.format(e.text) for s in OPERATOR_SPELLINGS.get(name, [])]
    return Expr(b.pick(spellings), e.shape, *image(getattr(tt, name), e))


@op("math", weight=4)
def unary_math(b: Builder, shape: tuple, depth: int) -> Expr:
    name, domain = b.pick(UNARY_MATH)
    return unary(b, name, domain(b, b.expr(shape, depth - 1)))


def binary(b: Builder, text: str, fn: Callable, x: Expr, y: Expr, shape: tuple) -> Expr:
    return Expr(text, shape, *image(fn, x, y))


@op("math", weight=3)
def arithmetic(b: Builder, shape: tuple, depth: int) -> Expr:
    kind = b.pick(["add", "multiply", "subtract", "divide", "power", "constant"])
    if kind == "constant":
        return with_constant(b, shape, depth)
    sx, sy = b.operand_shapes(shape, 2)
    x, y = b.expr(sx, depth - 1), b.operand(sy, depth - 1)
    if kind == "divide":
        x, y = b.scaled(x, MAG), (b.away(y) if b.coin() else b.above(y, 0.5))
    elif kind == "power":
        x, y = b.above(x, 0.4), b.scaled(y, 1.5)
    else:
        x, y = b.scaled(x, MAG), b.scaled(y, MAG)
    symbol = {"add": "+", "subtract": "-", "multiply": "*", "divide": "/", "power": "**"}[kind]
    spellings = [f"({x.text} {symbol} {y.text})", *with_np(kind, f"({x.text}, {y.text})")]
    if kind == "divide":
        spellings.append(f"tt.true_divide({x.text}, {y.text})")
    return binary(b, b.pick(spellings), getattr(np, kind), x, y, shape)


def with_constant(b: Builder, shape: tuple, depth: int) -> Expr:
    e = b.expr(shape, depth - 1)
    form = b.pick(["scale", "shift", "rsub", "rdiv", "int-power", "float-power", "rpow"])
    if form == "rdiv":
        e = b.away(e)
        return Expr(f"(1.5 / {e.text})", shape, *image(lambda x: 1.5 / x, e))
    if form == "int-power":
        k = b.pick([2, 3, -1, -2])
        e = b.scaled(e, 2.0) if k > 0 else b.away(e)
        return Expr(b.pick([f"({e.text} ** {k})", f"tt.power({e.text}, {k})"]), shape, *image(lambda x: x**k, e))
    if form == "float-power":
        p = b.pick([0.5, 1.5, -0.5, 2.5])
        e = b.above(e, 0.3)
        return Expr(f"({e.text} ** {p})", shape, *image(lambda x: x**p, e))
    if form == "rpow":
        base = b.pick([2.0, 1.7, 0.5])
        e = b.scaled(e, 2.0)
        text = b.pick([f"({base} ** {e.text})", f"tt.power({base}, {e.text})"])
        return Expr(text, shape, *image(lambda x: base**x, e))
    e = b.scaled(e, MAG)
    c = b.pick([2.5, -0.5, 0.1])
    text, fn = {
        "scale": (b.pick([f"({c} * {e.text})", f"({e.text} * {c})", f"tt.multiply({e.text}, {c})"]), lambda x: c * x),
        "shift": (f"({e.text} + {c})", lambda x: x + c),
        "rsub": (f"({c} - {e.text})", lambda x: c - x),
    }[form]
    return Expr(text, shape, *image(fn, e))


# --- special functions and the softmax family -------------------------------------------------

UNARY_SPECIAL = [
    ("erf", moderate),
    ("erfc", moderate),
    ("sigmoid", moderate),
    ("expit", moderate),
    ("softplus", moderate),
    ("relu", nonzero),
    ("gammaln", above(0.6)),
    ("digamma", above(0.6)),
    ("psi", above(0.6)),
    ("polygamma", above(0.6)),
]


@op("special", weight=2)
def unary_special(b: Builder, shape: tuple, depth: int) -> Expr:
    name, domain = b.pick(UNARY_SPECIAL)
    e = domain(b, b.expr(shape, depth - 1))
    if name == "polygamma":
        n = b.integer(0, 2)
        return Expr(f"tt.polygamma({n}, {e.text})", shape, *image(lambda x: tt.polygamma(n, x), e))
    return unary(b, name, e)


@op("special")
def binary_special(b: Builder, shape: tuple, depth: int) -> Expr:
    name = b.pick(["logaddexp", "logaddexp2", "arctan2", "hypot"])
    sx, sy = b.operand_shapes(shape, 2)
    x, y = b.expr(sx, depth - 1), b.operand(sy, depth - 1)
    if name == "arctan2":  # numerator away from 0 or denominator > 0: off the branch cut and the origin
        x, y = (b.away(x), b.scaled(y, MAG)) if b.coin() else (b.scaled(x, MAG), b.above(y, 0.3))
    elif name == "hypot":  # not at the origin
        x, y = b.away(x), b.scaled(y, MAG)
        if b.coin():
            x, y = y, x
    else:
        x, y = b.scaled(x, MAG), b.scaled(y, MAG)
    return binary(b, b.pick(with_np(name, f"({x.text}, {y.text})")), getattr(np, name), x, y, shape)


@op("special")
def softmax(b: Builder, shape: tuple, depth: int) -> Expr:
    name = b.pick(["softmax", "log_softmax"])
    e = b.scaled(b.expr(shape, depth - 1), MAG)
    n = len(shape)
    if n and b.coin():
        axes = [n - 1]
        kw = "" if b.coin() else axis_text(axes, n, b)
    else:
        axes = sorted({b.integer(0, n - 1) for _ in range(b.integer(1, 2))}) if n else []
        kw = axis_text(axes, n, b) if axes else ", axis=None"
    if name == "softmax":
        return Expr(f"tt.softmax({e.text}{kw})", shape, 0.0, 1.0)
    count = math.prod(shape[a] for a in axes) if axes else math.prod(shape)
    return Expr(f"tt.log_softmax({e.text}{kw})", shape, e.lo - e.hi - math.log(count) - 1e-9, 0.0)


@op("special", accepts=lambda s: len(s) == 1, root_shape=lambda b: b.shape(1, 1))
def cross_entropy(b: Builder, shape: tuple, depth: int) -> Expr:
    k = b.integer(2, 4)
    e = b.scaled(b.expr(shape + (k,), depth - 1), MAG)
    labels = lit(b.rng.integers(0, k, shape))
    return Expr(f"tt.cross_entropy({e.text}, {labels})", shape, 0.0, 2 * MAG + math.log(k))


@op("special")
def logsumexp(b: Builder, shape: tuple, depth: int) -> Expr:
    child, kw, count = reduction(b, shape)
    e = b.scaled(b.expr(child, depth - 1), MAG)
    return Expr(f"tt.logsumexp({e.text}{kw})", shape, e.lo, e.hi + math.log(count))


# SciPy's special functions (tinytorch.scipy.special, named `special` in the programs)
SCIPY_SPECIAL = [
    ("rgamma", moderate),
    ("erfinv", small(0.8)),
    ("erfcx", small(2)),
    ("ndtr", moderate),
    ("log_ndtr", moderate),
    ("i0", moderate),
    ("i1", moderate),
    ("i0e", moderate),
    ("i1e", moderate),
    ("j0", moderate),
    ("j1", moderate),
    ("y0", above(0.6)),
    ("y1", above(0.6)),
]


@op("special")
def scipy_special(b: Builder, shape: tuple, depth: int) -> Expr:
    name, domain = b.pick(SCIPY_SPECIAL)
    e = domain(b, b.expr(shape, depth - 1))
    return Expr(f"special.{name}({e.text})", shape, *image(getattr(special, name), e))


# --- selection: extrema, clipping, where, remainders -------------------------------------------


@op("selection")
def extremum2(b: Builder, shape: tuple, depth: int) -> Expr:
    name = b.pick(["maximum", "minimum", "fmax", "fmin"])
    sx, sy = b.operand_shapes(shape, 2)
    x = b.scaled(b.expr(sx, depth - 1), 0.4)
    y = b.scaled(b.operand(sy, depth - 1), 0.4)
    # y moved to +-1: the operands differ by at least 0.2, never tie
    y = Expr(f"({y.text} + {b.signs(shape)})", y.shape, y.lo - 1, y.hi + 1)
    if b.coin():
        x, y = y, x
    return Expr(b.pick(with_np(name, f"({x.text}, {y.text})")), shape, *union(x, y))


@op("selection")
def clip(b: Builder, shape: tuple, depth: int) -> Expr:
    sx, slo, shi = b.operand_shapes(shape, 3)
    # values near -2, -0.4, 0, 0.4 or 2 and bounds near -1 and 1: always 0.3 apart
    centres = lit(b.rng.choice([-2.0, -0.4, 0.0, 0.4, 2.0], shape[-1:])) if shape else "0.4"
    x = b.scaled(b.expr(shape, depth - 1), 0.15)
    x = Expr(f"({centres} + {x.text})", shape, -2.15, 2.15)
    bounds = b.pick(["scalars", "lower", "upper", "arrays"])
    if bounds == "arrays":
        lo = b.scaled(b.operand(slo, depth - 1), 0.15)
        hi = b.scaled(b.operand(shi, depth - 1), 0.15)
        lo, hi = f"({lo.text} - 1.0)", f"({hi.text} + 1.0)"
    else:
        lo = "None" if bounds == "upper" else "-1.0"
        hi = "None" if bounds == "lower" else "1.0"
    args = f"({x.text}, {lo}, {hi})"
    spellings = with_np("clip", args)
    if bounds != "arrays" or not x.constant:  # a plain array's method cannot hand a box to tinytorch
        spellings.append(f"{x.text}.clip({lo}, {hi})")
    return Expr(b.pick(spellings), shape, -2.15, 2.15)


@op("selection")
def where(b: Builder, shape: tuple, depth: int) -> Expr:
    sc, sx, sy = b.operand_shapes(shape, 3)
    x = b.scaled(b.expr(sx, depth - 1), MAG)
    y = b.scaled(b.operand(sy, depth - 1), MAG)
    if b.coin() or (x.constant and y.constant):  # (keep a constant where() a plain array)
        cond = lit(b.rng.random(sc) < 0.5)
    else:  # a condition computed from the inputs, far from changing
        cond = f"({b.away(b.operand(sc, depth - 1)).text} > 0)"
    return Expr(b.pick(with_np("where", f"({cond}, {x.text}, {y.text})")), shape, *union(x, y))


@op("selection")
def remainder(b: Builder, shape: tuple, depth: int) -> Expr:
    sq, sd = b.operand_shapes(shape, 2)
    d = b.away(b.operand(sd, depth - 1)) if b.coin() else b.above(b.operand(sd, depth - 1), 0.5)
    q = b.scaled(b.expr(sq, depth - 1), 0.3)
    # the quotient x / d is k + 0.5 +- 0.3: at least 0.2 from the integers, where these jump
    halves = lit(b.rng.integers(-2, 3, shape[-1:]) + 0.5) if shape else "1.5"
    x = f"(({halves} + {q.text}) * {d.text})"
    name = b.pick(["remainder", "mod", "fmod"])
    spellings = [f"tt.{name}({x}, {d.text})"]
    if name == "remainder":
        spellings += [f"({x} % {d.text})", f"np.remainder({x}, {d.text})"]
    return Expr(b.pick(spellings), shape, -d.mag, d.mag)


# --- reductions ------------------------------------------------------------------------------------


def reduction(b: Builder, shape: tuple, min_count: int = 1, max_axes: int = 2) -> tuple[tuple, str, int]:
    """A child shape reducing to `shape`, the axis/keepdims arguments, and the entries per output."""
    ones = [i for i, d in enumerate(shape) if d == 1]
    low = 2 if min_count > 1 else 1
    entries = [(d, False) for d in shape]
    keepdims = bool(ones) and b.coin()
    if keepdims:
        for i in sorted({b.pick(ones) for _ in range(b.integer(1, min(max_axes, len(ones))))}):
            entries[i] = (b.integer(low, 4), True)
    else:
        for _ in range(b.integer(1, min(max_axes, 4 - len(shape)) if len(shape) < 4 else 1)):
            entries.insert(b.integer(0, len(entries)), (b.integer(low, 4), True))
    child = tuple(d for d, _ in entries)
    axes = [i for i, (_, reduced) in enumerate(entries) if reduced]
    kw = axis_text(axes, len(child), b)
    if len(axes) == len(child) and not keepdims and b.coin():
        kw = ""
    return child, kw + (", keepdims=True" if keepdims else ""), math.prod(child[i] for i in axes)


def spelled(b: Builder, name: str, e: Expr, kw: str, method: bool = True) -> str:
    spellings = with_np(name, f"({e.text}{kw})")
    if method:
        spellings.append(f"{e.text}.{name}({kw[2:]})")
    return b.pick(spellings)


@op("reduction")
def sum_mean(b: Builder, shape: tuple, depth: int) -> Expr:
    child, kw, count = reduction(b, shape)
    name = b.pick(["sum", "mean"])
    e = b.scaled(b.expr(child, depth - 1), MAG)
    k = count if name == "sum" else 1
    return Expr(spelled(b, name, e, kw), shape, k * e.lo, k * e.hi)


@op("reduction")
def extremum(b: Builder, shape: tuple, depth: int) -> Expr:
    child, kw, _ = reduction(b, shape)
    name = b.pick(["max", "min", "amax", "amin"])
    e = b.distinct(b.expr(child, depth - 1))
    return Expr(spelled(b, name, e, kw, method=name in ("max", "min")), shape, e.lo, e.hi)


@op("reduction")
def prod(b: Builder, shape: tuple, depth: int) -> Expr:
    child, kw, count = reduction(b, shape)
    bound = min(2.0, 8.0 ** (1 / count))
    e = b.scaled(b.expr(child, depth - 1), bound)
    return Expr(spelled(b, "prod", e, kw), shape, -(e.mag**count), e.mag**count)


@op("reduction")
def moments(b: Builder, shape: tuple, depth: int) -> Expr:
    name = b.pick(["var", "std"])
    child, kw, count = reduction(b, shape, min_count=2)
    e = b.expr(child, depth - 1)
    # std needs a variance well above 0: distinct entries
    e = b.distinct(e) if name == "std" else b.scaled(e, MAG)
    kw += b.pick(["", ", ddof=1"])
    top = (e.hi - e.lo) ** 2 * 2
    return Expr(spelled(b, name, e, kw), shape, 0.0, top if name == "var" else math.sqrt(top))


@op("reduction", **rank_at_least(1))
def cumsum(b: Builder, shape: tuple, depth: int) -> Expr:
    if len(shape) == 1 and b.coin():
        child, kw, count = b.reshaped(shape[0]), "", shape[0]
    else:
        child, axis = shape, b.integer(0, len(shape) - 1)
        kw, count = axis_text([axis], len(shape), b), shape[axis]
    e = b.scaled(b.expr(child, depth - 1), MAG)
    return Expr(spelled(b, "cumsum", e, kw), shape, count * min(e.lo, 0.0), count * max(e.hi, 0.0))


# --- Fourier transforms (tt.fft) ---------------------------------------------------------------
# Real functions of the transforms: a part of a complex transform, or a complex transform and
# its real inverse (at other lengths and norms than the forward one's). Bounds: a transform of
# scale s over m terms of magnitude at most a is at most s m a; irfft's weights sum to n.

NORMS = [None, "backward", "ortho", "forward"]
SWAPPED = {None: "forward", "backward": "forward", "ortho": "ortho", "forward": "backward"}


def forward_scale(norm: str | None, n: int) -> float:
    return {None: 1.0, "backward": 1.0, "ortho": n**-0.5, "forward": 1.0 / n}[norm]


def inverse_scale(norm: str | None, n: int) -> float:
    return forward_scale(SWAPPED[norm], n)


def norm_text(norm: str | None) -> str:
    return "" if norm is None else f", norm={norm!r}"


@op("fourier", weight=2, **rank_at_least(1))
def fourier_1d(b: Builder, shape: tuple, depth: int) -> Expr:
    axis = b.integer(0, len(shape) - 1)
    n, m = shape[axis], b.integer(1, 4)  # the output's length, the input's (padded or cropped)
    child = shape[:axis] + (m,) + shape[axis + 1 :]
    e = b.scaled(b.expr(child, depth - 1), MAG)
    norm = b.pick(NORMS)
    ax = b.pick([axis, axis - len(shape)])
    kind = b.pick(["fft", "ifft", "rfft-irfft", "ihfft-hfft"])
    if kind in ("fft", "ifft"):
        part = b.pick(["real", "imag"])
        call = b.pick([f"tt.fft.{kind}", f"np.fft.{kind}"])
        bound = (forward_scale if kind == "fft" else inverse_scale)(norm, n) * min(m, n) * e.mag
        return Expr(f"tt.{part}({call}({e.text}, {n}, axis={ax}{norm_text(norm)}))", shape, -bound, bound)
    # the inner transform at its own length k, the outer back to n
    k, inner_norm = b.integer(1, 5), b.pick(NORMS)
    if kind == "rfft-irfft":
        inner = f"tt.fft.rfft({e.text}, {k}, axis={ax}{norm_text(inner_norm)})"
        terms = forward_scale(inner_norm, k) * min(m, k) * e.mag
        bound = inverse_scale(norm, n) * n * terms
        return Expr(f"tt.fft.irfft({inner}, {n}, axis={ax}{norm_text(norm)})", shape, -bound, bound)
    inner = f"tt.fft.ihfft({e.text}, {k}, axis={ax}{norm_text(inner_norm)})"
    terms = inverse_scale(inner_norm, k) * min(m, k) * e.mag
    bound = forward_scale(norm, n) * n * terms
    return Expr(f"tt.fft.hfft({inner}, {n}, axis={ax}{norm_text(norm)})", shape, -bound, bound)


@op("fourier", **rank_at_least(2))
def fourier_nd(b: Builder, shape: tuple, depth: int) -> Expr:
    axes = [b.integer(0, len(shape) - 1) for _ in range(2)]  # repeated now and then: transformed twice
    s = [shape[a] for a in axes]
    child = list(shape)
    for a in set(axes):
        child[a] = b.integer(1, 4)
    e = b.scaled(b.expr(tuple(child), depth - 1), MAG)
    norm = b.pick(NORMS)
    name = b.pick(["fftn", "ifftn", "fft2", "ifft2", "rfftn-irfftn"])
    size = math.prod(child[a] for a in set(axes)) * math.prod(s)  # generous: every term of every pass
    if name == "rfftn-irfftn":
        if len(set(axes)) < 2:
            axes, s = [axes[0]], [s[0]]
        inner = f"tt.fft.rfftn({e.text}, s={tuple(s)}, axes={tuple(axes)}{norm_text(norm)})"
        text = f"tt.fft.irfftn({inner}, s={tuple(s)}, axes={tuple(axes)}{norm_text(norm)})"
        return Expr(text, shape, -size * e.mag, size * e.mag)
    part = b.pick(["real", "imag"])
    text = f"tt.{part}(tt.fft.{name}({e.text}, s={tuple(s)}, axes={tuple(axes)}{norm_text(norm)}))"
    return Expr(text, shape, -size * e.mag, size * e.mag)


@op("fourier", **rank_at_least(1))
def fourier_shift(b: Builder, shape: tuple, depth: int) -> Expr:
    e = b.expr(shape, depth - 1)
    name = b.pick(["fftshift", "ifftshift"])
    axes = b.pick(["", f", axes={b.integer(0, len(shape) - 1)}", f", axes={tuple(range(len(shape)))}"])
    return Expr(b.pick([f"tt.fft.{name}({e.text}{axes})", f"np.fft.{name}({e.text}{axes})"]), shape, e.lo, e.hi)
