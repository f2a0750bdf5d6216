"""Property-based fuzzing of derivatives: random programs over the primitive table.

Each example is a program of depth 3 to 6 in the public `tt` API (drawn by
fuzz_programs.py, rooted at an op of one family), on inputs inside every op's
domain. Its derivatives are checked against each other and against fourth-order
central differences in float64:
  first order: jacrev == jacfwd == differences; jvp and vjp match those
  Jacobians and satisfy <u, J v> == <J^T u, v>;
  second order, on sum(w * f) for a fixed random w: the Hessians from
  forward-over-reverse, reverse-over-forward and reverse-over-reverse agree and
  are symmetric, and hvp == H v == differences of the gradient along v.
The program is noted as runnable source. Profiles (bounded, long) are in
tests/conftest.py.
"""

from __future__ import annotations

import fuzz_arrays
import fuzz_ops
import fuzz_products
import numpy as np
import pytest
from fuzz_programs import Program, programs
from hypothesis import given, note
from hypothesis import strategies as st

import tinytorch as tt
from tinytorch.autograd import grad, hvp, jacfwd, jacrev, jvp, vjp

OPS = fuzz_ops.OPS + fuzz_arrays.OPS + fuzz_products.OPS
FAMILIES = sorted({o.family for o in OPS})

STEP = 1e-3  # the fourth-order stencil is accurate to ~1e-10 here; a rule 1% off is far outside
NUMERIC = {"atol": 1e-7, "rtol": 1e-5}  # against finite differences
ANALYTIC = {"atol": 1e-10, "rtol": 1e-8}  # between two analytic paths (rounding only)


def flat(tree) -> np.ndarray:
    if isinstance(tree, (tuple, list)):
        return np.concatenate([flat(t) for t in tree]) if tree else np.zeros(0)
    return np.asarray(tree, dtype=np.float64).ravel()


def derivative(f, x: np.ndarray, v: np.ndarray) -> np.ndarray:
    """d/dt f(x + t v) at 0, by the fourth-order central difference."""
    at = lambda t: flat(f(x + t * v))  # noqa: E731
    return (8 * (at(STEP) - at(-STEP)) - (at(2 * STEP) - at(-2 * STEP))) / (12 * STEP)


def numeric_jacobian(f, xs: tuple) -> np.ndarray:
    columns = []
    for i, x in enumerate(xs):
        for k in range(x.size):
            e = np.zeros(x.size)
            e[k] = 1.0
            g = lambda t, i=i: f(*xs[:i], t.reshape(xs[i].shape), *xs[i + 1 :])  # noqa: E731
            columns.append(derivative(g, x.ravel(), e))
    return np.stack(columns, axis=1)


def matrix(blocks: tuple, out, xs: tuple) -> np.ndarray:
    """The Jacobian blocks of jacfwd/jacrev(f, argnums=(0, ..., k-1)) as one matrix."""
    for block, x in zip(blocks, xs):
        assert np.shape(block) == np.shape(out) + x.shape, f"Jacobian block of shape {np.shape(block)}"
    return np.concatenate([np.reshape(b, (np.size(out), x.size)) for b, x in zip(blocks, xs)], axis=1)


def agree(actual: np.ndarray, expected: np.ndarray, tol: dict, what: str) -> None:
    assert actual.shape == expected.shape, f"{what}: shapes {actual.shape} and {expected.shape}"
    excess = np.abs(actual - expected) - (tol["atol"] + tol["rtol"] * np.abs(expected))
    excess[np.isnan(actual) | np.isnan(expected)] = np.inf
    if excess.size and excess.max() > 0:
        worst = np.unravel_index(np.argmax(excess), excess.shape)
        raise AssertionError(
            f"{what}: at {list(map(int, worst))} {actual[worst]!r} vs {expected[worst]!r} "
            f"({int((excess > 0).sum())} of {excess.size} entries off, {tol})"
        )


def draw_program(data: st.DataObject, family: str) -> tuple[Program, np.random.Generator]:
    program = data.draw(programs(OPS, family), label="program")
    note(f"program:\n{program.source()}")
    out = program.fn(*program.inputs)
    assert np.shape(out) == program.shape and np.isfinite(out).all(), "the generator built a bad program"
    return program, np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed of u, v, w"))


@pytest.mark.parametrize("family", FAMILIES)
@given(data=st.data())
def test_first_order(family, data):
    program, rng = draw_program(data, family)
    f, xs = program.fn, program.inputs
    argnums = tuple(range(len(xs)))
    out = f(*xs)
    rev = matrix(jacrev(f, argnums)(*xs), out, xs)
    fwd = matrix(jacfwd(f, argnums)(*xs), out, xs)
    agree(rev, fwd, ANALYTIC, "jacrev vs jacfwd")
    numeric = numeric_jacobian(f, xs)
    agree(rev, numeric, NUMERIC, "jacrev vs finite differences")
    agree(fwd, numeric, NUMERIC, "jacfwd vs finite differences")

    vs = tuple(rng.standard_normal(x.shape) for x in xs)
    u = rng.standard_normal(np.shape(out))
    primal, jv = jvp(f, xs, vs)
    primal2, pullback = vjp(f, *xs)
    jtu = pullback(u)
    agree(flat(primal), flat(out), ANALYTIC, "jvp's primal output vs f")
    agree(flat(primal2), flat(out), ANALYTIC, "vjp's primal output vs f")
    agree(flat(jv), fwd @ flat(vs), ANALYTIC, "jvp vs jacfwd @ v")
    agree(flat(jtu), flat(u) @ rev, ANALYTIC, "vjp vs u @ jacrev")
    lhs, rhs = flat(u) @ flat(jv), flat(jtu) @ flat(vs)
    norm = np.linalg.norm
    scale = norm(flat(u)) * norm(flat(jv)) + norm(flat(jtu)) * norm(flat(vs))
    # the floor: rounding where J is 0 only by cancellation
    floor = 1e-12 * norm(flat(u)) * norm(flat(vs))
    assert abs(lhs - rhs) <= 1e-10 * scale + floor, f"<u, J v> = {lhs!r} but <J^T u, v> = {rhs!r}"


@pytest.mark.parametrize("family", FAMILIES)
@given(data=st.data())
def test_second_order(family, data):
    program, rng = draw_program(data, family)
    xs = program.inputs
    bounds = np.cumsum([0] + [x.size for x in xs])
    w = rng.standard_normal(program.shape)
    note(f"scalarised: s(z) = tt.sum(f(*z split into x0, x1, ...) * w), w = {w.tolist()!r}")

    def s(z):
        parts = [tt.reshape(z[a:b], x.shape) for a, b, x in zip(bounds, bounds[1:], xs)]
        return tt.sum(program.fn(*parts) * w)

    z = np.concatenate([x.ravel() for x in xs])
    v = rng.standard_normal(z.shape)
    hessian = jacfwd(jacrev(s))(z)
    agree(hessian, hessian.T, ANALYTIC, "forward-over-reverse Hessian vs its transpose")
    agree(jacrev(jacfwd(s))(z), hessian, ANALYTIC, "reverse-over-forward vs forward-over-reverse Hessian")
    agree(jacrev(jacrev(s))(z), hessian, ANALYTIC, "reverse-over-reverse vs forward-over-reverse Hessian")
    hv = hvp(s, z, v)
    agree(hv, hessian @ v, ANALYTIC, "hvp vs Hessian @ v")
    agree(hv, derivative(grad(s), z, v), NUMERIC, "hvp vs finite differences of the gradient along v")
