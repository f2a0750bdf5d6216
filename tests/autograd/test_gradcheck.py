"""gradcheck: passes on correct functions (order 1 and 2, both modes, several
inputs and container outputs) and, for a deliberately wrong rule, fails with a
GradcheckError that names the mode and the worst (output, input) entry."""

import re

import numpy as np
import pytest

import tinytorch as tt
from tinytorch.autograd import GradcheckError, gradcheck
from tinytorch.autograd.primitive import Primitive, unbox_all

# --- deliberately wrong primitives (not registered in the table) ------------------------

# sin with a reverse rule off by a factor (1 + x): right in forward mode only
sin_bad_vjp = Primitive(
    "sin_bad_vjp",
    np.sin,
    jvp=lambda t, ans, x: t * tt.cos(x),
    vjp=lambda g, ans, x: g * (tt.cos(x) * (1.0 + x)),
    broadcasting=True,
    register=False,
)

# sin with a forward rule off by a factor (1 + x): right in reverse mode only
sin_bad_jvp = Primitive(
    "sin_bad_jvp",
    np.sin,
    jvp=lambda t, ans, x: t * (tt.cos(x) * (1.0 + x)),
    vjp=lambda g, ans, x: g * tt.cos(x),
    broadcasting=True,
    register=False,
)

# cos whose forward rule has the wrong sign; used inside a correct first derivative
cos_bad_jvp = Primitive(
    "cos_bad_jvp",
    np.cos,
    jvp=lambda t, ans, x: t * tt.sin(x),
    vjp=lambda g, ans, x: -g * tt.sin(x),
    broadcasting=True,
    register=False,
)

# worst relative error of the factor (1 + x) at y[1, 0] = 1.0
Y = np.array([[0.0, 0.1], [1.0, 0.3]])
X = np.array([0.4, -0.2, 0.9])


def _two_inputs_two_outputs(bad):
    def f(x, y):
        return (tt.exp(x) * 2.0, bad(y) + 0.0 * tt.sum(x))

    f.__name__ = f"f_with_{bad.name}"
    return f


# --- correct functions pass --------------------------------------------------------------


@pytest.mark.parametrize("order", [1, 2])
@pytest.mark.parametrize("modes", [("forward", "reverse"), ("forward",), ("reverse",)], ids="+".join)
def test_gradcheck_passes_on_correct_functions(order, modes):
    f = lambda x, y: tt.sum(tt.tanh(x) * y[:3]) * tt.exp(y[3]) + tt.sum(x**3)
    assert gradcheck(f, (X, np.array([0.5, -1.0, 2.0, 0.1])), order=order, modes=modes) is True


def test_gradcheck_passes_on_a_single_array_input():
    assert gradcheck(lambda x: tt.log1p(x**2) * tt.sin(x), np.array([0.3, -0.8, 1.7]), order=2) is True


def test_gradcheck_passes_on_container_outputs_and_matrix_inputs():
    A = np.array([[1.0, 2.0], [0.5, -1.0], [0.0, 3.0]])

    def f(W, b):
        h = tt.tanh(A @ W + b)
        return {"h": h, "norm": [tt.sum(h * h)]}

    W = np.array([[0.1, -0.2], [0.3, 0.4]])
    b = np.array([0.05, -0.1])
    assert gradcheck(f, (W, b), order=2) is True


def test_gradcheck_passes_on_correct_primitives_built_by_hand():
    good = Primitive(
        "sin_good",
        np.sin,
        jvp=lambda t, ans, x: t * tt.cos(x),
        vjp=lambda g, ans, x: g * tt.cos(x),
        broadcasting=True,
        register=False,
    )
    assert gradcheck(good, (Y,), order=2) is True
    assert gradcheck(_two_inputs_two_outputs(good), (X, Y), order=1) is True


# --- wrong rules fail, naming the mode and the worst entry ------------------------------


def test_wrong_reverse_rule_fails_in_reverse_mode_only():
    f = _two_inputs_two_outputs(sin_bad_vjp)
    assert gradcheck(f, (X, Y), modes=("forward",)) is True
    with pytest.raises(GradcheckError) as info:
        gradcheck(f, (X, Y))
    msg = str(info.value)
    assert "reverse mode" in msg and "forward mode" not in msg
    assert "f_with_sin_bad_vjp" in msg
    assert re.search(r"output\[1\]\[1, 0\] / d input\[1\]\[1, 0\]", msg), msg
    # analytic 2 cos(1), numerical cos(1)
    assert re.search(r"analytic 1\.0806", msg) and re.search(r"numerical 0\.5403", msg), msg


def test_wrong_forward_rule_fails_in_forward_mode_only():
    f = _two_inputs_two_outputs(sin_bad_jvp)
    assert gradcheck(f, (X, Y), modes=("reverse",)) is True
    with pytest.raises(GradcheckError) as info:
        gradcheck(f, (X, Y), modes=("reverse", "forward"))
    msg = str(info.value)
    assert "forward mode" in msg and "reverse mode" not in msg
    assert re.search(r"output\[1\]\[1, 0\] / d input\[1\]\[1, 0\]", msg), msg


def test_wrong_rule_on_a_single_input_names_its_position():
    with pytest.raises(GradcheckError, match=r"reverse mode.*output\[0\]\[2\] / d input\[0\]\[2\]"):
        gradcheck(sin_bad_vjp, (np.array([0.0, 0.2, 1.0, 0.3]),))


# cos with a wrong reverse rule (its forward rule is right)
cos_bad_vjp = Primitive(
    "cos_bad_vjp",
    np.cos,
    jvp=lambda t, ans, x: -t * tt.sin(x),
    vjp=lambda g, ans, x: g * tt.sin(x),
    broadcasting=True,
    register=False,
)


