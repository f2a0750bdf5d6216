"""User-defined primitives: rules given by the user, the missing one derived by
transposition, checked against finite differences in both modes and at order 2."""

import numpy as np
import pytest

import tinytorch as tt
from tinytorch.autograd import grad, gradcheck, hessian, hvp, jacfwd, jacobian, jacrev, jvp, primitive, registry, vjp

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


@pytest.mark.parametrize(
    "with_jvp, with_vjp", [(True, True), (False, True), (True, False)], ids=["both-rules", "vjp-only", "jvp-only"]
)
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
        axis=tuple(i for i, d in enumerate(y.shape) if d == 1), keepdims=True
    )
    assert np.allclose(grad(lambda y: tt.sum(mul(x, y)))(y), expected, rtol=1e-14)


def test_a_rule_returning_the_wrong_shape_is_reported():
    @primitive
    def total(x):
        return np.sum(x)

    total.defvjp(lambda g, ans, x: g)  # forgot to broadcast g back to x's shape
    with pytest.raises(
        ValueError,
        match=r"total: the reverse-mode rule for argument 0 returned shape \(\), "
        r"expected \(3,\)",
    ):
        grad(total)(np.ones(3))

    @primitive
    def mul(x, y):
        return x * y

    mul.defvjp(lambda g, ans, x, y: g * y, lambda g, ans, x, y: g * x)  # broadcasts, but not declared
    with pytest.raises(ValueError, match="argument 1 returned shape"):
        grad(lambda y: tt.sum(mul(np.ones((2, 3)), y)))(np.arange(3.0))


# --- batches: jacobian, hessian and friends push a block of directions at once -------------

A = np.array([[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.3, -0.4, 2.0]])
A_INV = np.linalg.inv(A)
GRAD_LOGDET = A_INV.T  # d log|det A| / dA = A^-T
HESS_LOGDET = -np.einsum("jk,li->ijkl", A_INV, A_INV)  # d(A^-T)_ij / dA_kl = -(A^-1)_jk (A^-1)_li


def make_log_det(rules: str, batched: bool):
    @primitive(batched=batched)
    def log_det(a):
        return np.linalg.slogdet(a)[1]

    if batched:  # g: batch + (), t: batch + (3, 3)
        vjp_rule = lambda g, ans, a: g[..., None, None] * tt.linalg.inv(a).T  # noqa: E731
        jvp_rule = lambda t, ans, a: tt.sum(tt.linalg.inv(a).T * t, axis=(-2, -1))  # noqa: E731
    else:  # HIPS style: one cotangent (a scalar), one tangent (a matrix)
        vjp_rule = lambda g, ans, a: g * tt.linalg.inv(a).T  # noqa: E731
        jvp_rule = lambda t, ans, a: tt.sum(tt.linalg.inv(a).T * t)  # noqa: E731
    if "vjp" in rules:
        log_det.defvjp(vjp_rule)
    if "jvp" in rules:
        log_det.defjvp(jvp_rule)
    return log_det


@pytest.mark.parametrize("batched", [False, True], ids=["per-example", "batched"])
@pytest.mark.parametrize("rules", ["vjp", "jvp", "vjp+jvp"])
def test_log_det_matches_the_closed_form_under_every_transform(rules, batched):
    f = make_log_det(rules, batched)
    v = rng.standard_normal((3, 3))
    assert np.allclose(grad(f)(A), GRAD_LOGDET, rtol=1e-12)
    assert np.allclose(vjp(f, A)[1](2.0)[0], 2 * GRAD_LOGDET, rtol=1e-12)
    assert np.allclose(jvp(f, (A,), (v,))[1], np.sum(GRAD_LOGDET * v), rtol=1e-12)
    for mode in ("forward", "reverse"):
        assert np.allclose(jacobian(f, mode=mode)(A), GRAD_LOGDET, rtol=1e-12)
        assert np.allclose(jacobian(f, mode=mode, chunk_size=4)(A), GRAD_LOGDET, rtol=1e-12)
    assert np.allclose(jacfwd(f)(A), GRAD_LOGDET, rtol=1e-12)
    assert np.allclose(jacrev(f)(A), GRAD_LOGDET, rtol=1e-12)
    assert np.allclose(hessian(f)(A), HESS_LOGDET, rtol=1e-12)
    assert np.allclose(jacrev(jacrev(f), chunk_size=2)(A), HESS_LOGDET, rtol=1e-12)
    assert np.allclose(jacfwd(jacfwd(f))(A), HESS_LOGDET, rtol=1e-12)
    assert np.allclose(hvp(f, A, v), np.einsum("ijkl,kl->ij", HESS_LOGDET, v), rtol=1e-12)
    assert np.allclose(grad(lambda a: tt.sum(grad(f)(a) * v))(A), np.einsum("ijkl,ij->kl", HESS_LOGDET, v), rtol=1e-12)
    assert gradcheck(f, (A,), order=2)
    assert gradcheck(lambda a: tt.sin(f(a * a)) * a, (A,), order=2)


