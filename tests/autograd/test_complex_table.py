"""Complex numbers, checked systematically over the primitive table.

Every case of primitive_cases.py runs again on complex inputs: its real inputs
plus an imaginary part. Where NumPy computes the function on complex numbers,
tinytorch must give NumPy's value, and derivatives that agree in both modes, to
second order, with central differences of f seen as a real function of the real
and imaginary parts (`gradcheck` splits them). Where NumPy refuses complex
inputs, tinytorch must refuse them too: an error, never a number. A derivative
that tinytorch does not have for complex inputs must be refused by name
(`REFUSED`), and the refusal is checked, so the list cannot go stale.

`COMPLEX_CASES` add the functions that matter on complex numbers (real, imag,
conj, angle, abs, real-to-complex products, ...). The convention, which finite
differences of the parts cannot see, is pinned in test_complex_numbers.py.
"""

from __future__ import annotations

import warnings
import zlib

import numpy as np
import pytest
from primitive_cases import ALL_CASES, COMPLEX_CASES, Case

from tinytorch.autograd import Dual, Variable, gradcheck
from tinytorch.autograd.primitive import unbox_all

# Cases whose derivative tinytorch refuses for complex inputs, by the start of their id: the
# order of the first derivative refused, and why. The refusal is checked (and the orders below).
REFUSED: dict[str, tuple[int, str]] = {
    "digamma-": (1, "its derivative is polygamma(1, z): SciPy has no complex polygamma"),
    "psi-": (1, "digamma's"),
    "gamma-": (2, "the second derivative needs polygamma(1, z)"),
    "rgamma-": (2, "as gamma"),
    "ive-": (1, "ive(v, z) = iv(v, z) exp(-|Re z|) is not holomorphic"),
    "scipy.special.logsumexp-b-": (1, "the weighted and signed forms are written for real numbers"),
    "scipy.special.logsumexp-return-sign": (1, "as the weighted form"),
    "xexpy-": (1, "reached only through logsumexp's weights"),
}


def refused(case: Case) -> tuple[int, str] | None:
    return next((why for start, why in REFUSED.items() if case.id.startswith(start)), None)


def complex_inputs(case: Case) -> tuple:
    """The case's real inputs plus an imaginary part of up to a quarter of their scale."""
    rng = np.random.default_rng(zlib.crc32(("complex-" + case.id).encode()))
    xs = case.inputs(rng)
    return tuple(x + 0.25j * rng.uniform(-1.0, 1.0, x.shape) * (1.0 + np.abs(x)) for x in xs)


def numpy_refuses(case: Case, xs: tuple) -> bool:
    """Whether the function, on plain complex arrays, is refused (as NumPy refuses it) or
    drops imaginary parts (a ComplexWarning): then there is no complex derivative to check."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", np.exceptions.ComplexWarning)
        try:
            case.fn(*xs)
        except (TypeError, ValueError, NotImplementedError, np.exceptions.ComplexWarning, np.linalg.LinAlgError):
            return True
    return False


def leaf_values(tree) -> list:
    """The values of an output's leaves (split returns a list), unboxed."""
    if isinstance(tree, (list, tuple)):
        return [value for t in tree for value in leaf_values(t)]
    return [np.asarray(unbox_all(tree))]


by_id = pytest.mark.parametrize("case", ALL_CASES, ids=[c.id for c in ALL_CASES])
by_complex_id = pytest.mark.parametrize("case", COMPLEX_CASES, ids=[c.id for c in COMPLEX_CASES])


def check_complex_case(case: Case, xs: tuple) -> None:
    if numpy_refuses(case, xs):
        # and tinytorch refuses the boxes too: no derivative is made up
        with pytest.raises(Exception):  # noqa: B017, PT011 - whatever NumPy raised
            with warnings.catch_warnings():
                warnings.simplefilter("error", np.exceptions.ComplexWarning)
                case.fn(*[Variable(x, requires_grad=True) for x in xs])
        return
    if refused(case):
        order = refused(case)[0]
        if order == 2:
            assert gradcheck(case.fn, xs, eps=case.eps, atol=case.atol, rtol=case.rtol, order=1)
        with pytest.raises(NotImplementedError, match="complex"):
            gradcheck(case.fn, xs, eps=case.eps, atol=case.atol, rtol=case.rtol, order=order)
        return
    # the value on boxes, in both modes, is the function's value on plain arrays
    expected = leaf_values(case.fn(*xs))
    ones = [np.ones_like(x) for x in xs]
    for boxed in ([Variable(x, requires_grad=True) for x in xs], [Dual(x, t) for x, t in zip(xs, ones)]):
        got = leaf_values(case.fn(*boxed))
        assert len(got) == len(expected), f"{case.id}: {len(got)} outputs on boxes, {len(expected)} on arrays"
        for a, b in zip(got, expected):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12, err_msg=f"{case.id}: value on boxes")
    assert gradcheck(case.fn, xs, eps=case.eps, atol=case.atol, rtol=case.rtol, order=2)


@by_id
def test_every_case_on_complex_inputs(case):
    check_complex_case(case, complex_inputs(case))


@by_complex_id
def test_complex_cases(case):
    xs = case.draw(np.random.default_rng(zlib.crc32(case.id.encode())))
    xs = tuple(np.asarray(x, dtype=np.complex128 if np.iscomplexobj(x) else np.float64) for x in xs)
    check_complex_case(case, xs)


def test_every_refusal_names_cases():
    ids = [c.id for c in ALL_CASES + COMPLEX_CASES]
    assert [start for start in REFUSED if not any(i.startswith(start) for i in ids)] == []
