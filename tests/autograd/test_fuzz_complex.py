"""Property-based fuzzing of derivatives on complex numbers.

The programs of test_fuzz.py (fuzz_programs.py, the same ops and families) run on
complex inputs z = x + i SCALE y: x the program's real inputs, y uniform in [-1, 1],
most inputs complex and some left real. The derivatives are checked against
independent oracles, through the split function F(a, b) = (Re f, Im f) of the real
and imaginary parts (a complex input z = a + ib is two real arguments, a complex
output two real outputs: the view of `gradcheck`):
  first order: jacrev == jacfwd == fourth-order central differences of F;
  jvp and vjp of f itself, with a random complex tangent t and cotangent g, against
  that Jacobian J under the convention of JAX and HIPS autograd (a cotangent pairs
  with a tangent as Re(g t), without conjugation): jvp gives (Re, Im) of the output
  tangent = J (Re t, Im t), and vjp gives c with (Re c, -Im c) = J^T (Re g, -Im g),
  a real input a real c (Re c), a real output a real tangent; and the pairing
  Re(sum g jvp(t)) == Re(sum vjp(g) t) directly;
  second order, on s = sum(w1 Re f + w2 Im f) over the parts: the Hessians from
  forward-over-reverse, reverse-over-forward and reverse-over-reverse agree and are
  symmetric, and hvp == H v == differences of the gradient along v.

Why the programs stay valid: each node of a program keeps its operands, for real
inputs anywhere in the box, at least 0.2 from the branch points, poles and kinks of
its op (log, sqrt and power above 0.3, arcsin and arctanh within 0.8, arccosh above
1.3, divisors and abs away from 0 by 0.4, matrices with singular values in [1, 3]),
and compared values (max, sort, where, clip) 0.1 apart. On complex inputs a node
moves by at most SCALE times the gain from the inputs' imaginary parts to it: at
most 7 (5.7 for 999 in 1000) in 1,900 programs measured node by node, so with
SCALE = 0.02 no node moves by more than 0.14; branch cuts run along the real axis
beyond the branch points, and NumPy orders complex numbers by their real parts
first. (The long profile also passes with SCALE = 0.3.)

What is left out, and counted: ops none of whose variants NumPy computes on
complex numbers (LEFT_OUT) are not drawn. An example is invalid (`assume`) when
NumPy refuses the program on complex arrays, by a TypeError naming a ufunc of
REAL_ONLY (each checked to have no complex loop) or a ComplexWarning (a complex
value cast to real: index_update into a real array); when tinytorch refuses a
derivative for complex numbers by name (REFUSED); or for eigenvectors (see
EIGENVECTORS). Any other error fails the test, and so do more than MAX_REJECTED
invalid examples.
"""

from __future__ import annotations

import re
import warnings
from collections import Counter
from collections.abc import Callable

import numpy as np
import pytest
import scipy.special
from fuzz_programs import Program, lit, programs
from hypothesis import assume, given, note, settings
from hypothesis import strategies as st
from test_fuzz import ANALYTIC, FAMILIES, NUMERIC, OPS, agree, derivative, matrix, numeric_jacobian

import tinytorch as tt
from tinytorch.autograd import grad, hvp, jacfwd, jacrev, jvp, vjp

SCALE = 0.02  # the imaginary parts' scale (see above)
SHARE_OF_PROFILE = 5  # each test runs max_examples / 5 valid examples of the loaded profile
MAX_REJECTED = 0.6  # the share of drawn examples a test may find invalid

