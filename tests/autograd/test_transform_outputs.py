"""What transforms accept from f and give back: only floating-point outputs are
differentiated (anything else is a TypeError, as in jax.grad), results are plain
arrays unless they are being differentiated from outside, and a transform call
leaves nothing for the cyclic garbage collector.
"""

from __future__ import annotations

import gc

import numpy as np
import pytest

import tinytorch as tt
from tinytorch.autograd import (
    Dual,
    Variable,
    grad,
    hessian,
    hvp,
    jacfwd,
    jacobian,
    jacrev,
    jvp,
    value_and_grad,
    vjp,
)

X = np.array([0.5, -1.0, 2.0])

NON_FLOAT = {
    "bool": lambda x: x[0] > 0,
    "str": lambda x: "loss",
    "int": lambda x: 3,
    "int array": lambda x: tt.argmax(x),
    "bool array": lambda x: x > 0,
}


@pytest.mark.parametrize("f", list(NON_FLOAT.values()), ids=list(NON_FLOAT))
def test_non_float_outputs_are_type_errors_in_every_transform(f):
    calls = [
        lambda: grad(f)(X),
        lambda: value_and_grad(f)(X),
        lambda: vjp(f, X),
        lambda: jvp(f, (X,), (X,)),
        lambda: jacfwd(f)(X),
        lambda: jacrev(f)(X),
        lambda: jacobian(f)(X),
    ]
    for call in calls:
        with pytest.raises(TypeError, match="floating-point"):
            call()


def test_complex_outputs_are_type_errors_where_there_is_no_complex_derivative():
    f = lambda x: tt.sum(x) * (1 + 0.2j)  # noqa: E731
    for call in (lambda: grad(f)(X), lambda: value_and_grad(f)(X), lambda: jacrev(f)(X)):
        with pytest.raises(TypeError, match="holomorphic_grad"):
            call()
    # a complex output of real inputs has a complex Jacobian, made in forward mode (as jax.jacfwd)
    g = lambda x: x * (1 + 0.2j)  # noqa: E731
    for jac in (jacfwd(g), jacobian(g, mode="auto")):
        np.testing.assert_allclose(jac(X), np.eye(X.size) * (1 + 0.2j))
    # vjp and jvp take them: d/dx of sum(x) (1 + 0.2j) along t is sum(t) (1 + 0.2j)
    _, t = jvp(f, (X,), (np.ones_like(X),))
    assert t == pytest.approx(X.size * (1 + 0.2j))
    (c,) = vjp(f, X)[1](1.0 - 1.0j)
    np.testing.assert_allclose(c, np.full_like(X, ((1.0 - 1.0j) * (1 + 0.2j)).real))


def test_grad_of_none_is_a_type_error_and_none_is_an_empty_output_elsewhere():
    for call in (lambda: grad(lambda x: None)(X), lambda: value_and_grad(lambda x: None)(X)):
        with pytest.raises(TypeError, match="floating-point"):
            call()
    assert jacfwd(lambda x: None)(X) is None  # None is an empty container, as in JAX
    assert vjp(lambda x: None, X)[0] is None


def test_a_float_output_that_does_not_depend_on_the_input_has_zero_derivative():
    np.testing.assert_array_equal(grad(lambda x: 3.0)(X), np.zeros(3))
    np.testing.assert_array_equal(jacfwd(lambda x: np.ones(2))(X), np.zeros((2, 3)))


CONSTANT = Variable(np.array([2.0, 3.0, 4.0]))
CONSTANT_DUAL = Dual(np.array([2.0, 3.0, 4.0]))


