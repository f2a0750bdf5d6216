"""tinytorch.scipy.stats: SciPy's values (broadcast parameters, loc and scale, points outside
the support, invalid parameters, float32) on arrays and boxes; derivatives against closed
forms and central differences; derivative 0, never nan, outside the support; the refusals;
SciPy's errors for dirichlet and multivariate_normal."""

import numpy as np
import pytest
import scipy.special as sc
import scipy.stats as ss

import tinytorch as tt
from tinytorch.autograd import Dual, Variable, grad, gradcheck, jacfwd, jacrev, jvp, vjp
from tinytorch.autograd.primitive import unbox_all as plain  # a result's value, boxed or not
from tinytorch.scipy import stats


def boxed(args: tuple) -> dict:
    """The arguments plain, and with the first made a Dual, and a Variable."""
    x, *rest = args
    return {
        "plain": args,
        "Dual": (Dual(x, np.ones_like(x)), *rest),
        "Variable": (Variable(x, requires_grad=True), *rest),
    }


def derivatives(f, x):
    """The elementwise f's derivative at each entry of x, by forward and by reverse mode."""
    forward = jvp(f, (x,), (np.ones_like(x),))[1]
    reverse = vjp(f, x)[1](np.ones_like(x))[0]
    return forward, reverse


def assert_derivative(f, x, expected, rtol=1e-12, atol=1e-14):
    for mode, d in zip(("forward", "reverse"), derivatives(f, x)):
        np.testing.assert_allclose(d, expected, rtol=rtol, atol=atol, err_msg=mode)


# --- values: SciPy's ------------------------------------------------------------------------

X = np.array([-np.inf, -3.0, -0.5, 0.0, 0.2, 0.5, 1.0, 1.7, 4.0, 30.0, np.inf, np.nan])
P = np.array([-0.5, 0.0, 1e-300, 0.1, 0.5, 0.9, 1.0, 1.5, np.nan])
# shape parameters: typical, at 1 and below, invalid (0, negative, nan)
SHAPES = np.array([0.4, 1.0, 2.0, 3.7, 0.0, -1.0, np.nan])
DF = np.array([0.3, 1.0, 2.5, 7.0, 1e3, np.inf, 0.0, -1.0, np.nan])
LOCS, SCALES = np.array([0.0, 0.3]), np.array([1.0, 2.5, 0.0, -1.0])


def axes(*args: np.ndarray) -> tuple:
    """The arguments broadcast against each other, the first along the last axis, the next
    along the one before, and so on: every combination, as SciPy broadcasts them."""
    return tuple(a.reshape(a.shape + (1,) * i) for i, a in enumerate(args))