# ufuncs with no complex loop, by the name their TypeError gives, and how to reach each
REAL_ONLY: dict[str, Callable] = {
    **{name: getattr(np, name) for name in ("cbrt", "deg2rad", "rad2deg", "fabs")},
    **{name: lambda z, name=name: getattr(np, name)(z, z) for name in ("fmod", "remainder", "hypot")},
    **{name: lambda z, name=name: getattr(np, name)(z, z) for name in ("logaddexp", "logaddexp2", "arctan2")},
    **{
        name: getattr(scipy.special, name)
        for name in ("expit", "gammaln", "erfinv", "i0", "i1", "i0e", "i1e", "j0", "j1", "y0", "y1")
    },
    "rfft_n_even": lambda z: np.fft.rfft(z, 2),
    "rfft_n_odd": lambda z: np.fft.rfft(z, 3),
}
# ops none of whose variants NumPy computes on complex numbers (remainder, mod, fmod, %; logaddexp,
# logaddexp2, arctan2, hypot): left out of the programs, as test_left_out_ops_refuse_complex checks
LEFT_OUT = {"remainder", "binary_special"}
COMPLEX_OPS = [o for o in OPS if o.name not in LEFT_OUT]
UFUNC_REFUSAL = re.compile(r"ufunc '(\w+)' not supported for the input types")
OPERATOR_REFUSAL = re.compile(r"unsupported operand type\(s\) for %: 'numpy\.complex128'")
# derivatives tinytorch refuses for complex numbers, by name (as test_complex_table.py lists them)
REFUSED = re.compile(r"polygamma of complex numbers")
# Complex eigenvectors have the phases LAPACK gives them (the first entry real, with UPLO="L";
# rules/linalg.py differentiates that choice), which are singular where that entry is 0. The
# fuzzer's matrices are diag(0, 1.5, ...) + E with E small, so the first entries of all but the
# first eigenvector are O(E), near 0: their phases, hence their squares in the programs, have
# huge derivatives (25 and more) that differences of step 1e-3 cannot follow. Those programs are
# left out on complex inputs (eigenvalues stay in).
EIGENVECTORS = re.compile(r"eigh\(.*(\[1\] \*\* 2|\.eigenvectors)")


class Split:
    """f as a real function of the real and imaginary parts of its complex inputs, with
    (Re f, Im f) stacked on a new first axis when f's output is complex."""

    def __init__(self, f: Callable, zs: tuple, out: np.ndarray) -> None:
        self.f, self.complex_in = f, [np.iscomplexobj(z) for z in zs]
        self.complex_out = np.iscomplexobj(out)
        # the split function's arguments
        self.parts = tuple(
            p for z, c in zip(zs, self.complex_in) for p in ((z.real.copy(), z.imag.copy()) if c else (z,))
        )

    def __call__(self, *parts):
        it = iter(parts)
        out = self.f(*[next(it) + 1j * next(it) if c else next(it) for c in self.complex_in])
        return tt.stack([tt.real(out), tt.imag(out)]) if self.complex_out else out


def cflat(tree) -> np.ndarray:
    """Arrays, complex or real, raveled and joined (complex128)."""
    if isinstance(tree, (tuple, list)):
        return np.concatenate([cflat(t) for t in tree]) if tree else np.zeros(0, complex)
    return np.asarray(tree, dtype=np.complex128).ravel()


def parts_of(arrays: list, kinds: list[bool]) -> np.ndarray:
    """Arrays as one real vector: the real and imaginary parts of those of complex kind, the
    others as they are (the order of the split function's arguments and outputs)."""
    parts = [p for a, c in zip(arrays, kinds) for p in ((np.real(a), np.imag(a)) if c else (a,))]
    return np.concatenate([np.ravel(p) for p in parts])


