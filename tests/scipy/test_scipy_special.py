"""tinytorch.scipy.special: SciPy's values exactly, on arrays and boxes alike (float32
too, and broadcast); derivatives against closed forms (other recurrences than the rules
use, where there is a choice), to second order, and against finite differences; the
refusals; logsumexp with weights against SciPy's, its edge cases included."""

import subprocess
import sys

import numpy as np
import pytest
import scipy.special as sc

import tinytorch as tt
from tinytorch.autograd import Dual, Variable, grad, gradcheck, hessian, jacfwd, jacrev, jvp, vjp
from tinytorch.autograd.primitive import unbox_all as plain  # a result's value, boxed or not
from tinytorch.scipy import special

SQRT_PI = np.sqrt(np.pi)
GRID = np.linspace(-3.0, 3.0, 25)  # the poles of gamma among them: -3, -2, -1, 0
POSITIVE = np.linspace(0.0, 4.0, 17)
PROBABILITY = np.linspace(-0.1, 1.1, 13)  # the edges 0 and 1, and nan outside
rng = np.random.default_rng(0)


def same_as_scipy(actual, expected) -> None:
    actual, expected = np.asarray(plain(actual)), np.asarray(expected)
    assert actual.dtype == expected.dtype, (actual.dtype, expected.dtype)
    np.testing.assert_array_equal(actual, expected)


# --- values: SciPy's own, on arrays and on boxes ------------------------------------------

UNARY = {
    "gamma": GRID, "rgamma": GRID, "gammaln": GRID, "digamma": GRID, "psi": GRID, "gammasgn": GRID,
    "erf": GRID, "erfc": GRID, "erfcx": GRID, "erfinv": np.linspace(-1.2, 1.2, 13),
    "erfcinv": np.linspace(-0.2, 2.2, 13), "logit": PROBABILITY, "expit": GRID, "ndtr": GRID,
    "log_ndtr": np.linspace(-40.0, 10.0, 26), "ndtri": PROBABILITY, "j0": GRID, "j1": GRID, "y0": POSITIVE,
    "y1": POSITIVE, "i0": GRID, "i1": GRID, "i0e": GRID, "i1e": GRID, "sinc": GRID,
}  # fmt: skip
# (first argument's values, second's): broadcast against each other, (k, 1) with (m,)
BINARY = {
    "beta": (np.array([-1.5, 0.5, 1.0, 2.5]), np.array([0.3, 1.0, 4.0])),
    "betaln": (np.array([0.5, 1.0, 2.5]), np.array([0.3, 1.0, 4.0])),
    "xlogy": (np.array([0.0, 0.5, -1.5]), np.array([0.0, 0.5, 2.0, -1.0])),
    "xlog1py": (np.array([0.0, 0.5, -1.5]), np.array([-1.0, -0.5, 2.0, -2.0])),
    "gammainc": (np.array([0.5, 1.0, 2.5]), np.array([0.0, 0.5, 3.0, 10.0])),
    "gammaincc": (np.array([0.5, 1.0, 2.5]), np.array([0.0, 0.5, 3.0, 10.0])),
    "iv": (np.array([0.0, 0.5, 1.0, 2.5]), np.array([-1.5, 0.0, 0.3, 2.0, 10.0])),
    "ive": (np.array([0.0, 0.5, 1.0, 2.5]), np.array([-1.5, 0.0, 0.3, 2.0, 10.0])),
    "jv": (np.array([0.0, 0.5, 1.0, 2.5]), np.array([-1.5, 0.0, 0.3, 2.0, 10.0])),
    "jn": (np.array([0.0, 1.0, -2.0, 2.5]), np.array([-1.5, 0.0, 0.3, 2.0, 10.0])),  # jv itself: 2.5 too
    "yn": (np.array([0.0, 1.0, -2.0, 3.0]), np.array([-1.0, 0.0, 0.3, 2.0, 10.0])),  # integer orders
    "yv": (np.array([0.0, 0.5, 1.0, 2.5]), np.array([0.0, 0.3, 2.0, 10.0])),
    "kv": (np.array([0.0, 0.5, 1.0, 2.5]), np.array([0.0, 0.3, 2.0, 10.0])),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_values_are_scipys(name, dtype):
    x = UNARY[name].astype(dtype)
    expected = getattr(sc, name)(x)
    f = getattr(special, name)
    with np.errstate(all="ignore"):
        same_as_scipy(f(x), expected)
        same_as_scipy(f(Dual(x, np.ones_like(x))), expected)
        same_as_scipy(f(Variable(x, requires_grad=True)), expected)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_values_broadcast_as_scipys(name, dtype):
    x, y = (v.astype(dtype) for v in BINARY[name])
    x = x[:, None]
    expected = getattr(sc, name)(x, y)
    assert expected.shape == (x.shape[0], y.shape[0])
    f = getattr(special, name)
    with np.errstate(all="ignore"):
        same_as_scipy(f(x, y), expected)
        same_as_scipy(f(x, Dual(y, np.ones_like(y))), expected)
        same_as_scipy(f(Variable(x, requires_grad=True), y), expected)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_betainc_values_broadcast_as_scipys(dtype):
    a = np.array([0.5, 1.0, 3.0], dtype)[:, None, None]
    b = np.array([0.7, 2.0], dtype)[:, None]
    x = np.array([0.0, 0.2, 0.5, 0.9, 1.0], dtype)
    expected = sc.betainc(a, b, x)
    assert expected.shape == (3, 2, 5)
    same_as_scipy(special.betainc(a, b, x), expected)
    same_as_scipy(special.betainc(a, b, Dual(x, np.ones_like(x))), expected)


def test_polygamma_values_are_scipys_in_the_inputs_dtype():
    for n in range(4):
        same_as_scipy(special.polygamma(n, GRID), sc.polygamma(n, GRID))
        x = GRID.astype(np.float32)
        with np.errstate(all="ignore"):
            same_as_scipy(special.polygamma(n, Dual(x, np.ones_like(x))), sc.polygamma(n, x).astype(np.float32))


@pytest.mark.parametrize("d", [1, 2, 3, 5])
def test_multigammaln_values_are_scipys(d):
    a = np.linspace(0.5 * d, 0.5 * d + 4.0, 9)
    same_as_scipy(special.multigammaln(a, d), sc.multigammaln(a, d))
    same_as_scipy(special.multigammaln(Dual(a, np.ones_like(a)), d), sc.multigammaln(a, d))
    same_as_scipy(special.multigammaln(2.5 + d, d), sc.multigammaln(2.5 + d, d))
    # float32 stays float32 (SciPy's result is float64 there)
    out = special.multigammaln(a.astype(np.float32), d)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, sc.multigammaln(a, d), rtol=2e-6, atol=2e-6)