def _sin_with_second_derivative_from(rule, bad_cos):
    """sin with right first derivatives; `rule` ("jvp" or "vjp") is built on `bad_cos`."""
    right = lambda t, ans, x: t * tt.cos(x)
    wrong = lambda t, ans, x: t * bad_cos(x)
    return Primitive(
        f"sin_{rule}_on_{bad_cos.name}",
        np.sin,
        jvp=wrong if rule == "jvp" else right,
        vjp=wrong if rule == "vjp" else right,
        broadcasting=True,
        register=False,
    )


# (rule of sin built on a bad cos, which rule of cos is bad) -> the check that sees it
SECOND_ORDER = {
    ("vjp", "vjp"): ("reverse-mode derivative", "reverse"),  # reverse over reverse
    ("vjp", "jvp"): ("reverse-mode derivative", "forward"),  # forward over reverse
    ("jvp", "vjp"): ("forward-mode derivative", "reverse"),  # reverse over forward
    ("jvp", "jvp"): ("forward-mode derivative", "forward"),  # forward over forward
}


@pytest.mark.parametrize("sin_rule,cos_rule", sorted(SECOND_ORDER), ids=lambda r: r)
def test_each_second_order_composition_is_checked(sin_rule, cos_rule):
    bad_cos = cos_bad_vjp if cos_rule == "vjp" else cos_bad_jvp
    f = _sin_with_second_derivative_from(sin_rule, bad_cos)
    x = np.array([0.3, 1.1, -0.6])
    assert gradcheck(f, (x,), order=1) is True
    which, mode = SECOND_ORDER[(sin_rule, cos_rule)]
    with pytest.raises(GradcheckError, match=rf"order 2, {which}\), {mode} mode") as info:
        gradcheck(f, (x,), order=2)
    assert f.name in str(info.value)
    if sin_rule == cos_rule:
        # a pure reverse-over-reverse or forward-over-forward error is seen by that mode alone
        with pytest.raises(GradcheckError, match="order 2"):
            gradcheck(f, (x,), order=2, modes=(mode,))
    else:
        # a mixed composition needs both modes: either one alone cannot see it
        assert gradcheck(f, (x,), order=2, modes=("forward",)) is True
        assert gradcheck(f, (x,), order=2, modes=("reverse",)) is True


def test_gradcheck_error_is_an_assertion_error():
    assert issubclass(GradcheckError, AssertionError)
    with pytest.raises(AssertionError):
        gradcheck(sin_bad_jvp, (np.array([0.5, 1.0]),))


def test_a_wrong_function_not_only_a_wrong_primitive_is_caught():
    # a derivative silently dropped: exp(x) computed on the plain value, as a constant
    def dropped(x):
        return x * np.exp(unbox_all(x))

    assert np.allclose(dropped(np.array([0.2, 0.7])), [0.2 * np.exp(0.2), 0.7 * np.exp(0.7)])
    with pytest.raises(GradcheckError, match=r"output\[0\]\[1\] / d input\[0\]\[1\]"):
        gradcheck(dropped, (np.array([0.2, 0.7]),))


# --- inputs it refuses ---------------------------------------------------------------


def test_float32_inputs_are_rejected():
    with pytest.raises(TypeError, match="float64"):
        gradcheck(tt.sin, (np.array([0.1, 0.2], dtype=np.float32),))
    with pytest.raises(TypeError, match="float64"):
        gradcheck(lambda a, b: a * b, (np.ones(2), np.ones(2, dtype=np.float32)))


def test_bad_order_and_modes_are_rejected():
    with pytest.raises(ValueError, match="order"):
        gradcheck(tt.sin, (np.ones(2),), order=3)
    with pytest.raises(ValueError, match="mode"):
        gradcheck(tt.sin, (np.ones(2),), modes=("sideways",))


@pytest.mark.filterwarnings("ignore:invalid value encountered in sqrt:RuntimeWarning")
def test_nan_derivatives_fail_even_when_both_sides_agree():
    with pytest.raises(GradcheckError):
        gradcheck(lambda a: tt.sqrt(a - 1.0), (np.array([0.3, 0.8]),))


def test_container_inputs_are_a_clear_type_error():
    with pytest.raises(TypeError, match="takes arrays as inputs"):
        gradcheck(lambda d: tt.sum(d["a"]), ({"a": np.ones(2)},))


# --- as strict as HIPS autograd's check_grads ---------------------------------------------


def test_a_reverse_rule_wrong_by_five_hundredths_of_a_percent_is_caught():
    slightly_off = Primitive(
        "sin_slightly_off",
        np.sin,
        jvp=lambda t, ans, x: t * tt.cos(x),
        vjp=lambda g, ans, x: g * tt.cos(x) * 1.0005,
        broadcasting=True,
        register=False,
    )
    x = (np.array([0.3, -1.2, 2.0]),)
    assert gradcheck(slightly_off, x, modes=("forward",))
    with pytest.raises(GradcheckError, match="reverse mode"):
        gradcheck(slightly_off, x)


def test_a_wrong_second_order_rule_of_a_linear_function_is_caught_in_reverse_mode():
    # its VJP has the right value but drops the cotangent's own derivative: with the cotangent
    # held fixed, x -> vjp(f, x)(u) = 3 u is constant and every check passes
    detached = Primitive(
        "triple_detached",
        lambda x: 3.0 * x,
        jvp=lambda t, ans, x: 3.0 * t,
        vjp=lambda g, ans, x: 3.0 * unbox_all(g),
        broadcasting=True,
        register=False,
    )
    x = (np.array([0.3, -1.2]),)
    assert gradcheck(detached, x, order=1)
    with pytest.raises(GradcheckError, match="order 2, reverse-mode derivative"):
        gradcheck(detached, x, order=2)
