"""The fuzzer's products and linear algebra (see fuzz_ops.py): matmul, einsum
with random subscripts, the other contractions, and tt.linalg. Matrices handed
to linear algebra are 2 I + E with |E| small, whose singular values lie in
[1, 3], or (eigh) diag(0, 1.5, 3, ...) + E, whose eigenvalues stay 0.9 apart.
"""

from __future__ import annotations

import math

from fuzz_arrays import operands
from fuzz_ops import MAG, nonzero, reduction, with_np
from fuzz_programs import Builder, Expr, Op, lit, registry

OPS: list[Op] = []
op = registry(OPS)


def symmetric(mag: float, shape: tuple, text: str) -> Expr:
    return Expr(text, shape, -mag, mag)


# --- products ----------------------------------------------------------------------------------


@op("product")
def matmul(b: Builder, shape: tuple, depth: int) -> Expr:
    k = b.integer(1, 4)
    if not shape:
        shapes = [(k,), (k,)]
    elif len(shape) == 1 or b.integer(0, 3) == 0:  # a vector on one side
        shapes = [(k,), shape[:-1] + (k, shape[-1])] if b.coin() else [shape + (k,), (k,)]
    else:
        stacks = b.operand_shapes(shape[:-2], 2)
        shapes = [stacks[0] + (shape[-2], k), stacks[1] + (k, shape[-1])]
    x, y = operands(b, shapes, depth)
    spellings = [f"({x.text} @ {y.text})", *with_np("matmul", f"({x.text}, {y.text})")]
    if max(len(s) for s in shapes) <= 2:
        spellings += with_np("dot", f"({x.text}, {y.text})")
        if not x.constant:  # a plain array's method cannot hand a box to tinytorch
            spellings.append(f"{x.text}.dot({y.text})")
    return symmetric(k * x.mag * y.mag, shape, b.pick(spellings))


@op("product")
def einsum(b: Builder, shape: tuple, depth: int) -> Expr:
    out = "abcdefgh"[: len(shape)]
    sizes = dict(zip(out, shape))
    for letter in "xyz"[: b.integer(0 if shape else 1, max(1, min(2, 4 - len(shape))))]:
        sizes[letter] = b.integer(1, 4)
    letters = list(sizes)
    terms = [[c for c in letters if b.coin()] for _ in range(b.integer(1, 3))]
    for c in letters:
        if not any(c in t for t in terms):
            terms[b.integer(0, len(terms) - 1)].append(c)
    terms = [[t[i] for i in b.rng.permutation(len(t))] if t else [b.pick(letters)] for t in terms]
    if b.integer(0, 3) == 0:  # a repeated subscript: a diagonal of that operand
        t = terms[b.integer(0, len(terms) - 1)]
        if len(t) < 4:
            t.insert(b.integer(0, len(t)), b.pick(t))
    spec = ",".join("".join(t) for t in terms)
    flat = spec.replace(",", "")
    implicit = "".join(sorted(c for c in set(flat) if flat.count(c) == 1))
    spec += "" if implicit == out and b.coin() else "->" + out
    es = operands(b, [tuple(sizes[c] for c in t) for t in terms], depth, bound=2.0)
    summed = math.prod(d for c, d in sizes.items() if c not in out)
    args = ", ".join(e.text for e in es)
    return symmetric(summed * math.prod(e.mag for e in es), shape, b.pick(with_np("einsum", f"({spec!r}, {args})")))


@op("product")
def contraction(b: Builder, shape: tuple, depth: int) -> Expr:
    n = len(shape)
    kind = b.pick(["inner", "tensordot"] + (["outer"] if n == 2 else []) + (["vdot"] if n == 0 else []))
    cut = b.integer(0, n)
    k = b.integer(1, 4)
    if kind == "outer":
        shapes = [b.reshaped(shape[0]), b.reshaped(shape[1])]
    elif kind == "vdot":
        shapes = [b.reshaped(k), b.reshaped(k)]
    elif kind == "inner":
        shapes = [shape[:cut] + (k,), shape[cut:] + (k,)]
    else:
        summed = tuple(b.integer(1, 3) for _ in range(b.integer(0, max(0, min(2, 4 - max(cut, n - cut))))))
        shapes = [shape[:cut] + summed, summed + shape[cut:]]
        k = math.prod(summed)
    x, y = operands(b, shapes, depth)
    args = f"({x.text}, {y.text})"
    if kind == "tensordot":
        axes = len(shapes[0]) - cut
        spelled = f", axes=([{cut}], [0])" if axes == 1 and b.coin() else f", axes={axes}"
        args = args[:-1] + spelled + ")"
    return symmetric(k * x.mag * y.mag, shape, b.pick(with_np(kind, args)))


