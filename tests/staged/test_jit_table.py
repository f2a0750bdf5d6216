"""Every case of the primitive table through tt.jit: values, gradients and second
derivatives equal to eager execution (to 1e-12), with jit outside and inside grad."""

import sys
import zlib
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "autograd"))
from primitive_cases import ALL_CASES  # noqa: E402

import tinytorch as tt  # noqa: E402
from tinytorch.autograd import grad, jacfwd, jvp  # noqa: E402
from tinytorch.staged import TracerConversionError  # noqa: E402

# Cases whose api function reads the values of its arguments while building the call (a mask,
# a sort order, a pivot-free inverse chosen by conditioning): tt.jit refuses them with a clear
# error until those functions are staged. Each id here is checked to raise, so the list
# cannot go stale silently.
NEEDS_VALUES = {
    # det, slogdet: the rules choose between the inverse and the adjugate by conditioning
    "det-matrix", "det-stack", "logabsdet-slogdet", "logabsdet-slogdet-stack",
    "adjugate-det-rank-2-of-3", "adjugate-det-rank-1-of-3", "adjugate-det-zero-matrix", "adjugate-det-rank-3-of-4",
    "adjugate-det-stack-2x2-rank-1", "adjugate-det-exactly-singular", "adjugate-det-singular-and-regular-stack",
    # lstsq: residuals and rank come from NumPy's solve; sort: the order of the values
    "lstsq-vector-rhs", "lstsq-matrix-rhs", "sort-axis-1", "sort-axis0", "sort-axis-none",
    # partition: NumPy's arrangement of the values
    "partition-kth-2", "partition-kths-axis0", "partition-axis-none",
}  # fmt: skip


def leaves(tree) -> list:
    if isinstance(tree, (list, tuple)):
        return [leaf for t in tree for leaf in leaves(t)]
    return [tree]


def same(actual, expected, what: str) -> None:
    a, e = leaves(actual), leaves(expected)
    assert len(a) == len(e), what
    for x, y in zip(a, e):
        y = np.asarray(y)
        scale = 1.0 + np.abs(y).max(initial=0.0)
        np.testing.assert_allclose(np.asarray(x), y, rtol=1e-12, atol=1e-12 * scale, err_msg=what)


def weighted_sum(case, us):
    """A scalar of the case's outputs: sum of out * u over the output leaves."""

    def g(*xs):
        return sum(tt.sum(out * u) for out, u in zip(leaves(case.fn(*xs)), us))

    return g


def check_through_jit(case) -> None:
    rng = np.random.default_rng(zlib.crc32(case.id.encode()))
    xs = case.inputs(rng)
    eager = case.fn(*xs)
    same(tt.jit(case.fn)(*xs), eager, f"{case.id}: value")
    us = [rng.standard_normal(np.shape(out)) for out in leaves(eager)]
    g = weighted_sum(case, us)
    argnums = tuple(range(len(xs)))
    expected = grad(g, argnums=argnums)(*xs)
    same(tt.jit(grad(g, argnums=argnums))(*xs), expected, f"{case.id}: jit(grad)")
    same(grad(tt.jit(g), argnums=argnums)(*xs), expected, f"{case.id}: grad(jit)")
    vs = tuple(rng.standard_normal(x.shape) for x in xs)
    second = lambda *xs: jvp(grad(g, argnums=argnums), xs, vs)[1]  # noqa: E731 (a Hessian-vector product)
    same(tt.jit(second)(*xs), second(*xs), f"{case.id}: jit(jvp(grad))")
    # forward mode around a compiled call: its JVP rule, and batched tangents from jacfwd
    same(jvp(tt.jit(g), xs, vs)[1], jvp(g, xs, vs)[1], f"{case.id}: jvp(jit)")
    same(jacfwd(tt.jit(g), argnums)(*xs), jacfwd(g, argnums)(*xs), f"{case.id}: jacfwd(jit)")


@pytest.mark.parametrize("case", ALL_CASES, ids=[c.id for c in ALL_CASES])
def test_case_through_jit(case):
    if case.id in NEEDS_VALUES:
        with pytest.raises(TracerConversionError, match="at .*py:[0-9]+"):
            check_through_jit(case)
    else:
        check_through_jit(case)
