"""The fuzzer's shape and indexing ops (fuzz_ops.py has the elementwise ones and
the reductions, fuzz_products.py products and linear algebra): each draws the
operand shapes and the constant keys it needs to produce a given shape.
"""

from __future__ import annotations

import math

import numpy as np
from fuzz_ops import MAG, axis_text, rank_at_least, union, with_np
from fuzz_programs import Builder, Expr, Op, lit, registry

OPS: list[Op] = []
op = registry(OPS)


def same(text: str, e: Expr, shape: tuple) -> Expr:
    """An op that moves e's entries around (and may add zeros)."""
    return Expr(text, shape, min(e.lo, 0.0), max(e.hi, 0.0))


def parts(b: Builder, total: int) -> list[int]:
    """`total` cut into 1 to 3 positive sizes."""
    k = b.integer(1, min(3, total))
    cuts = sorted(int(c) for c in b.rng.choice(np.arange(1, total), k - 1, replace=False))
    return [hi - lo for lo, hi in zip([0, *cuts], [*cuts, total])]


def operands(b: Builder, shapes: list, depth: int, bound: float = MAG) -> list[Expr]:
    """Operands of these shapes (the first one as deep as the op allows), scaled to `bound`."""
    first = [b.expr(shapes[0], depth - 1)]
    return [b.scaled(e, bound) for e in first + [b.operand(s, depth - 1) for s in shapes[1:]]]


# --- shape manipulation ------------------------------------------------------------------------


@op("shape")
def reshape(b: Builder, shape: tuple, depth: int) -> Expr:
    e = b.expr(b.reshaped(math.prod(shape)), depth - 1)
    target = list(shape)
    if shape and b.coin():
        target[b.integer(0, len(shape) - 1)] = -1
    target = repr(tuple(target))
    spellings = [*with_np("reshape", f"({e.text}, {target})"), f"{e.text}.reshape({target})"]
    if len(shape) == 1:
        spellings += [*with_np("ravel", f"({e.text})"), f"{e.text}.ravel()", f"{e.text}.flatten()"]
    return same(b.pick(spellings), e, shape)


@op("shape", **rank_at_least(2))
def transpose(b: Builder, shape: tuple, depth: int) -> Expr:
    n = len(shape)
    kind = b.pick(["permute", "reverse", "swapaxes", "moveaxis"])
    dummy = np.empty(shape)
    if kind == "permute":
        perm = tuple(int(p) for p in b.rng.permutation(n))
        child = np.transpose(dummy, np.argsort(perm)).shape
    elif kind == "reverse":
        child = shape[::-1]
    elif kind == "swapaxes":
        i, j = b.integer(0, n - 1), b.integer(0, n - 1)
        child = np.swapaxes(dummy, i, j).shape
    else:
        src, dst = b.integer(-n, n - 1), b.integer(-n, n - 1)
        child = np.moveaxis(dummy, dst, src).shape
    e = b.expr(child, depth - 1)
    if kind == "permute":
        spellings = [*with_np("transpose", f"({e.text}, {perm})"), f"{e.text}.transpose({perm})"]
    elif kind == "reverse":
        spellings = [f"{e.text}.T", *with_np("transpose", f"({e.text})")]
    elif kind == "swapaxes":
        spellings = [*with_np("swapaxes", f"({e.text}, {i}, {j})"), f"{e.text}.swapaxes({i}, {j})"]
    else:
        spellings = with_np("moveaxis", f"({e.text}, {src}, {dst})")
    return same(b.pick(spellings), e, shape)


