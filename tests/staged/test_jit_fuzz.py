"""The program fuzzer through tt.jit: random programs over the primitive table, staged
with jit outside and inside the transforms, against the same transforms run eagerly
(tests/autograd/test_fuzz.py checks those against finite differences)."""

import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, note
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "autograd"))
from test_fuzz import ANALYTIC, FAMILIES, agree, draw_program, flat  # noqa: E402

import tinytorch as tt  # noqa: E402
from tinytorch.autograd import grad, hvp, jacfwd, jacrev  # noqa: E402
from tinytorch.staged import TracerConversionError  # noqa: E402


@pytest.mark.parametrize("family", FAMILIES)
@given(data=st.data())
def test_staged_programs_equal_eager(family, data):
    program, rng = draw_program(data, family)
    f, xs = program.fn, program.inputs
    argnums = tuple(range(len(xs)))
    try:
        staged_value = tt.jit(f)(*xs)
        staged_jacobian = tt.jit(jacrev(f, argnums))(*xs)
    except TracerConversionError as refusal:  # an op that needs its inputs' values: a clear refusal
        note(f"refused: {refusal}")
        assume(False)
    agree(flat(staged_value), flat(f(*xs)), ANALYTIC, "jit(f) vs f")
    agree(flat(staged_jacobian), flat(jacrev(f, argnums)(*xs)), ANALYTIC, "jit(jacrev(f)) vs jacrev(f)")
    agree(flat(jacrev(tt.jit(f), argnums)(*xs)), flat(jacfwd(f, argnums)(*xs)), ANALYTIC, "jacrev(jit(f)) vs jacfwd(f)")

    # second order on one flat input, as test_fuzz does (a plain argument beside a box
    # would meet ndarray.dot, which NumPy never hands to tinytorch)
    w = rng.standard_normal(program.shape)
    bounds = np.cumsum([0] + [x.size for x in xs])

    def s(z):
        parts = [tt.reshape(z[a:b], x.shape) for a, b, x in zip(bounds, bounds[1:], xs)]
        return tt.sum(f(*parts) * w)

    z = np.concatenate([x.ravel() for x in xs])
    v = rng.standard_normal(z.shape)
    eager = hvp(s, z, v)
    try:
        staged_hvp = tt.jit(lambda z, u: hvp(s, z, u))(z, v)
    except TracerConversionError as refusal:  # a second derivative that needs values (det's): refused
        note(f"second order refused: {refusal}")
        return
    agree(staged_hvp, eager, ANALYTIC, "jit(hvp) vs hvp")
    # reverse over reverse through the compiled call (its VJP differentiated again): H v
    staged = grad(lambda y: tt.sum(grad(tt.jit(s))(y) * v))(z)
    agree(staged, eager, ANALYTIC, "grad(grad(jit(s)) . v) vs hvp")