CASES = {  # SciPy's distribution and function: its arguments, loc and scale last
    **{f"norm.{fn}": axes(X, LOCS, SCALES) for fn in ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf")},
    "norm.ppf": axes(P, LOCS, SCALES),
    **{f"t.{fn}": axes(X, DF, LOCS, SCALES) for fn in ("logpdf", "pdf", "cdf", "logcdf")},
    **{f"{d}.{fn}": axes(X, SHAPES, LOCS, SCALES) for d in ("chi2", "gamma") for fn in ("logpdf", "pdf", "cdf")},
    **{f"beta.{fn}": axes(X / 4, SHAPES, SHAPES, LOCS, SCALES) for fn in ("logpdf", "pdf", "cdf")},
}
# (SciPy's value at +inf is inf - inf = nan there; ours is the limit, -inf and 0)
AT_INFINITY = {"chi2.logpdf", "chi2.pdf", "gamma.logpdf", "gamma.pdf"}


def scipys(name: str, args: tuple) -> np.ndarray:
    dist, fn = name.split(".")
    *head, loc, scale = args
    with np.errstate(all="ignore"):
        return getattr(getattr(ss, dist), fn)(*head, loc=loc, scale=scale)


def ours(name: str, args: tuple):
    dist, fn = name.split(".")
    with np.errstate(all="ignore"):
        return getattr(getattr(stats, dist), fn)(*args)


def finite_at_infinity(name: str, args: tuple, expected: np.ndarray) -> np.ndarray:
    """SciPy's values, with the limits where its formula gives inf - inf at x = +inf."""
    if name not in AT_INFINITY:
        return expected
    limit = -np.inf if name.endswith("logpdf") else 0.0
    at_inf = np.broadcast_to(args[0] == np.inf, expected.shape) & np.isnan(expected)
    valid = ~np.isnan(ours(name, args))
    return np.where(at_inf & valid, limit, expected)


@pytest.mark.parametrize("kind", ["plain", "Dual", "Variable"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_values_are_scipys(name, kind):
    args = CASES[name]
    expected = finite_at_infinity(name, args, scipys(name, args))
    out = plain(ours(name, boxed(args)[kind]))
    assert np.shape(out) == expected.shape and np.result_type(out) == np.float64
    # t: SciPy's log(poch(df/2, 1/2)) is itself a few 1e-13 off at df = 1000
    np.testing.assert_allclose(out, expected, rtol=1e-12 if name.startswith("t.") else 1e-13, atol=1e-300)


def test_the_limits_at_infinity_where_scipy_gives_nan():
    # gamma's density at x = inf with a > 1: xlogy(a - 1, inf) - inf is nan in SciPy
    assert np.isnan(ss.gamma.logpdf(np.inf, 2.0))
    assert stats.gamma.logpdf(np.inf, 2.0) == -np.inf and stats.gamma.pdf(np.inf, 2.0) == 0.0
    assert stats.chi2.logpdf(np.inf, 5.0) == -np.inf
    # poisson at k = inf, an "integer": SciPy's xlogy(inf, mu) - gammaln(inf) is nan
    assert np.isnan(ss.poisson.logpmf(np.inf, 2.0))
    assert stats.poisson.logpmf(np.inf, 2.0) == -np.inf and stats.poisson.pmf(np.inf, 2.0) == 0.0


def test_scalars_in_give_numpy_scalars_out_as_scipy():
    for out, expected in [
        (stats.norm.logpdf(0.5), ss.norm.logpdf(0.5)),
        (stats.t.cdf(0.5, 3), ss.t.cdf(0.5, 3)),
        (stats.gamma.logpdf(-1.0, 2.0), ss.gamma.logpdf(-1.0, 2.0)),
        (stats.poisson.pmf(3, 2.5), ss.poisson.pmf(3, 2.5)),
        (stats.dirichlet.logpdf([0.2, 0.8], [2.0, 3.0]), ss.dirichlet.logpdf([0.2, 0.8], [2.0, 3.0])),
        (stats.multivariate_normal.logpdf(0.3), ss.multivariate_normal.logpdf(0.3)),
    ]:
        assert type(out) is np.float64
        assert out == pytest.approx(expected, rel=1e-14)


@pytest.mark.parametrize("name", sorted(CASES))
def test_float32_stays_float32_and_is_scipys_to_float32_rounding(name):
    args = tuple(a.astype(np.float32) for a in CASES[name])
    out = ours(name, args)
    assert out.dtype == np.float32
    expected = finite_at_infinity(name, args, scipys(name, args))  # SciPy's, in float64
    big = np.abs(expected) > 1e30  # float32 overflows where float64 does not (1 / scale^40 ...)
    np.testing.assert_allclose(np.where(big, 0, out), np.where(big, 0, expected), rtol=2e-5, atol=1e-6)


def test_t_for_large_df_is_accurate_where_lgamma_differences_cancel():
    x, df = np.array([-3.0, 0.0, 0.5, 40.0]), np.array([[20.0], [1e3], [1e6], [1e12], [1e17]])
    np.testing.assert_allclose(stats.t.logpdf(x, df), ss.t.logpdf(x, df), rtol=2e-12)
    # where t is the normal to rounding: lgamma differences there would be off by 1e-6
    np.testing.assert_allclose(stats.t.logpdf(x[:3], 1e17), ss.norm.logpdf(x[:3]), rtol=1e-15)
    np.testing.assert_allclose(stats.t.cdf(x, df), ss.t.cdf(x, df), rtol=1e-14)


POISSON_K = np.array([-1.0, 0.0, 1.0, 2.5, 3.0, 12.0, np.inf, -np.inf, np.nan])[:, None]
POISSON_MU = np.array([0.0, 0.5, 3.0, 10.0, -1.0, np.nan])


@pytest.mark.parametrize("fn", ["logpmf", "pmf", "cdf"])
@pytest.mark.parametrize("loc", [0.0, 1.0, np.array([0.0, 0.5, 2.0, 0.0, 0.0, 0.0])])
def test_poisson_values_are_scipys(fn, loc):
    with np.errstate(all="ignore"):
        expected = getattr(ss.poisson, fn)(POISSON_K, POISSON_MU, loc)
    if fn != "cdf":  # at k = inf: SciPy's nan, ours the limit (see above)
        limit = -np.inf if fn == "logpmf" else 0.0
        expected = np.where((POISSON_K == np.inf) & (POISSON_MU >= 0), limit, expected)
    for args in boxed((POISSON_MU, POISSON_K, loc)).values():
        mu, k, loc_ = args
        out = plain(getattr(stats.poisson, fn)(k, mu, loc_))
        np.testing.assert_allclose(out, expected, rtol=1e-14, atol=1e-300)
    out32 = getattr(stats.poisson, fn)(POISSON_K.astype(np.float32), POISSON_MU.astype(np.float32), loc)
    assert out32.dtype == (np.float32 if np.ndim(loc) == 0 else np.float64)  # a float64 array promotes, as in NumPy


DIRICHLET_ALPHA = np.array([0.7, 1.0, 2.5, 4.0])
DIRICHLET_X = np.array([[0.1, 0.25, 0.4, 0.25], [0.6, 0.1, 0.1, 0.2], [0.25, 0.25, 0.25, 0.25]]).T  # (4, 3)


@pytest.mark.parametrize("fn", ["logpdf", "pdf"])
@pytest.mark.parametrize("x", [DIRICHLET_X[:, 0], DIRICHLET_X, DIRICHLET_X[:3, 0], DIRICHLET_X[:3], DIRICHLET_X[:, :1]])
def test_dirichlet_values_are_scipys(fn, x):
    expected = getattr(ss.dirichlet, fn)(x, DIRICHLET_ALPHA)
    for kind, args in boxed((x, DIRICHLET_ALPHA)).items():
        out = plain(getattr(stats.dirichlet, fn)(*args))
        assert np.shape(out) == np.shape(expected), kind
        np.testing.assert_allclose(out, expected, rtol=1e-14)
    out32 = getattr(stats.dirichlet, fn)(x.astype(np.float32), DIRICHLET_ALPHA.astype(np.float32))
    assert out32.dtype == np.float32
    np.testing.assert_allclose(out32, expected, rtol=1e-5)


def test_dirichlet_on_the_edge_of_the_simplex():
    alpha = np.array([1.0, 2.0, 1.5])
    for x in ([0.0, 0.3, 0.7], [0.3, 0.0, 0.7], [0.5, 0.5]):  # x_i = 0 where alpha_i >= 1: 0 or -inf
        assert stats.dirichlet.logpdf(x, alpha) == ss.dirichlet.logpdf(x, alpha)


@pytest.mark.parametrize("box", [False, True])
@pytest.mark.parametrize(
    "x, alpha, message",
    [
        ([0.2, 0.3, 0.6], [1.0, 2.0, 3.0], "normal simplex"),
        ([-0.1, 0.6, 0.5], [1.0, 2.0, 3.0], "greater than or equal to zero"),
        ([1.2, -0.2], [1.0, 2.0, 3.0], "greater than or equal to zero"),
        ([0.5, 0.5, 0.0], [1.0, 2.0, 0.5], "greater than zero if its alpha is less than one"),
        ([0.2, 0.3, 0.5], [1.0, 0.0, 3.0], "greater than 0"),
        ([0.2, 0.3, 0.5], [[1.0, 2.0, 3.0]], "one dimensional"),
        ([0.5, 0.5], [1.0, 2.0, 3.0, 4.0], "one entry fewer"),
    ],
)
def test_dirichlet_raises_scipys_errors(x, alpha, message, box):
    with pytest.raises(ValueError, match=message):
        ss.dirichlet.logpdf(np.array(x), np.array(alpha))
    x = np.array(x)
    with pytest.raises(ValueError, match=message):
        stats.dirichlet.logpdf(Variable(x, requires_grad=True) if box else x, np.array(alpha))


def test_dirichlet_checks_the_simplex_at_every_compiled_call():
    f = tt.jit(lambda x: stats.dirichlet.logpdf(x, DIRICHLET_ALPHA))
    np.testing.assert_allclose(f(DIRICHLET_X), ss.dirichlet.logpdf(DIRICHLET_X, DIRICHLET_ALPHA), rtol=1e-14)
    with pytest.raises(ValueError, match="normal simplex"):
        f(DIRICHLET_X * 1.1)
    assert f.cache_info().misses == 1


rng = np.random.default_rng(0)
COV = (lambda a: a @ a.T + np.eye(3))(rng.standard_normal((3, 3)))
MEAN = rng.standard_normal(3)
MVN = {  # x, mean, cov: SciPy's ways of giving each
    "one-point": (rng.standard_normal(3), MEAN, COV),
    "points": (rng.standard_normal((4, 3)), MEAN, COV),
    "stack-of-points": (rng.standard_normal((2, 4, 3)), MEAN, COV),
    "one-point-as-a-row": (rng.standard_normal((1, 3)), MEAN, COV),
    "default-mean": (rng.standard_normal((4, 3)), None, COV),
    "scalar-cov": (rng.standard_normal(3), MEAN, 2.5),
    "variances": (rng.standard_normal((2, 3)), MEAN, np.array([0.5, 1.0, 3.0])),
    "dimension-1-points": (np.array([0.5, -1.0, 2.0]), 0.3, 2.0),
    "dimension-1-one-point": (0.5, None, 1),
    "non-symmetric-cov-lower-read": (rng.standard_normal(3), MEAN, COV + np.triu(np.ones((3, 3)), 1)),
}


@pytest.mark.parametrize("fn", ["logpdf", "pdf"])
@pytest.mark.parametrize("case", sorted(MVN))
def test_multivariate_normal_values_are_scipys(case, fn):
    x, mean, cov = MVN[case]
    expected = getattr(ss.multivariate_normal, fn)(x, mean, cov)
    for kind, args in boxed((np.asarray(x, dtype=float), mean, cov)).items():
        out = plain(getattr(stats.multivariate_normal, fn)(*args))
        assert np.shape(out) == np.shape(expected), kind
        np.testing.assert_allclose(out, expected, rtol=1e-13)
    out32 = getattr(stats.multivariate_normal, fn)(
        np.float32(x), None if mean is None else np.float32(mean), np.float32(cov)
    )
    assert np.result_type(out32) == np.float32
    np.testing.assert_allclose(out32, expected, rtol=1e-5)


def test_multivariate_normal_allow_singular_is_scipys_function_but_not_differentiable():
    singular, x = np.array([[1.0, 1.0], [1.0, 1.0]]), np.array([[1.0, 1.0], [1.0, -1.0]])  # on and off its line
    for fn in ("logpdf", "pdf"):
        expected = getattr(ss.multivariate_normal, fn)(x, None, singular, allow_singular=True)
        out = getattr(stats.multivariate_normal, fn)(x, None, singular, allow_singular=True)
        np.testing.assert_allclose(out, expected, rtol=1e-14)
    with pytest.raises(np.linalg.LinAlgError):  # a ValueError, as SciPy's
        stats.multivariate_normal.logpdf(x, None, singular)
    f = lambda x: stats.multivariate_normal.logpdf(x, None, COV, allow_singular=True)  # noqa: E731
    for transform in (grad, jacfwd):
        with pytest.raises(NotImplementedError, match="allow_singular=True"):
            transform(f)(MVN["one-point"][0])


@pytest.mark.parametrize(
    "mean, cov, message",
    [
        (np.zeros((2, 2)), np.eye(4), "'mean' must be a vector of length 4"),
        (np.zeros(2), np.eye(3), "Dimension mismatch"),
        (np.zeros(2), np.ones((2, 3)), "must be square"),
        (np.zeros(2), np.ones((2, 2, 2)), "at most two-dimensional"),
    ],
)
def test_multivariate_normal_raises_scipys_errors(mean, cov, message):
    with pytest.raises(ValueError, match=message):
        ss.multivariate_normal.logpdf(np.zeros(2), mean, cov)
    with pytest.raises(ValueError, match=message):
        stats.multivariate_normal.logpdf(np.zeros(2), mean, cov)


ENTROPY = {  # mean, cov: SciPy's ways of giving them (mean only sets the dimension)
    "defaults": (None, 1),
    "scalar-cov": (None, 2.5),
    "mean-sets-the-dimension": (MEAN, 1),
    "mean-and-scalar-cov": (MEAN, 2.5),
    "variances": (MEAN, np.array([0.5, 1.0, 3.0])),
    "matrix": (None, COV),
    "matrix-and-mean": (MEAN, COV),
    "non-symmetric-cov-lower-read": (MEAN, COV + np.triu(np.ones((3, 3)), 1)),
    "dimension-1-matrix": (np.array([0.3]), np.array([[2.0]])),
    "dimension-1-numbers": (0.3, 2.0),
}


@pytest.mark.parametrize("case", sorted(ENTROPY))
def test_multivariate_normal_entropy_is_scipys(case):
    mean, cov = ENTROPY[case]
    expected = ss.multivariate_normal.entropy(mean, cov)
    out = stats.multivariate_normal.entropy(mean, cov)
    assert type(out) is type(expected) and out == expected  # plain arguments: SciPy's own function
    cov = np.asarray(cov, dtype=float)
    for kind, box in {"Dual": Dual(cov, np.ones_like(cov)), "Variable": Variable(cov, requires_grad=True)}.items():
        out = plain(stats.multivariate_normal.entropy(mean, box))
        assert np.shape(out) == (), kind
        np.testing.assert_allclose(out, expected, rtol=1e-14, err_msg=kind)  # by a Cholesky factor
    mean32 = None if mean is None else np.float32(mean)
    for out32 in (
        stats.multivariate_normal.entropy(mean32, np.float32(cov)),
        plain(stats.multivariate_normal.entropy(mean32, Dual(np.float32(cov), np.ones_like(cov, np.float32)))),
    ):
        assert np.result_type(out32) == np.float32
        np.testing.assert_allclose(out32, expected, rtol=1e-6)


def test_multivariate_normal_entropy_of_a_singular_cov_is_scipys_but_not_differentiable():
    singular = np.array([[1.0, 1.0], [1.0, 1.0]])  # rank 1: SciPy's pseudo-determinant, N(0, 2) on its line
    expected = ss.multivariate_normal.entropy(None, singular)
    assert expected == pytest.approx(0.5 * np.log(2 * np.pi * np.e * 2.0), rel=1e-14)
    assert stats.multivariate_normal.entropy(None, singular) == expected
    f = lambda c: stats.multivariate_normal.entropy(None, c)  # noqa: E731
    for transform in (grad, jacfwd):
        with pytest.raises(np.linalg.LinAlgError):  # no derivative: the rank changes under perturbation
            transform(f)(singular)
    indefinite = np.array([[1.0, 2.0], [2.0, 1.0]])
    with pytest.raises(ValueError, match="positive semidefinite"):
        ss.multivariate_normal.entropy(None, indefinite)
    with pytest.raises(ValueError, match="positive semidefinite"):
        f(indefinite)
    with pytest.raises(np.linalg.LinAlgError):  # a ValueError, as SciPy's
        grad(f)(indefinite)


@pytest.mark.parametrize(
    "mean, cov, message",
    [
        (np.zeros((2, 2)), np.eye(4), "'mean' must be a vector of length 4"),
        (np.zeros(2), np.eye(3), "Dimension mismatch"),
        (np.zeros(2), np.ones((2, 3)), "must be square"),
        (np.zeros(2), np.ones((2, 2, 2)), "at most two-dimensional"),
        (None, np.ones(3), "cannot reshape array of size 3"),  # no mean: a vector cov is one variance
    ],
)
def test_multivariate_normal_entropy_raises_scipys_errors(mean, cov, message):
    with pytest.raises(ValueError, match=message):
        ss.multivariate_normal.entropy(mean, cov)
    with pytest.raises(ValueError, match=message):
        stats.multivariate_normal.entropy(mean, cov)
    with pytest.raises(ValueError, match=message):
        stats.multivariate_normal.entropy(mean, Dual(cov, np.ones_like(cov)))


# --- derivatives: closed forms, finite differences -------------------------------------------

Y = np.array([-2.2, -0.4, 0.0, 0.9, 3.1])
POS = np.array([0.05, 0.4, 1.0, 2.3, 6.0])  # inside [0, inf)
UNIT = np.array([0.03, 0.3, 0.5, 0.8, 0.97])  # inside [0, 1]
MU, SIGMA = 0.4, 1.7


def test_norm_derivatives_are_the_closed_forms():
    z = (Y - MU) / SIGMA
    pdf = ss.norm.pdf(Y, MU, SIGMA)
    assert_derivative(lambda x: stats.norm.logpdf(x, MU, SIGMA), Y, -(Y - MU) / SIGMA**2)
    assert_derivative(lambda m: stats.norm.logpdf(Y, m, SIGMA), np.full(5, MU), (Y - MU) / SIGMA**2)
    assert_derivative(lambda s: stats.norm.logpdf(Y, MU, s), np.full(5, SIGMA), (z**2 - 1) / SIGMA)
    assert_derivative(lambda x: stats.norm.pdf(x, MU, SIGMA), Y, -z / SIGMA * pdf)
    assert_derivative(lambda x: stats.norm.cdf(x, MU, SIGMA), Y, pdf)
    assert_derivative(lambda m: stats.norm.cdf(Y, m, SIGMA), np.full(5, MU), -pdf)
    assert_derivative(lambda s: stats.norm.cdf(Y, MU, s), np.full(5, SIGMA), -z * pdf)
    assert_derivative(lambda x: stats.norm.sf(x, MU, SIGMA), Y, -pdf)
    assert_derivative(lambda x: stats.norm.logcdf(x, MU, SIGMA), Y, pdf / ss.norm.cdf(Y, MU, SIGMA))
    assert_derivative(lambda x: stats.norm.logsf(x, MU, SIGMA), Y, -pdf / ss.norm.sf(Y, MU, SIGMA))
    q = UNIT
    assert_derivative(lambda q: stats.norm.ppf(q, MU, SIGMA), q, 1 / ss.norm.pdf(ss.norm.ppf(q, MU, SIGMA), MU, SIGMA))
    assert_derivative(lambda s: stats.norm.ppf(q, MU, s), np.full(5, SIGMA), sc.ndtri(q))


def test_norm_logcdf_far_left_has_the_mills_ratio_slope():
    x = np.array([-50.0, -100.0, -1e4])  # ndtr underflows; d log Phi / dx = -x (1 + 1/x^2 + O(x^-4))
    assert_derivative(stats.norm.logcdf, x, -x * (1 + 1 / x**2), rtol=1e-6)


def test_t_derivatives_are_the_closed_forms():
    df = np.array([0.7, 1.0, 3.0, 15.0, 45.0])  # both sides of the switch to the series (df = 20)
    z = (Y - MU) / SIGMA
    assert_derivative(lambda x: stats.t.logpdf(x, df, MU, SIGMA), Y, -(df + 1) * z / (df + z**2) / SIGMA)
    d_df = (
        0.5 * (sc.digamma((df + 1) / 2) - sc.digamma(df / 2))
        - 0.5 / df
        - 0.5 * np.log1p(z**2 / df)
        + (df + 1) * z**2 / (2 * df * (df + z**2))
    )
    assert_derivative(lambda d: stats.t.logpdf(Y, d, MU, SIGMA), df, d_df, rtol=1e-10)
    assert_derivative(
        lambda s: stats.t.logpdf(Y, df, MU, s), np.full(5, SIGMA), ((df + 1) * z**2 / (df + z**2) - 1) / SIGMA
    )
    pdf = ss.t.pdf(Y, df, MU, SIGMA)
    assert_derivative(lambda x: stats.t.cdf(x, df, MU, SIGMA), Y, pdf)
    assert_derivative(lambda m: stats.t.cdf(Y, df, m, SIGMA), np.full(5, MU), -pdf)
    assert_derivative(lambda x: stats.t.logcdf(x, df, MU, SIGMA), Y, pdf / ss.t.cdf(Y, df, MU, SIGMA))
    assert_derivative(lambda x: stats.t.cdf(x, np.inf), Y, ss.norm.pdf(Y))  # df = inf: the normal


def test_t_cdf_second_derivative_is_the_densitys_slope():
    df = np.array([0.7, 1.0, 3.0, 15.0, 45.0])
    slope = lambda x: jacfwd(lambda x: stats.t.cdf(x, df))(x).diagonal()  # noqa: E731
    np.testing.assert_allclose(jacrev(slope)(Y).diagonal(), -(df + 1) * Y / (df + Y**2) * ss.t.pdf(Y, df), rtol=1e-12)


def test_chi2_gamma_beta_derivatives_are_the_closed_forms():
    a, b = np.array([0.5, 1.0, 2.0, 3.3, 8.0]), np.array([0.6, 2.0, 1.0, 4.0, 0.9])
    df = np.array([1.0, 2.0, 3.0, 5.0, 9.0])
    loc, scale = 0.1, 2.0
    x = loc + scale * POS
    assert_derivative(lambda x: stats.gamma.logpdf(x, a, loc, scale), x, ((a - 1) / POS - 1) / scale)
    assert_derivative(lambda a: stats.gamma.logpdf(x, a, loc, scale), a, np.log(POS) - sc.digamma(a))
    assert_derivative(lambda s: stats.gamma.logpdf(x, a, loc, s), np.full(5, scale), (POS - a) / scale)
    assert_derivative(lambda x: stats.gamma.cdf(x, a, loc, scale), x, ss.gamma.pdf(x, a, loc, scale))
    assert_derivative(lambda m: stats.gamma.cdf(x, a, m, scale), np.full(5, loc), -ss.gamma.pdf(x, a, loc, scale))
    assert_derivative(
        lambda d: stats.chi2.logpdf(x, d, loc, scale), df, 0.5 * np.log(POS / 2) - 0.5 * sc.digamma(df / 2)
    )
    assert_derivative(lambda x: stats.chi2.cdf(x, df, loc, scale), x, ss.chi2.pdf(x, df, loc, scale))
    assert_derivative(lambda x: stats.chi2.pdf(x, df), POS, ss.chi2.pdf(POS, df) * ((df / 2 - 1) / POS - 0.5))
    y = loc + scale * UNIT
    assert_derivative(
        lambda x: stats.beta.logpdf(x, a, b, loc, scale), y, ((a - 1) / UNIT - (b - 1) / (1 - UNIT)) / scale
    )
    psi_ab = sc.digamma(a + b)
    assert_derivative(lambda a: stats.beta.logpdf(y, a, b, loc, scale), a, np.log(UNIT) - sc.digamma(a) + psi_ab)
    assert_derivative(lambda b: stats.beta.logpdf(y, a, b, loc, scale), b, np.log1p(-UNIT) - sc.digamma(b) + psi_ab)
    assert_derivative(lambda x: stats.beta.cdf(x, a, b, loc, scale), y, ss.beta.pdf(y, a, b, loc, scale))


def test_poisson_derivatives_in_mu_are_the_closed_forms():
    k, mu = np.array([0.0, 1.0, 3.0, 7.0, 2.0]), np.array([0.0, 0.5, 3.0, 6.5, 1e-3])
    assert_derivative(lambda m: stats.poisson.logpmf(k[1:], m), mu[1:], k[1:] / mu[1:] - 1)
    assert_derivative(
        lambda m: stats.poisson.pmf(k, m),
        mu,
        ss.poisson.pmf(k, mu) * (np.where(k == 0, 0, k / np.maximum(mu, 1e-300)) - 1),
    )
    # the cdf's slope in mu is minus the pmf at floor(k); in k and loc, a step function, it is 0
    assert_derivative(lambda m: stats.poisson.cdf(k + 0.5, m), mu, -ss.poisson.pmf(k, mu))
    assert_derivative(lambda k: stats.poisson.cdf(k, 2.0), k + 0.3, np.zeros(5))
    # at k = 0, -mu, whose slope is -1 at mu = 0 too (xlogy's own derivative in y is 0 / 0 there)
    assert_derivative(lambda m: stats.poisson.logpmf(0.0, m), np.array([0.0, 2.0]), np.array([-1.0, -1.0]))


def test_dirichlet_derivatives_are_the_closed_forms():
    x, alpha = DIRICHLET_X, DIRICHLET_ALPHA
    dx = jacrev(lambda x: tt.sum(stats.dirichlet.logpdf(x, alpha)))(x)
    np.testing.assert_allclose(dx, (alpha[:, None] - 1) / x, rtol=1e-14)
    d_alpha = jacfwd(lambda a: stats.dirichlet.logpdf(x, a))(alpha)
    np.testing.assert_allclose(
        d_alpha, (np.log(x) - sc.digamma(alpha)[:, None] + sc.digamma(alpha.sum())).T, rtol=1e-13
    )
    # with the last component implied: each x_i moves x_K the other way
    dx = jacrev(lambda x: tt.sum(stats.dirichlet.logpdf(x, alpha)))(x[:3])
    np.testing.assert_allclose(dx, (alpha[:3, None] - 1) / x[:3] - (alpha[3] - 1) / x[3], rtol=1e-13, atol=1e-13)


def test_multivariate_normal_derivatives_are_the_closed_forms():
    x, mean, cov = MVN["points"]
    mvn = stats.multivariate_normal
    inv = np.linalg.inv(cov)
    dev = x - mean
    np.testing.assert_allclose(jacfwd(lambda m: mvn.logpdf(x, m, cov))(mean), dev @ inv, rtol=1e-12)
    np.testing.assert_allclose(jacrev(lambda x: mvn.logpdf(x, mean, cov))(x)[0, 0], -inv @ dev[0], rtol=1e-12)
    # d/dcov along symmetric directions: -(inv - inv d d^T inv) / 2; as cov's lower triangle is
    # read, the off-diagonal entries below carry both halves and those above none
    sym = -0.5 * (inv - inv @ np.outer(dev[0], dev[0]) @ inv)
    expected = np.tril(2 * sym) - np.diag(np.diag(sym))
    for transform in (jacfwd, jacrev):
        np.testing.assert_allclose(transform(lambda c: mvn.logpdf(x[0], mean, c))(cov), expected, rtol=1e-12)
    variances = np.array([0.5, 1.0, 3.0])  # cov given as variances: d/dv_i = ((x_i - m_i)^2 / v_i - 1) / (2 v_i)
    g = grad(lambda v: mvn.logpdf(x[0], mean, v))(variances)
    np.testing.assert_allclose(g, (dev[0] ** 2 / variances - 1) / (2 * variances), rtol=1e-12)


def test_multivariate_normal_entropy_derivatives_are_the_closed_forms():
    mvn = stats.multivariate_normal
    inv = np.linalg.inv(COV)
    # log det(cov) / 2 has derivative inv / 2 along symmetric directions; as cov's lower triangle
    # is read, the entries below the diagonal carry both halves and those above none
    expected = np.tril(inv, -1) + np.diag(np.diag(inv)) / 2
    f = lambda c: mvn.entropy(MEAN, c)  # noqa: E731
    for transform in (grad, jacfwd, jacrev):
        np.testing.assert_allclose(transform(f)(COV), expected, rtol=1e-12, atol=1e-15)
    variances = np.array([0.5, 1.0, 3.0])
    np.testing.assert_allclose(grad(lambda v: mvn.entropy(MEAN, v))(variances), 0.5 / variances, rtol=1e-13)
    assert grad(lambda c: mvn.entropy(MEAN, c))(2.5) == pytest.approx(3 / (2 * 2.5), rel=1e-13)  # dim / (2 c)
    np.testing.assert_array_equal(grad(lambda m: mvn.entropy(m, COV))(MEAN), np.zeros(3))  # mean: none
    # second order along a direction e (not symmetric: its lower triangle e_s is what moves cov):
    # d^2/dt^2 log det(cov + t e_s) / 2 = -tr(inv e_s inv e_s) / 2
    e = rng.standard_normal((3, 3))
    e_s = np.tril(e) + np.tril(e, -1).T
    second = -0.5 * np.trace(inv @ e_s @ inv @ e_s)
    directional = lambda c: jvp(f, (c,), (e,))[1]  # noqa: E731
    assert jvp(directional, (COV,), (e,))[1] == pytest.approx(second, rel=1e-12)  # forward over forward
    assert np.sum(grad(directional)(COV) * e) == pytest.approx(second, rel=1e-12)  # reverse over forward
    assert np.sum(jvp(grad(f), (COV,), (e,))[1] * e) == pytest.approx(second, rel=1e-12)  # forward over reverse


GRADCHECKS = {  # float64, second order, both modes, against central differences
    "norm.logsf": (lambda x, m, s: stats.norm.logsf(x, m, s), (Y, np.array(MU), np.array(SIGMA))),
    "t.pdf": (
        lambda x, d, m, s: stats.t.pdf(x, d, m, s),
        (Y, np.array([0.8, 2.0, 5.0, 25.0, 60.0]), np.array(MU), np.array(SIGMA)),
    ),
    "t.cdf": (lambda x, m, s: stats.t.cdf(x, 1.5, m, s), (Y, np.array(MU), np.array(SIGMA))),
    "chi2.pdf": (
        lambda x, d, m, s: stats.chi2.pdf(x, d, m, s),
        (POS + 0.3, np.array([1.5, 2.0, 3.0, 5.0, 9.0]), np.array(0.1), np.array(1.3)),
    ),
    "gamma.pdf": (
        lambda x, a, m, s: stats.gamma.pdf(x, a, m, s),
        (POS + 0.3, np.array([0.8, 1.0, 2.0, 3.3, 8.0]), np.array(0.1), np.array(1.3)),
    ),
    "beta.pdf": (
        lambda x, a, b, s: stats.beta.pdf(x, a, b, 0.0, s),
        (UNIT[1:-1], np.array([0.8, 1.0, 3.0]), np.array([2.0, 0.9, 1.5]), np.array(1.1)),
    ),
    "poisson.pmf": (lambda mu: stats.poisson.pmf(np.array([0.0, 1.0, 4.0]), mu), (np.array([0.3, 2.0, 5.0]),)),
    "dirichlet.pdf": (lambda x, a: stats.dirichlet.pdf(x, a), (DIRICHLET_X[:3], DIRICHLET_ALPHA)),
    "multivariate_normal.pdf": (lambda x, m, c: stats.multivariate_normal.pdf(x, m, c), MVN["points"]),
    "multivariate_normal.entropy": (lambda c: stats.multivariate_normal.entropy(None, c), (COV,)),
}


@pytest.mark.parametrize("name", sorted(GRADCHECKS))
def test_second_derivatives_match_finite_differences(name):
    f, args = GRADCHECKS[name]
    assert gradcheck(f, args, order=2, modes=("forward", "reverse"))


# --- outside the support: derivative 0, not nan -------------------------------------------------

OUTSIDE = {  # a function of (x, shape parameters..., loc, scale) and points outside (or at infinity)
    "norm.logpdf": (lambda x, m, s: stats.norm.logpdf(x, m, s), np.array([-np.inf, np.inf]), ()),
    "norm.logcdf": (lambda x, m, s: stats.norm.logcdf(x, m, s), np.array([-np.inf, np.inf]), ()),
    "norm.logsf": (lambda x, m, s: stats.norm.logsf(x, m, s), np.array([-np.inf, np.inf]), ()),
    "t.logpdf": (lambda x, d, m, s: stats.t.logpdf(x, d, m, s), np.array([-np.inf, np.inf]), (2.5,)),
    "t.cdf": (lambda x, m, s: stats.t.cdf(x, 2.5, m, s), np.array([-np.inf, np.inf]), ()),
    "t.logcdf": (lambda x, m, s: stats.t.logcdf(x, 0.5, m, s), np.array([-np.inf, np.inf]), ()),
    "chi2.logpdf": (lambda x, d, m, s: stats.chi2.logpdf(x, d, m, s), np.array([-2.0, -1e-9, np.inf]), (3.0,)),
    "chi2.cdf": (lambda x, m, s: stats.chi2.cdf(x, 0.5, m, s), np.array([-2.0, np.inf]), ()),
    "gamma.logpdf": (lambda x, a, m, s: stats.gamma.logpdf(x, a, m, s), np.array([-2.0, -1e-9, np.inf]), (0.5,)),
    "gamma.pdf": (lambda x, a, m, s: stats.gamma.pdf(x, a, m, s), np.array([-2.0, np.inf]), (2.5,)),
    "gamma.cdf": (lambda x, m, s: stats.gamma.cdf(x, 0.5, m, s), np.array([-2.0, np.inf]), ()),
    "beta.logpdf": (lambda x, a, b, m, s: stats.beta.logpdf(x, a, b, m, s), np.array([-1.0, 2.0, np.inf]), (0.5, 0.7)),
    "beta.pdf": (lambda x, a, b, m, s: stats.beta.pdf(x, a, b, m, s), np.array([-1.0, 2.0]), (2.0, 3.0)),
    "beta.cdf": (lambda x, m, s: stats.beta.cdf(x, 0.5, 0.5, m, s), np.array([-1.0, 2.0]), ()),
}


@pytest.mark.parametrize("name", sorted(OUTSIDE))
def test_derivatives_outside_the_support_are_zero(name):
    f, outside, shapes = OUTSIDE[name]
    inside = np.array([0.3, 0.6])  # in every support here, with loc 0.1 and scale 1.5
    args = (np.concatenate([outside, inside]), *map(np.array, shapes), np.array(0.1), np.array(1.5))
    argnums = tuple(range(len(args)))
    total = lambda *a: tt.sum(f(*a))  # noqa: E731  shared parameters sum over every point
    only_inside = lambda *a: tt.sum(f(*a)[len(outside) :])  # noqa: E731
    with np.errstate(all="ignore"):
        expected = grad(only_inside, argnums)(*args)
        for transform in (grad, lambda g, n: lambda *a: jvp_gradient(g, a, n)):
            got = transform(total, argnums)(*args)
            for g, e in zip(got, expected):
                assert not np.any(np.isnan(g)), f"{name}: nan in {got}"
                np.testing.assert_allclose(g, e, rtol=1e-14, atol=1e-14 * np.abs(e).max())
        np.testing.assert_array_equal(jacfwd(f)(*args)[: len(outside), : len(outside)], 0.0)


def jvp_gradient(f, args, argnums):
    """The gradient by forward mode: one jvp per input entry."""
    grads = []
    for i in argnums:
        g = np.zeros(np.shape(args[i]))
        for k in np.ndindex(g.shape):
            e = np.zeros(np.shape(args[i]))
            e[k] = 1.0
            tangents = tuple(e if j == i else np.zeros(np.shape(a)) for j, a in enumerate(args))
            g[k] = jvp(f, args, tangents)[1]
        grads.append(g)
    return tuple(grads)


def test_poisson_outside_its_support_has_derivative_zero_in_mu():
    k = np.array([-1.0, 2.5, np.inf, 2.0])  # only k = 2 counts: d/dmu log pmf = k / mu - 1
    assert grad(lambda mu: tt.sum(stats.poisson.logpmf(k, mu)))(1.5) == pytest.approx(2.0 / 1.5 - 1)
    assert grad(lambda mu: tt.sum(stats.poisson.pmf(k, mu)))(1.5) == pytest.approx(
        ss.poisson.pmf(2, 1.5) * (2 / 1.5 - 1)
    )
    assert grad(lambda mu: tt.sum(stats.poisson.cdf(np.array([-1.0, np.inf]), mu)))(1.5) == 0.0


def test_invalid_parameters_give_nan_values_and_leave_the_others_derivatives_alone():
    scale = np.array([2.0, -1.0, 0.0, np.nan])
    values = stats.norm.logpdf(0.5, 0.0, scale)
    assert np.isnan(values[1:]).all() and np.isfinite(values[0])
    g = jacfwd(lambda s: stats.gamma.logpdf(1.0, s, 0.0, 2.0))(np.array([2.0, -1.0]))
    np.testing.assert_allclose(g, np.diag([np.log(0.5) - sc.digamma(2.0), 0.0]), rtol=1e-14)


# --- refusals ------------------------------------------------------------------------------------

REFUSALS = [  # function of the argument, what the error names
    (lambda df: stats.t.cdf(0.5, df), "t.cdf: .* df"),
    (lambda df: stats.t.logcdf(0.5, df, 0.1, 2.0), "t.logcdf: .* df"),
    (lambda df: stats.chi2.cdf(0.5, df), "chi2.cdf: .* df"),
    (lambda a: stats.gamma.cdf(0.5, a, scale=2.0), "gamma.cdf: .* a"),
    (lambda a: stats.beta.cdf(0.5, a, 2.0), "beta.cdf: .* a"),
    (lambda b: stats.beta.cdf(0.5, 2.0, b), "beta.cdf: .* b"),
    (lambda k: stats.poisson.logpmf(k, 2.0), "poisson.logpmf: .* k"),
    (lambda k: stats.poisson.pmf(k, 2.0), "poisson.pmf: .* k"),
    (lambda loc: stats.poisson.pmf(3.0, 2.0, loc), "poisson.pmf: .* loc"),
]


@pytest.mark.parametrize("transform", [grad, jacfwd, jacrev, lambda f: lambda x: jvp(f, (x,), (1.0,))])
@pytest.mark.parametrize("f, message", REFUSALS)
def test_derivatives_with_no_closed_form_are_refused_by_name(f, message, transform):
    with pytest.raises(NotImplementedError, match=message + " is not implemented"):
        transform(f)(2.0)


def test_a_refused_argument_is_a_plain_value_when_not_differentiated():
    x = np.array([0.2, 0.9])
    np.testing.assert_allclose(grad(lambda x: tt.sum(stats.gamma.cdf(x, 2.5)))(x), ss.gamma.pdf(x, 2.5), rtol=1e-14)
    # on boxes the values are computed all the same
    a = Variable(np.array(2.0), requires_grad=True)
    assert plain(stats.beta.cdf(0.3, a, 3.0)) == pytest.approx(ss.beta.cdf(0.3, 2.0, 3.0), rel=1e-15)
