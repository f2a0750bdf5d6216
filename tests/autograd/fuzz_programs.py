"""Random differentiable programs over tinytorch's primitive table, for test_fuzz.py.

A program is one expression in the public `tt` API over inputs x0, x1, ... with
entries in [-INPUT_RANGE, INPUT_RANGE], built top-down from the shape each node
must have (fuzz_ops.py, fuzz_arrays.py and fuzz_products.py hold the ops). Every node carries an interval holding
its values for all inputs in that box; an operand that could leave its op's
domain, or grow large, first goes through a smooth map (square(c) + 0.5 before
a log, a sign pattern times (1 + c) before abs, distinct offsets before max or
sort, 2 I + c before inv), so no program comes near a pole, kink, tie or branch
cut, whatever its inputs, by far more than any finite-difference step.
"""

from __future__ import annotations

import math
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from hypothesis import strategies as st

import tinytorch as tt
from tinytorch.scipy import special

INPUT_RANGE = 1.5
BOX = 1.6  # the input range plus room for finite-difference steps
MAG = 3.0  # operands of unrestricted ops are rescaled to at most this magnitude
MAX_SIZE = 48  # an operand with more entries gets elementwise ops only
MAX_INPUTS = 4
MAX_INPUT_ENTRIES = 32  # all inputs together: the cost of finite differences
MAX_NODES = 24


@dataclass(frozen=True)
class Expr:
    """Source text of a subexpression, its shape, and bounds on its values: all in
    [lo, hi] and, when gap > 0, none in (-gap, gap)."""

    text: str
    shape: tuple[int, ...]
    lo: float
    hi: float
    gap: float = 0.0

    @property
    def mag(self) -> float:
        return max(-self.lo, self.hi)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def constant(self) -> bool:
        """No input in it: a plain array even while differentiating."""
        return re.search(r"\bx\d", self.text) is None


def lit(a: np.ndarray) -> str:
    """An array as NumPy source text."""
    return f"np.array({np.asarray(a).tolist()!r})"


def num(x: float) -> str:
    return repr(float(x))