def test_a_rule_not_declared_batched_sees_one_direction_at_a_time():
    seen = []

    @primitive
    def log_det(a):
        return np.linalg.slogdet(a)[1]

    def rule(g, ans, a):
        seen.append(np.shape(g))
        return g * tt.linalg.inv(a).T

    log_det.defvjp(rule)
    assert np.allclose(hessian(log_det)(A), HESS_LOGDET, rtol=1e-12)
    assert seen and set(seen) == {()}


def test_vector_output_rules_per_example_match_the_closed_form():
    @primitive
    def cumsq(x):
        return np.cumsum(x**2)

    cumsq.defjvp(lambda t, ans, x: tt.cumsum(2 * x * t))  # written for one tangent of x's shape
    x = rng.standard_normal(5)
    expected = np.tril(np.ones((5, 5))) * 2 * x
    assert np.allclose(jacfwd(cumsq, chunk_size=2)(x), expected, rtol=1e-14)
    assert np.allclose(jacrev(cumsq)(x), expected, rtol=1e-14)  # VJP by transposing, a batch of 5
    assert np.allclose(jacfwd(jacrev(cumsq))(x), np.tril(np.ones((5, 5)))[:, :, None] * 2 * np.eye(5), rtol=1e-14)
    assert gradcheck(lambda x: tt.sum(cumsq(x) ** 2), (x,), order=2)


def test_two_argument_rules_per_example_to_second_order():
    @primitive
    def quad(x, a):
        return x @ a @ x

    quad.defvjp(lambda g, ans, x, a: g * (a + a.T) @ x, lambda g, ans, x, a: g * tt.outer(x, x))
    x, a = rng.standard_normal(3), rng.standard_normal((3, 3))
    assert np.allclose(hessian(quad)(x, a), a + a.T, rtol=1e-14)
    assert gradcheck(quad, (x, a), order=2)


def test_a_batched_rule_that_drops_the_batch_is_an_error_naming_the_batch_axes():
    f = make_log_det("vjp", batched=True)
    f.defvjp(lambda g, ans, a: g * tt.linalg.inv(a).T)  # written for one cotangent, declared batched
    assert np.allclose(grad(f)(A), GRAD_LOGDET, rtol=1e-12)  # no batch: fine
    with pytest.raises(
        ValueError,
        match=r"returned shape \(3, 3\), expected \(1, 3, 3\); its g carried leading "
        r"batch axes \(1,\).*g\[\.\.\., None\].*primitive\(batched=False\)",
    ):
        jacrev(f)(A)
    with pytest.raises(
        ValueError,
        match=r"the reverse-mode rule for argument 0 raised ValueError\(.*\(9,\) "
        r"\(3,3\).*\); its g carried leading batch axes \(9,\)",
    ):
        jacfwd(f)(A)  # its JVP, by transposition, pulls the 9 tangents back at once
    g = make_log_det("jvp", batched=True)
    g.defjvp(lambda t, ans, a: tt.sum(tt.linalg.inv(a).T * t))  # sums the batch away
    with pytest.raises(
        ValueError,
        match=r"forward-mode rule for argument 0 returned shape \(\), expected \(9,\); "
        r"its t carried leading batch axes \(9,\)",
    ):
        jacfwd(g)(A)


@pytest.mark.parametrize("rules", ["vjp", "jvp"])
def test_broadcasting_primitives_take_batches_unless_told_otherwise(rules):
    def make(**flags):
        @primitive(broadcasting=True, **flags)
        def scale(x, s):  # s a scalar
            return x * s

        if rules == "vjp":  # the rule for s reduces g itself: not batch-safe
            scale.defvjp(lambda g, ans, x, s: g * s, lambda g, ans, x, s: tt.sum(g * x))
        else:
            scale.defjvp(lambda t, ans, x, s: t * s, lambda t, ans, x, s: tt.sum(t) * x)
        return scale

    x, s = rng.standard_normal((2, 3)), np.array(1.5)
    assert np.allclose(grad(lambda s: tt.sum(make()(x, s)))(s), x.sum(), rtol=1e-14)
    with pytest.raises(ValueError, match="leading batch axes"):
        jacobian(make(), argnums=(0, 1), mode=rules.replace("vjp", "reverse").replace("jvp", "forward"))(x, s)
    per_example = make(batched=False)
    assert np.allclose(jacobian(per_example, argnums=1)(x, s), x, rtol=1e-14)
    assert gradcheck(per_example, (x, s), order=2)
    assert gradcheck(per_example, (x[0], s), order=2)
