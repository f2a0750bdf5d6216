"""Fixes from a hostile review: custom rules written with HIPS autograd's signature and
impls returning several arrays get errors that say what to write; no_grad/enable_grad
on generator functions cover every step, as PyTorch's do; index keys of a non-integer
type and repeated indices in updates behave as NumPy's; np.einsum's dtype, casting
and out keywords on boxes; det at matrices with NaN or inf entries.

Oracles: NumPy itself (values, shapes, dtypes, errors), closed forms, and float64
central differences (exact up to rounding for the linear index updates).
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

import tinytorch as tt
from tinytorch.autograd import (
    Dual,
    Variable,
    enable_grad,
    grad,
    is_grad_enabled,
    jacfwd,
    jacrev,
    jvp,
    no_grad,
    primitive,
    vjp,
)

# --- custom primitives: rule signatures ---------------------------------------------------------

X = np.array([0.3, -1.2, 2.0])

# every way a rule gets called: reverse and forward mode, derived by transposition, batched blocks
CALLS = {
    "grad": lambda f: grad(lambda x: tt.sum(f(x)))(X),
    "jacrev": lambda f: jacrev(f)(X),
    "jacfwd": lambda f: jacfwd(f)(X),
    "jvp": lambda f: jvp(f, (X,), (np.ones(3),)),
    "vjp": lambda f: vjp(f, X)[1](np.ones(3)),
}


def sine(vjp_rule=None, jvp_rule=None, batched=None):
    @primitive(batched=batched)
    def my_sin(x):
        return np.sin(x)

    if vjp_rule:
        my_sin.defvjp(vjp_rule)
    if jvp_rule:
        my_sin.defjvp(jvp_rule)
    return my_sin


@pytest.mark.parametrize("batched", [None, True])
@pytest.mark.parametrize("call", CALLS)
def test_hips_curried_vjp_rule_gets_our_signature_in_the_error(call, batched):
    f = sine(vjp_rule=lambda ans, x: lambda g: g * tt.cos(x), batched=batched)
    with pytest.raises(TypeError) as info:
        CALLS[call](f)
    message = str(info.value)
    for part in ("my_sin", "reverse-mode rule for argument 0", "rule(g, ans, *args, **kwargs)",
                 "rule(t, ans, *args, **kwargs)", "curried", "(ans, *args) -> (g -> ...)",
                 "takes 2 positional arguments but 3 were given"):
        assert part in message


@pytest.mark.parametrize("call", CALLS)
def test_jvp_rule_with_the_wrong_signature_gets_our_signature_in_the_error(call):
    f = sine(jvp_rule=lambda t, x: t * tt.cos(x))  # `ans` forgotten
    with pytest.raises(TypeError, match=r"forward-mode rule for argument 0 does not fit .*rule\(t, ans, \*args"):
        CALLS[call](f)


def test_curried_rule_whose_signature_takes_our_arguments_is_refused_too():
    f = sine(vjp_rule=lambda ans, *args: lambda g: g * tt.cos(args[0]))
    with pytest.raises(TypeError, match=r"it returned a function.*rule\(g, ans, \*args, \*\*kwargs\)"):
        grad(lambda x: tt.sum(f(x)))(X)


def test_rule_not_taking_the_primitives_keywords_is_a_signature_error():
    @primitive
    def scaled(x, factor=1.0):
        return factor * x

    scaled.defvjp(lambda g, ans, x: g * 2.0)  # misses `factor`
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'factor'.*rule\(g, ans, \*args, \*\*kwargs\)"):
        grad(lambda x: tt.sum(scaled(x, factor=2.0)))(X)
    scaled.defvjp(lambda g, ans, x, factor=1.0: g * factor)
    np.testing.assert_array_equal(grad(lambda x: tt.sum(scaled(x, factor=2.0)))(X), [2.0, 2.0, 2.0])


def _helper(a):
    return a


@pytest.mark.parametrize("call", ["grad", "jacrev", "jacfwd", "jvp"])
@pytest.mark.parametrize("body", [
    lambda g, ans, x: _helper(g, x),  # a call inside the body with the wrong number of arguments
    lambda g, ans, x: g * None,  # an unsupported operand
], ids=["wrong-call-inside", "bad-operand-inside"])
def test_type_errors_raised_inside_a_rule_are_not_masked(call, body):
    f = sine(vjp_rule=body)
    with pytest.raises(TypeError) as info:
        CALLS[call](f)
    assert "signature" not in str(info.value)
    assert info.value.__cause__ is None
    assert "_helper() takes 1 positional argument but 2 were given" in str(info.value) \
        or "unsupported operand" in str(info.value)


# --- custom primitives: one array out -----------------------------------------------------------


@primitive
def sin_and_cos(x):
    return np.sin(x), np.cos(x)


@primitive
def sin_and_cos_list(x):
    return [np.sin(x), np.cos(x)]


sin_and_cos.defvjp(lambda g, ans, x: g)
sin_and_cos_list.defjvp(lambda t, ans, x: t)

SEVERAL = {
    "Variable": lambda f: f(Variable(X, requires_grad=True)),
    "constant Variable": lambda f: f(Variable(X)),
    "Dual": lambda f: f(Dual(X, np.ones(3))),
    "grad": lambda f: grad(lambda x: tt.sum(f(x)[0]))(X),
    "jacfwd": lambda f: jacfwd(f)(X),
    "jvp": lambda f: jvp(f, (X,), (np.ones(3),)),
    "nested": lambda f: jacfwd(jacrev(lambda x: f(x)[0]))(X),
}


@pytest.mark.parametrize("call", SEVERAL)
@pytest.mark.parametrize("f, kind", [(sin_and_cos, "tuple"), (sin_and_cos_list, "list")], ids=["tuple", "list"])
def test_impl_returning_several_arrays_is_refused_on_boxes(f, kind, call):
    with pytest.raises(TypeError, match=f"returns one array, but its impl returned a {kind} of 2; pack"):
        SEVERAL[call](f)


def test_impl_returning_several_arrays_is_left_alone_on_plain_arrays():
    out = sin_and_cos(X)
    assert isinstance(out, tuple)
    np.testing.assert_array_equal(out[1], np.cos(X))


# --- no_grad / enable_grad on generator functions ----------------------------------------------


def recording(v):
    """Whether an op on v records a graph now."""
    return (v * 2.0).requires_grad


@pytest.mark.parametrize("decorate", [no_grad, no_grad()], ids=["bare", "called"])
def test_no_grad_covers_every_step_of_a_generator(decorate):
    x = Variable(1.0, requires_grad=True)

    @decorate
    def steps(n):
        for i in range(n):
            received = yield (is_grad_enabled(), recording(x), i)
            assert received == i * 10
        return "done"

    gen = steps(3)
    assert is_grad_enabled()
    seen = [next(gen)]
    while True:
        assert is_grad_enabled() and recording(x)  # the caller's mode between steps
        try:
            seen.append(gen.send(seen[-1][2] * 10))
        except StopIteration as stop:
            assert stop.value == "done"
            break
    assert seen == [(False, False, 0), (False, False, 1), (False, False, 2)]
    assert is_grad_enabled()


@pytest.mark.parametrize("decorate", [enable_grad, enable_grad()], ids=["bare", "called"])
def test_enable_grad_covers_every_step_of_a_generator_iterated_under_no_grad(decorate):
    x = Variable(1.0, requires_grad=True)

    @decorate
    def steps():
        yield recording(x)
        yield recording(x)

    with no_grad():
        assert list(steps()) == [True, True]
        assert not is_grad_enabled()


def test_a_generator_created_under_enable_grad_runs_its_steps_in_its_own_mode():
    x = Variable(1.0, requires_grad=True)

    @no_grad
    def steps():
        while True:
            yield recording(x)

    gen = steps()
    with enable_grad():
        assert next(gen) is False
    with no_grad():
        assert next(gen) is False
        assert not is_grad_enabled()
    assert is_grad_enabled()


def test_throw_and_close_run_inside_the_mode():
    seen = []

    @no_grad
    def steps():
        try:
            yield 1
        except KeyError:
            seen.append(("handler", is_grad_enabled()))
            yield 2
        finally:
            seen.append(("finally", is_grad_enabled()))

    gen = steps()
    assert next(gen) == 1
    assert gen.throw(KeyError("k")) == 2
    assert is_grad_enabled()
    gen.close()
    assert seen == [("handler", False), ("finally", False)]
    assert is_grad_enabled()

    gen = steps()
    next(gen)
    with pytest.raises(ValueError, match="passed through"):
        gen.throw(ValueError("passed through"))
    assert is_grad_enabled()


def test_a_step_changes_the_mode_of_the_thread_that_runs_it_only():
    inside, release = threading.Event(), threading.Event()
    modes = []

    @no_grad
    def steps():
        modes.append(is_grad_enabled())
        inside.set()
        release.wait(10)
        yield

    gen = steps()
    worker = threading.Thread(target=next, args=(gen,))
    worker.start()
    assert inside.wait(10)
    main_mode = is_grad_enabled()  # while the worker is inside a step
    release.set()
    worker.join(10)
    assert main_mode and modes == [False]