# --- linear algebra ------------------------------------------------------------------------------


def square_shape(b: Builder) -> tuple:
    n = b.integer(2, 3)
    return b.shape(0, 1) + (n, n)


def is_square(shape: tuple) -> bool:
    return 2 <= len(shape) <= 3 and shape[-1] == shape[-2] and 2 <= shape[-1] <= 4


def conditioned(b: Builder, e: Expr, cols: int, rows: int | None = None) -> str:
    """2 I + E, E scaled to entries <= 1/rows (so |E|_2 <= 1): singular values in [1, 3]."""
    rows = rows or cols
    eye = f"np.eye({cols})" if rows == cols else f"np.eye({rows}, {cols})"
    return f"(2.0 * {eye} + {b.scaled(e, 1.0 / rows).text})"


def linalg(b: Builder, name: str, args: str) -> str:
    return f"{b.pick(['tt', 'np'])}.linalg.{name}({args})"


@op("linalg", accepts=is_square, root_shape=square_shape)
def inv(b: Builder, shape: tuple, depth: int) -> Expr:
    a = conditioned(b, b.expr(shape, depth - 1), shape[-1])
    return symmetric(1.0, shape, linalg(b, "inv", a))


@op("linalg", accepts=is_square, root_shape=square_shape)
def cholesky(b: Builder, shape: tuple, depth: int) -> Expr:
    # reads only the lower triangle of 2 I + E: symmetric there, with eigenvalues in [1, 3]
    a = conditioned(b, b.expr(shape, depth - 1), shape[-1])
    return symmetric(math.sqrt(3.0), shape, linalg(b, "cholesky", a))


def solvable(shape: tuple) -> bool:
    return any(2 <= shape[i] <= 4 for i in range(-min(2, len(shape)), 0)) if 1 <= len(shape) <= 3 else False


@op("linalg", accepts=solvable, root_shape=lambda b: b.shape(0, 2) + (b.integer(2, 3),))
def solve(b: Builder, shape: tuple, depth: int) -> Expr:
    forms = []
    if 2 <= shape[-1] <= 4:  # vector right-hand side, one matrix or a stack
        forms.append((shape[:-1] + (shape[-1],) * 2, shape[-1:]))
    if len(shape) >= 2 and 2 <= shape[-2] <= 4:  # (stacks of) matrix right-hand sides
        stacks = b.operand_shapes(shape[:-2], 2)
        forms.append((stacks[0] + (shape[-2],) * 2, stacks[1] + shape[-2:]))
    sa, sb = b.pick(forms)
    n = sa[-1]
    a = conditioned(b, b.expr(sa, depth - 1), n)
    rhs = b.scaled(b.operand(sb, depth - 1), MAG)
    return symmetric(math.sqrt(n) * rhs.mag, shape, linalg(b, "solve", f"{a}, {rhs.text}"))


@op("linalg", accepts=lambda s: len(s) <= 1, root_shape=lambda b: b.shape(0, 1))
def det(b: Builder, shape: tuple, depth: int) -> Expr:
    n = b.integer(2, 3)
    a = conditioned(b, b.expr(shape + (n, n), depth - 1), n)
    if b.coin():
        return Expr(linalg(b, "det", a), shape, 0.9, 3.0**n + 0.1)
    text = linalg(b, "slogdet", a) + b.pick(["[1]", ".logabsdet"])
    return Expr(text, shape, -0.1, n * math.log(3.0) + 0.1)