@pytest.mark.parametrize("box", [lambda a: Dual(a, np.ones_like(a)), lambda a: Variable(a, requires_grad=True)])
def test_multigammaln_refuses_a_outside_its_domain_as_scipy_does(box):
    with pytest.raises(ValueError, match="condition a"):
        sc.multigammaln(np.array([2.0, 0.9]), 3)
    with pytest.raises(ValueError, match="condition a"):
        special.multigammaln(np.array([2.0, 0.9]), 3)
    with pytest.raises(ValueError, match="condition a"):
        special.multigammaln(box(np.array([2.0, 0.9])), 3)
    for d in (2.5, 0):
        with pytest.raises(ValueError, match="positive integer"):
            special.multigammaln(3.0, d)


def test_multigammaln_checks_its_domain_at_every_compiled_call():
    f = tt.jit(lambda a: special.multigammaln(a, 3))
    np.testing.assert_allclose(f(np.array([2.0, 3.0])), sc.multigammaln(np.array([2.0, 3.0]), 3), rtol=1e-15)
    with pytest.raises(ValueError, match="condition a"):
        f(np.array([2.0, 0.9]))
    assert f.cache_info().misses == 1


def test_jn_is_scipys_jv_ufunc_under_its_other_name():
    z = np.array([-1.5, 0.3, 2.0])
    assert sc.jn is sc.jv and special.jn is special.jv
    same_as_scipy(special.jn(2.5, z), sc.jn(2.5, z))  # not truncated to J_2, unlike yn
    assert not np.allclose(sc.jn(2.5, z), sc.jn(2, z))