def refusal(f: Callable, zs: tuple) -> str | None:
    """Why f cannot run on these complex inputs, when NumPy refuses them: a ufunc without a
    complex loop, a complex value cast to real, a derivative tinytorch refuses by name;
    None when f runs. Any other error is raised."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", np.exceptions.ComplexWarning)
        try:
            f(*zs)
        except np.exceptions.ComplexWarning:
            return "a complex value cast to real"
        except TypeError as e:
            match = UFUNC_REFUSAL.match(str(e))
            if match and match.group(1) in REAL_ONLY:
                return f"NumPy has no complex {match.group(1)}"
            if OPERATOR_REFUSAL.match(str(e)):
                return "NumPy has no complex %"
            raise
        except NotImplementedError as e:
            if REFUSED.match(str(e)):
                return "tinytorch refuses polygamma of complex numbers"
            raise
    return None


def refused_derivative(error: NotImplementedError) -> None:
    """A derivative tinytorch refuses for complex numbers by name makes the example invalid."""
    if not REFUSED.match(str(error)):
        raise error
    invalid("tinytorch refuses a derivative of complex numbers")


INVALID = Counter()  # why examples were invalid, in the test that runs


def invalid(reason: str) -> None:
    """Make this example invalid (hypothesis.assume), counting why."""
    INVALID[reason] += 1
    assume(False)


def counted(test: Callable) -> Callable:
    """Run `test(family, data)` as a Hypothesis test (max_examples from the
    loaded profile over SHARE_OF_PROFILE), then fail when too many examples were invalid."""

    def run(family: str) -> None:
        INVALID.clear()
        valid = 0

        @settings(max_examples=max(10, settings.default.max_examples // SHARE_OF_PROFILE))
        @given(data=st.data())
        def examples(data):
            nonlocal valid
            test(family, data)
            valid += 1

        examples()
        rejected = sum(INVALID.values())
        assert rejected <= MAX_REJECTED * (rejected + valid), (
            f"{rejected} examples invalid, {valid} valid: {INVALID.most_common()}"
        )

    run.__name__, run.__doc__ = test.__name__, test.__doc__
    return run


def draw_complex(data: st.DataObject, family: str) -> tuple[Program, tuple, np.random.Generator]:
    """A program of test_fuzz.py, on inputs of which most are made complex."""
    program = data.draw(programs(COMPLEX_OPS, family), label="program")
    note(f"program:\n{program.source()}")
    n = len(program.inputs)
    kinds = data.draw(st.lists(st.sampled_from([True, True, True, False]), min_size=n, max_size=n), label="complex")
    kinds[0] = kinds[0] or not any(kinds)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed of the imaginary parts, t, g, w"))
    zs = tuple(x + 1j * SCALE * rng.uniform(-1.0, 1.0, x.shape) if c else x for x, c in zip(program.inputs, kinds))
    note("\n".join(f"x{i} = x{i} + 1j * {lit(z.imag)}" for i, z in enumerate(zs) if np.iscomplexobj(z)))
    reason = refusal(program.fn, zs)
    if reason is None and EIGENVECTORS.search(program.text):
        reason = "eigenvectors of complex matrices near the singularity of LAPACK's phases"
    if reason is not None:
        invalid(reason)
    return program, zs, rng


@counted
def check_first_order(family, data):
    program, zs, rng = draw_complex(data, family)
    f = program.fn
    out = f(*zs)
    assert np.shape(out) == program.shape and np.isfinite(out).all(), "a program left its domain on complex inputs"
    split = Split(f, zs, out)
    parts, value = split.parts, split(*split.parts)
    argnums = tuple(range(len(parts)))
    try:
        rev = matrix(jacrev(split, argnums)(*parts), value, parts)
        fwd = matrix(jacfwd(split, argnums)(*parts), value, parts)
    except NotImplementedError as e:
        refused_derivative(e)
    agree(rev, fwd, ANALYTIC, "jacrev vs jacfwd of the split function")
    numeric = numeric_jacobian(split, parts)
    agree(rev, numeric, NUMERIC, "jacrev vs finite differences of the split function")
    agree(fwd, numeric, NUMERIC, "jacfwd vs finite differences of the split function")
    check_convention(f, zs, out, split, fwd, rng)


def check_convention(f: Callable, zs: tuple, out, split: Split, jac: np.ndarray, rng: np.random.Generator) -> None:
    """jvp and vjp of f itself, at a random complex tangent and cotangent, against the
    Jacobian `jac` of the split function under the pairing Re(g t)."""

    def draw(shape: tuple, complex_: bool):
        return rng.standard_normal(shape) + (1j * rng.standard_normal(shape) if complex_ else 0.0)

    ts = tuple(draw(z.shape, c) for z, c in zip(zs, split.complex_in))
    g = draw(np.shape(out), split.complex_out)
    primal, tangent = jvp(f, zs, ts)
    primal2, pullback = vjp(f, *zs)
    cs = pullback(g)
    cs = cs if isinstance(cs, tuple) else (cs,)
    agree(cflat(primal), cflat(out), ANALYTIC, "jvp's primal output vs f")
    agree(cflat(primal2), cflat(out), ANALYTIC, "vjp's primal output vs f")

    # jvp: (Re, Im) of the output's tangent = J (Re t, Im t)
    assert np.iscomplexobj(tangent) == split.complex_out, f"jvp: a {np.result_type(tangent)} tangent for {out.dtype} f"
    jt = jac @ parts_of(ts, split.complex_in)
    agree(parts_of([tangent], [split.complex_out]), jt, ANALYTIC, "jvp: (Re, Im) of its tangent vs J (Re t, Im t)")

    # vjp: c with Re(g jvp(t)) = Re(c t) for every t, that is (Re c, -Im c) = J^T (Re g, -Im g)
    for i, (c, z) in enumerate(zip(cs, zs)):
        assert np.shape(c) == z.shape, f"vjp: cotangent {i} of shape {np.shape(c)} for an input of shape {z.shape}"
        assert np.iscomplexobj(c) == np.iscomplexobj(z), f"vjp: a {np.result_type(c)} cotangent for {z.dtype} input {i}"
    jtg = parts_of([np.conj(g)], [split.complex_out]) @ jac
    agree(
        parts_of([np.conj(c) for c in cs], split.complex_in), jtg, ANALYTIC, "vjp: (Re c, -Im c) vs J^T (Re g, -Im g)"
    )

    # and the pairing itself, without J
    lhs, rhs = np.real(cflat(g) @ cflat(tangent)), np.real(cflat(cs) @ cflat(ts))
    norm = np.linalg.norm
    scale = norm(cflat(g)) * norm(cflat(tangent)) + norm(cflat(cs)) * norm(cflat(ts))
    floor = 1e-12 * norm(cflat(g)) * norm(cflat(ts))  # rounding where J is 0 only by cancellation
    assert abs(lhs - rhs) <= 1e-10 * scale + floor, f"Re<g, jvp(t)> = {lhs!r} but Re<vjp(g), t> = {rhs!r}"


@counted
def check_second_order(family, data):
    program, zs, rng = draw_complex(data, family)
    out = program.fn(*zs)
    split = Split(program.fn, zs, out)
    parts = split.parts
    bounds = np.cumsum([0] + [p.size for p in parts])
    w = rng.standard_normal((2, *np.shape(out)) if split.complex_out else np.shape(out))
    note(f"scalarised: s(v) = tt.sum(split f(*v cut into its parts) * w), w = {w.tolist()!r}")

    def s(v):
        return tt.sum(split(*[tt.reshape(v[a:b], p.shape) for a, b, p in zip(bounds, bounds[1:], parts)]) * w)

    v0 = np.concatenate([p.ravel() for p in parts])
    v = rng.standard_normal(v0.shape)
    try:
        hessian = jacfwd(jacrev(s))(v0)
        reverse_forward = jacrev(jacfwd(s))(v0)
        reverse_reverse = jacrev(jacrev(s))(v0)
        hv = hvp(s, v0, v)
    except NotImplementedError as e:
        refused_derivative(e)
    agree(hessian, hessian.T, ANALYTIC, "forward-over-reverse Hessian vs its transpose")
    agree(reverse_forward, hessian, ANALYTIC, "reverse-over-forward vs forward-over-reverse Hessian")
    agree(reverse_reverse, hessian, ANALYTIC, "reverse-over-reverse vs forward-over-reverse Hessian")
    agree(hv, hessian @ v, ANALYTIC, "hvp vs Hessian @ v")
    agree(hv, derivative(grad(s), v0, v), NUMERIC, "hvp vs finite differences of the gradient along v")


@pytest.mark.parametrize("family", FAMILIES)
def test_first_order(family):
    check_first_order(family)


@pytest.mark.parametrize("family", FAMILIES)
def test_second_order(family):
    check_second_order(family)


@pytest.mark.parametrize("name", sorted(REAL_ONLY))
def test_real_only_is_refused_by_numpy(name):
    """Each ufunc whose refusal makes an example invalid has no complex version indeed."""
    with pytest.raises(TypeError, match=f"ufunc '{name}' not supported"):
        REAL_ONLY[name](np.array([0.5 + 0.1j, 0.7 - 0.2j, 0.9 + 0.3j]))


@pytest.mark.parametrize("name", sorted(LEFT_OUT))
@settings(max_examples=10)
@given(data=st.data())
def test_left_out_ops_refuse_complex(name, data):
    """Programs of an op left out alone are refused by NumPy on complex inputs, whatever the variant."""
    (op,) = [o for o in OPS if o.name == name]
    program = data.draw(programs([op], op.family))
    zs = tuple(x + 1j * SCALE for x in program.inputs)
    assert (refusal(program.fn, zs) or "").startswith("NumPy has no complex"), program.text
