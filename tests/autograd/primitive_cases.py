"""The table of test cases for tests/autograd/test_primitive_table.py.

One `Case` is a function of one or more float64 arrays, the generator of its
inputs, and what it is meant to exercise:

- `PRIMITIVE_CASES`: every entry of `tinytorch.autograd.registry` is the
  `target` of at least one case, reached through the public `tt` API, over
  scalar, vector, matrix and broadcasting shapes and axis/keepdims variants;
- `COMPOSITE_CASES`: the public functions of `tt` built from several primitives
  (mean, var, prod, dot, stack, split, pad modes, sort, ...) and the aliases,
  and those of `tinytorch.scipy.special` (logsumexp with weights, multigammaln).

`calls` names the public `tt` functions a case must call (checked by the tests,
so a case cannot silently miss what it claims to cover); `linalg.<name>` is
`tt.linalg.<name>` and `scipy.special.<name>` is `tinytorch.scipy.special.<name>`.
Domains keep every input valid and away from kinks, branch cuts and ties by far
more than the finite-difference step. Non-differentiable functions and
constructors, which have no derivative to check, are listed at the bottom.
"""

# One case per line, aligned as a table (as pyproject exempts the engine's rules/*.py tables).
# ruff: noqa: E501

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import tinytorch as tt
from tinytorch.autograd import hvp, jvp
from tinytorch.scipy import linalg as scipy_linalg
from tinytorch.scipy import signal as scipy_signal
from tinytorch.scipy import special, stats

# --- input generators: shape -> (rng -> float64 array) ------------------------------------

Gen = Callable[[np.random.Generator], np.ndarray]


def _domain(draw: Callable[[np.random.Generator, tuple], np.ndarray]) -> Callable[..., Gen]:
    def make(*shape: int) -> Gen:
        return lambda rng: np.asarray(draw(rng, shape), dtype=np.float64)

    return make