@op("shape")
def new_axes(b: Builder, shape: tuple, depth: int) -> Expr:
    ones = [i for i, d in enumerate(shape) if d == 1]
    if ones and b.coin():
        axes = sorted({b.pick(ones) for _ in range(b.integer(1, len(ones)))})
        e = b.expr(tuple(d for i, d in enumerate(shape) if i not in axes), depth - 1)
        axis = axes[0] if len(axes) == 1 else tuple(axes)
        return same(b.pick(with_np("expand_dims", f"({e.text}, {axis})")), e, shape)
    entries = [(d, False) for d in shape]
    for _ in range(b.integer(1, max(1, 3 - len(shape)))):
        entries.insert(b.integer(0, len(entries)), (1, True))
    e = b.expr(tuple(d for d, _ in entries), depth - 1)
    axes = [i for i, (_, new) in enumerate(entries) if new]
    axis = axes[0] if len(axes) == 1 else tuple(axes)
    spellings = [*with_np("squeeze", f"({e.text}, {axis})"), f"{e.text}.squeeze({axis})"]
    if not ones:
        spellings += [*with_np("squeeze", f"({e.text})"), f"{e.text}.squeeze()"]
    return same(b.pick(spellings), e, shape)


@op("shape")
def copy(b: Builder, shape: tuple, depth: int) -> Expr:
    e = b.expr(shape, depth - 1)
    return same(b.pick([*with_np("copy", f"({e.text})"), f"{e.text}.copy()"]), e, shape)


@op("shape")
def broadcast_to(b: Builder, shape: tuple, depth: int) -> Expr:
    e = b.expr(b.reduced(shape), depth - 1)
    return same(b.pick(with_np("broadcast_to", f"({e.text}, {shape!r})")), e, shape)


@op("shape", **rank_at_least(1))
def join(b: Builder, shape: tuple, depth: int) -> Expr:
    n = len(shape)
    kind = b.pick(["concatenate", "stack", "flat"])
    stackable = [i for i, d in enumerate(shape) if d <= 3]
    if kind == "stack" and stackable:
        axis = b.pick(stackable)
        shapes = [shape[:axis] + shape[axis + 1 :]] * shape[axis]
    else:
        kind = "flat" if kind == "flat" and n == 1 else "concatenate"
        axis = b.integer(0, n - 1)
        sizes = parts(b, shape[axis])
        shapes = [b.reshaped(s) if kind == "flat" else shape[:axis] + (s,) + shape[axis + 1 :] for s in sizes]
    es = operands(b, shapes, depth)
    items = "[" + ", ".join(e.text for e in es) + "]"
    spelled_axis = axis - n if b.coin() else axis
    if kind == "stack":
        spellings = with_np("stack", f"({items}, axis={spelled_axis})")
    elif kind == "flat":
        spellings = with_np("concatenate", f"({items}, axis=None)")
    else:
        spellings = with_np("concatenate", f"({items}, axis={spelled_axis})")
        if axis == 0:
            spellings += with_np("concatenate", f"({items})") + (with_np("vstack", f"({items})") if n >= 2 else [])
        if axis == (0 if n == 1 else 1):
            spellings += with_np("hstack", f"({items})")
    return Expr(b.pick(spellings), shape, *union(*es))


@op("shape", **rank_at_least(1))
def rearrange(b: Builder, shape: tuple, depth: int) -> Expr:
    n = len(shape)
    e = b.expr(shape, depth - 1)
    kind = b.pick(["flip", "roll", "flipud"] + (["fliplr"] if n >= 2 else []))
    axes = sorted({b.integer(0, n - 1) for _ in range(b.integer(1, 2))})
    axis = axes[0] if len(axes) == 1 else tuple(axes)
    if kind == "flip":
        args = f"({e.text})" if b.integer(0, 2) == 0 else f"({e.text}, {axis})"
    elif kind == "roll":
        shifts = tuple(b.integer(-5, 5) for _ in axes)
        args = (
            f"({e.text}, {shifts[0]})"
            if b.integer(0, 2) == 0
            else f"({e.text}, {shifts[0] if len(axes) == 1 else shifts}, axis={axis})"
        )
    else:
        args = f"({e.text})"
    return same(b.pick(with_np(kind, args)), e, shape)