@op(
    "linalg",
    accepts=lambda s: 1 <= len(s) <= 3 and 2 <= s[-1] <= 4,
    root_shape=lambda b: b.shape(0, 1) + (b.integer(2, 3),) * b.integer(1, 2),
)
def eigh(b: Builder, shape: tuple, depth: int) -> Expr:
    n = shape[-1]
    vectors = len(shape) >= 2 and shape[-2] == n and b.coin()
    e = b.scaled(b.expr(shape if vectors else shape + (n,), depth - 1), 0.3 / n)
    a = f"(np.diag({[1.5 * i for i in range(n)]}) + {e.text})" + b.pick(["", ", UPLO='U'"])
    if vectors:  # squared: free of the sign LAPACK picks for each eigenvector
        spellings = [f"({linalg(b, 'eigh', a)}[1] ** 2)", f"tt.square({linalg(b, 'eigh', a)}.eigenvectors)"]
        return Expr(b.pick(spellings), shape, 0.0, 1.0)
    spellings = [linalg(b, "eigvalsh", a), f"{linalg(b, 'eigh', a)}[0]", f"{linalg(b, 'eigh', a)}.eigenvalues"]
    return Expr(b.pick(spellings), shape, -0.3, 1.5 * (n - 1) + 0.3)


@op("linalg", accepts=lambda s: 1 <= len(s) <= 2 and s[0] <= 3, root_shape=lambda b: (b.integer(1, 3),) + b.shape(0, 1))
def lstsq(b: Builder, shape: tuple, depth: int) -> Expr:
    n = shape[0]
    m = n + b.integer(0, 2)
    a = conditioned(b, b.expr((m, n), depth - 1), n, m)
    rhs = b.scaled(b.operand((m,) + shape[1:], depth - 1), MAG)
    return symmetric(math.sqrt(m) * rhs.mag, shape, linalg(b, "lstsq", f"{a}, {rhs.text}") + "[0]")


def magnitudes(b: Builder, e: Expr, along: int | None) -> Expr:
    """e as entries of random sign and magnitude >= 0.8 that are distinct (along=None),
    or distinct per slice along one axis, the same within it (to 0.2)."""
    if along is None:
        levels = b.offsets(e.shape, 0.5, start=1.0)
    else:
        levels = b.offsets((e.shape[along],), 1.0, start=1.0).reshape([-1] + [1] * (len(e.shape) - along - 1))
    signs = b.rng.choice([-1, 1], e.shape)
    c = b.scaled(e, 0.2)
    top = float(levels.max()) + 0.2
    return Expr(f"({lit(signs)} * ({lit(levels)} + {c.text}))", e.shape, -top, top, gap=0.8)


@op("linalg", accepts=lambda s: len(s) <= 2, root_shape=lambda b: b.shape(0, 2))
def norm(b: Builder, shape: tuple, depth: int) -> Expr:
    kind = b.pick(["vector", "matrix"] + (["all"] if not shape else []))
    if kind == "all":
        e = nonzero(b, b.expr(b.shape(1, 3), depth - 1))
        return Expr(linalg(b, "norm", e.text), shape, 0.0, math.sqrt(e.size) * e.mag)
    if kind == "vector":
        child, kw, count = reduction(b, shape, max_axes=1)
        order = b.pick([None, 2, 1, 3, "np.inf", "-np.inf"])
        e = magnitudes(b, b.expr(child, depth - 1), None)
    else:
        rows, cols = b.integer(1, 3), b.integer(1, 3)
        child, count = shape + (rows, cols), rows * cols
        order = b.pick([None, "'fro'", 1, -1, "np.inf", "-np.inf"]) if len(shape) <= 1 else None
        # the column (ord=+-1) or row (+-inf) sums must not tie
        along = {1: -1, -1: -1, "np.inf": -2, "-np.inf": -2}.get(order)
        e = magnitudes(b, b.expr(child, depth - 1), None if along is None else len(child) + along)
        kw = "" if not shape and b.coin() else b.pick([", axis=(-2, -1)", f", axis=({len(shape)}, {len(shape) + 1})"])
    text = f"{e.text}{'' if order is None else f', ord={order}'}{kw}"
    return Expr(linalg(b, "norm", text), shape, 0.0, count * e.mag)