def _distinct(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    n = int(np.prod(shape))
    return (rng.permutation(n) - n / 2) * 0.5 + rng.uniform(-0.1, 0.1, n)


normal = _domain(lambda rng, s: rng.standard_normal(s))
positive = _domain(lambda rng, s: rng.uniform(0.5, 2.0, s))  # log, sqrt, base of power
gamma_domain = _domain(lambda rng, s: rng.uniform(0.6, 3.0, s))  # gammaln, digamma, polygamma
log1p_domain = _domain(lambda rng, s: rng.uniform(-0.5, 2.0, s))
unit = _domain(lambda rng, s: rng.uniform(-0.8, 0.8, s))  # arcsin, arccos, arctanh
above1 = _domain(lambda rng, s: rng.uniform(1.3, 3.0, s))  # arccosh
tan_domain = _domain(lambda rng, s: rng.uniform(-1.2, 1.2, s))
# |x| in [0.3, 2]: away from the kink of abs/relu/cbrt and the pole of 1/x
away = _domain(lambda rng, s: rng.choice([-1.0, 1.0], s) * rng.uniform(0.3, 2.0, s))
# values = 0.25 (mod 1) and = 0.75 (mod 1), +-0.1: a `grid` value and an
# `offgrid` value are at least 0.3 apart, so maximum/minimum/clip never tie
grid = _domain(lambda rng, s: rng.integers(-3, 3, s) + 0.25 + rng.uniform(-0.1, 0.1, s))
offgrid = _domain(lambda rng, s: rng.integers(-3, 3, s) + 0.75 + rng.uniform(-0.1, 0.1, s))
distinct = _domain(lambda rng, s: _distinct(rng, s).reshape(s))  # no ties: max, min, sort


def lower_bounds(*shape: int) -> Gen:  # -0.25 or -1.25 (+-0.1), for clip
    return lambda rng: -rng.integers(0, 2, shape) - 0.25 + rng.uniform(-0.1, 0.1, shape)


def upper_bounds(*shape: int) -> Gen:  # 0.75 or 1.75 (+-0.1), for clip
    return lambda rng: rng.integers(0, 2, shape) + 0.75 + rng.uniform(-0.1, 0.1, shape)


def quotient_pair(shape_x: tuple, shape_y: tuple, sign: float = 1.0) -> Callable:
    """(x, y) with x / y at least 0.2 from every integer: remainder and fmod jump there."""

    def draw(rng: np.random.Generator) -> tuple:
        out = np.broadcast_shapes(shape_x, shape_y)
        q = rng.integers(-3, 3, out) + rng.uniform(0.2, 0.8, out)
        if shape_x == out:
            y = sign * rng.uniform(0.7, 1.5, shape_y)
            return q * y, np.asarray(y, dtype=np.float64)
        x = rng.choice([-1.0, 1.0], shape_x) * rng.uniform(0.5, 1.5, shape_x)
        return np.asarray(x, dtype=np.float64), x / q

    return draw


def with_zeros(gen: Gen, count: int = 1) -> Gen:
    """gen with its first `count` entries set to exactly 0."""

    def draw(rng: np.random.Generator) -> np.ndarray:
        x = gen(rng)
        x.reshape(-1)[:count] = 0.0
        return x

    return draw


def with_nans(gen: Gen, *positions: int) -> Gen:
    """gen with the entries at these flat positions set to NaN."""

    def draw(rng: np.random.Generator) -> np.ndarray:
        x = gen(rng)
        x.reshape(-1)[list(positions)] = np.nan
        return x

    return draw


def _matrices(draw: Callable[[np.random.Generator, int], np.ndarray]) -> Callable[..., Gen]:
    """Generators of (stacks of) n x n matrices: make(*stack, n)."""
    def make(*shape: int) -> Gen:
        *stack, n = shape
        return lambda rng: np.stack([draw(rng, n) for _ in range(int(np.prod(stack)))]).reshape(*stack, n, n)

    return make


def _orthogonal(rng: np.random.Generator, n: int) -> np.ndarray:
    return np.linalg.qr(rng.standard_normal((n, n)))[0]


# condition numbers stay small: singular values in [1, 2]
well_conditioned = _matrices(lambda rng, n: _orthogonal(rng, n) @ np.diag(rng.uniform(1, 2, n)) @ _orthogonal(rng, n))
spd = _matrices(lambda rng, n: (q := _orthogonal(rng, n)) @ np.diag(rng.uniform(1, 2, n)) @ q.T)
# symmetric with eigenvalues at least 0.5 apart (eigh's derivative needs them distinct)
separated = _matrices(lambda rng, n: (q := _orthogonal(rng, n)) @ np.diag(np.arange(n) * 0.7 + rng.uniform(0, 0.2, n)) @ q.T)
# not symmetric, eigenvalues at least 0.5 apart (eig's derivative needs them distinct): real ones,
# or a complex pair 0.5 +- 1.2i and real ones 2, 2.7, ...
eigenvalues_apart = _matrices(lambda rng, n: (v := well_conditioned(n)(rng)) @ np.diag(np.arange(n) * 0.7 + rng.uniform(0, 0.2, n)) @ np.linalg.inv(v))
PAIR = np.array([[0.5, -1.2], [1.2, 0.5]])
complex_pair = _matrices(lambda rng, n: (v := well_conditioned(n)(rng)) @ np.block([[PAIR, np.zeros((2, n - 2))], [np.zeros((n - 2, 2)), np.diag(2.0 + 0.7 * np.arange(n - 2))]]) @ np.linalg.inv(v))


def eig_parts(a):
    """tt.linalg.eig of a real matrix with complex eigenvalues, as real arrays."""
    w, v = tt.linalg.eig(a)
    return tt.real(w), tt.imag(w), tt.real(v), tt.imag(v)


def singular_values_apart(*shape: int) -> Gen:
    """(Stacks of) m x n matrices U diag(s) V^T with singular values 1, 1.7, 2.4, ... (+ up
    to 0.2): distinct, nonzero and well separated, as svd's and qr's derivatives need."""
    *stack, m, n = shape
    k = min(m, n)

    def draw(rng: np.random.Generator) -> np.ndarray:
        u = np.linalg.qr(rng.standard_normal((*stack, m, k)))[0]
        v = np.linalg.qr(rng.standard_normal((*stack, n, k)))[0]
        s = 1.0 + 0.7 * np.arange(k) + rng.uniform(0.0, 0.2, (*stack, k))
        return (u * s[..., None, :]) @ np.swapaxes(v, -1, -2)

    return draw


def rank_deficient(rank: int) -> Callable[..., Gen]:
    """(Stacks of) n x n matrices of this rank: singular, yet det is a polynomial, so
    central differences stay accurate there."""
    return _matrices(lambda rng, n: rng.standard_normal((n, rank)) @ rng.standard_normal((rank, n)))


# exactly singular in floating point too (LU meets an exact zero pivot): rank 2, rank 1
SINGULAR = np.arange(1.0, 10.0).reshape(3, 3)
SINGULAR_STACK = np.stack([SINGULAR, np.outer([1.0, 2.0, 3.0], [1.0, -1.0, 2.0]), np.eye(3)])


def det_hvp(a: np.ndarray) -> Callable:
    """e -> the Hessian of det at the constant a, times e (linear in e)."""
    return lambda e: hvp(lambda m: tt.sum(tt.linalg.det(m)), a.astype(e.dtype), e)


# --- the case record ------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    target: str  # registry name (PRIMITIVE_CASES) or public tt name (COMPOSITE_CASES)
    variant: str
    fn: Callable
    draw: Callable[[np.random.Generator], tuple]  # rng -> tuple of float64 inputs
    calls: tuple[str, ...]  # public functions the case must call
    reached_in: str = "forward"  # "reverse": the target runs only in the VJP (sum_to, ...)
    f32_out: type | None = None  # output dtype for float32 inputs, when it is not float32
    atol: float = 1e-6
    rtol: float = 1e-5
    eps: float = 1e-6

    @property
    def id(self) -> str:
        return f"{self.target}-{self.variant}"

    def inputs(self, rng: np.random.Generator) -> tuple:
        return tuple(np.asarray(x, dtype=np.float64) for x in self.draw(rng))


def case(target: str, variant: str, fn: Callable, *gens: Gen, joint: Callable | None = None,
         calls: tuple[str, ...] | None = None, **opts) -> Case:
    if joint is None:
        def joint(rng: np.random.Generator) -> tuple:
            return tuple(g(rng) for g in gens)
    if calls is None:
        calls = (target,) if hasattr(tt, target) or target.startswith("scipy.special.") else ()
    return Case(target, variant, fn, joint, tuple(calls), **opts)


def call(name: str, **kwargs) -> Callable:
    """lambda *xs: tt.<name>(*xs, **kwargs), looked up at call time (so tests see the call)."""
    return lambda *xs: getattr(tt, name)(*xs, **kwargs)


SHAPES = {"scalar": (), "vector": (4,), "matrix": (3, 4)}
BROADCASTS = {  # variant: (shape of x, shape of y)
    "same": ((3, 4), (3, 4)),
    "row": ((3, 4), (4,)),
    "outer": ((3, 1), (1, 4)),
    "scalar-matrix": ((), (3, 4)),
    "vector-scalar": ((4,), ()),
}
MASK = np.array([[True, False, True, True], [False, False, True, False], [True, True, False, True]])

# --- elementwise: one row per primitive, expanded over SHAPES / BROADCASTS -----------------

UNARY = [  # primitive, domain of x
    ("absolute", away), ("arccos", unit), ("arccosh", above1), ("arcsin", unit),
    ("arcsinh", normal), ("arctan", normal), ("arctanh", unit), ("cbrt", away),
    ("cos", normal), ("cosh", normal), ("deg2rad", normal), ("digamma", gamma_domain),
    ("erf", normal), ("erfc", normal), ("exp", normal), ("exp2", normal),
    ("expm1", normal), ("gammaln", gamma_domain), ("log", positive), ("log10", positive),
    ("log1p", log1p_domain), ("log2", positive), ("negative", normal), ("positive", normal),
    ("rad2deg", normal), ("reciprocal", away), ("relu", away), ("sigmoid", normal),
    ("sin", normal), ("sinc", normal), ("sinh", normal), ("softplus", normal), ("sqrt", positive),
    ("square", normal), ("tan", tan_domain), ("tanh", normal),
]

BINARY = [  # primitive, domain of x, domain of y
    ("add", normal, normal), ("subtract", normal, normal), ("multiply", normal, normal),
    ("divide", normal, away), ("power", positive, normal), ("arctan2", away, normal),
    ("hypot", away, normal), ("logaddexp", normal, normal), ("logaddexp2", normal, normal),
    ("maximum", grid, offgrid), ("minimum", grid, offgrid), ("fmax", grid, offgrid),
    ("fmin", grid, offgrid),
]

ELEMENTWISE_CASES = [
    case(name, label, call(name), domain(*shape))
    for name, domain in UNARY for label, shape in SHAPES.items()
] + [
    case(name, label, call(name), dx(*sx), dy(*sy))
    for name, dx, dy in BINARY for label, (sx, sy) in BROADCASTS.items()
] + [
    case(name, label, call(name), joint=quotient_pair(sx, sy, sign))
    for name in ("remainder", "fmod")
    for label, sx, sy, sign in [
        ("same", (3, 4), (3, 4), 1.0), ("row", (3, 4), (4,), 1.0), ("matrix-scalar", (3, 4), (), 1.0),
        ("vector-matrix", (4,), (3, 4), 1.0), ("negative-divisor", (3, 4), (4,), -1.0),
    ]
]

OTHER_ELEMENTWISE_CASES = [
    # target         variant                  function                                    inputs
    case("add",      "same-input-twice",      lambda x: x + x,                            normal(3, 4), calls=("add",)),
    case("multiply", "unused-second-input",   lambda x, y: x * 2.0,                       normal(3), normal(2), calls=("multiply",)),
    case("multiply", "operator-constant",     lambda x: x * 2.5,                          normal(3, 4), calls=("multiply",)),
    case("multiply", "self-product",          lambda x: x * x,                            normal(4),    calls=("multiply",)),
    case("subtract", "reflected-constant",    lambda x: 1.0 - x,                          normal(3, 4), calls=("subtract",)),
    case("divide",   "constant-numerator",    lambda y: 1.5 / y,                          away(3, 4),   calls=("divide",)),
    case("divide",   "operator-3d",           lambda x, y: x / y,                         normal(2, 3, 2), away(3, 1), calls=("divide",)),
    case("power",    "int-exponent",          lambda x: x ** 3,                           normal(3, 4), calls=("power",)),
    case("power",    "negative-int-exponent", lambda x: x ** -2,                          away(4),      calls=("power",)),
    case("power",    "zero-exponent",         lambda x: tt.power(x, 0) + x,               normal(4),    calls=("power",)),
    case("power",    "float-exponent",        lambda x: tt.power(x, 2.5),                 positive(3, 4)),
    case("power",    "constant-base",         lambda y: tt.power(2.0, y),                 normal(3, 4)),
    case("power",    "exponent-with-zero",    lambda x, y: x ** y,                        positive(3, 4), with_zeros(normal(3, 4)), calls=("power",)),
    case("power",    "sqrt-of-square",        lambda x: tt.power(tt.square(x) + 1.0, 0.5), normal(4)),
    case("negative", "operator",              lambda x: -x,                               normal(3, 4), calls=("negative",)),
    case("absolute", "operator",              lambda x: abs(x),                           away(3, 4),   calls=("absolute",)),
    case("sinc",     "at-and-near-zero",      lambda x: tt.sinc(x),                       lambda rng: np.array([0.0, 1e-9, -1e-4, 0.63, 0.64, 2.5])),
    case("polygamma", "n0",                   lambda x: tt.polygamma(0, x),               gamma_domain(3, 4)),
    case("polygamma", "n1-vector",            lambda x: tt.polygamma(1, x),               gamma_domain(4)),
    case("polygamma", "n2-scalar",            lambda x: tt.polygamma(2, x),               gamma_domain()),
    case("clip",     "scalar-bounds",         lambda x: tt.clip(x, -1.0, 1.0),            grid(3, 4)),
    case("clip",     "upper-only",            lambda x: tt.clip(x, None, 0.5),            grid(3, 4)),
    case("clip",     "lower-only-vector",     lambda x: tt.clip(x, -0.5, None),           grid(4)),
    case("clip",     "array-bounds",          lambda x, lo, hi: tt.clip(x, lo, hi),       grid(3, 4), lower_bounds(3, 4), upper_bounds(3, 4)),
    case("clip",     "broadcast-bounds",      lambda x, lo, hi: tt.clip(x, lo, hi),       grid(3, 4), lower_bounds(4), upper_bounds(3, 1)),
    case("clip",     "scalar-x-array-bounds", lambda x, lo, hi: tt.clip(x, lo, hi),       grid(), lower_bounds(4), upper_bounds(4)),
    case("clip",     "crossed-bounds",        lambda x, lo, hi: tt.clip(x, lo, hi),       grid(3, 4), upper_bounds(3, 4), lower_bounds(3, 4)),
    case("clip",     "crossed-broadcast-bounds", lambda x, lo, hi: tt.clip(x, lo, hi),    grid(3, 4), upper_bounds(3, 1), lower_bounds(4)),
    case("fmax",     "nan-operands",          lambda x, y: tt.fmax(x, y),                 with_nans(grid(3, 4), 0, 5, 10), with_nans(offgrid(3, 4), 3, 4, 9)),
    case("fmin",     "nan-operands",          lambda x, y: tt.fmin(x, y),                 with_nans(grid(3, 4), 0, 5, 10), with_nans(offgrid(3, 4), 3, 4, 9)),
    case("fmax",     "nan-operands-row",      lambda x, y: tt.fmax(x, y),                 with_nans(grid(3, 4), 0, 5, 10), with_nans(offgrid(4), 3)),
    case("fmin",     "nan-operands-row",      lambda x, y: tt.fmin(x, y),                 with_nans(grid(3, 4), 0, 5, 10), with_nans(offgrid(4), 3)),
    case("where",    "same",                  lambda x, y: tt.where(MASK, x, y),          normal(3, 4), normal(3, 4)),
    case("where",    "broadcast",             lambda x, y: tt.where(MASK, x, y),          normal(4), normal(3, 1)),
    case("where",    "scalar-branch",         lambda x, y: tt.where(MASK, x, y),          normal(3, 4), normal()),
    case("where",    "constant-branch",       lambda x: tt.where(MASK[0], x, 0.0),        normal(4)),
    case("where",    "condition-on-x",        lambda x: tt.where(x > 0, x, tt.exp(x)),    away(3, 4)),
]

# --- reductions --------------------------------------------------------------------------

AXES = [  # variant, shape, axis, keepdims
    ("scalar", (), None, False),
    ("vector", (4,), None, False),
    ("vector-axis0-keepdims", (4,), 0, True),
    ("all", (3, 4), None, False),
    ("all-keepdims", (3, 4), None, True),
    ("axis0", (3, 4), 0, False),
    ("axis0-keepdims", (3, 4), 0, True),
    ("axis-1", (3, 4), -1, False),
    ("axis-1-keepdims", (3, 4), -1, True),
    ("axes01", (3, 4), (0, 1), False),
    ("3d-axes02", (2, 3, 2), (0, 2), False),
    ("3d-axes02-keepdims", (2, 3, 2), (0, 2), True),
    ("3d-axis1", (2, 3, 2), 1, False),
]

REDUCTION_CASES = [
    case(name, label, call(name, axis=axis, keepdims=keepdims), domain(*shape))
    for name, domain in [("sum", normal), ("max", distinct), ("min", distinct), ("logsumexp", normal)]
    for label, shape, axis, keepdims in AXES
] + [
    case("sum", "method", lambda x: x.sum(axis=1), normal(3, 4), calls=()),
    case("max", "method-keepdims", lambda x: x.max(axis=0, keepdims=True), distinct(3, 4), calls=()),
    case("logsumexp", "large-values", lambda x: tt.logsumexp(x * 100.0, axis=-1), distinct(3, 4)),
] + [
    case(name, label, call(name, axis=axis), domain(*shape))
    for name, domain in [("cumsum", normal), ("softmax", normal), ("log_softmax", normal)]
    for label, shape, axis in [
        ("vector", (4,), 0), ("axis0", (3, 4), 0), ("axis-1", (3, 4), -1), ("3d-axis1", (2, 3, 2), 1),
    ]
] + [
    case("cumsum", "axis-none", call("cumsum", axis=None), normal(3, 4)),
    case("cumsum", "scalar", call("cumsum"), normal()),
    case("softmax", "axis-none", call("softmax", axis=None), normal(3, 4)),
    case("softmax", "3d-axes02", call("softmax", axis=(0, 2)), normal(2, 3, 2)),
    case("softmax", "default-axis", call("softmax"), normal(3, 4)),
    case("log_softmax", "axis-none", call("log_softmax", axis=None), normal(3, 4)),
    case("log_softmax", "3d-axes02", call("log_softmax", axis=(0, 2)), normal(2, 3, 2)),
    case("log_softmax", "large-values", lambda x: tt.log_softmax(x * 100.0, axis=0), distinct(3, 4)),
]

# --- shape manipulation, indexing, casting ---------------------------------------------------

SHAPE_CASES = [
    # target         variant                 function                                           inputs
    case("reshape",  "matrix-transposed",    lambda x: tt.reshape(x, (4, 3)),                    normal(3, 4)),
    case("reshape",  "flatten",              lambda x: tt.reshape(x, -1),                        normal(3, 4)),
    case("reshape",  "3d-inferred",          lambda x: tt.reshape(x, (2, -1, 2)),                normal(3, 4)),
    case("reshape",  "vector-to-matrix",     lambda x: tt.reshape(x, (2, 2)),                    normal(4)),
    case("reshape",  "scalar-to-1x1",        lambda x: tt.reshape(x, (1, 1)),                    normal()),
    case("reshape",  "method",               lambda x: x.reshape(6, 2),                          normal(3, 4), calls=("reshape",)),
    case("broadcast_to", "vector-to-matrix", lambda x: tt.broadcast_to(x, (3, 4)),               normal(4)),
    case("broadcast_to", "column",           lambda x: tt.broadcast_to(x, (3, 4)),               normal(3, 1)),
    case("broadcast_to", "scalar",           lambda x: tt.broadcast_to(x, (2, 3)),               normal()),
    case("broadcast_to", "new-and-unit-axes", lambda x: tt.broadcast_to(x, (2, 3, 4)),           normal(1, 4)),
    case("sum_to",   "add-row",              lambda x, y: x + y,                                 normal(3, 4), normal(4), calls=("add",), reached_in="reverse"),
    case("sum_to",   "multiply-column",      lambda x, y: x * y,                                 normal(3, 4), normal(3, 1), calls=("multiply",), reached_in="reverse"),
    case("sum_to",   "add-scalar",           lambda x, y: x + y,                                 normal(), normal(3, 4), calls=("add",), reached_in="reverse"),
    case("sum_to",   "broadcast_to-transpose", lambda x: tt.broadcast_to(x, (2, 3, 4)) * 1.0,    normal(3, 1), calls=("broadcast_to",), reached_in="reverse"),
    case("transpose", "matrix",              lambda x: tt.transpose(x),                          normal(3, 4)),
    case("transpose", "3d-axes",             lambda x: tt.transpose(x, (1, 0, 2)),               normal(2, 3, 2)),
    case("transpose", "3d-cycle",            lambda x: tt.transpose(x, (2, 0, 1)),               normal(2, 3, 2)),
    case("transpose", "property-T",          lambda x: x.T,                                      normal(3, 4), calls=("transpose",)),
    case("flip",     "axis-none",            lambda x: tt.flip(x),                               normal(3, 4)),
    case("flip",     "axis0",                lambda x: tt.flip(x, 0),                            normal(3, 4)),
    case("flip",     "axis-1",               lambda x: tt.flip(x, -1),                           normal(3, 4)),
    case("flip",     "vector",               lambda x: tt.flip(x),                               normal(4)),
    case("flip",     "3d-axes02",            lambda x: tt.flip(x, (0, 2)),                       normal(2, 3, 2)),
    case("roll",     "axis0",                lambda x: tt.roll(x, 1, 0),                         normal(3, 4)),
    case("roll",     "negative-axis-1",      lambda x: tt.roll(x, -2, -1),                       normal(3, 4)),
    case("roll",     "two-axes",             lambda x: tt.roll(x, (1, 2), (0, 1)),               normal(3, 4)),
    case("roll",     "beyond-size",          lambda x: tt.roll(x, 7, 0),                         normal(4)),
    case("concatenate", "axis0",             lambda x, y: tt.concatenate([x, y]),                normal(3, 4), normal(2, 4)),
    case("concatenate", "axis1",             lambda x, y: tt.concatenate([x, y], axis=1),        normal(3, 4), normal(3, 1)),
    case("concatenate", "three-vectors",     lambda x, y, z: tt.concatenate([x, y, z]),          normal(4), normal(1), normal(3)),
    case("concatenate", "axis-none",         lambda x, y: tt.concatenate([x, y], axis=None),     normal(3, 4), normal(4)),
    case("concatenate", "with-constant",     lambda x: tt.concatenate([tt.ones(2, dtype=x.dtype), x, x]), normal(4), calls=("concatenate", "ones")),
    case("concatenate", "3d-axis-1",         lambda x, y: tt.concatenate([x, y], axis=-1),       normal(2, 3, 2), normal(2, 3, 1)),
    case("pad",      "vector",               lambda x: tt.pad(x, 1),                             normal(4)),
    case("pad",      "matrix-widths",        lambda x: tt.pad(x, ((1, 0), (2, 1))),              normal(3, 4)),
    case("pad",      "constant-value",       lambda x: tt.pad(x, (0, 2), constant_values=0.5),   normal(3, 4)),
    case("pad",      "scalar-square",        lambda x: tt.pad(tt.square(x), 2),                  normal(4)),
    case("getitem",  "int",                  lambda x: x[1],                                     normal(3, 4)),
    case("getitem",  "int-and-slice",        lambda x: x[-1, 1:3],                               normal(3, 4)),
    case("getitem",  "step",                 lambda x: x[::2],                                   normal(4)),
    case("getitem",  "reverse",              lambda x: x[::-1, ::-2],                            normal(3, 4)),
    case("getitem",  "ellipsis",             lambda x: x[..., 1],                                normal(2, 3, 2)),
    case("getitem",  "newaxis",              lambda x: x[None, :, 1],                            normal(3, 4)),
    case("getitem",  "int-array-repeats",    lambda x: x[[0, 2, 0]],                             normal(3, 4)),
    case("getitem",  "two-int-arrays",       lambda x: x[[0, 1, 2], [1, 3, 1]],                  normal(3, 4)),
    case("getitem",  "column-array",         lambda x: x[:, [2, 0, 2]],                          normal(3, 4)),
    case("getitem",  "separated-arrays",     lambda x: x[[0, 1], :, [1, 0]],                     normal(2, 3, 2)),
    case("getitem",  "array-and-int-apart",  lambda x: x[[0, 1, 1], :, 1],                       normal(2, 3, 2)),
    case("getitem",  "bool-mask",            lambda x: x[MASK],                                  normal(3, 4)),
    case("getitem",  "bool-row-mask",        lambda x: x[np.array([True, False, True])],         normal(3, 4)),
    case("getitem",  "scalar-empty-key",     lambda x: x[()],                                    normal()),
    case("getitem",  "function",             lambda x: tt.getitem(x, (slice(1, None), None, slice(None, None, 2))), normal(3, 4)),
    case("scatter_add", "index_update-row",  lambda x, v: tt.index_update(x, 1, v),              normal(3, 4), normal(4), calls=("index_update",)),
    case("scatter_add", "index_update-array", lambda x, v: tt.index_update(x, ([0, 2], [1, 3]), v), normal(3, 4), normal(2), calls=("index_update",)),
    case("scatter_add", "index_update-broadcast", lambda x, v: tt.index_update(x, (slice(None), 0), v), normal(3, 4), normal(), calls=("index_update",)),
    case("scatter_add", "index_update-constant-base", lambda v: tt.index_update(tt.zeros((3, 4), dtype=v.dtype), 1, v), normal(4), calls=("index_update", "zeros")),
    case("scatter_add", "getitem-repeats-reverse", lambda x: x[[0, 2, 0, 0]] * 1.0,             normal(3, 4), calls=("getitem",), reached_in="reverse"),
    case("scatter_add", "setitem-like-update", lambda x: tt.index_update(x, MASK, tt.sin(x[MASK])), normal(3, 4), calls=("index_update", "getitem")),
    # astype's output is float32: central differences of it carry float32 rounding (2^-24
    # relative), so these linear cases use a large step, eps = 1e-2 (exact for a linear
    # function), and accept the rounding: 2^-24 / 1e-2 ~ 6e-6 relative, within rtol 1e-4.
    case("astype",   "to-float32",           lambda x: tt.astype(x, np.float32),                 normal(3, 4), eps=1e-2, rtol=1e-4, f32_out=np.float32),
    case("astype",   "round-trip",           lambda x: tt.astype(tt.astype(x, np.float32), np.float64), normal(4), eps=1e-2, rtol=1e-4, f32_out=np.float64),
    case("astype",   "sum-dtype",            lambda x: tt.sum(x, dtype=np.float32),              normal(3, 4), eps=1e-2, rtol=1e-4, calls=("sum",), f32_out=np.float32),
]

# --- products and matrix structure ----------------------------------------------------------

LINALG_CASES = [
    # target        variant               function                                          inputs
    case("matmul",  "matrix-matrix",      lambda a, b: tt.matmul(a, b),                      normal(3, 4), normal(4, 2)),
    case("matmul",  "matrix-vector",      lambda a, b: tt.matmul(a, b),                      normal(3, 4), normal(4)),
    case("matmul",  "vector-matrix",      lambda a, b: tt.matmul(a, b),                      normal(3), normal(3, 4)),
    case("matmul",  "vector-vector",      lambda a, b: tt.matmul(a, b),                      normal(4), normal(4)),
    case("matmul",  "stack-matrix",       lambda a, b: tt.matmul(a, b),                      normal(2, 3, 2), normal(2, 2)),
    case("matmul",  "broadcast-stacks",   lambda a, b: tt.matmul(a, b),                      normal(2, 1, 2, 3), normal(2, 3, 2)),
    case("matmul",  "vector-stack",       lambda a, b: tt.matmul(a, b),                      normal(3), normal(2, 3, 2)),
    case("matmul",  "stack-vector",       lambda a, b: tt.matmul(a, b),                      normal(2, 3, 2), normal(2)),
    case("matmul",  "operator",           lambda a, b: a @ b,                                normal(3, 4), normal(4, 2)),
    case("matmul",  "gram",               lambda a: a @ a.T,                                 normal(3, 4), calls=("matmul", "transpose")),
    case("matmul",  "constant-operand",   lambda a: tt.matmul(a, tt.ones((4, 2), dtype=a.dtype)), normal(3, 4), calls=("matmul", "ones")),
    case("einsum",  "matmul",             lambda a, b: tt.einsum("ij,jk->ik", a, b),         normal(3, 4), normal(4, 2)),
    case("einsum",  "transpose",          lambda a: tt.einsum("ij->ji", a),                  normal(3, 4)),
    case("einsum",  "sublist-form",       lambda a, b: tt.einsum(a, [0, 1], b, [1, 2], [0, 2]), normal(3, 4), normal(4, 2)),
    case("einsum",  "sublist-ellipsis",   lambda a: tt.einsum(a, [Ellipsis, 1], [Ellipsis]), normal(2, 3, 4)),
    case("einsum",  "diagonal",           lambda a: tt.einsum("ii->i", a),                   normal(3, 3)),
    case("einsum",  "trace",              lambda a: tt.einsum("ii->", a),                    normal(3, 3)),
    case("einsum",  "sum",                lambda a: tt.einsum("ij->", a),                    normal(3, 4)),
    case("einsum",  "outer",              lambda a, b: tt.einsum("i,j->ij", a, b),           normal(3), normal(4)),
    case("einsum",  "batched-matmul",     lambda a, b: tt.einsum("bij,bjk->bik", a, b),      normal(2, 2, 3), normal(2, 3, 2)),
    case("einsum",  "frobenius",          lambda a, b: tt.einsum("ij,ij->", a, b),           normal(3, 4), normal(3, 4)),
    case("einsum",  "chain-of-three",     lambda a, b, c: tt.einsum("ij,jk,kl->il", a, b, c), normal(2, 3), normal(3, 2), normal(2, 2)),
    case("einsum",  "ellipsis",           lambda a, b: tt.einsum("...ij,jk->...ik", a, b),   normal(2, 2, 3), normal(3, 2)),
    case("einsum",  "broadcast-ellipsis", lambda a, b: tt.einsum("...ij,...jk->...ik", a, b), normal(1, 2, 3), normal(2, 3, 2)),
    case("einsum",  "broadcast-ellipsis-dot", lambda a, b: tt.einsum("...j,...j->...", a, b), normal(1, 3), normal(2, 3)),
    case("einsum",  "implicit-output",    lambda a, b: tt.einsum("ij,jk", a, b),             normal(3, 4), normal(4, 2)),
    case("einsum",  "3d-diagonal",        lambda a: tt.einsum("iij->ij", a),                 normal(2, 2, 3)),
    case("einsum",  "squared-operand",    lambda a: tt.einsum("ij,ij->i", a, a),             normal(3, 4)),
    case("einsum",  "constant-operand",   lambda a: tt.einsum("ij,j->i", a, tt.arange(4, dtype=a.dtype)), normal(3, 4), calls=("einsum", "arange")),
    case("einsum",  "dtype-float64",      lambda a, b: tt.einsum("ij,j->i", a, b, dtype=np.float64), normal(3, 4), normal(4), f32_out=np.float64),
    # a float32 output: a large step, exact for a bilinear function, as for the astype cases below
    case("einsum",  "dtype-float32",      lambda a, b: tt.einsum("ij,j->i", a, b, dtype=np.float32, casting="same_kind"), normal(3, 4), normal(4), eps=1e-2, rtol=1e-4, f32_out=np.float32),
    case("diagonal", "square",            lambda a: tt.diagonal(a),                          normal(3, 3)),
    case("diagonal", "offset1",           lambda a: tt.diagonal(a, 1),                       normal(3, 4)),
    case("diagonal", "offset-1",          lambda a: tt.diagonal(a, -1),                      normal(3, 4)),
    case("diagonal", "3d-axes02",         lambda a: tt.diagonal(a, 0, 0, 2),                 normal(2, 3, 2)),
    case("diagonal", "3d-axes-1-0",       lambda a: tt.diagonal(a, 1, -1, 0),                normal(3, 2, 3)),
    case("diag_embed", "diag-vector",     lambda v: tt.diag(v),                              normal(4), calls=("diag",)),
    case("diag_embed", "diag-k1",         lambda v: tt.diag(v, 1),                           normal(3), calls=("diag",)),
    case("diag_embed", "diag-k-2",        lambda v: tt.diag(v, -2),                          normal(2), calls=("diag",)),
    case("diag_embed", "diag-scaled",     lambda v: tt.diag(tt.exp(v)) * 2.0,                normal(3), calls=("diag", "exp")),
    case("triu",    "k0",                 lambda a: tt.triu(a),                              normal(3, 4)),
    case("triu",    "k1",                 lambda a: tt.triu(a, 1),                           normal(3, 4)),
    case("triu",    "k-1-stack",          lambda a: tt.triu(a, -1),                          normal(2, 3, 2)),
    case("tril",    "k0",                 lambda a: tt.tril(a),                              normal(3, 4)),
    case("tril",    "k-1",                lambda a: tt.tril(a, -1),                          normal(4, 3)),
    case("tril",    "k2-stack",           lambda a: tt.tril(a, 2),                           normal(2, 2, 3)),
]

DECOMPOSITION_CASES = [
    case("solve",      "vector-rhs",         lambda a, b: tt.linalg.solve(a, b),                   well_conditioned(3), normal(3), calls=("linalg.solve",)),
    case("solve",      "matrix-rhs",         lambda a, b: tt.linalg.solve(a, b),                   well_conditioned(3), normal(3, 2), calls=("linalg.solve",)),
    case("solve",      "stack-vector-rhs",   lambda a, b: tt.linalg.solve(a, b),                   well_conditioned(2, 3), normal(3), calls=("linalg.solve",)),
    case("solve",      "broadcast-stacks",   lambda a, b: tt.linalg.solve(a, b),                   well_conditioned(2, 3), normal(1, 3, 2), calls=("linalg.solve",)),
    case("inv",        "matrix",             lambda a: tt.linalg.inv(a),                           well_conditioned(3), calls=("linalg.inv",)),
    case("inv",        "stack",              lambda a: tt.linalg.inv(a),                           well_conditioned(2, 3), calls=("linalg.inv",)),
    case("det",        "matrix",             lambda a: tt.linalg.det(a),                           well_conditioned(3), calls=("linalg.det",)),
    case("det",        "stack",              lambda a: tt.linalg.det(a),                           well_conditioned(2, 3), calls=("linalg.det",)),
    case("adjugate",   "det-rank-2-of-3",    lambda a: tt.linalg.det(a),                           rank_deficient(2)(3), calls=("linalg.det",)),
    case("adjugate",   "det-rank-1-of-3",    lambda a: tt.linalg.det(a),                           rank_deficient(1)(3), calls=("linalg.det",)),
    case("adjugate",   "det-zero-matrix",    lambda a: tt.linalg.det(a),                           rank_deficient(0)(3), calls=("linalg.det",)),
    case("adjugate",   "det-rank-3-of-4",    lambda a: tt.linalg.det(a),                           rank_deficient(3)(4), calls=("linalg.det",)),
    case("adjugate",   "det-stack-2x2-rank-1", lambda a: tt.linalg.det(a),                         rank_deficient(1)(3, 2), calls=("linalg.det",)),
    case("adjugate",   "det-exactly-singular", lambda a: tt.linalg.det(a),                         lambda rng: SINGULAR, calls=("linalg.det",)),
    case("adjugate",   "det-singular-and-regular-stack", lambda a: tt.linalg.det(a),               lambda rng: SINGULAR_STACK, calls=("linalg.det",)),
    case("adjugate_derivative", "det-hvp-exactly-singular", det_hvp(SINGULAR),                     normal(3, 3), calls=("linalg.det",)),
    case("adjugate_derivative", "det-hvp-stack",            det_hvp(SINGULAR_STACK),               normal(3, 3, 3), calls=("linalg.det",)),
    case("adjugate_derivative", "det-hvp-zero-2x2",         det_hvp(np.zeros((2, 2))),             normal(2, 2), calls=("linalg.det",)),
    case("adjugate_derivative", "det-hvp-zero-4x4",         det_hvp(np.zeros((4, 4))),             normal(4, 4), calls=("linalg.det",)),
    case("logabsdet",  "slogdet",            lambda a: tt.linalg.slogdet(a)[1],                    well_conditioned(3), calls=("linalg.slogdet",)),
    case("logabsdet",  "slogdet-stack",      lambda a: tt.linalg.slogdet(a).logabsdet,             well_conditioned(2, 3), calls=("linalg.slogdet",)),
    case("cholesky",   "spd",                lambda a: tt.linalg.cholesky(a),                      spd(3), calls=("linalg.cholesky",)),
    case("cholesky",   "stack",              lambda a: tt.linalg.cholesky(a),                      spd(2, 3), calls=("linalg.cholesky",)),
    case("cholesky",   "reads-lower-only",   lambda a, u: tt.linalg.cholesky(a + tt.triu(u, 1)),   spd(3), normal(3, 3), calls=("linalg.cholesky", "triu")),
    case("eigh",       "eigenvalues",        lambda a: tt.linalg.eigh(a)[0],                       separated(3), calls=("linalg.eigh",)),
    case("eigh",       "eigenvectors",       lambda a: tt.linalg.eigh(a)[1],                       separated(3), calls=("linalg.eigh",)),
    case("eigh",       "stack",              lambda a: tt.linalg.eigh(a).eigenvectors ** 2,        separated(2, 3), calls=("linalg.eigh",)),
    case("eigh",       "upper",              lambda a: tt.linalg.eigh(a, UPLO="U")[1] ** 2,        separated(3), calls=("linalg.eigh",)),
    case("eigh",       "eigvalsh",           lambda a: tt.linalg.eigvalsh(a),                      separated(4), calls=("linalg.eigvalsh",)),
    case("eig",        "eigenvalues",        lambda a: tt.linalg.eig(a)[0],                        eigenvalues_apart(3), calls=("linalg.eig",)),
    case("eig",        "eigenvectors",       lambda a: tt.linalg.eig(a)[1],                        eigenvalues_apart(3), calls=("linalg.eig",)),
    case("eig",        "stack-abs-eigenvectors", lambda a: tt.abs(tt.linalg.eig(a).eigenvectors),  eigenvalues_apart(2, 3), calls=("linalg.eig",)),
    case("eig",        "complex-pair",       eig_parts,                                            complex_pair(3), calls=("linalg.eig",)),
    case("eigvals",    "matrix",             lambda a: tt.linalg.eigvals(a),                       eigenvalues_apart(4), calls=("linalg.eigvals",)),
    case("eigvals",    "stack-complex-pair", lambda a: tt.abs(tt.linalg.eigvals(a)) ** 2,          complex_pair(2, 3), calls=("linalg.eigvals",)),
    case("lstsq",      "vector-rhs",         lambda a, b: tt.linalg.lstsq(a, b)[0],                normal(5, 3), normal(5), calls=("linalg.lstsq",)),
    case("lstsq",      "matrix-rhs",         lambda a, b: tt.linalg.lstsq(a, b)[0],                normal(5, 3), normal(5, 2), calls=("linalg.lstsq",)),
    case("svd",        "square",             lambda a: tuple(tt.linalg.svd(a)),                    singular_values_apart(3, 3), calls=("linalg.svd",)),
    case("svd",        "tall-reduced",       lambda a: tuple(tt.linalg.svd(a, full_matrices=False)), singular_values_apart(4, 3), calls=("linalg.svd",)),
    case("svd",        "wide-reduced",       lambda a: tuple(tt.linalg.svd(a, full_matrices=False)), singular_values_apart(2, 4), calls=("linalg.svd",)),
    case("svd",        "stack-tall-u",       lambda a: tt.linalg.svd(a, full_matrices=False).U ** 2, singular_values_apart(2, 4, 2), calls=("linalg.svd",)),
    case("svd",        "stack-wide-vh",      lambda a: tt.linalg.svd(a, full_matrices=False).Vh ** 2, singular_values_apart(2, 2, 3), calls=("linalg.svd",)),
    case("svd",        "stack-square-s",     lambda a: tt.linalg.svd(a).S,                         singular_values_apart(2, 3, 3), calls=("linalg.svd",)),
    case("svdvals",    "square",             lambda a: tt.linalg.svd(a, compute_uv=False),         singular_values_apart(3, 3), calls=("linalg.svd",)),
    case("svdvals",    "tall-full-matrices", lambda a: tt.linalg.svd(a, full_matrices=True, compute_uv=False), singular_values_apart(4, 2), calls=("linalg.svd",)),
    case("svdvals",    "stack-wide",         lambda a: tt.linalg.svd(a, compute_uv=False),         singular_values_apart(2, 2, 3), calls=("linalg.svd",)),
    case("qr",         "square",             lambda a: tuple(tt.linalg.qr(a)),                     singular_values_apart(3, 3), calls=("linalg.qr",)),
    case("qr",         "tall",               lambda a: tuple(tt.linalg.qr(a)),                     singular_values_apart(4, 3), calls=("linalg.qr",)),
    case("qr",         "stack-tall",         lambda a: tuple(tt.linalg.qr(a)),                     singular_values_apart(2, 3, 2), calls=("linalg.qr",)),
    case("qr",         "mode-r",             lambda a: tt.linalg.qr(a, mode="r"),                  singular_values_apart(4, 3), calls=("linalg.qr",)),
    case("qr",         "complete-square",    lambda a: tuple(tt.linalg.qr(a, mode="complete")),    singular_values_apart(3, 3), calls=("linalg.qr",)),
    case("pinv",       "tall",               lambda a: tt.linalg.pinv(a),                          singular_values_apart(4, 3), calls=("linalg.pinv",)),
    case("pinv",       "wide",               lambda a: tt.linalg.pinv(a),                          singular_values_apart(2, 4), calls=("linalg.pinv",)),
    case("pinv",       "stack-square",       lambda a: tt.linalg.pinv(a, rcond=1e-10),             singular_values_apart(2, 3, 3), calls=("linalg.pinv",)),
    case("pinv",       "hermitian",          lambda a: tt.linalg.pinv(a, hermitian=True),          spd(3), calls=("linalg.pinv",)),
    case("expm",       "matrix",             lambda a: tt.linalg.expm(a),                          normal(3, 3), calls=("linalg.expm",)),
    case("expm",       "stack",              lambda a: tt.linalg.expm(a),                          normal(2, 3, 3), calls=("linalg.expm",)),
    case("expm",       "large-norm",         lambda a: tt.linalg.expm(3.0 * a),                    normal(3, 3), calls=("linalg.expm",)),
    # the Fréchet derivative itself, in A and in E: its derivatives are those of larger expm_frechets
    case("expm_frechet", "jvp-of-expm",      lambda a, e: jvp(tt.linalg.expm, (a,), (e,))[1],      normal(2, 2), normal(2, 2), calls=("linalg.expm",)),
    case("expm_frechet", "stack-jvp-of-expm", lambda a, e: jvp(tt.linalg.expm, (a,), (e,))[1],     normal(2, 2, 2), normal(2, 2, 2), calls=("linalg.expm",)),
]

# --- tinytorch.scipy.linalg and tinytorch.scipy.signal ----------------------------------------
# Their functions are named "scipy.linalg.<name>" and "scipy.signal.<name>" in `calls`.
# Triangular and banded matrices fill every entry, read or not: finite differences of the
# entries a solve never reads are 0, which the derivatives must be too.

# a diagonal of magnitude in [1, 2], the other entries (both triangles) small
triangular = _matrices(lambda rng, n: np.diag(rng.choice([-1.0, 1.0], n) * rng.uniform(1.0, 2.0, n)) + 0.3 * rng.standard_normal((n, n)))
# SPD plus a skew part: eigenvalues with positive real parts, so a real principal square root
positive_real_part = _matrices(lambda rng, n: (q := _orthogonal(rng, n)) @ np.diag(rng.uniform(1, 2, n)) @ q.T + 0.3 * (k := rng.standard_normal((n, n))) - 0.3 * k.T)


def banded(lower: int, upper: int, *shape: int) -> Gen:
    """(Stacks of) band matrices by diagonals, (..., lower + upper + 1, n): a diagonal in [3, 4]
    dominating, the unused corners of the storage filled too."""
    *stack, n = shape
    rows = np.arange(lower + upper + 1)[:, None]
    return lambda rng: np.where(rows == upper, rng.uniform(3.0, 4.0, (*stack, 1, n)), 0.5 * rng.standard_normal((*stack, lower + upper + 1, n)))


SCIPY_LINALG_SIGNAL_CASES = [
    case("expm",             "scipy-linalg",          lambda a: scipy_linalg.expm(a),                               normal(3, 3), calls=("scipy.linalg.expm",)),
    case("sqrtm",            "spd",                   lambda a: scipy_linalg.sqrtm(a),                              spd(3), calls=("scipy.linalg.sqrtm",)),
    case("sqrtm",            "positive-real-part",    lambda a: scipy_linalg.sqrtm(a),                              positive_real_part(3), calls=("scipy.linalg.sqrtm",)),
    case("sqrtm",            "stack",                 lambda a: scipy_linalg.sqrtm(a),                              spd(2, 3), calls=("scipy.linalg.sqrtm",)),
    case("solve_triangular", "upper-vector",          lambda a, b: scipy_linalg.solve_triangular(a, b),             triangular(3), normal(3), calls=("scipy.linalg.solve_triangular",)),
    case("solve_triangular", "lower-matrix",          lambda a, b: scipy_linalg.solve_triangular(a, b, lower=True), triangular(3), normal(3, 2), calls=("scipy.linalg.solve_triangular",)),
    case("solve_triangular", "trans-1",               lambda a, b: scipy_linalg.solve_triangular(a, b, trans=1),    triangular(3), normal(3), calls=("scipy.linalg.solve_triangular",)),
    case("solve_triangular", "trans-T-lower-unit-diagonal", lambda a, b: scipy_linalg.solve_triangular(a, b, "T", lower=True, unit_diagonal=True), triangular(3), normal(3, 2), calls=("scipy.linalg.solve_triangular",)),
    case("solve_triangular", "stack-vector-rhs",      lambda a, b: scipy_linalg.solve_triangular(a, b, lower=True), triangular(2, 3), normal(3), calls=("scipy.linalg.solve_triangular",)),
    case("solve_banded",     "tridiagonal-vector",    lambda ab, b: scipy_linalg.solve_banded((1, 1), ab, b),       banded(1, 1, 4), normal(4), calls=("scipy.linalg.solve_banded",)),
    case("solve_banded",     "l2-u1-matrix",          lambda ab, b: scipy_linalg.solve_banded((2, 1), ab, b),       banded(2, 1, 4), normal(4, 2), calls=("scipy.linalg.solve_banded",)),
    case("solve_banded",     "upper-only",            lambda ab, b: scipy_linalg.solve_banded((0, 2), ab, b),       banded(0, 2, 4), normal(4), calls=("scipy.linalg.solve_banded",)),
    case("solve_banded",     "stack",                 lambda ab, b: scipy_linalg.solve_banded((1, 1), ab, b),       banded(1, 1, 2, 3), normal(3), calls=("scipy.linalg.solve_banded",)),
    case("solve_sylvester",  "matrices",              lambda a, b, q: scipy_linalg.solve_sylvester(a, b, q),        positive_real_part(3), positive_real_part(2), normal(3, 2), calls=("scipy.linalg.solve_sylvester",)),
    case("solve_sylvester",  "stack",                 lambda a, b, q: scipy_linalg.solve_sylvester(a, b, q),        positive_real_part(2, 2), positive_real_part(2), normal(2, 2, 2), calls=("scipy.linalg.solve_sylvester",)),
    case("convolve",         "full-1d",               lambda x, y: scipy_signal.convolve(x, y),                     normal(5), normal(3), calls=("scipy.signal.convolve",)),
    case("convolve",         "valid-2d",              lambda x, y: scipy_signal.convolve(x, y, "valid"),            normal(4, 5), normal(2, 3), calls=("scipy.signal.convolve",)),
    case("convolve",         "valid-swapped",         lambda x, y: scipy_signal.convolve(x, y, "valid"),            normal(2, 3), normal(4, 5), calls=("scipy.signal.convolve",)),
    case("convolve",         "same-2d",               lambda x, y: scipy_signal.convolve(x, y, "same"),             normal(3, 4), normal(2, 3), calls=("scipy.signal.convolve",)),
    case("convolve",         "same-larger-kernel",    lambda x, y: scipy_signal.convolve(x, y, "same"),             normal(3), normal(6), calls=("scipy.signal.convolve",)),
    case("convolve",         "full-3d",               lambda x, y: scipy_signal.convolve(x, y),                     normal(2, 3, 2), normal(2, 2, 2), calls=("scipy.signal.convolve",)),
    case("convolve",         "valid-direct",          lambda x, y: scipy_signal.convolve(x, y, "valid", "direct"),  normal(6), normal(3), calls=("scipy.signal.convolve",)),
    case("convolve",         "correlate-full",        lambda x, y: scipy_signal.correlate(x, y),                    normal(4), normal(3), calls=("scipy.signal.correlate",)),
    case("convolve",         "correlate-valid-swapped", lambda x, y: scipy_signal.correlate(x, y, "valid"),         normal(2, 3), normal(3, 4), calls=("scipy.signal.correlate",)),
    case("convolve",         "correlate-same",        lambda x, y: scipy_signal.correlate(x, y, "same"),            normal(3, 4), normal(2, 2), calls=("scipy.signal.correlate",)),
]
DECOMPOSITION_CASES += SCIPY_LINALG_SIGNAL_CASES

LABELS = np.array([2, 0, 3])
CROSS_ENTROPY_CASES = [
    case("cross_entropy", "rows",          lambda z: tt.cross_entropy(z, LABELS),              normal(3, 4)),
    case("cross_entropy", "large-logits",  lambda z: tt.cross_entropy(z * 100.0, LABELS),      distinct(3, 4)),
    case("cross_entropy", "mean-loss",     lambda z: tt.mean(tt.cross_entropy(z, LABELS)),     normal(3, 4), calls=("cross_entropy", "mean")),
]

PRIMITIVE_CASES = ELEMENTWISE_CASES + OTHER_ELEMENTWISE_CASES + REDUCTION_CASES + SHAPE_CASES + LINALG_CASES + DECOMPOSITION_CASES + CROSS_ENTROPY_CASES

# scalar booleans and masks mixed with other entries, item assignment through a mask, copies
PRIMITIVE_CASES += [
    case("getitem",  "scalar-true",          lambda x: x[True],                                  normal(3, 4)),
    case("getitem",  "true-and-int-array",   lambda x: x[np.True_, [2, 0]],                      normal(3, 4)),
    case("getitem",  "ellipsis-false-then-sum", lambda x: tt.sum(x[..., False]) + x[0, 0],      normal(3, 4), calls=("getitem", "sum")),
    case("getitem",  "mask-and-slice",       lambda x: x[np.array([True, False, True]), 1:],     normal(3, 4)),
    case("getitem",  "mask-ellipsis-3d",     lambda x: x[..., np.array([True, False])],          normal(2, 3, 2)),
    case("getitem",  "mask-covering-2-of-3", lambda x: x[:, np.array([[True, False], [False, True], [True, True]])], normal(2, 3, 2)),
    case("getitem",  "mask-as-list",         lambda x: x[[False, True, True]],                   normal(3, 4)),
    case("scatter_add", "index_update-mask", lambda x, v: tt.index_update(x, MASK, v),           normal(3, 4), normal(7), calls=("index_update",)),
    case("scatter_add", "index_update-scalar-true", lambda x, v: tt.index_update(x, (True, 1), v), normal(3, 4), normal(1, 4), calls=("index_update",)),
    # repeated indices: NumPy keeps the last write, and only it has a derivative
    case("scatter_add", "index_update-repeated-rows", lambda x, v: tt.index_update(x, ([0, 2, 0], slice(1, None)), v), normal(3, 4), normal(3, 3), calls=("index_update",)),
    case("scatter_add", "index_update-repeated-mask-and-array", lambda x, v: tt.index_update(x, (np.array([True, False, True]), [[1], [1]]), v), normal(3, 4), normal(2, 2), calls=("index_update",)),
    case("scatter_add", "index_update-repeated-broadcast", lambda x, v: tt.index_update(x, (slice(None), [3, 0, 3]), v), normal(3, 4), normal(3), calls=("index_update",)),
    case("copy",     "matrix",               lambda x: tt.copy(x),                               normal(3, 4)),
    case("copy",     "fortran-order",        lambda x: tt.copy(x.T, order="F"),                  normal(3, 4)),
    case("copy",     "method",               lambda x: x.copy() * x,                             normal(4), calls=()),
    case("copy",     "numpy-copy",           lambda x: np.copy(x),                               normal(), calls=()),
    case("einsum",   "optimize-greedy",      lambda a, b, c: tt.einsum("ij,jk,kl->il", a, b, c, optimize="greedy"), normal(2, 3), normal(3, 2), normal(2, 2)),
]

# --- public composite functions and aliases --------------------------------------------------

COMPOSITE_CASES = [
    # public name   variant               function                                          inputs
    case("mean",    "all",                lambda x: tt.mean(x),                              normal(3, 4)),
    case("mean",    "axis0",              lambda x: tt.mean(x, axis=0),                      normal(3, 4)),
    case("mean",    "axis-1-keepdims",    lambda x: tt.mean(x, axis=-1, keepdims=True),      normal(3, 4)),
    case("mean",    "3d-axes02",          lambda x: tt.mean(x, axis=(0, 2)),                 normal(2, 3, 2)),
    case("mean",    "method",             lambda x: x.mean(axis=1),                          normal(3, 4), calls=()),
    case("var",     "all",                lambda x: tt.var(x),                               normal(3, 4)),
    case("var",     "axis0-ddof1",        lambda x: tt.var(x, axis=0, ddof=1),               normal(3, 4)),
    case("var",     "axis-1-keepdims",    lambda x: tt.var(x, axis=-1, keepdims=True),       normal(3, 4)),
    case("std",     "all",                lambda x: tt.std(x),                               normal(3, 4)),
    case("std",     "axis1-ddof1",        lambda x: tt.std(x, axis=1, ddof=1),               normal(3, 4)),
    case("std",     "vector",             lambda x: tt.std(x),                               normal(4)),
    case("prod",    "vector-odd",         lambda x: tt.prod(x),                              normal(5)),
    case("prod",    "axis0",              lambda x: tt.prod(x, axis=0),                      normal(3, 4)),
    case("prod",    "axis-1-keepdims",    lambda x: tt.prod(x, axis=-1, keepdims=True),      normal(3, 4)),
    case("prod",    "all",                lambda x: tt.prod(x),                              normal(3, 4)),
    case("prod",    "with-exact-zero",    lambda x: tt.prod(x, axis=-1),                     with_zeros(normal(3, 4))),
    case("prod",    "two-exact-zeros",    lambda x: tt.prod(x, axis=-1),                     with_zeros(normal(3, 4), 2)),
    case("prod",    "3d-axes02",          lambda x: tt.prod(x, axis=(0, 2)),                 normal(2, 3, 2)),
    case("prod",    "scalar",             lambda x: tt.prod(x),                              normal()),
    case("dot",     "vector-vector",      lambda a, b: tt.dot(a, b),                         normal(4), normal(4)),
    case("dot",     "matrix-vector",      lambda a, b: tt.dot(a, b),                         normal(3, 4), normal(4)),
    case("dot",     "matrix-matrix",      lambda a, b: tt.dot(a, b),                         normal(3, 4), normal(4, 2)),
    case("dot",     "scalar-matrix",      lambda a, b: tt.dot(a, b),                         normal(), normal(3, 4)),
    case("dot",     "3d-matrix",          lambda a, b: tt.dot(a, b),                         normal(2, 3, 2), normal(2, 3)),
    case("dot",     "method",             lambda a, b: a.dot(b),                             normal(3, 4), normal(4), calls=("dot",)),
    case("vdot",    "matrices",           lambda a, b: tt.vdot(a, b),                        normal(3, 4), normal(3, 4)),
    case("inner",   "vectors",            lambda a, b: tt.inner(a, b),                       normal(4), normal(4)),
    case("inner",   "matrices",           lambda a, b: tt.inner(a, b),                       normal(3, 4), normal(2, 4)),
    case("inner",   "scalar",             lambda a, b: tt.inner(a, b),                       normal(), normal(4)),
    case("outer",   "vectors",            lambda a, b: tt.outer(a, b),                       normal(3), normal(4)),
    case("outer",   "matrix-vector",      lambda a, b: tt.outer(a, b),                       normal(2, 2), normal(3)),
    case("tensordot", "axes1",            lambda a, b: tt.tensordot(a, b, axes=1),           normal(3, 4), normal(4, 2)),
    case("tensordot", "axes2",            lambda a, b: tt.tensordot(a, b),                   normal(2, 3, 2), normal(3, 2)),
    case("tensordot", "axes-pairs",       lambda a, b: tt.tensordot(a, b, axes=([1, 0], [0, 1])), normal(3, 4), normal(4, 3)),
    case("tensordot", "axes0",            lambda a, b: tt.tensordot(a, b, axes=0),           normal(3), normal(2, 2)),
    case("trace",   "square",             lambda a: tt.trace(a),                             normal(3, 3)),
    case("trace",   "offset1",            lambda a: tt.trace(a, 1),                          normal(3, 4)),
    case("trace",   "3d-axes12",          lambda a: tt.trace(a, 0, 1, 2),                    normal(2, 3, 3)),
    case("trace",   "method",             lambda a: a.trace(),                               normal(4, 3), calls=()),
    case("diag",    "matrix-k0",          lambda a: tt.diag(a),                              normal(3, 4)),
    case("diag",    "matrix-k-1",         lambda a: tt.diag(a, -1),                          normal(3, 4)),
    case("stack",   "axis0",              lambda a, b: tt.stack([a, b]),                     normal(3, 4), normal(3, 4)),
    case("stack",   "axis1",              lambda a, b: tt.stack([a, b], axis=1),             normal(3, 4), normal(3, 4)),
    case("stack",   "axis-1",             lambda a, b, c: tt.stack([a, b, c], axis=-1),      normal(4), normal(4), normal(4)),
    case("stack",   "scalars",            lambda a, b: tt.stack([a, b, a]),                  normal(), normal()),
    case("hstack",  "vectors",            lambda a, b: tt.hstack([a, b]),                    normal(4), normal(2)),
    case("hstack",  "matrices",           lambda a, b: tt.hstack([a, b]),                    normal(3, 4), normal(3, 1)),
    case("hstack",  "scalar-vector",      lambda a, b: tt.hstack([a, b]),                    normal(), normal(3)),
    case("vstack",  "vectors",            lambda a, b: tt.vstack([a, b]),                    normal(4), normal(4)),
    case("vstack",  "matrices",           lambda a, b: tt.vstack([a, b]),                    normal(3, 4), normal(1, 4)),
    case("split",   "sections-axis0",     lambda a: tt.split(a, 2, axis=0),                  normal(4, 3)),
    case("split",   "indices-axis1",      lambda a: tt.split(a, [1, 3], axis=1),             normal(3, 4)),
    case("array_split", "uneven",         lambda a: tt.array_split(a, 3),                    normal(4)),
    case("array_split", "indices-beyond", lambda a: tt.array_split(a, [2, 9], axis=1),       normal(3, 4)),
    case("tile",    "int",                lambda a: tt.tile(a, 2),                           normal(3)),
    case("tile",    "tuple",              lambda a: tt.tile(a, (2, 1)),                      normal(2, 3)),
    case("tile",    "more-dims",          lambda a: tt.tile(a, (2, 1, 2)),                   normal(2, 2)),
    case("repeat",  "axis-none",          lambda a: tt.repeat(a, 2),                         normal(2, 3)),
    case("repeat",  "axis0",              lambda a: tt.repeat(a, 2, axis=0),                 normal(2, 3)),
    case("repeat",  "array-repeats",      lambda a: tt.repeat(a, [1, 0, 2], axis=1),         normal(2, 3)),
    case("take",    "axis-none",          lambda a: tt.take(a, [0, 5, 5, 11]),               normal(3, 4)),
    case("take",    "axis0-repeats",      lambda a: tt.take(a, [2, 0, 2], axis=0),           normal(3, 4)),
    case("take",    "axis1-negative",     lambda a: tt.take(a, [-1, 1], axis=1),             normal(3, 4)),
    case("take_along_axis", "axis-1",     lambda a: tt.take_along_axis(a, np.array([[3, 0], [1, 1], [2, 0]]), axis=-1), normal(3, 4)),
    case("take_along_axis", "axis0",      lambda a: tt.take_along_axis(a, np.array([[2, 0, 1, 2]]), axis=0), normal(3, 4)),
    case("sort",    "axis-1",             lambda a: tt.sort(a),                              distinct(3, 4)),
    case("sort",    "axis0",              lambda a: tt.sort(a, axis=0),                      distinct(3, 4)),
    case("sort",    "axis-none",          lambda a: tt.sort(a, axis=None),                   distinct(3, 4)),
    case("partition", "kth-2",            lambda a: tt.partition(a, 2),                      distinct(3, 5)),
    case("partition", "kths-axis0",       lambda a: tt.partition(a, [0, 2], axis=0),         distinct(4, 3)),
    case("partition", "axis-none",        lambda a: tt.partition(a, -3, axis=None),          distinct(3, 4)),
    case("r_",      "slices-numbers-arrays", lambda a, b: tt.r_[a, 0:3, 2.5, b * a, 0:1:3j], normal(3), normal(3), calls=(), f32_out=np.float64),
    case("r_",      "matrices",           lambda a, b: tt.r_[a, b],                          normal(2, 3), normal(1, 3), calls=()),
    case("c_",      "columns",            lambda a, b: tt.c_[a, b ** 2, 0:2],                normal(2), normal(2), calls=(), f32_out=np.float64),
    case("c_",      "matrix-and-column",  lambda a, b: tt.c_[a, b],                          normal(2, 3), normal(2), calls=()),
    case("pad",     "constant",           lambda a: tt.pad(a, ((1, 2), (0, 1)), mode="constant"), normal(3, 4)),
    case("pad",     "edge",               lambda a: tt.pad(a, ((1, 2), (0, 1)), mode="edge"), normal(3, 4)),
    case("pad",     "reflect",            lambda a: tt.pad(a, ((1, 2), (2, 1)), mode="reflect"), normal(3, 4)),
    case("pad",     "symmetric",          lambda a: tt.pad(a, ((1, 2), (2, 1)), mode="symmetric"), normal(3, 4)),
    case("pad",     "wrap",               lambda a: tt.pad(a, ((1, 2), (2, 1)), mode="wrap"), normal(3, 4)),
    case("pad",     "reflect-vector",     lambda a: tt.pad(a, 3, mode="reflect"),            normal(4)),
    case("cumsum",  "axis-none-3d",       lambda a: tt.cumsum(a),                            normal(2, 3, 2)),
    case("roll",    "axis-none",          lambda a: tt.roll(a, 5),                           normal(3, 4)),
    case("expand_dims", "axis0",          lambda a: tt.expand_dims(a, 0),                    normal(3, 4)),
    case("expand_dims", "axis-1",         lambda a: tt.expand_dims(a, -1),                   normal(4)),
    case("expand_dims", "axes-tuple",     lambda a: tt.expand_dims(a, (0, 2)),               normal(3, 4)),
    case("squeeze", "axis-none",          lambda a: tt.squeeze(a),                           normal(1, 3, 1, 4)),
    case("squeeze", "axis0",              lambda a: tt.squeeze(a, 0),                        normal(1, 4)),
    case("moveaxis", "first-to-last",     lambda a: tt.moveaxis(a, 0, -1),                   normal(2, 3, 2)),
    case("moveaxis", "two-axes",          lambda a: tt.moveaxis(a, (0, 1), (2, 0)),          normal(2, 3, 2)),
    case("swapaxes", "matrix",            lambda a: tt.swapaxes(a, 0, 1),                    normal(3, 4)),
    case("swapaxes", "3d",                lambda a: tt.swapaxes(a, 0, 2),                    normal(2, 3, 2)),
    case("ravel",   "matrix",             lambda a: tt.ravel(a),                             normal(3, 4)),
    case("ravel",   "scalar",             lambda a: tt.ravel(a),                             normal()),
    case("fliplr",  "matrix",             lambda a: tt.fliplr(a),                            normal(3, 4)),
    case("flipud",  "matrix",             lambda a: tt.flipud(a),                            normal(3, 4)),
    case("atleast_1d", "scalar",          lambda a: tt.atleast_1d(a),                        normal()),
    case("atleast_1d", "vector",          lambda a: tt.atleast_1d(a) * 1.0,                  normal(4)),
    case("atleast_2d", "scalar",          lambda a: tt.atleast_2d(a),                        normal()),
    case("atleast_2d", "vector",          lambda a: tt.atleast_2d(a),                        normal(4)),
    case("atleast_2d", "matrix-unchanged", lambda a: tt.atleast_2d(a),                       normal(3, 4)),
    case("reshape", "same-shape-unchanged", lambda a: tt.reshape(a, (3, 4)),                 normal(3, 4)),
    case("array",   "list-of-boxes",      lambda a: tt.array([a[0], a[1] * 2.0, tt.sin(a[2])]), normal(3)),
    case("array",   "nested-list",        lambda a, b: tt.array([[a, b], [b, a * b]]),       normal(), normal()),
    case("array",   "list-of-rows",       lambda a: tt.array([a[1], a[0]]),                  normal(2, 3)),
    case("array",   "box",                lambda a: tt.array(a) * 1.0,                       normal(4)),
    case("asarray", "list-of-boxes",      lambda a: tt.asarray([a[2], a[0]]),                normal(3)),
    case("asarray", "box",                lambda a: tt.asarray(a) * 1.0,                     normal(4)),
    # aliases: the same primitive under NumPy's other names
    case("abs",     "matrix",             lambda x: tt.abs(x),                               away(3, 4)),
    case("fabs",    "matrix",             lambda x: tt.fabs(x),                              away(3, 4)),
    case("mod",     "row",                lambda x, y: tt.mod(x, y),                         joint=quotient_pair((3, 4), (4,))),
    case("true_divide", "row",            lambda x, y: tt.true_divide(x, y),                 normal(3, 4), away(4)),
    case("radians", "matrix",             lambda x: tt.radians(x),                           normal(3, 4)),
    case("degrees", "matrix",             lambda x: tt.degrees(x),                           normal(3, 4)),
    case("expit",   "matrix",             lambda x: tt.expit(x),                             normal(3, 4)),
    case("psi",     "matrix",             lambda x: tt.psi(x),                               gamma_domain(3, 4)),
    case("amax",    "axis0",              lambda x: tt.amax(x, axis=0),                      distinct(3, 4)),
    case("amin",    "axis-none",          lambda x: tt.amin(x),                              distinct(3, 4)),
    case("linalg.norm", "vector-2",       lambda x: tt.linalg.norm(x),                          normal(4), calls=("linalg.norm",)),
    case("linalg.norm", "vector-1",       lambda x: tt.linalg.norm(x, 1),                       away(4), calls=("linalg.norm",)),
    case("linalg.norm", "vector-inf",     lambda x: tt.linalg.norm(x, np.inf),                  distinct(4), calls=("linalg.norm",)),
    case("linalg.norm", "vector-neg-inf", lambda x: tt.linalg.norm(x, -np.inf),                 distinct(4), calls=("linalg.norm",)),
    case("linalg.norm", "vector-3",       lambda x: tt.linalg.norm(x, 3),                       away(4), calls=("linalg.norm",)),
    # |x|^3 has a jump in its third derivative at 0, so differences of its second err by O(eps)
    case("linalg.norm", "vector-3-zero-entry", lambda x: tt.linalg.norm(x, 3),                  with_zeros(away(4)), calls=("linalg.norm",), eps=1e-7),
    case("linalg.norm", "vector-4-zero-entries", lambda x: tt.linalg.norm(x, 4),                with_zeros(normal(5), 2), calls=("linalg.norm",)),
    case("linalg.norm", "rows-3-zero-entries-keepdims", lambda x: tt.linalg.norm(x, 3, axis=1, keepdims=True), with_zeros(away(3, 4), 2), calls=("linalg.norm",), eps=1e-7),
    case("linalg.norm", "vector-half",    lambda x: tt.linalg.norm(x, 0.5),                     away(4), calls=("linalg.norm",)),
    case("linalg.norm", "vector-neg-1.5", lambda x: tt.linalg.norm(x, -1.5),                    away(4), calls=("linalg.norm",)),
    case("linalg.norm", "columns-neg-2",  lambda x: tt.linalg.norm(x, -2, axis=0),              away(3, 4), calls=("linalg.norm",)),
    case("linalg.norm", "rows-keepdims",  lambda x: tt.linalg.norm(x, axis=1, keepdims=True),   normal(3, 4), calls=("linalg.norm",)),
    case("linalg.norm", "frobenius",      lambda x: tt.linalg.norm(x, "fro"),                   normal(3, 4), calls=("linalg.norm",)),
    case("linalg.norm", "matrix-1",       lambda x: tt.linalg.norm(x, 1),                       distinct(3, 4), calls=("linalg.norm",)),
    case("linalg.norm", "matrix-inf",     lambda x: tt.linalg.norm(x, np.inf),                  distinct(3, 4), calls=("linalg.norm",)),
    case("linalg.norm", "matrix-neg-1-axes", lambda x: tt.linalg.norm(x, -1, axis=(2, 0)),      distinct(3, 2, 4), calls=("linalg.norm",)),
    case("linalg.norm", "all-entries-3d", lambda x: tt.linalg.norm(x),                          normal(2, 3, 2), calls=("linalg.norm",)),
    case("linalg.norm", "matrix-2",       lambda x: tt.linalg.norm(x, 2),                       singular_values_apart(3, 4), calls=("linalg.norm",)),
    case("linalg.norm", "matrix-neg-2",   lambda x: tt.linalg.norm(x, -2),                      singular_values_apart(4, 3), calls=("linalg.norm",)),
    case("linalg.norm", "nuclear",        lambda x: tt.linalg.norm(x, "nuc"),                   singular_values_apart(3, 3), calls=("linalg.norm",)),
    case("linalg.norm", "matrix-2-stack", lambda x: tt.linalg.norm(x, 2, axis=(1, 2)),          singular_values_apart(2, 3, 3), calls=("linalg.norm",)),
    case("linalg.norm", "nuclear-axes-keepdims", lambda x: tt.linalg.norm(x, "nuc", axis=(2, 0), keepdims=True),
         lambda rng: np.moveaxis(singular_values_apart(2, 4, 3)(rng), (-2, -1), (2, 0)).copy(), calls=("linalg.norm",)),  # fmt: skip
]

COMPOSITE_CASES += [
    case("linspace",  "scalar-ends",      lambda a, b: tt.linspace(a, b, 5),                    normal(), normal()),
    case("linspace",  "vector-ends",      lambda a, b: tt.linspace(a, b, 4, endpoint=False),    normal(3), normal(3)),
    case("full_like", "boxed-fill",       lambda s: tt.full_like(np.ones((2, 3), s.dtype), s) * 2.0, normal()),
    # NumPy's everyday functions, composed of the table's primitives
    case("atleast_3d", "vector",          lambda a: tt.atleast_3d(a),                        normal(4)),
    case("atleast_3d", "matrix",          lambda a: tt.atleast_3d(a),                        normal(3, 4)),
    case("column_stack", "vector-matrix", lambda a, b: tt.column_stack([a, b]),              normal(3), normal(3, 2)),
    case("dstack",  "vectors",            lambda a, b: tt.dstack([a, b]),                    normal(4), normal(4)),
    case("append",  "flat",               lambda a, b: tt.append(a, b),                      normal(2, 2), normal(3)),
    case("append",  "axis1",              lambda a, b: tt.append(a, b, axis=1),              normal(3, 2), normal(3, 1)),
    case("vsplit",  "halves",             lambda a: tt.vsplit(a, 2)[1] * 2.0,                normal(4, 3)),
    case("hsplit",  "thirds",             lambda a: tt.hsplit(a, 3)[0] - tt.hsplit(a, 3)[2], normal(2, 6)),
    case("dsplit",  "at-index",           lambda a: tt.dsplit(a, [1])[1],                    normal(2, 2, 3)),
    case("rot90",   "once",               lambda a: tt.rot90(a),                             normal(3, 4)),
    case("rot90",   "thrice-3d",          lambda a: tt.rot90(a, 3, axes=(1, 2)),             normal(2, 3, 4)),
    case("rot90",   "twice",              lambda a: tt.rot90(a, 2),                          normal(3, 4)),
    case("diff",    "first",              lambda a: tt.diff(a),                              normal(3, 5)),
    case("diff",    "second-axis0",       lambda a: tt.diff(a, n=2, axis=0),                 normal(4, 3)),
    case("diff",    "prepend-append",     lambda a, p: tt.diff(a, prepend=p, append=1.5),    normal(2, 4), normal(2, 1),
         f32_out=np.float64),  # NumPy too: append=1.5 is a float64 array  # fmt: skip
    case("kron",    "matrices",           lambda a, b: tt.kron(a, b),                        normal(2, 3), normal(2, 2)),
    case("kron",    "vector-matrix",      lambda a, b: tt.kron(a, b),                        normal(3), normal(2, 2)),
    case("cross",   "batched",            lambda a, b: tt.cross(a, b),                       normal(4, 3), normal(3)),
    case("cross",   "axis0",              lambda a, b: tt.cross(a, b, axis=0),               normal(3, 2), normal(3, 2)),
    case("gradient", "uniform",           lambda a: tt.gradient(a, 0.5),                    normal(6)),
    case("gradient", "coordinates-edge2", lambda a: tt.gradient(a, np.array([0.0, 0.3, 1.0, 1.2, 2.0]), axis=1,
                                                                edge_order=2), normal(3, 5)),  # fmt: skip
    case("gradient", "both-axes",         lambda a: tt.gradient(a),                          normal(3, 4)),
    case("rollaxis", "last-to-front",     lambda a: tt.rollaxis(a, 2),                       normal(2, 3, 4)),
    case("rollaxis", "first-to-end",      lambda a: tt.rollaxis(a, 0, 3),                    normal(2, 3, 4)),
    case("select",  "two-conditions",     lambda a, b: tt.select([a < 0, b > 0.5], [a, a * b], b),
         normal(3, 4), normal(3, 4)),  # fmt: skip
    case("nan_to_num", "finite",          lambda a: tt.nan_to_num(a * 2.0),                  normal(3, 4)),
    case("nan_to_num", "replaced",        lambda a: tt.nan_to_num(tt.where(MASK, np.inf, a), posinf=5.0), normal(3, 4)),
]


def quiet(fn: Callable) -> Callable:
    """fn with NumPy 2's DeprecationWarnings silenced: row_stack's, and cross's of 2-vectors
    (tests/autograd/test_cross_and_row_stack.py checks that they are given)."""
    def call_quietly(*xs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return fn(*xs)

    return call_quietly


COMPOSITE_CASES += [
    case("row_stack", "vector-matrix",    quiet(lambda a, b: tt.row_stack([a, b])),          normal(4), normal(2, 4)),
    case("cross",   "axisa-axisb-axisc",  lambda a, b: tt.cross(a, b, axisa=0, axisb=-1, axisc=0), normal(3, 4), normal(4, 3)),
    case("cross",   "2-vectors",          quiet(lambda a, b: tt.cross(a, b)),                normal(4, 2), normal(2)),
    case("cross",   "2-and-3-vectors",    quiet(lambda a, b: tt.cross(a, b, axisc=0)),       normal(2), normal(4, 3)),
    case("cross",   "3-and-2-vectors",    quiet(lambda a, b: tt.cross(a, b, axis=1)),        normal(2, 3, 1), normal(2, 2, 4)),
]

# --- tinytorch.scipy.special ------------------------------------------------------------------
# Its functions are named "scipy.special.<name>" in `calls` and as composite targets. The
# parameters that are not differentiated (orders, shape parameters) are constants of the case,
# cast to the input's dtype so that float32 stays float32.

probability = _domain(lambda rng, s: rng.uniform(0.1, 0.9, s))  # logit, ndtri, betainc's x
erfc_domain = _domain(lambda rng, s: rng.uniform(0.2, 1.8, s))  # erfcinv
far_left = _domain(lambda rng, s: rng.uniform(-30.0, -20.0, s))  # log_ndtr where ndtr underflows
# negative non-integers, 0.2 from the poles of gamma
gamma_negative = _domain(lambda rng, s: rng.integers(-3, 0, s) + rng.uniform(0.2, 0.8, s))


def sp_call(name: str, *params, **kwargs) -> Callable:
    """lambda *xs: special.<name>(*params, *xs, **kwargs), the params cast to the inputs' dtype."""
    def fn(*xs):
        cast = [np.asarray(p, dtype=xs[0].dtype) if isinstance(p, np.ndarray) else p for p in params]
        return getattr(special, name)(*cast, *xs, **kwargs)

    return fn


def sp_case(target: str, variant: str, name: str, *gens, params: tuple = (), **opts) -> Case:
    return case(target, variant, sp_call(name, *params), *gens, calls=(f"scipy.special.{name}",), **opts)


SPECIAL_UNARY = [  # new primitives: function, domain
    ("gamma", gamma_domain), ("rgamma", gamma_domain), ("erfcx", normal), ("erfinv", unit), ("erfcinv", erfc_domain),
    ("logit", probability), ("ndtr", normal), ("log_ndtr", normal), ("ndtri", probability),
    ("j0", normal), ("j1", normal), ("y0", positive), ("y1", positive), ("i0", normal), ("i1", normal),
    ("i0e", away), ("i1e", away),
]
SPECIAL_BINARY = [("beta", gamma_domain, gamma_domain), ("betaln", gamma_domain, gamma_domain),
                  ("xlogy", normal, positive), ("xlog1py", normal, log1p_domain)]
ORDERS = np.array([0.0, 0.5, 1.0, 2.5])  # Bessel orders along the last axis
SHAPE_A, SHAPE_B = np.array([[0.7], [1.5], [3.0]]), np.array([0.8, 1.2, 2.0, 4.0])  # betainc's a, b

SPECIAL_CASES = [
    sp_case(name, label, name, domain(*shape))
    for name, domain in SPECIAL_UNARY for label, shape in (("scalar", ()), ("matrix", (3, 4)))
] + [
    sp_case(name, label, name, dx(*sx), dy(*sy))
    for name, dx, dy in SPECIAL_BINARY
    for label, (sx, sy) in BROADCASTS.items() if label in ("same", "row", "scalar-matrix")
] + [
    # the primitives tt has too, through tinytorch.scipy.special
    sp_case("erf",       "scipy-special",         "erf",       normal(3, 4)),
    sp_case("erfc",      "scipy-special",         "erfc",      normal(3, 4)),
    sp_case("gammaln",   "scipy-special",         "gammaln",   gamma_domain(3, 4)),
    sp_case("digamma",   "scipy-special",         "digamma",   gamma_domain(3, 4)),
    sp_case("digamma",   "scipy-special-psi",     "psi",       gamma_domain(4)),
    sp_case("polygamma", "scipy-special-n2",      "polygamma", gamma_domain(3, 4), params=(2,)),
    sp_case("sigmoid",   "scipy-special-expit",   "expit",     normal(3, 4)),
    sp_case("sinc",      "scipy-special",         "sinc",      normal(4)),
    # left of 0, between the poles: Gamma, 1 / Gamma and log|Gamma|, the sign alternating
    sp_case("gamma",     "negative",              "gamma",     gamma_negative(4)),
    sp_case("rgamma",    "negative",              "rgamma",    gamma_negative(4)),
    sp_case("gammaln",   "scipy-special-negative", "gammaln",  gamma_negative(4)),
    sp_case("log_ndtr",  "far-left",              "log_ndtr",  far_left(4)),
    # differentiated in x only: the parameters are constants
    sp_case("betainc",   "scalar-params",         "betainc",   probability(3, 4), params=(2.5, 1.5)),
    sp_case("betainc",   "broadcast-params",      "betainc",   probability(3, 4), params=(SHAPE_A, SHAPE_B)),
    sp_case("betainc",   "a-one",                 "betainc",   probability(4), params=(1.0, 3.0)),
    # SciPy's gammainc of a Python number and a float32 array is float64
    sp_case("gammainc",  "scalar-a",              "gammainc",  positive(3, 4), params=(1.5,), f32_out=np.float64),
    sp_case("gammainc",  "broadcast-a",           "gammainc",  positive(3, 4), params=(SHAPE_B,)),
    sp_case("gammaincc", "scalar-a",              "gammaincc", positive(3, 4), params=(2.5,), f32_out=np.float64),
    sp_case("gammaincc", "broadcast-a",           "gammaincc", positive(3, 4), params=(SHAPE_A,)),
    sp_case("iv",        "order-1.5",             "iv",        positive(3, 4), params=(1.5,)),
    sp_case("iv",        "broadcast-orders",      "iv",        positive(3, 4), params=(ORDERS,)),
    sp_case("ive",       "order-0.5",             "ive",       positive(3, 4), params=(0.5,)),
    sp_case("ive",       "integer-orders-negative-z", "ive",   away(3, 4), params=(np.array([0.0, 1.0, 2.0, 3.0]),)),
    sp_case("jv",        "order-2.5",             "jv",        positive(3, 4), params=(2.5,)),
    sp_case("jv",        "broadcast-orders",      "jv",        positive(3, 4), params=(ORDERS,)),
    sp_case("yv",        "order-1.2",             "yv",        positive(3, 4), params=(1.2,)),
    sp_case("yv",        "broadcast-orders",      "yv",        positive(3, 4), params=(ORDERS,)),
    sp_case("jv",        "jn-order-3",            "jn",        normal(3, 4), params=(3,)),  # jn is jv
    # yn's order is an integer: a Python int gives float64 for a float32 x, as in SciPy
    sp_case("yn",        "order-2",               "yn",        positive(3, 4), params=(2,), f32_out=np.float64),
    sp_case("yn",        "broadcast-orders",      "yn",        positive(3, 4), params=(np.array([0.0, 1.0, -2.0, 3.0]),)),
    sp_case("kv",        "order-0.7",             "kv",        positive(3, 4), params=(0.7,)),
    sp_case("kv",        "broadcast-orders",      "kv",        positive(3, 4), params=(ORDERS,)),
    # logsumexp's weighted terms, a weight exactly 0 among them (its derivative in b: exp(a - result))
    case("xexpy", "logsumexp-weights", lambda a, b: special.logsumexp(a, b=b), normal(3, 4), with_zeros(positive(3, 4), 2),
         calls=("scipy.special.logsumexp",)),
    case("xexpy", "logsumexp-weights-axis-1", lambda a, b: special.logsumexp(a, axis=-1, b=b), normal(3, 4), positive(4),
         calls=("scipy.special.logsumexp",)),
]
PRIMITIVE_CASES += SPECIAL_CASES


def mixed_weights(rng: np.random.Generator) -> tuple:
    """(a, b) with weights of both signs whose weighted sum of exp(a) is positive along the last axis."""
    a = rng.uniform(-0.5, 0.5, (3, 4))
    b = rng.uniform(0.5, 1.5, (3, 4)) * np.array([1.0, -0.1, 1.0, -0.1])  # at most 0.49 against at least 0.61
    return a, b


def lse(**kwargs) -> Callable:
    """lambda a, b=None: special.logsumexp(a, b=b, **kwargs)."""
    return lambda a, b=None: special.logsumexp(a, b=b, **kwargs)


COMPOSITE_CASES += [
    case("scipy.special.logsumexp", "all",             lse(),                               normal(3, 4)),
    case("scipy.special.logsumexp", "axis0-keepdims",  lse(axis=0, keepdims=True),          normal(3, 4)),
    case("scipy.special.logsumexp", "scalar",          lse(),                               normal()),
    case("scipy.special.logsumexp", "b-constant-row",  lambda a: special.logsumexp(a, axis=1, b=SHAPE_B.astype(a.dtype)), normal(3, 4)),
    case("scipy.special.logsumexp", "b-axes-3d",       lse(axis=(0, 2)),                    normal(2, 3, 2), positive(2, 1, 2)),
    case("scipy.special.logsumexp", "b-keepdims",      lse(axis=-1, keepdims=True),         normal(3, 4), positive(3, 4)),
    case("scipy.special.logsumexp", "b-mixed-signs",   lse(axis=-1),                        joint=mixed_weights),
    case("scipy.special.logsumexp", "return-sign",     lse(axis=-1, return_sign=True),      joint=mixed_weights),
    case("scipy.special.logsumexp", "return-sign-negative", lse(axis=0, return_sign=True),  normal(3, 4), lambda rng: -rng.uniform(0.5, 1.5, (3, 4))),
    case("scipy.special.logsumexp", "return-sign-no-b", lambda a: special.logsumexp(a, return_sign=True)[0], normal(3, 4)),
    case("scipy.special.multigammaln", "d1",           lambda a: special.multigammaln(a, 1), gamma_domain(3, 4)),
    case("scipy.special.multigammaln", "d3-vector",    lambda a: special.multigammaln(a + 1.0, 3), gamma_domain(4)),
    case("scipy.special.multigammaln", "d2-scalar",    lambda a: special.multigammaln(a + 0.5, 2), gamma_domain()),
]

# --- tinytorch.scipy.stats ---------------------------------------------------------------------
# One namespace per distribution: "scipy.stats.norm.logpdf" in `calls` and as targets. Inputs
# stay inside the support, far from its edges; a parameter not differentiated (a cdf's shape
# parameter, poisson's k) is a constant of the case, a Python number or cast to the input's dtype.

dof = _domain(lambda rng, s: rng.uniform(1.5, 12.0, s))  # t's df: lgamma's range of its constant
dof_large = _domain(lambda rng, s: rng.uniform(25.0, 60.0, s))  # ... and its asymptotic series
above_support = _domain(lambda rng, s: rng.uniform(0.6, 3.0, s))  # chi2, gamma: (x - loc) / scale >= 0.2
small_loc = _domain(lambda rng, s: rng.uniform(-0.3, 0.2, s))
beta_loc = _domain(lambda rng, s: rng.uniform(-0.05, 0.0, s))  # beta: (x - loc) / scale in (0.08, 0.95)
beta_scale = _domain(lambda rng, s: rng.uniform(1.0, 1.2, s))
COUNTS = np.array([[0.0], [2.0], [5.0]])  # poisson's k, broadcast against mu


def simplex(k: int, *points: int) -> Gen:
    """The first k - 1 components of Dirichlet(2, ..., 2) draws (k, *points): the last is 1 - their sum."""
    return lambda rng: np.moveaxis(rng.dirichlet(np.full(k, 2.0), points), -1, 0)[: k - 1].copy()  # C order


def st_case(name: str, variant: str, fn: Callable, *gens: Gen, **opts) -> Case:
    return case(f"scipy.stats.{name}", variant, fn, *gens, calls=(f"scipy.stats.{name}",), **opts)


STATS_CASES = [
    st_case("norm.logpdf",   "x-loc-scale",        lambda x, m, s: stats.norm.logpdf(x, m, s),           normal(3, 4), normal(4), positive(3, 1)),
    st_case("norm.pdf",      "x-loc-scale",        lambda x, m, s: stats.norm.pdf(x, m, s),              normal(3, 4), normal(), positive(4)),
    st_case("norm.cdf",      "x-loc-scale",        lambda x, m, s: stats.norm.cdf(x, m, s),              normal(3, 4), normal(4), positive()),
    st_case("norm.logcdf",   "x-loc-scale",        lambda x, m, s: stats.norm.logcdf(x, m, s),           normal(3, 4), normal(3, 1), positive(4)),
    st_case("norm.logcdf",   "far-left",           lambda x: stats.norm.logcdf(x),                       far_left(4)),
    st_case("norm.sf",       "x-loc-scale",        lambda x, m, s: stats.norm.sf(x, m, s),               normal(3, 4), normal(4), positive()),
    st_case("norm.logsf",    "x-loc-scale",        lambda x, m, s: stats.norm.logsf(x, m, s),            normal(3, 4), normal(), positive(3, 1)),
    st_case("norm.ppf",      "q-loc-scale",        lambda q, m, s: stats.norm.ppf(q, m, s),              probability(3, 4), normal(4), positive()),
    st_case("t.logpdf",      "x-df-loc-scale",     lambda x, d, m, s: stats.t.logpdf(x, d, m, s),        normal(3, 4), dof(4), normal(3, 1), positive()),
    st_case("t.logpdf",      "large-df",           lambda x, d: stats.t.logpdf(x, d),                    normal(3, 4), dof_large(4)),
    st_case("t.pdf",         "x-df-loc-scale",     lambda x, d, m, s: stats.t.pdf(x, d, m, s),           normal(3, 4), dof(3, 1), normal(), positive(4)),
    st_case("t.cdf",         "x-loc-scale",        lambda x, m, s: stats.t.cdf(x, 3.5, m, s),            normal(3, 4), normal(4), positive(3, 1)),
    st_case("t.cdf",         "broadcast-df",       lambda x: stats.t.cdf(x, SHAPE_B.astype(x.dtype)),    normal(3, 4)),
    st_case("t.logcdf",      "x-loc-scale",        lambda x, m, s: stats.t.logcdf(x, 2.5, m, s),         normal(3, 4), normal(), positive(4)),
    st_case("chi2.logpdf",   "x-df-loc-scale",     lambda x, d, m, s: stats.chi2.logpdf(x, d, m, s),     above_support(3, 4), gamma_domain(4), small_loc(), positive(3, 1)),
    st_case("chi2.pdf",      "x-df",               lambda x, d: stats.chi2.pdf(x, d),                    above_support(3, 4), gamma_domain(3, 1)),
    st_case("chi2.cdf",      "x-loc-scale",        lambda x, m, s: stats.chi2.cdf(x, 3.0, m, s),         above_support(3, 4), small_loc(4), positive()),
    st_case("gamma.logpdf",  "x-a-loc-scale",      lambda x, a, m, s: stats.gamma.logpdf(x, a, m, s),    above_support(3, 4), gamma_domain(3, 1), small_loc(4), positive()),
    st_case("gamma.pdf",     "x-a-scale",          lambda x, a, s: stats.gamma.pdf(x, a, scale=s),       above_support(3, 4), gamma_domain(4), positive(3, 1)),
    st_case("gamma.cdf",     "x-loc-scale",        lambda x, m, s: stats.gamma.cdf(x, 2.5, m, s),        above_support(3, 4), small_loc(), positive(4)),
    st_case("gamma.cdf",     "broadcast-a",        lambda x: stats.gamma.cdf(x, SHAPE_A.astype(x.dtype)), above_support(3, 4)),
    st_case("beta.logpdf",   "x-a-b-loc-scale",    lambda x, a, b, m, s: stats.beta.logpdf(x, a, b, m, s), probability(3, 4), gamma_domain(4), gamma_domain(3, 1), beta_loc(), beta_scale()),
    st_case("beta.pdf",      "x-a-b",              lambda x, a, b: stats.beta.pdf(x, a, b),              probability(3, 4), gamma_domain(3, 1), gamma_domain(4)),
    st_case("beta.cdf",      "x-loc-scale",        lambda x, m, s: stats.beta.cdf(x, 2.5, 1.5, m, s),    probability(3, 4), beta_loc(4), beta_scale()),
    st_case("beta.cdf",      "broadcast-a-b",      lambda x: stats.beta.cdf(x, SHAPE_A.astype(x.dtype), SHAPE_B.astype(x.dtype)), probability(3, 4)),
    st_case("poisson.logpmf", "mu",                lambda mu: stats.poisson.logpmf(COUNTS.astype(mu.dtype), mu), positive(4)),
    st_case("poisson.pmf",   "mu-loc",             lambda mu: stats.poisson.pmf(COUNTS.astype(mu.dtype), mu, 1.0), above1(4)),
    st_case("poisson.cdf",   "mu",                 lambda mu: stats.poisson.cdf(COUNTS.astype(mu.dtype) + 0.5, mu), positive(3, 4)),
    st_case("dirichlet.logpdf", "one-point",       lambda x, a: stats.dirichlet.logpdf(x, a),            simplex(3), gamma_domain(3)),
    st_case("dirichlet.logpdf", "points",          lambda x, a: stats.dirichlet.logpdf(x, a),            simplex(4, 3), gamma_domain(4)),
    st_case("dirichlet.pdf", "points",             lambda x, a: stats.dirichlet.pdf(x, a),               simplex(3, 2), gamma_domain(3)),
    st_case("multivariate_normal.logpdf", "points-mean-cov", lambda x, m, c: stats.multivariate_normal.logpdf(x, m, c), normal(4, 3), normal(3), spd(3)),
    st_case("multivariate_normal.logpdf", "one-point-default-mean", lambda x, c: stats.multivariate_normal.logpdf(x, cov=c), normal(3), spd(3)),
    st_case("multivariate_normal.logpdf", "variances", lambda x, m, v: stats.multivariate_normal.logpdf(x, m, v), normal(2, 3), normal(3), positive(3)),
    st_case("multivariate_normal.pdf", "scalar-cov", lambda x, m, c: stats.multivariate_normal.pdf(x, m, c), normal(2, 2), normal(2), positive()),
    st_case("multivariate_normal.pdf", "dimension-1", lambda x, m, c: stats.multivariate_normal.pdf(x, m, c), normal(3), normal(), positive()),
    st_case("multivariate_normal.entropy", "cov",  lambda c: stats.multivariate_normal.entropy(cov=c),      spd(3)),
    st_case("multivariate_normal.entropy", "mean-variances", lambda m, v: stats.multivariate_normal.entropy(m, v), normal(3), positive(3)),
    st_case("multivariate_normal.entropy", "scalar-cov", lambda c: stats.multivariate_normal.entropy(None, c), positive()),
]
COMPOSITE_CASES += STATS_CASES

# --- tt.fft ------------------------------------------------------------------------------------
# Its functions are named "fft.<name>" in `calls`. A transform with complex output is checked
# through its real and imaginary parts (`parts`), as every case's output is real; its inputs are
# real here and complex in test_complex_table.py (where rfft and ihfft, like NumPy's, refuse
# them). irfft and hfft take any input: NumPy ignores the imaginary parts of its end terms.


def parts(z):
    """A complex array as the pair (real part, imaginary part)."""
    return tt.real(z), tt.imag(z)


PRIMITIVE_CASES += [
    case("fftn",  "fft-vector",              lambda x: parts(tt.fft.fft(x)),                                   normal(5), calls=("fft.fft", "real", "imag")),
    case("fftn",  "fft-axis0-n-padded",      lambda x: parts(tt.fft.fft(x, 5, axis=0)),                        normal(3, 4), calls=("fft.fft",)),
    case("fftn",  "fft-n-cropped-ortho",     lambda x: parts(tt.fft.fft(x, 3, norm="ortho")),                  normal(2, 5), calls=("fft.fft",)),
    case("fftn",  "fft-norm-forward",        lambda x: parts(tt.fft.fft(x, norm="forward")),                   normal(4), calls=("fft.fft",)),
    case("fftn",  "fft-norm-backward",       lambda x: parts(tt.fft.fft(x, axis=-2, norm="backward")),         normal(3, 2), calls=("fft.fft",)),
    case("fftn",  "ifft-matrix",             lambda x: parts(tt.fft.ifft(x)),                                  normal(3, 4), calls=("fft.ifft",)),
    case("fftn",  "ifft-n-padded-ortho",     lambda x: parts(tt.fft.ifft(x, 6, norm="ortho")),                 normal(4), calls=("fft.ifft",)),
    case("fftn",  "ifft-axis0-n-cropped-forward", lambda x: parts(tt.fft.ifft(x, 2, axis=0, norm="forward")), normal(3, 4), calls=("fft.ifft",)),
    case("fftn",  "fft2",                    lambda x: parts(tt.fft.fft2(x)),                                  normal(3, 4), calls=("fft.fft2",)),
    case("fftn",  "fft2-s-axes",             lambda x: parts(tt.fft.fft2(x, s=(4, 2), axes=(0, 2))),           normal(3, 2, 3), calls=("fft.fft2",)),
    case("fftn",  "fft2-ortho",              lambda x: parts(tt.fft.fft2(x, norm="ortho")),                    normal(2, 3, 2), calls=("fft.fft2",)),
    case("fftn",  "ifft2",                   lambda x: parts(tt.fft.ifft2(x)),                                 normal(3, 4), calls=("fft.ifft2",)),
    case("fftn",  "ifft2-s-forward",         lambda x: parts(tt.fft.ifft2(x, s=(2, 5), norm="forward")),       normal(3, 4), calls=("fft.ifft2",)),
    case("fftn",  "fftn-all-axes",           lambda x: parts(tt.fft.fftn(x)),                                  normal(2, 3, 2), calls=("fft.fftn",)),
    case("fftn",  "fftn-s-axes",             lambda x: parts(tt.fft.fftn(x, s=(3, 4), axes=(2, 0))),           normal(2, 3, 3), calls=("fft.fftn",)),
    case("fftn",  "fftn-s-minus-1-ortho",    lambda x: parts(tt.fft.fftn(x, s=(-1, 5), axes=(0, 1), norm="ortho")), normal(3, 4), calls=("fft.fftn",)),
    case("fftn",  "fftn-repeated-axis",      lambda x: parts(tt.fft.fftn(x, s=(5, 3), axes=(1, 1))),           normal(2, 4), calls=("fft.fftn",)),
    case("fftn",  "ifftn",                   lambda x: parts(tt.fft.ifftn(x)),                                 normal(2, 3, 2), calls=("fft.ifftn",)),
    case("fftn",  "ifftn-s-axes-ortho",      lambda x: parts(tt.fft.ifftn(x, s=(2, 4), axes=(-1, 0), norm="ortho")), normal(3, 3), calls=("fft.ifftn",)),
    case("rfft",  "vector-even",             lambda x: parts(tt.fft.rfft(x)),                                  normal(6), calls=("fft.rfft",)),
    case("rfft",  "vector-odd",              lambda x: parts(tt.fft.rfft(x)),                                  normal(5), calls=("fft.rfft",)),
    case("rfft",  "axis0-n-padded",          lambda x: parts(tt.fft.rfft(x, 5, axis=0)),                       normal(3, 4), calls=("fft.rfft",)),
    case("rfft",  "n-cropped-ortho",         lambda x: parts(tt.fft.rfft(x, 4, norm="ortho")),                 normal(2, 5), calls=("fft.rfft",)),
    case("rfft",  "norm-forward",            lambda x: parts(tt.fft.rfft(x, norm="forward")),                  normal(2, 3), calls=("fft.rfft",)),
    case("rfft",  "ihfft",                   lambda x: parts(tt.fft.ihfft(x)),                                 normal(5), calls=("fft.ihfft",)),
    case("rfft",  "ihfft-n-ortho",           lambda x: parts(tt.fft.ihfft(x, 4, norm="ortho")),                normal(2, 3), calls=("fft.ihfft",)),
    case("rfft",  "ihfft-axis0-forward",     lambda x: parts(tt.fft.ihfft(x, axis=0, norm="forward")),         normal(4, 2), calls=("fft.ihfft",)),
    case("rfft",  "rfft2",                   lambda x: parts(tt.fft.rfft2(x)),                                 normal(3, 4), calls=("fft.rfft2",)),
    case("rfft",  "rfft2-s-axes-ortho",      lambda x: parts(tt.fft.rfft2(x, s=(2, 5), axes=(0, 2), norm="ortho")), normal(3, 2, 4), calls=("fft.rfft2",)),
    case("rfft",  "rfftn",                   lambda x: parts(tt.fft.rfftn(x)),                                 normal(2, 3, 3), calls=("fft.rfftn",)),
    case("rfft",  "rfftn-s-axes-forward",    lambda x: parts(tt.fft.rfftn(x, s=(3, -1), axes=(1, 0), norm="forward")), normal(3, 2), calls=("fft.rfftn",)),
    case("rfft",  "rfftn-repeated-axis",     lambda x: parts(tt.fft.rfftn(x, s=(4, 3), axes=(0, 0))),          normal(5, 2), calls=("fft.rfftn",)),
    case("irfft", "vector",                  lambda x: tt.fft.irfft(x),                                        normal(5), calls=("fft.irfft",)),
    case("irfft", "n-odd",                   lambda x: tt.fft.irfft(x, 5),                                     normal(3), calls=("fft.irfft",)),
    case("irfft", "n-cropped-axis0",         lambda x: tt.fft.irfft(x, 4, axis=0),                             normal(4, 2), calls=("fft.irfft",)),
    case("irfft", "n-padded-ortho",          lambda x: tt.fft.irfft(x, 9, norm="ortho"),                       normal(2, 3), calls=("fft.irfft",)),
    case("irfft", "norm-forward",            lambda x: tt.fft.irfft(x, norm="forward"),                        normal(4), calls=("fft.irfft",)),
    case("irfft", "hfft",                    lambda x: tt.fft.hfft(x),                                         normal(4), calls=("fft.hfft",)),
    case("irfft", "hfft-n-odd-ortho",        lambda x: tt.fft.hfft(x, 5, norm="ortho"),                        normal(2, 3), calls=("fft.hfft",)),
    case("irfft", "hfft-axis0-forward",      lambda x: tt.fft.hfft(x, axis=0, norm="forward"),                 normal(3, 2), calls=("fft.hfft",)),
    case("irfft", "irfft2",                  lambda x: tt.fft.irfft2(x),                                       normal(3, 3), calls=("fft.irfft2",)),
    case("irfft", "irfft2-s-forward",        lambda x: tt.fft.irfft2(x, s=(4, 5), norm="forward"),             normal(3, 3), calls=("fft.irfft2",)),
    case("irfft", "irfftn",                  lambda x: tt.fft.irfftn(x),                                       normal(2, 3, 3), calls=("fft.irfftn",)),
    case("irfft", "irfftn-s-axes-ortho",     lambda x: tt.fft.irfftn(x, s=(3, 4), axes=(2, 0), norm="ortho"),  normal(2, 3, 3), calls=("fft.irfftn",)),
]
COMPOSITE_CASES += [
    case("fft.fftshift",  "all-axes",        lambda x: tt.fft.fftshift(x),                                     normal(3, 4), calls=("fft.fftshift",)),
    case("fft.fftshift",  "axes-int",        lambda x: tt.fft.fftshift(x, axes=1),                             normal(3, 5), calls=("fft.fftshift",)),
    case("fft.ifftshift", "all-axes",        lambda x: tt.fft.ifftshift(x),                                    normal(3, 5), calls=("fft.ifftshift",)),
    case("fft.ifftshift", "axes-tuple",      lambda x: tt.fft.ifftshift(x, axes=(0,)),                         normal(5, 2), calls=("fft.ifftshift",)),
    case("fft.fftshift",  "of-fft",          lambda x: parts(tt.fft.fftshift(tt.fft.fft(x))),                  normal(5), calls=("fft.fftshift", "fft.fft")),
]

# --- complex numbers ---------------------------------------------------------------------------
# The parts of a complex number, on real inputs here like every case of the table;
# tests/autograd/test_complex_table.py runs every case of ALL_CASES on complex inputs too.
PRIMITIVE_CASES += [
    case("real",      "of-real",                lambda x: tt.real(x),                       normal(3, 4)),
    case("imag",      "of-real",                lambda x: tt.imag(x),                       normal(3, 4)),
    case("conjugate", "of-real",                lambda x: tt.conjugate(x),                  normal(3, 4)),
    case("conjugate", "conj-of-real",           lambda x: tt.conj(x),                       normal(4), calls=("conj",)),
]


def complex_normal(*shape: int) -> Gen:
    return lambda rng: rng.standard_normal(shape) + 1j * rng.standard_normal(shape)


def complex_away(*shape: int) -> Gen:  # |z| in [0.3, 2]: away from the kink of abs at 0
    return lambda rng: rng.uniform(0.3, 2.0, shape) * np.exp(1j * rng.uniform(-np.pi, np.pi, shape))


# Functions that matter on complex inputs: complex in, or real in and complex out. Not in ALL_CASES
# (whose inputs are real); test_complex_table.py checks them, and they count as coverage here.
COMPLEX_CASES = [
    case("real",      "of-complex",             lambda z: tt.real(z),                       complex_normal(3, 4)),
    case("real",      "property",               lambda z: tt.array(z).real,                 complex_normal(4), calls=("array",)),
    case("imag",      "of-complex",             lambda z: tt.imag(z),                       complex_normal(3, 4)),
    case("imag",      "property",               lambda z: tt.array(z).imag,                 complex_normal(4), calls=("array",)),
    case("conjugate", "of-complex",             lambda z: tt.conjugate(z),                  complex_normal(3, 4)),
    case("conjugate", "method",                 lambda z: tt.array(z).conj() * z,           complex_normal(4), calls=("array",)),
    case("absolute",  "of-complex",             lambda z: tt.abs(z),                        complex_away(3, 4), calls=("abs",)),
    case("angle",     "of-complex",             lambda z: tt.angle(z),                      complex_away(3, 4)),
    case("angle",     "degrees",                lambda z: tt.angle(z, deg=True),            complex_away(4)),
    case("sign",      "of-complex",             lambda z: tt.sign(z),                       complex_away(4)),
    case("real_if_close", "close",              lambda z: tt.real_if_close(z + 0j * z),     normal(4)),
    case("real_if_close", "not-close",          lambda z: tt.real_if_close(z),              complex_normal(4)),
    case("multiply",  "real-times-complex",     lambda x: x * (1.0 + 2.0j),                 normal(3)),
    case("multiply",  "real-times-complex-array", lambda x, z: x * z,                       normal(3, 1), complex_normal(4)),
    case("exp",       "of-imaginary",           lambda x: tt.exp(1j * x),                   normal(4)),
    case("astype",    "real-to-complex",        lambda x: tt.astype(x, np.complex128) ** 2, normal(4)),
    case("var",       "of-complex",             lambda z: tt.var(z, axis=0),                complex_normal(3, 2)),
    case("std",       "of-complex",             lambda z: tt.std(z),                        complex_normal(5)),
    case("mean",      "of-complex",             lambda z: tt.mean(z, axis=1),               complex_normal(2, 3)),
    case("vdot",      "of-complex",             lambda a, b: tt.vdot(a, b),                 complex_normal(2, 2), complex_normal(2, 2)),
    case("dot",       "of-complex",             lambda a, b: tt.dot(a, b),                  complex_normal(2, 3), complex_normal(3)),
    case("einsum",    "cast-to-complex",        lambda a, b: tt.einsum("ij,j->i", a, b, dtype=np.complex128), normal(2, 3), normal(3)),
    case("linalg.norm", "of-complex",           lambda z: tt.linalg.norm(z),                complex_normal(5)),
    case("sqrt",      "holomorphic-chain",      lambda z: tt.log(z) * tt.sqrt(z) / (1.0 + z * z), lambda rng: rng.uniform(0.5, 2, 4) + 0.5j * rng.standard_normal(4)),
]

ALL_CASES = PRIMITIVE_CASES + COMPOSITE_CASES

# The public composites that must each have cases of their own.
REQUIRED_COMPOSITES = [
    "mean", "var", "std", "prod", "dot", "vdot", "inner", "outer", "tensordot", "trace", "diag",
    "diagonal", "stack", "hstack", "vstack", "split", "array_split", "tile", "repeat", "take",
    "take_along_axis", "sort", "pad", "cumsum", "roll", "expand_dims", "squeeze", "moveaxis",
    "swapaxes", "ravel", "flip", "fliplr", "flipud", "atleast_1d", "atleast_2d", "clip", "where",
    "index_update", "array", "asarray", "softmax", "log_softmax", "logsumexp", "astype",
    "atleast_3d", "column_stack", "dstack", "append", "vsplit", "hsplit", "dsplit", "rot90", "diff", "kron",
    "cross", "rollaxis", "select", "nan_to_num", "gradient",
]
# Variants the brief asks for by name, as case ids.
REQUIRED_VARIANTS = [
    "pad-constant", "pad-edge", "pad-reflect", "pad-symmetric", "pad-wrap", "cumsum-axis-none-3d",
    "roll-axis-none", "clip-array-bounds", "softmax-axis0", "softmax-axis-none", "log_softmax-axis0",
    "log_softmax-axis-none", "logsumexp-axis0", "logsumexp-all",
]

# --- what has no derivative to check -------------------------------------------------------

X = np.array([[0.4, -1.3, 2.5, 0.0], [1.5, -0.5, 3.2, -2.7], [0.9, 1.1, -0.2, 0.6]])
Y = np.array([[0.4, 1.3, -2.5, 1.0], [1.5, 0.5, 3.2, -2.6], [-0.9, 1.1, 0.2, 0.6]])

# Non-differentiable functions of tt, each with a call on (x, y) shaped like X and Y: given
# Duals or Variables they must return plain values, equal to NumPy's on the plain arrays.
NONDIFFERENTIABLE_CALLS = {
    "sign": lambda x, y: tt.sign(x),
    "scipy.special.gammasgn": lambda x, y: special.gammasgn(x),
    "floor": lambda x, y: tt.floor(x),
    "ceil": lambda x, y: tt.ceil(x),
    "trunc": lambda x, y: tt.trunc(x),
    "rint": lambda x, y: tt.rint(x),
    "round": lambda x, y: tt.round(x),
    "around": lambda x, y: tt.around(x),
    "fix": lambda x, y: tt.fix(x),
    "floor_divide": lambda x, y: tt.floor_divide(x, y),
    "equal": lambda x, y: tt.equal(x, y),
    "not_equal": lambda x, y: tt.not_equal(x, y),
    "less": lambda x, y: tt.less(x, y),
    "less_equal": lambda x, y: tt.less_equal(x, y),
    "greater": lambda x, y: tt.greater(x, y),
    "greater_equal": lambda x, y: tt.greater_equal(x, y),
    "logical_and": lambda x, y: tt.logical_and(x, y),
    "logical_or": lambda x, y: tt.logical_or(x, y),
    "logical_not": lambda x, y: tt.logical_not(x),
    "logical_xor": lambda x, y: tt.logical_xor(x, y),
    "isnan": lambda x, y: tt.isnan(x),
    "isinf": lambda x, y: tt.isinf(x),
    "isfinite": lambda x, y: tt.isfinite(x),
    "signbit": lambda x, y: tt.signbit(x),
    "isclose": lambda x, y: tt.isclose(x, y),
    "allclose": lambda x, y: tt.allclose(x, y),
    "array_equal": lambda x, y: tt.array_equal(x, y),
    "heaviside": lambda x, y: tt.heaviside(x, y),
    "argmax": lambda x, y: tt.argmax(x, axis=0),
    "argmin": lambda x, y: tt.argmin(x),
    "argsort": lambda x, y: tt.argsort(x, axis=-1),
    "argpartition": lambda x, y: tt.argpartition(x, 1, axis=-1),
    "count_nonzero": lambda x, y: tt.count_nonzero(x),
    "any": lambda x, y: tt.any(x > 0, axis=1),
    "all": lambda x, y: tt.all(x > -3),
    "zeros_like": lambda x, y: tt.zeros_like(x),
    "ones_like": lambda x, y: tt.ones_like(x),
    "empty_like": lambda x, y: tt.empty_like(x).shape,  # contents undefined: compare the shape
    "shape": lambda x, y: tt.shape(x),
    "ndim": lambda x, y: tt.ndim(x),
    "size": lambda x, y: tt.size(x),
    "result_type": lambda x, y: tt.result_type(x, y),
    "iscomplex": lambda x, y: tt.iscomplex(x + 1j * y),
    "isreal": lambda x, y: tt.isreal(x + 0j),
    "iscomplexobj": lambda x, y: tt.iscomplexobj(x),
    "isrealobj": lambda x, y: tt.isrealobj(x),
}

# Constructors: NumPy's own, with no differentiable input.
CONSTRUCTOR_CALLS = {
    "zeros": lambda: tt.zeros((2, 3)),
    "ones": lambda: tt.ones(3),
    "empty": lambda: tt.empty(3).shape,
    "full": lambda: tt.full((2, 2), 1.5),
    "arange": lambda: tt.arange(5),
    "logspace": lambda: tt.logspace(0.0, 1.0, 4),
    "geomspace": lambda: tt.geomspace(1.0, 8.0, 4),
    "eye": lambda: tt.eye(3, k=1),
    "identity": lambda: tt.identity(2),
    "tri": lambda: tt.tri(3),
    "indices": lambda: tt.indices((2, 3)),
}
CONSTRUCTOR_CALLS.update({"fft.fftfreq": lambda: tt.fft.fftfreq(8, d=0.5), "fft.rfftfreq": lambda: tt.fft.rfftfreq(7)})

# Callables in tt's namespace that are not functions of arrays (none today).
NOT_FUNCTIONS: set[str] = set()