@op("shape", **rank_at_least(1))
def pad(b: Builder, shape: tuple, depth: int) -> Expr:
    widths = []
    for d in shape:
        before = b.integer(0, min(2, d - 1))
        widths.append((before, b.integer(0, min(2, d - 1 - before))))
    e = b.expr(tuple(d - lo - hi for d, (lo, hi) in zip(shape, widths)), depth - 1)
    uniform = all(w == (widths[0][0],) * 2 for w in widths)
    width = str(widths[0][0]) if uniform and b.coin() else repr(tuple(widths))
    mode = b.pick(["constant", "edge", "wrap", "symmetric", "reflect"])
    fill = 0.5 if mode == "constant" and b.coin() else 0.0
    kw = f", mode={mode!r}" if mode != "constant" else ", constant_values=0.5" if fill else ""
    return Expr(b.pick(with_np("pad", f"({e.text}, {width}{kw})")), shape, *union(e, extra=fill))


@op("shape", **rank_at_least(1))
def replicate(b: Builder, shape: tuple, depth: int) -> Expr:
    n = len(shape)
    kind = b.pick(["tile", "repeat", "repeat-counts"])
    axis = b.integer(0, n - 1)
    child = list(shape)
    if kind == "tile":
        reps = [b.pick([r for r in (1, 2, 3) if d % r == 0]) for d in shape]
        child = [d // r for d, r in zip(shape, reps)]
        args = f", {reps[0] if n == 1 and b.coin() else tuple(reps)})"
        name = "tile"
    elif kind == "repeat":
        r = b.pick([r for r in (1, 2, 3) if shape[axis] % r == 0])
        child[axis] //= r
        flat = n == 1 and b.coin()
        if flat:
            child = b.reshaped(shape[0] // r)
        args, name = f", {r})" if flat else f", {r}, axis={axis})", "repeat"
    else:
        m = b.integer(1, 3)
        counts = b.rng.multinomial(shape[axis], np.ones(m) / m).tolist()
        child[axis] = len(counts)
        args, name = f", {counts}, axis={axis})", "repeat"
    e = b.expr(tuple(child), depth - 1)
    return same(b.pick(with_np(name, f"({e.text}{args}")), e, shape)


@op("shape", **rank_at_least(1))
def split(b: Builder, shape: tuple, depth: int) -> Expr:
    axis = b.integer(0, len(shape) - 1)
    size = shape[axis]
    if b.coin():
        k = b.integer(2, 3)
        child, call = k * size, f"{{}}({{}}, {k}, axis={axis})[{b.integer(0, k - 1)}]"
        names = ["split", "array_split"]
    else:
        before, after = b.integer(0, 2), b.integer(0, 2)
        child, call = before + size + after, f"{{}}({{}}, [{before}, {before + size}], axis={axis})[1]"
        names = ["array_split"]
    e = b.expr(shape[:axis] + (child,) + shape[axis + 1 :], depth - 1)
    return same(call.format(f"{b.pick(['tt', 'np'])}.{b.pick(names)}", e.text), e, shape)


@op("shape", **rank_at_least(2))
def triangle(b: Builder, shape: tuple, depth: int) -> Expr:
    e = b.expr(shape, depth - 1)
    k = b.pick([0, 1, -1])
    kw = "" if k == 0 and b.coin() else f", {k}"
    return same(b.pick(with_np(b.pick(["triu", "tril"]), f"({e.text}{kw})")), e, shape)


def diagonal_length(rows: int, cols: int, offset: int) -> int:
    return max(0, min(rows - max(-offset, 0), cols - max(offset, 0)))


def matrix_for_diagonal(b: Builder, length: int, offset: int) -> tuple[int, int]:
    rows, cols = length + max(-offset, 0), length + max(offset, 0)
    return b.pick([(rows, cols), (rows + 1, cols), (rows, cols + 1)])


@op("shape")
def diagonals(b: Builder, shape: tuple, depth: int) -> Expr:
    n = len(shape)
    kinds = (["trace"] if n <= 2 else []) + (["diagonal"] if n >= 1 else [])
    kinds += (["diag-of-matrix"] if n == 1 else []) + (["diag-of-vector"] if n == 2 and shape[0] == shape[1] else [])
    kind = b.pick(kinds)
    k = b.pick([0, 1, -1])
    if kind == "diag-of-vector":
        k = 0 if shape[0] == 1 else k
        e = b.expr((shape[0] - abs(k),), depth - 1)
        return same(b.pick(with_np("diag", f"({e.text}, {k})")), e, shape)
    if kind == "trace":
        rows, cols = b.pick([(r, c) for r in range(1, 4) for c in range(1, 4) if diagonal_length(r, c, k)])
        e = b.scaled(b.expr((rows, cols) + shape, depth - 1), MAG)
        args = "" if k == 0 and b.coin() else f"{k}"
        spellings = [*with_np("trace", f"({e.text}{', ' + args if args else ''})"), f"{e.text}.trace({args})"]
        count = diagonal_length(rows, cols, k)
        return Expr(b.pick(spellings), shape, count * e.lo, count * e.hi)
    rows, cols = matrix_for_diagonal(b, shape[-1], k)
    if kind == "diag-of-matrix":
        e = b.expr((rows, cols), depth - 1)
        return same(b.pick(with_np("diag", f"({e.text}, {k})")), e, shape)
    child = list(shape[:-1])
    a1 = b.integer(0, n)
    a2 = b.pick([i for i in range(n + 1) if i != a1])
    for pos, d in sorted([(a1, rows), (a2, cols)]):
        child.insert(pos, d)
    e = b.expr(tuple(child), depth - 1)
    args = f"{k}, {a1}, {a2}"
    return same(b.pick([*with_np("diagonal", f"({e.text}, {args})"), f"{e.text}.diagonal({args})"]), e, shape)


# --- indexing ----------------------------------------------------------------------------------


def slice_for(b: Builder, size: int) -> tuple[int, str]:
    """An axis length and a slice of it that takes `size` entries."""
    step = b.pick([1, 2, -1, -2]) if size <= 3 else b.pick([1, -1])
    before, after = b.integer(0, 1), b.integer(0, 1)
    n = before + (size - 1) * abs(step) + 1 + after
    if step > 0:
        stop = before + (size - 1) * step + 1
        text = f"{before or ''}:{stop if after else ''}"
    else:
        text = f"{n - 1 - after if after else ''}:{before - 1 if before else ''}"
    return n, text + (f":{step}" if step != 1 else "")


def key_text(key: list[str]) -> str:
    return "()" if not key else key[0] if len(key) == 1 else ", ".join(key)


@op("indexing")
def getitem(b: Builder, shape: tuple, depth: int) -> Expr:
    key, child = [], []
    if len(shape) >= 2 and b.integer(0, 3) == 0:
        # advanced indices apart (an array, slices, an array or an int): their axis comes first
        m1, m2 = b.integer(1, 4), b.integer(1, 4)
        key.append(lit(b.rng.integers(-m1, m1, shape[0])))
        for d in shape[1:]:
            n, text = slice_for(b, d)
            key.append(text)
            child.append(n)
        key.append(lit(b.rng.integers(0, m2, shape[0])) if b.coin() else str(b.integer(-m2, m2 - 1)))
        child = [m1, *child, m2]
    else:
        advanced = b.coin()
        position = b.integer(0, len(shape) - 1) if shape and advanced else -1
        for i, d in enumerate(shape):
            if not advanced and len(child) < 3 and b.integer(0, 3) == 0:
                m = b.integer(1, 4)
                key.append(str(b.integer(-m, m - 1)))
                child.append(m)
            kind = "slice" if i != position else b.pick(["array", "mask", "mask-2d"])
            if kind == "slice" and d == 1 and b.integer(0, 2) == 0:
                key.append("None")
            elif kind == "slice":
                n, text = slice_for(b, d)
                key.append(text)
                child.append(n)
            elif kind == "array":
                m = b.integer(1, 4)
                key.append(lit(b.rng.integers(-m, m, d)))
                child.append(m)
            else:
                dims = (d + b.integer(0, 2),) if kind == "mask" else (b.integer(1, 2), b.integer(2, 3))
                if math.prod(dims) < d:
                    dims = (d,)
                mask = np.zeros(math.prod(dims), dtype=bool)
                mask[b.rng.permutation(mask.size)[:d]] = True
                key.append(lit(mask.reshape(dims)))
                child.extend(dims)
        if key and b.coin():  # the leading or trailing full slices as an Ellipsis (or left out)
            ends = [i for i in (0, len(key) - 1) if key[i] == ":"]
            if ends:
                key[ends[-1]] = "..." if b.coin() or ends[-1] == 0 else ""
                key = [k for k in key if k]
    text = key_text(key)
    assert np.empty(child)[eval(f"np.s_[{text}]", {"np": np})].shape == shape
    e = b.expr(tuple(child), depth - 1)
    return same(f"{e.text}[{text}]", e, shape)


@op("indexing", **rank_at_least(1))
def take(b: Builder, shape: tuple, depth: int) -> Expr:
    kind = b.pick(["take", "take-flat", "take_along_axis"])
    axis = b.integer(0, len(shape) - 1)
    m = b.integer(1, 4)
    if kind == "take-flat":
        child = b.reshaped(m)
        args = f"{lit(b.rng.integers(0, m, shape))})"
    elif kind == "take":
        child = shape[:axis] + (m,) + shape[axis + 1 :]
        args = f"{lit(b.rng.integers(-m, m, shape[axis]))}, axis={axis})"
    else:
        child = shape[:axis] + (m,) + shape[axis + 1 :]
        args = f"{lit(b.rng.integers(0, m, shape))}, axis={axis})"
    e = b.expr(child, depth - 1)
    return same(b.pick(with_np(kind.replace("-flat", ""), f"({e.text}, {args}")), e, shape)


@op("indexing", **rank_at_least(1))
def sort(b: Builder, shape: tuple, depth: int) -> Expr:
    if len(shape) == 1 and b.coin():
        child, kw = b.reshaped(shape[0]), ", axis=None"
    else:
        child, axis = shape, b.integer(0, len(shape) - 1)
        kw = "" if axis == len(shape) - 1 and b.coin() else axis_text([axis], len(shape), b)
    e = b.distinct(b.expr(child, depth - 1))
    return same(b.pick(with_np("sort", f"({e.text}{kw})")), e, shape)


@op("indexing", **rank_at_least(1))
def index_update(b: Builder, shape: tuple, depth: int) -> Expr:
    kind = b.pick(["int", "slice", "arrays", "mask"])
    if kind == "int":
        key = str(b.integer(-shape[0], shape[0] - 1))
    elif kind == "slice":
        start = b.integer(0, shape[0] - 1)
        key = f"slice({start}, {b.integer(start + 1, shape[0])})"
    elif kind == "arrays":  # distinct positions: an update never writes one entry twice
        lead = shape[: b.integer(1, min(2, len(shape)))]
        flat = b.rng.permutation(math.prod(lead))[: b.integer(1, math.prod(lead))]
        key = "(" + ", ".join(lit(i) for i in np.unravel_index(flat, lead)) + ",)"
    else:
        mask = b.rng.random(shape) < 0.5
        mask.flat[b.integer(0, mask.size - 1)] = True
        key = lit(mask)
    region = np.empty(shape)[eval(key, {"np": np})].shape
    a = b.scaled(b.expr(shape, depth - 1), MAG)
    v = b.scaled(b.operand(b.reduced(region), depth - 1), MAG)
    return Expr(f"tt.index_update({a.text}, {key}, {v.text})", shape, *union(a, v))