@pytest.mark.parametrize("n", [2, np.array([0, 1, -2, 3])], ids=["python-int", "int-array"])
def test_yn_of_an_int_order_is_float64_as_scipys(n):
    x = np.array([0.3, 1.0, 2.0, 10.0], np.float32)
    expected = sc.yn(n, x)
    assert expected.dtype == np.float64  # SciPy's integer-order loop
    same_as_scipy(special.yn(n, x), expected)
    out, tangent = jvp(lambda x: special.yn(n, x), (x,), (np.ones_like(x),))
    same_as_scipy(out, expected)
    assert tangent.dtype == np.float64
    cotangent = vjp(lambda x: special.yn(n, x), x)[1](np.ones(4))[0]
    assert cotangent.dtype == np.float32  # the input's


def test_yn_of_a_python_float_order_keeps_float32_in_its_derivatives():
    # SciPy's float loop gives float32 here; the rule's orders trunc(n) -+ 1 are float64 scalars
    x = np.array([0.3, 1.0, 2.0], np.float32)
    f = lambda x: special.yn(2.0, x)  # noqa: E731
    assert f(x).dtype == sc.yn(2.0, x).dtype == np.float32
    out, tangent = jvp(f, (x,), (np.ones_like(x),))
    assert out.dtype == tangent.dtype == np.float32
    assert jacfwd(f)(x).dtype == jacrev(f)(x).dtype == np.float32
    assert hessian(lambda x: tt.sum(f(x)))(x).dtype == np.float32