@pytest.mark.parametrize("c", [CONSTANT, CONSTANT_DUAL], ids=["Variable", "Dual"])
def test_results_are_arrays_when_f_closes_over_a_constant_box(c):
    f = lambda x: tt.sum(c * x**2)  # noqa: E731
    w = np.array([2.0, 3.0, 4.0])
    results = [
        (grad(f)(X), 2 * w * X),
        (value_and_grad(f)(X)[0], np.sum(w * X**2)),
        (vjp(f, X)[1](1.0)[0], 2 * w * X),
        (jvp(f, (X,), (X,))[1], np.sum(2 * w * X * X)),
        (jacfwd(lambda x: c * x)(X), np.diag(w)),
        (jacrev(lambda x: c * x)(X), np.diag(w)),
        (hessian(f)(X), np.diag(2 * w)),
        (hvp(f, X, X), 2 * w * X),
    ]
    for got, expected in results:
        assert type(got) in (np.ndarray, np.float64), type(got)
        np.testing.assert_allclose(got, expected)


def test_a_result_that_depends_on_a_variable_requiring_grad_stays_differentiable():
    w = Variable(np.array([2.0, 3.0, 4.0]), requires_grad=True)
    g = grad(lambda x: tt.sum(w * x**2))(X)  # 2 w x, a function of w
    assert isinstance(g, Variable)
    tt.sum(g).backward()
    np.testing.assert_allclose(w.grad, 2 * X)


def test_grad_setter_checks_the_shape():
    x = Variable(X, requires_grad=True)
    x.grad = np.ones(3)
    with pytest.raises(RuntimeError, match="shape"):
        x.grad = np.ones(2)
    x.grad = None
    assert x.grad is None


@pytest.mark.parametrize("kind", ["scalar", "slice"])
def test_writing_a_box_into_a_numpy_array_says_what_to_do(kind):
    def f(x):
        out = np.zeros(3)
        if kind == "scalar":
            out[0] = x[0]
        else:
            out[:] = x
        return tt.sum(out)

    for call in (lambda: grad(f)(X), lambda: jvp(f, (X,), (X,))):
        with pytest.raises((TypeError, ValueError)) as info:
            call()
        message = str(info.value) + str(info.value.__cause__)
        assert "tt.stack" in message


TRANSFORMS = {
    "grad": lambda: grad(lambda x: tt.sum(tt.tanh(x) ** 2))(X),
    "vjp": lambda: vjp(lambda x: tt.sin(x), X)[1](X),
    "jvp": lambda: jvp(tt.sin, (X,), (X,)),
    "jacfwd": lambda: jacfwd(tt.sin)(X),
    "jacrev": lambda: jacrev(tt.sin)(X),
    "jacobian auto": lambda: jacobian(tt.sin)(X),
    "jacobian chunked": lambda: jacobian(tt.sin, mode="reverse", chunk_size=2)(X),
    "hessian": lambda: hessian(lambda x: tt.sum(tt.tanh(x) ** 2))(X),
    "hvp": lambda: hvp(lambda x: tt.sum(tt.tanh(x) ** 2), X, X),
    "grad of grad": lambda: grad(lambda s: tt.sum(grad(lambda t: tt.sin(t) * s)(s)))(1.0),
}


@pytest.mark.parametrize("call", list(TRANSFORMS.values()), ids=list(TRANSFORMS))
def test_transforms_leave_no_reference_cycles(call):
    call()  # warm caches
    # other threads of the test process (a Dask cluster's, started by other tests) may leave
    # cyclic garbage at any moment; a transform that leaves cycles leaves them at every call,
    # so one clean call in three shows that it leaves none
    found = []
    for _ in range(3):
        gc.collect()
        gc.disable()
        try:
            call()
            found.append(gc.collect())
        finally:
            gc.enable()
        if found[-1] == 0:
            break
    assert min(found) == 0, f"cyclic garbage after each call: {found}"


def test_casting_a_box_to_complex_keeps_the_derivative():
    # refused while tinytorch was real; |x + 0j| = |x|, whose gradient is sign(x)
    np.testing.assert_array_equal(grad(lambda x: tt.sum(tt.abs(tt.astype(x, complex))))(X), np.sign(X))