def samples(e: Expr, n: int) -> np.ndarray:
    if e.gap > 0 and e.lo < -e.gap and e.hi > e.gap:
        return np.concatenate([np.linspace(e.lo, -e.gap, n // 2), np.linspace(e.gap, e.hi, n // 2)])
    return np.linspace(e.lo, e.hi, n)


def image(fn: Callable, *args: Expr) -> tuple[float, float]:
    """An interval holding the elementwise fn over its arguments' value sets."""
    n = 1025 if len(args) == 1 else 65 if len(args) == 2 else 17
    grids = np.meshgrid(*[samples(a, n) for a in args], indexing="ij")
    values = np.asarray(fn(*grids), dtype=np.float64)
    assert np.isfinite(values).all(), f"{fn} leaves its domain on the operands' intervals"
    pad = 0.01 * (values.max() - values.min()) + 1e-9
    return float(values.min() - pad), float(values.max() + pad)


def _round_down(x: float) -> float:
    """x rounded down to two significant digits (constants that read well)."""
    exponent = math.floor(math.log10(x)) - 1
    c = float(f"{math.floor(x / 10.0**exponent) * 10.0**exponent:.2g}")
    return c if c <= x else float(f"{c - 10.0**exponent:.2g}")


@dataclass
class Builder:
    """The state of one program being drawn: hypothesis draws the structure, a
    NumPy generator seeded by hypothesis the constants (signs, masks, indices)."""

    draw: Callable
    rng: np.random.Generator
    ops: list[Op]
    inputs: list[tuple[int, ...]] = field(default_factory=list)
    nodes: int = 0

    # --- choices --------------------------------------------------------------------

    def pick(self, options):
        return self.draw(st.sampled_from(list(options)))

    def integer(self, lo: int, hi: int) -> int:
        return self.draw(st.integers(lo, hi))

    def coin(self) -> bool:
        return self.draw(st.booleans())

    # --- shapes ----------------------------------------------------------------------

    def shape(self, min_rank: int = 0, max_rank: int = 3) -> tuple[int, ...]:
        dims = [self.integer(1, 4) for _ in range(self.integer(min_rank, max_rank))]
        while math.prod(dims) > MAX_SIZE // 2:
            dims[dims.index(max(dims))] -= 1
        return tuple(dims)

    def reshaped(self, size: int, max_rank: int = 3) -> tuple[int, ...]:
        """A random shape of `size` entries."""
        dims = [1] * self.integer(1, max_rank)
        p, rest = 2, size
        while rest > 1:
            while rest % p:
                p += 1
            dims[self.integer(0, len(dims) - 1)] *= p
            rest //= p
        return tuple(dims)

    def reduced(self, shape: tuple) -> tuple[int, ...]:
        """`shape`, or a shape broadcasting to it (leading axes dropped, axes of size 1)."""
        dims = list(shape)
        if self.coin():
            dims = dims[self.integer(0, len(dims)) :]
            dims = [1 if d > 1 and self.coin() else d for d in dims]
        return tuple(dims)

    def operand_shapes(self, shape: tuple, n: int) -> list[tuple[int, ...]]:
        """n shapes that broadcast together to exactly `shape`."""
        shapes = [list(self.reduced(shape)) for _ in range(n)]
        first = shapes[0]
        for i in range(1, len(shape) + 1):
            if all(len(s) < i or s[-i] != shape[-i] for s in shapes):
                first[:0] = [1] * (i - len(first))
                first[-i] = shape[-i]
        return [tuple(s) for s in shapes]

    # --- expressions -------------------------------------------------------------------

    def expr(self, shape: tuple, depth: int) -> Expr:
        """An expression of `shape` whose longest chain of ops is `depth` long."""
        if depth <= 0 or self.nodes >= MAX_NODES:
            return self.leaf(shape)
        self.nodes += 1
        # a large operand goes on with elementwise math only, whose operands are no larger
        small = math.prod(shape) <= MAX_SIZE
        op = self.pick(
            [o for o in self.ops if o.accepts(shape) and (small or o.family == "math") for _ in range(o.weight)]
        )
        e = op.build(self, shape, depth)
        assert e.shape == shape, f"{op.name} built {e.shape}, wanted {shape}"
        return e

    def operand(self, shape: tuple, depth: int) -> Expr:
        """A further operand: an expression at most `depth` deep."""
        return self.expr(shape, self.integer(0, depth))

    def leaf(self, shape: tuple) -> Expr:
        size = math.prod(shape)
        same = [i for i, s in enumerate(self.inputs) if s == shape]
        used = sum(math.prod(s) for s in self.inputs)
        room = len(self.inputs) < MAX_INPUTS and used + size <= MAX_INPUT_ENTRIES
        if self.inputs and self.integer(0, 9) == 9:  # a constant operand now and then
            values = 0.5 * self.rng.integers(-3, 4, shape)
            return Expr(lit(values), shape, float(values.min()), float(values.max()))
        if same and (not room or self.coin()):
            return Expr(f"x{self.pick(same)}", shape, -BOX, BOX)
        if room:
            self.inputs.append(shape)
            return Expr(f"x{len(self.inputs) - 1}", shape, -BOX, BOX)
        if not self.inputs:
            self.inputs.append((MAX_INPUT_ENTRIES,))
        # no room for another input: the entries of one, cycled to this shape
        j = self.pick(range(len(self.inputs)))
        reps = -(-size // math.prod(self.inputs[j]))
        entries = f"tt.ravel(x{j})" if reps == 1 else f"tt.tile(tt.ravel(x{j}), {reps})"
        return Expr(f"tt.reshape({entries}[:{size}], {shape})", shape, -BOX, BOX)

    # --- smooth maps into a domain --------------------------------------------------------

    def scaled(self, e: Expr, bound: float) -> Expr:
        """e times a constant, so that |e| <= bound."""
        if e.mag <= bound:
            return e
        c = _round_down(bound / e.mag)
        return Expr(f"({e.text} * {num(c)})", e.shape, e.lo * c, e.hi * c, e.gap * c)

    def above(self, e: Expr, low: float) -> Expr:
        """A smooth function of e with values >= low (and below low + 10)."""
        if low <= e.lo and e.hi <= low + 10 and self.coin():
            return e
        kind = self.pick(["square", "exp", "softplus", "sigmoid", "cosh", "hypot"])
        c = self.scaled(e, 2.0 if kind in ("square", "softplus", "sigmoid") else 1.5)
        text, fn = {
            "square": (f"tt.square({c.text})", np.square),
            "exp": (f"tt.exp({c.text})", np.exp),
            "softplus": (f"tt.softplus({c.text})", lambda x: np.logaddexp(x, 0.0)),
            "sigmoid": (f"tt.sigmoid({c.text})", lambda x: 1 / (1 + np.exp(-x))),
            "cosh": (f"tt.cosh({c.text})", np.cosh),
            "hypot": (f"tt.hypot({c.text}, 1.0)", lambda x: np.hypot(x, 1.0)),
        }[kind]
        lo, hi = image(fn, c)
        lo = max(lo, {"square": 0.0, "cosh": 1.0, "hypot": 1.0}.get(kind, lo))
        shift = low - lo
        sign = "+" if shift >= 0 else "-"
        return Expr(f"({text} {sign} {num(abs(shift))})", e.shape, low, hi + shift)

    def signs(self, shape: tuple) -> str:
        """A pattern of +1 and -1 along the last axis of `shape`."""
        if not shape:
            return self.pick(["1.0", "-1.0"])
        return lit(self.rng.choice([-1, 1], shape[-1:]))

    def away(self, e: Expr) -> Expr:
        """A smooth function of e of either sign, with |value| in [0.4, 1.6]."""
        c = self.scaled(e, 0.6)
        return Expr(f"({self.signs(e.shape)} * ({c.text} + 1.0))", e.shape, -1.6, 1.6, gap=0.4)

    def offsets(self, shape: tuple, spacing: float = 0.5, start: float | None = None) -> np.ndarray:
        n = math.prod(shape)
        base = -(n // 2) if start is None else start / spacing
        return spacing * (self.rng.permutation(n).reshape(shape) + base)

    def distinct(self, e: Expr) -> Expr:
        """e squeezed and added to distinct offsets: every two entries differ by >= 0.1."""
        off = self.offsets(e.shape)
        c = self.scaled(e, 0.2)
        return Expr(f"({lit(off)} + {c.text})", e.shape, float(off.min()) - 0.2, float(off.max()) + 0.2)


class Op:
    """An op's builder, for the shapes it accepts (root_shape draws one of them);
    an op of many variants has a weight above 1, to be drawn more often."""

    def __init__(
        self, name: str, family: str, build: Callable, accepts: Callable, root_shape: Callable, weight: int
    ) -> None:
        self.name, self.family, self.build, self.weight = name, family, build, weight
        self.accepts, self.root_shape = accepts, root_shape

    def __repr__(self) -> str:
        return f"<op {self.name}>"


def registry(ops: list[Op]) -> Callable:
    """A decorator `@op(family, accepts, root_shape, weight)` adding an op's builder to `ops`."""

    def op(
        family: str,
        accepts: Callable[[tuple], bool] = lambda s: True,
        root_shape: Callable | None = None,
        weight: int = 1,
    ):
        def register(build: Callable) -> Callable:
            ops.append(Op(build.__name__, family, build, accepts, root_shape or (lambda b: b.shape()), weight))
            return build

        return register

    return op


class Program:
    """A drawn program: its source text, output shape and inputs."""

    def __init__(self, text: str, shape: tuple[int, ...], inputs: tuple[np.ndarray, ...]) -> None:
        self.text, self.shape, self.inputs = text, shape, inputs

    @property
    def fn(self) -> Callable:
        args = ", ".join(f"x{i}" for i in range(len(self.inputs)))
        return eval(f"lambda {args}: {self.text}", {"np": np, "tt": tt, "special": special})

    def __repr__(self) -> str:
        return f"<program {self.text}>"

    def source(self) -> str:
        """Runnable source that rebuilds the program and its inputs."""
        lines = ["import numpy as np", "import tinytorch as tt", "from tinytorch.scipy import special"]
        lines += [f"x{i} = {lit(x)}" for i, x in enumerate(self.inputs)]
        args = ", ".join(f"x{i}" for i in range(len(self.inputs)))
        return "\n".join([*lines, f"f = lambda {args}: {self.text}"])


@st.composite
def programs(draw: Callable, ops: list[Op], family: str) -> Program:
    """Programs of depth 3 to 6 over `ops`, rooted at an op of `family`."""
    seed = [draw(st.integers(0, 2**32 - 1)), zlib.crc32(family.encode())]
    b = Builder(draw, np.random.default_rng(seed), ops)
    root = b.pick([o for o in ops if o.family == family for _ in range(o.weight)])
    shape = root.root_shape(b)
    assert root.accepts(shape), f"{root.name}: root shape {shape}"
    e = root.build(b, shape, draw(st.integers(3, 6)))
    assert e.shape == shape
    xs = tuple(b.rng.uniform(-INPUT_RANGE, INPUT_RANGE, s) for s in b.inputs)
    return Program(e.text, shape, xs)
