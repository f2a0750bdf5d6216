"""User-defined primitives: rules given by the user, the missing one derived by
transposition, checked against finite differences in both modes and at order 2."""

import numpy as np
import pytest

import tinytorch as tt
from tinytorch.autograd import grad, gradcheck, jacfwd, jacrev, jvp, primitive, registry, vjp

rng = np.random.default_rng(7)
X = rng.standard_normal(4)


def make_log1pexp(with_jvp: bool, with_vjp: bool):
    @primitive
    def log1pexp(x):
        return np.logaddexp(0.0, x)

    if with_jvp:
        log1pexp.defjvp(lambda t, ans, x: t * tt.sigmoid(x))
    if with_vjp:
        log1pexp.defvjp(lambda g, ans, x: g * tt.sigmoid(x))
    return log1pexp


@pytest.mark.parametrize("with_jvp, with_vjp", [(True, True), (False, True), (True, False)],
                         ids=["both-rules", "vjp-only", "jvp-only"])
def test_rules_and_derived_rules_pass_gradcheck_to_order_2(with_jvp, with_vjp):
    f = make_log1pexp(with_jvp, with_vjp)
    assert gradcheck(f, (X,), order=2)
    assert gradcheck(lambda x: tt.sum(f(x) * x), (X,), order=2)


@pytest.mark.parametrize("with_jvp, with_vjp", [(False, True), (True, False)])
def test_derived_rules_match_the_closed_form(with_jvp, with_vjp):
    f = make_log1pexp(with_jvp, with_vjp)
    sig = 1 / (1 + np.exp(-X))
    assert np.allclose(jvp(f, (X,), (np.ones(4),))[1], sig, rtol=1e-14)
    assert np.allclose(vjp(f, X)[1](np.ones(4))[0], sig, rtol=1e-14)
    assert np.allclose(jacfwd(f)(X), np.diag(sig), rtol=1e-14)
    assert np.allclose(jacrev(f)(X), np.diag(sig), rtol=1e-14)


def test_stable_where_the_naive_formula_overflows():
    f = make_log1pexp(False, True)
    assert float(f(1000.0)) == 1000.0
    assert float(grad(f)(1000.0)) == 1.0
    assert float(grad(grad(f))(1000.0)) == 0.0


def test_two_argument_primitive_with_one_rule_per_argument():
    @primitive
    def scaled_sin(x, a):
        return a * np.sin(x)

    scaled_sin.defvjp(lambda g, ans, x, a: g * a * tt.cos(x), lambda g, ans, x, a: g * tt.sin(x))
    a = rng.standard_normal(4)
    assert gradcheck(scaled_sin, (X, a), order=2)


def test_missing_rules_raise_naming_the_primitive():
    @primitive(name="opaque")
    def opaque(x):
        return x * 2.0

    assert np.allclose(opaque(X), 2 * X)  # the plain value still works
    with pytest.raises(NotImplementedError, match="opaque: argument 0 has no reverse-mode rule"):
        grad(lambda x: tt.sum(opaque(x)))(X)
    with pytest.raises(NotImplementedError, match="opaque: argument 0 has no forward-mode rule"):
        jvp(opaque, (X,), (X,))


def test_user_primitives_stay_out_of_the_builtin_table():
    before = set(registry)
    make_log1pexp(True, True)
    assert set(registry) == before


@pytest.mark.parametrize("rules", ["vjp", "jvp"])
@pytest.mark.parametrize("shapes", [((2, 3), (3,)), ((3, 1), (1, 4)), ((2, 3), ())], ids=["row", "outer", "scalar"])
def test_broadcasting_primitive_reduces_and_expands_derivatives(rules, shapes):
    @primitive(broadcasting=True)
    def mul(x, y):
        return x * y

    if rules == "vjp":  # rules give unreduced cotangents; the machinery sums them
        mul.defvjp(lambda g, ans, x, y: g * y, lambda g, ans, x, y: g * x)
    else:
        mul.defjvp(lambda t, ans, x, y: t * y, lambda t, ans, x, y: x * t)
    x, y = rng.standard_normal(shapes[0]), rng.standard_normal(shapes[1])
    assert gradcheck(mul, (x, y), order=2)
    # d/dy sum(x * y) = x broadcast to the output, summed back to y's shape
    full = np.broadcast_to(x, np.broadcast_shapes(x.shape, y.shape))
    lead = full.ndim - y.ndim
    expected = full.sum(axis=tuple(range(lead))).sum(
        axis=tuple(i for i, d in enumerate(y.shape) if d == 1), keepdims=True)
    assert np.allclose(grad(lambda y: tt.sum(mul(x, y)))(y), expected, rtol=1e-14)


def test_a_rule_returning_the_wrong_shape_is_reported():
    @primitive
    def total(x):
        return np.sum(x)

    total.defvjp(lambda g, ans, x: g)  # forgot to broadcast g back to x's shape
    with pytest.raises(ValueError, match=r"total: the reverse-mode rule for argument 0 returned shape \(\), "
                                         r"expected \(3,\)"):
        grad(total)(np.ones(3))

    @primitive
    def mul(x, y):
        return x * y

    mul.defvjp(lambda g, ans, x, y: g * y, lambda g, ans, x, y: g * x)  # broadcasts, but not declared
    with pytest.raises(ValueError, match="argument 1 returned shape"):
        grad(lambda y: tt.sum(mul(np.ones((2, 3)), y)))(np.arange(3.0))