@pytest.mark.parametrize("n", [2.7, -2.7, 0.5, -0.5, 1.0 - 1e-9])
def test_yn_truncates_a_float_order_as_scipy_does(n):
    # SciPy's yn takes an integer order: a float one is truncated toward zero, with a
    # RuntimeWarning, and the derivative is that of Y at the truncated order
    x = np.array([0.4, 1.3, 3.0])
    m = int(np.trunc(n))
    with pytest.warns(RuntimeWarning, match="truncated to an integer"):
        expected = sc.yn(n, x)
    np.testing.assert_array_equal(expected, sc.yn(m, x))
    for box in (lambda x: x, lambda x: Dual(x, np.ones_like(x)), lambda x: Variable(x, requires_grad=True)):
        with pytest.warns(RuntimeWarning, match="truncated to an integer"):
            same_as_scipy(special.yn(n, box(x)), expected)
    with pytest.warns(RuntimeWarning, match="truncated to an integer"):
        forward, reverse = both_modes(lambda x: special.yn(n, x), x)
    closed_form = sc.yn(m - 1, x) - m / x * sc.yn(m, x)  # Y'_m = Y_{m-1} - (m / x) Y_m
    np.testing.assert_allclose(forward, closed_form, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(reverse, closed_form, rtol=1e-12, atol=1e-14)


def test_gammasgn_is_a_constant_factor():
    x = np.array([-2.5, -1.5, -0.5, 0.5, 2.5])
    assert not isinstance(special.gammasgn(Dual(x, np.ones_like(x))), Dual)
    expected = np.diag(sc.gammasgn(x) * sc.gamma(x) * sc.digamma(x))  # |Gamma|' = sgn Gamma psi
    abs_gamma = lambda x: special.gamma(x) * special.gammasgn(x)  # noqa: E731
    np.testing.assert_allclose(jacfwd(abs_gamma)(x), expected, rtol=1e-13)
    np.testing.assert_allclose(jacrev(abs_gamma)(x), expected, rtol=1e-13)


def test_importing_it_leaves_scipy_unimported():
    code = "import sys, tinytorch.scipy.special; print('scipy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300)
    assert out.stdout == "False\n"


# --- derivatives against closed forms -------------------------------------------------------


def both_modes(f, x):
    """The elementwise f's derivative at each entry of x: by forward mode and by reverse mode."""
    forward = jvp(f, (x,), (np.ones_like(x),))[1]
    reverse = vjp(f, x)[1](np.ones_like(x))[0]
    return forward, reverse


X = np.array([0.15, 0.7, 1.3, 2.9])  # one point per entry of the parameters below
A = np.array([0.5, 1.0, 2.5, 7.0])
B = np.array([3.0, 0.6, 1.0, 2.2])
V = np.array([0.0, 0.5, 1.0, 2.5])
N = np.array([0.0, 1.0, 2.0, 3.0])  # integer orders: real for negative z too
M = np.array([0, 1, -2, 3])  # yn's, as ints (SciPy's type for them)
Z = np.array([-2.1, -0.4, 0.6, 2.4])  # both signs, for the functions defined there
P = np.array([0.05, 0.3, 0.6, 0.97])

CLOSED_FORMS = {
    # name: (function, points, derivative)
    "gammainc": (lambda x: special.gammainc(A, x), X, lambda x: x ** (A - 1) * np.exp(-x) / sc.gamma(A)),
    "gammaincc": (lambda x: special.gammaincc(A, x), X, lambda x: -(x ** (A - 1)) * np.exp(-x) / sc.gamma(A)),
    "betainc": (lambda x: special.betainc(A, B, x), P, lambda x: x ** (A - 1) * (1 - x) ** (B - 1) / sc.beta(A, B)),
    "gamma": (special.gamma, Z, lambda x: sc.gamma(x) * sc.digamma(x)),
    "rgamma": (special.rgamma, Z, lambda x: -sc.digamma(x) / sc.gamma(x)),
    "gammaln": (special.gammaln, Z, sc.digamma),
    "digamma": (special.digamma, Z, lambda x: sc.polygamma(1, x)),
    "polygamma-2": (lambda x: special.polygamma(2, x), X, lambda x: sc.polygamma(3, x)),
    "beta-a": (lambda a: special.beta(a, B), A, lambda a: sc.beta(a, B) * (sc.digamma(a) - sc.digamma(a + B))),
    "beta-b": (lambda b: special.beta(A, b), B, lambda b: sc.beta(A, b) * (sc.digamma(b) - sc.digamma(A + b))),
    "betaln-a": (lambda a: special.betaln(a, B), A, lambda a: sc.digamma(a) - sc.digamma(a + B)),
    "multigammaln": (lambda a: special.multigammaln(a, 3), A + 1.5,
                     lambda a: sc.digamma(a) + sc.digamma(a - 0.5) + sc.digamma(a - 1.0)),
    "erf": (special.erf, Z, lambda x: 2 / SQRT_PI * np.exp(-(x**2))),
    "erfc": (special.erfc, Z, lambda x: -2 / SQRT_PI * np.exp(-(x**2))),
    "erfcx": (special.erfcx, X, lambda x: 2 * x * np.exp(x**2) * sc.erfc(x) - 2 / SQRT_PI),
    "erfinv": (special.erfinv, 2 * P - 1, lambda x: SQRT_PI / 2 * np.exp(sc.erfinv(x) ** 2)),
    "erfcinv": (special.erfcinv, 2 * P, lambda x: -SQRT_PI / 2 * np.exp(sc.erfcinv(x) ** 2)),
    "ndtr": (special.ndtr, Z, lambda x: np.exp(-(x**2) / 2) / np.sqrt(2 * np.pi)),
    "log_ndtr": (special.log_ndtr, Z, lambda x: np.exp(-(x**2) / 2) / np.sqrt(2 * np.pi) / sc.ndtr(x)),
    "ndtri": (special.ndtri, P, lambda p: np.sqrt(2 * np.pi) * np.exp(sc.ndtri(p) ** 2 / 2)),
    "logit": (special.logit, P, lambda p: 1 / (p * (1 - p))),
    "expit": (special.expit, Z, lambda x: sc.expit(x) * (1 - sc.expit(x))),
    "xlogy-x": (lambda x: special.xlogy(x, X), Z, lambda x: np.log(X)),
    "xlogy-y": (lambda y: special.xlogy(Z, y), X, lambda y: Z / y),
    "xlog1py-y": (lambda y: special.xlog1py(Z, y), P - 0.5, lambda y: Z / (1 + y)),
    # the Bessel functions by the other recurrence: F'_v = F_{v-1} - (v / z) F_v (K: -K_{v-1})
    "j0": (special.j0, Z, lambda x: -sc.j1(x)),
    "j1": (special.j1, Z, lambda x: sc.j0(x) - sc.j1(x) / x),
    "y0": (special.y0, X, lambda x: -sc.y1(x)),
    "y1": (special.y1, X, lambda x: sc.y0(x) - sc.y1(x) / x),
    "i0": (special.i0, Z, sc.i1),
    "i1": (special.i1, Z, lambda x: sc.i0(x) - sc.i1(x) / x),
    "i0e": (special.i0e, Z, lambda x: np.exp(-abs(x)) * (sc.i1(x) - np.sign(x) * sc.i0(x))),
    "i1e": (special.i1e, Z, lambda x: np.exp(-abs(x)) * (sc.i0(x) - sc.i1(x) / x - np.sign(x) * sc.i1(x))),
    "iv": (lambda z: special.iv(V, z), X, lambda z: sc.iv(V - 1, z) - V / z * sc.iv(V, z)),
    "ive": (lambda z: special.ive(N, z), Z,
            lambda z: np.exp(-abs(z)) * (sc.iv(N - 1, z) - (N / z + np.sign(z)) * sc.iv(N, z))),
    "jv": (lambda z: special.jv(V, z), X, lambda z: sc.jv(V - 1, z) - V / z * sc.jv(V, z)),
    "yv": (lambda z: special.yv(V, z), X, lambda z: sc.yv(V - 1, z) - V / z * sc.yv(V, z)),
    "jn": (lambda z: special.jn(N, z), Z, lambda z: sc.jv(N - 1, z) - N / z * sc.jv(N, z)),
    "yn": (lambda x: special.yn(M, x), X, lambda x: sc.yn(M - 1, x) - M / x * sc.yn(M, x)),
    "kv": (lambda z: special.kv(V, z), X, lambda z: -sc.kv(V - 1, z) - V / z * sc.kv(V, z)),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(CLOSED_FORMS))
def test_first_derivatives_equal_closed_forms(name):
    f, x, derivative = CLOSED_FORMS[name]
    forward, reverse = both_modes(f, x)
    np.testing.assert_allclose(forward, derivative(x), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(reverse, derivative(x), rtol=1e-12, atol=1e-14)


SECOND_DERIVATIVES = {
    "gammainc": (lambda x: special.gammainc(A, x), X, lambda x: x ** (A - 2) * np.exp(-x) * (A - 1 - x) / sc.gamma(A)),
    "betainc": (lambda x: special.betainc(A, B, x), P,
                lambda x: x ** (A - 1) * (1 - x) ** (B - 1) / sc.beta(A, B) * ((A - 1) / x - (B - 1) / (1 - x))),
    "i0": (special.i0, Z, lambda x: sc.i0(x) - sc.i1(x) / x),
    "j0": (special.j0, Z, lambda x: sc.j1(x) / x - sc.j0(x)),
    "erfinv": (special.erfinv, 2 * P - 1, lambda x: 2 * sc.erfinv(x) * (SQRT_PI / 2 * np.exp(sc.erfinv(x) ** 2)) ** 2),
    "logit": (special.logit, P, lambda p: (2 * p - 1) / (p * (1 - p)) ** 2),
    "gammaln": (special.gammaln, Z, lambda x: sc.polygamma(1, x)),
    # z^2 K'' + z K' - (z^2 + v^2) K = 0, with K' = -K_{v-1} - (v / z) K_v
    "kv": (lambda z: special.kv(V, z), X, lambda z: sc.kv(V, z) * (1 + (V**2 + V) / z**2) + sc.kv(V - 1, z) / z),
    # Bessel's equation x^2 Y'' + x Y' + (x^2 - n^2) Y = 0, with Y' = Y_{n-1} - (n / x) Y_n
    "yn": (lambda x: special.yn(M, x), X,
           lambda x: -(sc.yn(M - 1, x) - M / x * sc.yn(M, x)) / x - (1 - M**2 / x**2) * sc.yn(M, x)),
    # d/dx log Phi = phi / Phi = r: r' = -r (x + r)
    "log_ndtr": (special.log_ndtr, Z,
                 lambda x: -(r := np.exp(-(x**2) / 2) / np.sqrt(2 * np.pi) / sc.ndtr(x)) * (x + r)),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(SECOND_DERIVATIVES))
def test_second_derivatives_equal_closed_forms(name):
    f, x, second = SECOND_DERIVATIVES[name]
    for nested in (hessian, lambda g: jacrev(jacrev(g)), lambda g: jacfwd(jacfwd(g))):
        h = nested(lambda x: tt.sum(f(x)))(x)
        np.testing.assert_allclose(np.diag(h), second(x), rtol=1e-10, atol=1e-12)
        np.testing.assert_array_equal(h - np.diag(np.diag(h)), 0.0)  # elementwise: a diagonal Hessian


def test_log_ndtr_derivative_far_out_on_the_left():
    # phi / Phi by the asymptotic Mills ratio: Phi(x) / phi(x) = (1 - 1/x^2 + 3/x^4 - 15/x^6 ...) / |x|,
    # where both Phi and phi underflow and exp(-x^2 / 2 - log_ndtr(x)) would cancel to nonsense
    x = np.array([-1e10, -1e5, -1e3, -100.0])
    expected = -x / (1 - 1 / x**2 + 3 / x**4 - 15 / x**6)
    for derivative in both_modes(special.log_ndtr, x):
        np.testing.assert_allclose(derivative, expected, rtol=1e-13)


@pytest.mark.parametrize(
    "f, x",
    [
        (special.gamma, [0.0, -1.0]), (special.gammaln, [0.0, -2.0]), (special.digamma, [0.0, -1.0]),
        (special.rgamma, [-1.0]),  # finite in truth ((-1)^n n!), but -rgamma * digamma is 0 * inf
        (special.erfinv, [1.0, -1.0]), (special.erfcinv, [0.0, 2.0]), (special.logit, [0.0, 1.0]),
        (special.ndtri, [0.0, 1.0]), (special.y0, [0.0]), (special.y1, [0.0]),
        (lambda y: special.xlogy(0.0, y), [0.0]),
    ],
)  # fmt: skip
def test_at_poles_and_edges_the_derivative_is_not_finite(f, x):
    x = np.array(x)
    with np.errstate(all="ignore"):
        for derivative in both_modes(f, x):
            assert not np.isfinite(derivative).any(), derivative


def test_xlogy_at_zero_follows_jax():
    assert special.xlogy(0.0, 0.0) == 0.0 and special.xlog1py(0.0, -1.0) == 0.0
    with np.errstate(all="ignore"):
        dx, dy = grad(special.xlogy, argnums=(0, 1))(0.0, 0.0)
        assert dx == -np.inf and np.isnan(dy)  # log(y) and x / y
        dx, dy = grad(special.xlogy, argnums=(0, 1))(0.0, 2.0)
        assert dx == np.log(2.0) and dy == 0.0
        assert grad(special.xlog1py)(0.0, -1.0) == -np.inf


def test_a_composite_differentiates_as_finite_differences_say():
    # log densities of Beta(a, b) and Gamma(k) and a weighted logsumexp: to second order, both modes
    x = np.array([0.2, 0.45, 0.8])

    def f(p):
        a, b, k, w = p[0], p[1], p[2], p[3]
        beta_density = special.xlogy(a - 1, x) + special.xlog1py(b - 1, -x) - special.betaln(a, b)
        gamma_density = special.xlogy(k - 1, x) - x - special.gammaln(k) + special.gammainc(2.5, k * x)
        mixed = special.logsumexp(beta_density, b=tt.stack([w, 1 - w, special.expit(w)]))
        return tt.sum(beta_density) + tt.sum(gamma_density) + mixed + special.iv(1.5, k) + special.erfinv(w / 2)

    assert gradcheck(f, (np.array([2.5, 1.7, 3.2, 0.3]),), order=2, modes=("forward", "reverse"))


# --- what is not differentiated -------------------------------------------------------------

REFUSALS = [
    # function, arguments, the differentiated one, its name in the message
    (special.betainc, (2.0, 3.0, 0.4), 0, "a"),
    (special.betainc, (2.0, 3.0, 0.4), 1, "b"),
    (special.gammainc, (2.0, 0.4), 0, "a"),
    (special.gammaincc, (2.0, 0.4), 0, "a"),
    (special.iv, (1.5, 0.4), 0, "the order v"),
    (special.ive, (1.5, 0.4), 0, "the order v"),
    (special.jv, (1.5, 0.4), 0, "the order v"),
    (special.yv, (1.5, 0.4), 0, "the order v"),
    (special.yn, (2.0, 0.4), 0, "the order n"),
    (special.kv, (1.5, 0.4), 0, "the order v"),
]


def along(f, args: tuple, argnum: int):
    """f as a function of its argument `argnum` alone, the others fixed."""
    return lambda x: f(*args[:argnum], x, *args[argnum + 1 :])


@pytest.mark.parametrize("f, args, argnum, what", REFUSALS, ids=[f"{r[0].name}-{r[3]}" for r in REFUSALS])
def test_differentiating_a_parameter_raises_naming_it(f, args, argnum, what):
    message = f"{f.name}: the derivative with respect to {what} is not implemented"
    with pytest.raises(NotImplementedError, match=message):
        jvp(along(f, args, argnum), (args[argnum],), (1.0,))
    with pytest.raises(NotImplementedError, match=message):
        grad(along(f, args, argnum))(args[argnum])
    # the last argument stays differentiable, with the parameters plain values
    last = len(args) - 1
    assert np.isfinite(grad(along(f, args, last))(args[last]))


# --- logsumexp with weights, against SciPy ----------------------------------------------------

INF, NAN = np.inf, np.nan
LOGSUMEXP = {
    # id: (a, keyword arguments)
    "rows-weighted": (rng.standard_normal((3, 4)), {"axis": -1, "b": rng.uniform(0.5, 2.0, 4)}),
    "zero-weight-on-a-huge-a": (np.array([1000.0, 0.0, 1.0]), {"b": np.array([0.0, 1.0, 2.0])}),
    "zero-weight-on-inf-and-nan": (np.array([INF, NAN, 0.5, -1.0]), {"b": np.array([0.0, 0.0, 1.0, 3.0])}),
    "negative-sum-with-sign": (np.array([0.0, 1.0, 0.2]), {"b": np.array([1.0, -2.0, 0.5]), "return_sign": True}),
    "negative-sum-is-nan": (np.array([0.0, 1.0, 0.2]), {"b": np.array([1.0, -2.0, 0.5])}),
    "all-weights-zero": (np.array([0.3, 1.0]), {"b": np.zeros(2), "return_sign": True}),
    "all-a-minus-inf": (np.array([-INF, -INF]), {"b": np.array([1.0, -1.0]), "return_sign": True}),
    "a-plus-inf-negative-weight": (np.array([INF, 0.0]), {"b": np.array([-1.0, 1.0]), "return_sign": True}),
    # one weight in four negative and small: no sum near 0, where the two computations' rounding would differ
    "axes-keepdims-broadcast-weights": (rng.standard_normal((2, 3, 4)),
                                        {"axis": (0, 2), "b": rng.uniform(0.5, 2.0, (2, 1, 4)) * [1.0, -0.2, 1.0, 1.0],
                                         "keepdims": True, "return_sign": True}),
    "weights-broadcast-a": (rng.standard_normal(4), {"b": rng.uniform(0.5, 2.0, (3, 4)), "axis": 1}),
    "scalars": (np.array(0.7), {"b": 2.0, "keepdims": True}),
    "no-weights-with-sign": (rng.standard_normal((3, 4)), {"axis": 0, "return_sign": True}),
    "no-weights": (rng.standard_normal((3, 4)), {"axis": (0, 1)}),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(LOGSUMEXP))
def test_logsumexp_equals_scipys(name):
    a, kwargs = LOGSUMEXP[name]
    with np.errstate(all="ignore"):
        expected = sc.logsumexp(a, **kwargs)
        # arrays: SciPy's own function
        for got, want in zip(as_tuple(special.logsumexp(a, **kwargs)), as_tuple(expected), strict=True):
            same_as_scipy(got, want)
        # boxes: the table's ops, equal to rounding, with the same infs, nans and signs
        boxed = special.logsumexp(Dual(a, np.ones_like(a)), **kwargs)
        if "b" in kwargs:
            b = np.asarray(kwargs["b"], dtype=float)
            boxed_b = special.logsumexp(a, **{**kwargs, "b": Dual(b, np.ones_like(b))})
        else:
            boxed_b = boxed
    for out in (boxed, boxed_b):
        if kwargs.get("return_sign"):
            (out, sign), (expected_out, expected_sign) = out, expected
            np.testing.assert_array_equal(sign, expected_sign)
            assert not isinstance(sign, Dual)
        else:
            expected_out = expected
        assert plain(out).shape == np.shape(expected_out)
        np.testing.assert_allclose(plain(out), expected_out, rtol=1e-14, atol=1e-14)


def as_tuple(result) -> tuple:
    return result if isinstance(result, tuple) else (result,)


def weighted_probabilities(a, b):
    """b_i e^(a_i) / S, the derivative of log|S| in a, S = sum_i b_i e^(a_i) (any sign)."""
    terms = b * np.exp(a - a.max())
    return terms / terms.sum()


WEIGHTS = {"positive": [0.5, 2.0, 1.0, 0.3], "mixed": [2.0, -0.4, 1.5, -0.2], "negative-sum": [-1.0, 0.2, -0.5, 0.1]}


@pytest.mark.parametrize("weights", sorted(WEIGHTS))
def test_logsumexp_derivatives_equal_closed_forms(weights):
    b = np.array(WEIGHTS[weights])
    a = np.array([0.3, -1.2, 0.8, 0.1])
    f = lambda a, b: special.logsumexp(a, b=b, return_sign=True)[0]  # noqa: E731
    p = weighted_probabilities(a, b)
    q = p / b  # the derivative in b: e^(a_i) / S
    for jac in (jacfwd, jacrev):
        d_a, d_b = jac(f, argnums=(0, 1))(a, b)
        np.testing.assert_allclose(d_a, p, rtol=1e-13)
        np.testing.assert_allclose(d_b, q, rtol=1e-13)
    # second order: d2/da2 = diag(p) - p p^T, d2/da db = diag(q) - p q^T, d2/db2 = -q q^T
    (h_aa, h_ab), (h_ba, h_bb) = jacfwd(jacrev(f, argnums=(0, 1)), argnums=(0, 1))(a, b)
    np.testing.assert_allclose(h_aa, np.diag(p) - np.outer(p, p), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(h_ab, np.diag(q) - np.outer(p, q), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(h_ba, h_ab.T, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(h_bb, -np.outer(q, q), rtol=1e-12, atol=1e-14)


def test_logsumexp_zero_weights_keep_their_derivative_in_b():
    a, b = np.array([2.0, 0.3, 1.0]), np.array([0.0, 1.0, 2.0])
    result = np.log(np.exp(0.3) + 2 * np.exp(1.0))
    for jac in (jacfwd, jacrev):
        d_a, d_b = jac(lambda a, b: special.logsumexp(a, b=b), argnums=(0, 1))(a, b)
        np.testing.assert_allclose(d_a, [0.0, np.exp(0.3 - result), 2 * np.exp(1.0 - result)], rtol=1e-14)
        np.testing.assert_allclose(d_b, np.exp(a - result), rtol=1e-14)


def test_a_zero_weight_on_a_huge_a_drops_its_term_but_not_its_derivative_in_b():
    a, b = np.array([1000.0, 0.3, 1.0]), np.array([0.0, 1.0, 2.0])
    result = np.log(np.exp(0.3) + 2 * np.exp(1.0))
    assert special.logsumexp(Dual(a, np.ones(3)), b=b).primal == pytest.approx(result, rel=1e-15)
    for jac in (jacfwd, jacrev):  # no derivative in a: the term is 0 for every a
        np.testing.assert_allclose(jac(lambda a: special.logsumexp(a, b=b))(a), [0.0, *np.exp(a[1:] - result) * b[1:]])
    # in b it is e^(1000 - result), which overflows: inf, and the others as they are
    with np.errstate(over="ignore"):
        d_b = grad(lambda b: special.logsumexp(a, b=b))(b)
    assert d_b[0] == np.inf
    np.testing.assert_allclose(d_b[1:], np.exp(a[1:] - result), rtol=1e-14)


def test_logsumexp_of_a_negative_sum_is_nan_with_a_nan_derivative():
    a, b = np.array([0.0, 1.0]), np.array([1.0, -2.0])
    assert np.isnan(sc.logsumexp(a, b=b))
    value, d_a = jvp(lambda a: special.logsumexp(a, b=b), (a,), (np.ones(2),))
    assert np.isnan(value) and np.isnan(d_a)
    assert np.isnan(grad(lambda a: special.logsumexp(a, b=b))(a)).all()
