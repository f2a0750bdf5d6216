"""Fixes from a hostile review: custom rules written with HIPS autograd's signature and
impls returning several arrays get errors that say what to write; no_grad/enable_grad
on generator functions cover every step, as PyTorch's do; index keys of a non-integer
type and repeated indices in updates behave as NumPy's; np.einsum's dtype, casting
and out keywords on boxes; det at matrices with NaN or inf entries.

Oracles: NumPy itself (values, shapes, dtypes, errors), closed forms, and float64
central differences (exact up to rounding for the linear index updates).
"""

from __future__ import annotations

import itertools
import threading
from operator import getitem

import numpy as np
import pytest
from test_indexing_numpy import grid, numpy_update, outcome, positions

import tinytorch as tt
from tinytorch.autograd import (
    Dual,
    Variable,
    enable_grad,
    grad,
    hessian,
    is_grad_enabled,
    jacfwd,
    jacrev,
    jvp,
    no_grad,
    primitive,
    vjp,
)


def central_differences(f, x: np.ndarray, eps: float) -> np.ndarray:
    """d f / d x in float64, shaped f(x).shape + x.shape."""
    x = np.asarray(x, dtype=np.float64)
    columns = []
    for k in range(x.size):
        step = np.zeros(x.size)
        step[k] = eps
        step = step.reshape(x.shape)
        columns.append((np.asarray(f(x + step)) - np.asarray(f(x - step))) / (2 * eps))
    return np.stack(columns, axis=-1).reshape(np.shape(f(x)) + x.shape)


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
    for part in (
        "my_sin",
        "reverse-mode rule for argument 0",
        "rule(g, ans, *args, **kwargs)",
        "rule(t, ans, *args, **kwargs)",
        "curried",
        "(ans, *args) -> (g -> ...)",
        "takes 2 positional arguments but 3 were given",
    ):
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
@pytest.mark.parametrize(
    "body",
    [
        lambda g, ans, x: _helper(g, x),  # a call inside the body with the wrong number of arguments
        lambda g, ans, x: g * None,  # an unsupported operand
    ],
    ids=["wrong-call-inside", "bad-operand-inside"],
)
def test_type_errors_raised_inside_a_rule_are_not_masked(call, body):
    f = sine(vjp_rule=body)
    with pytest.raises(TypeError) as info:
        CALLS[call](f)
    assert "signature" not in str(info.value)
    assert info.value.__cause__ is None
    assert "_helper() takes 1 positional argument but 2 were given" in str(info.value) or "unsupported operand" in str(
        info.value
    )


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


# --- indexing: key types ------------------------------------------------------------------------

A = np.arange(6.0).reshape(3, 2)
BOXES = {
    "array": lambda a: a,
    "Variable": lambda a: Variable(a, requires_grad=True) * 1.0,  # a node of a graph
    "constant Variable": Variable,
    "Dual": lambda a: Dual(a, np.ones_like(a)),
}
KEYS = [  # arrays keep their type (only integer or boolean ones index); empty lists are integers
    np.array([], float),
    np.array([]),
    np.array([], np.float32),
    np.array([], object),
    np.zeros((0, 2)),
    (np.array([], float), 0),
    (slice(None), np.array([], float)),
    ([], np.array([], float)),
    np.array([[]], float),
    np.array([1.0]),
    [1.0],
    [],
    [[]],
    ([], []),
    [[], []],
    [np.array([], float)],
    [np.array([], bool)],
    (0, []),
]


def _read(box, key):
    return tt.getitem(box, key) if isinstance(box, np.ndarray) else box[key]


def _same_outcome(got, expected):
    if expected[0] != "ok":
        return got == expected
    value = np.asarray(got[1]._value if hasattr(got[1], "_value") else got[1])
    return got[0] == "ok" and value.shape == expected[1].shape and np.array_equal(value, expected[1])


def _assign(make, key):
    y = make(A)
    y[key] = 1.0
    return y


@pytest.mark.parametrize("box", BOXES)
def test_index_key_types_as_numpy(box):
    # the accepted keys among them guard against refusing every empty key that np.array makes float
    x = BOXES[box](A)
    wrong = [repr(key) for key in KEYS if not _same_outcome(outcome(_read, x, key), outcome(getitem, A, key))]
    assert wrong == []


@pytest.mark.parametrize("box", ["array", "Variable", "Dual"])
def test_index_update_key_types_as_numpy(box):
    update = (lambda key: tt.index_update(A, key, 1.0)) if box == "array" else (lambda key: _assign(BOXES[box], key))
    wrong = [repr(key) for key in KEYS if not _same_outcome(outcome(update, key), outcome(numpy_update, A, key, 1.0))]
    assert wrong == []


# --- indexing: updates with repeated indices ----------------------------------------------------

SHAPE = (2, 3, 4)
MASKED_REPEATS = [  # masks broadcast against integer arrays that repeat, with slices and Ellipsis
    (np.array([True, False]), [1, 1], slice(None)),
    (slice(None), np.array([True, False, True]), [[3], [3]]),
    (np.array([[True, False, True], [False, False, True]]), [[1], [1]]),
    ([1, 1, 0], slice(1, None), np.array([False, True, False, False])),
    ([[0], [0]], Ellipsis, np.array([True, False, False, True])),
    (np.array([False, True]), slice(None, None, -2), [2, 2]),
]


def _repeats(key) -> bool:
    read = outcome(positions, SHAPE, key)
    return read[0] == "ok" and np.unique(read[1]).size < read[1].size


REPEATED_KEYS = [key for key in grid(1500) if _repeats(key)] + MASKED_REPEATS


def _target_shape(key) -> tuple:
    return positions(SHAPE, key).shape


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_repeated_index_updates_keep_numpys_last_write(dtype):
    assert all(_repeats(key) for key in MASKED_REPEATS) and len(REPEATED_KEYS) >= 25
    rng = np.random.default_rng(11)
    x = rng.standard_normal(SHAPE).astype(dtype)
    wrong = []
    for key in REPEATED_KEYS:
        value = rng.standard_normal(_target_shape(key)).astype(dtype)
        for v in (value, value[None], 7.0, value[..., :1] if value.ndim else value):
            expected = numpy_update(x, key, v)
            results = {"index_update": tt.index_update(x, key, v)}
            for box in ("Variable", "constant Variable", "Dual"):
                y = BOXES[box](x.copy())
                y[key] = v
                results[box] = y._value
            for kind, got in results.items():
                if got.dtype != dtype or not np.array_equal(got, expected):
                    wrong.append((repr(key), np.shape(v), kind))
    assert wrong == []


@pytest.mark.parametrize("key", REPEATED_KEYS, ids=repr)
def test_repeated_index_update_derivatives_are_numpys_by_differences(key):
    rng = np.random.default_rng(12)
    x = rng.standard_normal(SHAPE)
    value_shapes = [_target_shape(key), ()]
    for shape in value_shapes:
        v = rng.standard_normal(shape)
        # the differences of NumPy's own setitem: only the write NumPy keeps moves the output
        expected_x = central_differences(lambda z, v=v: numpy_update(z, key, v), x, 0.5)
        expected_v = central_differences(lambda w: numpy_update(x, key, w), v, 0.5)
        f = lambda a, b: tt.index_update(a, key, b)  # noqa: E731
        for transform in (jacfwd, jacrev):
            jx, jv = transform(f, argnums=(0, 1))(x, v)
            np.testing.assert_allclose(jx, expected_x, rtol=0, atol=1e-13)
            np.testing.assert_allclose(jv, expected_v, rtol=0, atol=1e-13)
        assert np.count_nonzero(expected_v) == np.unique(positions(SHAPE, key)).size or shape == ()


def _overwrite_twice(x):
    y = x * 1.0
    y[[0, 0]] = tt.stack([tt.sin(x[1]), x[2] ** 2])  # NumPy keeps x[2] ** 2
    y[[1, 2, 1], 1:] = x[:, :1] * x[:, 1:]  # NumPy keeps row 2 of the product in row 1
    return y


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_repeated_in_place_writes_in_both_modes_and_at_second_order(dtype):
    x = np.array([[0.3, -0.5], [1.1, 0.7], [-0.9, 0.4]], dtype=dtype)
    expected = x.copy()
    expected[[0, 0]] = np.stack([np.sin(x[1]), x[2] ** 2])
    expected[[1, 2, 1], 1:] = x[:, :1] * x[:, 1:]
    np.testing.assert_allclose(_overwrite_twice(Variable(x))._value, expected, rtol=1e-6)
    jacobian = central_differences(_overwrite_twice, x.astype(np.float64), 1e-6)
    for transform in (jacfwd, jacrev):
        got = transform(_overwrite_twice)(x)
        assert got.dtype == dtype
        np.testing.assert_allclose(got, jacobian, rtol=1e-5, atol=1e-5 if dtype == np.float32 else 1e-9)
    loss = lambda z: tt.sum(_overwrite_twice(z) ** 2)  # noqa: E731
    g = lambda z: np.asarray(grad(loss)(z), dtype=np.float64)  # noqa: E731
    second = central_differences(g, x.astype(np.float64), 1e-5)
    np.testing.assert_allclose(hessian(loss)(x.astype(np.float64)), second, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(jacrev(jacrev(loss))(x.astype(np.float64)), second, rtol=1e-6, atol=1e-7)


def test_augmented_assignment_with_repeated_indices_adds_once_as_numpy():
    x = np.array([1.0, 2.0, 3.0])
    expected = x.copy()
    expected[[0, 0, 2]] += np.array([10.0, 20.0, 30.0]) * x[1]

    def f(z):
        y = z * 1.0
        y[[0, 0, 2]] += tt.stack([10.0 * z[1], 20.0 * z[1], 30.0 * z[1]])
        return y

    np.testing.assert_array_equal(f(Variable(x))._value, expected)
    closed_form = np.array([[1.0, 20.0, 0.0], [0.0, 1.0, 0.0], [0.0, 30.0, 1.0]])
    np.testing.assert_array_equal(jacrev(f)(x), closed_form)
    np.testing.assert_array_equal(jacfwd(f)(x), closed_form)


# --- einsum keywords ----------------------------------------------------------------------------

M = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
W = np.array([0.2, -0.4, 1.1])


@pytest.mark.parametrize("box", ["Variable", "Dual"])
@pytest.mark.parametrize(
    "kwargs",
    [
        {"dtype": np.float32, "casting": "same_kind"},
        {"dtype": np.float16, "casting": "unsafe"},
        {"dtype": np.float64},
        {"dtype": "f8", "casting": "no"},
        {"casting": "equiv"},
        {"dtype": int, "casting": "unsafe"},
        {"order": "F"},
    ],
    ids=repr,
)
def test_einsum_keywords_on_boxes_give_numpys_value_and_dtype(kwargs, box):
    expected = np.einsum("ij,j->i", M, W, **kwargs)
    got = np.einsum("ij,j->i", BOXES[box](M), W, **kwargs)
    value = np.asarray(got._value if hasattr(got, "_value") else got)  # an integer result is plain
    assert value.dtype == expected.dtype
    np.testing.assert_allclose(value, expected, rtol=1e-3 if expected.dtype == np.float16 else 1e-6)


@pytest.mark.parametrize("box", ["array", "Variable", "Dual"])
@pytest.mark.parametrize(
    "args, kwargs",
    [
        ((M, W), {"dtype": np.float32}),  # 'safe' refuses float64 -> float32
        ((M, W), {"dtype": int}),
        ((M, W.astype(np.float32)), {"casting": "no"}),
        ((M, W), {"casting": "bogus"}),
    ],
    ids=["to-float32", "to-int", "mixed-no", "bad-casting"],
)
def test_einsum_casting_errors_are_numpys(args, kwargs, box):
    expected = outcome(lambda: np.einsum("ij,j->i", *args, **kwargs))
    assert expected[0] in (TypeError, ValueError)
    assert outcome(lambda: tt.einsum("ij,j->i", BOXES[box](args[0]), args[1], **kwargs)) == expected


@pytest.mark.parametrize("dtype, casting", [(np.float32, "same_kind"), (np.float64, "safe")])
@pytest.mark.parametrize("in_dtype", [np.float64, np.float32])
def test_einsum_dtype_is_differentiable_in_both_modes(dtype, casting, in_dtype):
    m, w = M.astype(in_dtype), W.astype(in_dtype)
    f = lambda a, b: tt.einsum("ij,j->i", a, b, dtype=dtype, casting=casting)  # noqa: E731
    if not np.can_cast(in_dtype, dtype, casting):
        return
    out_dtype = np.dtype(dtype)
    # d/da: e_i w^T per output entry; d/db: the rows of a
    closed_a = np.einsum("ik,j->ikj", np.eye(2), w.astype(np.float64))
    tol = 1e-6 if np.float32 in (dtype, in_dtype) else 1e-14
    # as for tt.astype: forward mode's Jacobian in the output's dtype, reverse mode's in the input's
    for transform, jac_dtype in ((jacfwd, out_dtype), (jacrev, in_dtype)):
        ja, jb = transform(f, argnums=(0, 1))(m, w)
        assert ja.dtype == jb.dtype == jac_dtype
        np.testing.assert_allclose(ja, closed_a, rtol=tol)
        np.testing.assert_allclose(jb, m, rtol=tol)
    out, tangent = jvp(f, (m, w), (np.ones_like(m), np.zeros_like(w)))
    assert out.dtype == tangent.dtype == out_dtype
    np.testing.assert_allclose(tangent, [w.sum()] * 2, rtol=tol)
    g = grad(lambda a: tt.sum(f(a, a[0]) ** 2))(m)
    assert g.dtype == in_dtype
    expected = central_differences(lambda a: np.sum(np.einsum("ij,j->i", a, a[0]) ** 2), m.astype(np.float64), 1e-6)
    np.testing.assert_allclose(g, expected, rtol=1e-5 if tol == 1e-6 else 1e-8)


@pytest.mark.parametrize("box", ["Variable", "Dual"])
def test_einsum_out_with_a_box_operand_is_refused(box):
    out = np.zeros(2)
    with pytest.raises(TypeError, match=f"involves a {box} in a plain array: its derivative would be dropped"):
        np.einsum("ij,j->i", BOXES[box](M), W, out=out)
    with pytest.raises(TypeError, match=f"cannot write into a {box}"):
        np.einsum("ij,j->i", M, W, out=BOXES[box](np.zeros(2)))
    np.testing.assert_array_equal(out, 0.0)


def test_einsum_out_on_plain_arrays_is_numpys():
    out = np.zeros(2, np.float32)
    assert tt.einsum("ij,j->i", M, W, out=out, casting="unsafe") is out
    np.testing.assert_array_equal(out, np.einsum("ij,j->i", M, W).astype(np.float32))
    refused = outcome(lambda: np.einsum("ij,j->i", M, W, out=np.zeros(2, np.float32)))
    assert refused[0] is TypeError
    assert outcome(lambda: tt.einsum("ij,j->i", M, W, out=np.zeros(2, np.float32))) == refused


def test_einsum_cast_to_complex_on_a_box_keeps_the_derivative():
    # it was refused while tinytorch was real; d Re(g . (M W)) / dM = Re(g) W^T, closed form
    m = Variable(M, requires_grad=True)
    out = np.einsum("ij,j->i", m, W, dtype=complex)
    np.testing.assert_allclose(out.data, np.einsum("ij,j->i", M, W, dtype=complex), rtol=1e-14)
    g = np.arange(1.0, out.shape[0] + 1) * (1 - 2j)
    out.backward(g)
    np.testing.assert_allclose(m.grad, np.outer(g.real, W), rtol=1e-14)
    assert m.grad.dtype == np.float64


# --- det at NaN and inf -------------------------------------------------------------------------

NAN, INF = np.nan, np.inf
NON_FINITE = {
    "nan-after-zero-pivot": [[0.0, 0.0], [0.0, NAN]],  # inv stops at the zero pivot
    "nan": [[1.0, NAN], [2.0, 3.0]],
    "all-nan": [[NAN, NAN], [NAN, NAN]],
    "inf": [[1.0, INF], [2.0, 3.0]],  # det(A) A^-1 would give -inf and NaN
    "inf-singular": [[0.0, 0.0], [0.0, INF]],
    "inf-and-nan": [[-INF, 1.0], [NAN, 2.0]],
    "3x3-nan": [[1.0, 2.0, 0.5], [0.0, NAN, 1.0], [2.0, 4.0, 1.0]],
}
FIRST_ORDER = {
    "grad": lambda a: grad(lambda m: tt.sum(tt.linalg.det(m)))(a),
    "jacrev": lambda a: jacrev(tt.linalg.det)(a),
    "jacfwd": lambda a: jacfwd(tt.linalg.det)(a),
    "jvp": lambda a: jvp(tt.linalg.det, (a,), (np.ones_like(a),))[1],
    "vjp": lambda a: vjp(tt.linalg.det, a)[1](np.ones(a.shape[:-2], a.dtype))[0],
}
HIGHER_ORDER = {
    "hessian": lambda a: hessian(tt.linalg.det)(a),
    "fwd-of-fwd": lambda a: jacfwd(jacfwd(tt.linalg.det))(a),
    "fwd-of-rev": lambda a: jacfwd(jacrev(tt.linalg.det))(a),
    "rev-of-fwd": lambda a: jacrev(jacfwd(tt.linalg.det))(a),
    "rev-of-rev": lambda a: jacrev(jacrev(tt.linalg.det))(a),
    "third-order": lambda a: jacfwd(jacrev(jacrev(tt.linalg.det)))(a),
}


@pytest.mark.filterwarnings("ignore:invalid value encountered in det:RuntimeWarning")
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("how", list(FIRST_ORDER) + list(HIGHER_ORDER))
def test_det_derivatives_at_nan_and_inf_are_nan(how, dtype):
    wrong = []
    for name, matrix in NON_FINITE.items():
        got = {**FIRST_ORDER, **HIGHER_ORDER}[how](np.array(matrix, dtype=dtype))
        if got.dtype != dtype or not np.isnan(got).all():
            wrong.append(name)
    assert wrong == []


def _cofactors_2x2(a: np.ndarray) -> np.ndarray:
    return np.array([[a[1, 1], -a[1, 0]], [-a[0, 1], a[0, 0]]])


# d^2 det / dA_ij dA_kl for 2 x 2 matrices: constant
SECOND_2X2 = np.zeros((2, 2, 2, 2))
SECOND_2X2[0, 0, 1, 1] = SECOND_2X2[1, 1, 0, 0] = 1.0
SECOND_2X2[0, 1, 1, 0] = SECOND_2X2[1, 0, 0, 1] = -1.0


@pytest.mark.filterwarnings("ignore:invalid value encountered in det:RuntimeWarning")
@pytest.mark.parametrize("how", ["jacfwd", "jacrev"])
def test_det_of_a_stack_keeps_the_finite_matrices_exact(how):
    stack = np.array(
        [NON_FINITE["nan-after-zero-pivot"], [[1.0, 2.0], [2.0, 4.0]], [[2.0, 1.0], [1.0, 3.0]], NON_FINITE["inf"]]
    )
    first = FIRST_ORDER[how](stack)
    for k, matrix in enumerate(stack):
        block = first[k, k]
        if np.isfinite(matrix).all():
            np.testing.assert_allclose(block, _cofactors_2x2(matrix), rtol=1e-12, atol=1e-12)
        else:
            assert np.isnan(block).all()
    for name, second_order in HIGHER_ORDER.items():
        if name == "third-order":
            continue
        second = second_order(stack)
        for k, matrix in enumerate(stack):
            block = second[k, k, :, :, k]
            if np.isfinite(matrix).all():
                np.testing.assert_allclose(block, SECOND_2X2, atol=1e-12, err_msg=name)
            else:
                assert np.isnan(block).all(), name


@pytest.mark.filterwarnings("ignore:invalid value encountered in det:RuntimeWarning")
def test_det_third_order_at_a_stack_with_nan_beside_a_well_conditioned_matrix():
    a = np.array([[[2.0, 1.0, 0.0], [1.0, 3.0, 1.0], [0.0, 1.0, 4.0]], NON_FINITE["3x3-nan"]])
    third = HIGHER_ORDER["third-order"](a)
    s = slice(None)
    assert np.isnan(third[1, 1, s, s, 1, s, s, 1]).all()
    # d^3 det / dA_ij dA_kl dA_mn of a 3 x 3 matrix: the sign of the permutation (i, k, m) -> (j, l, n)
    levi = np.zeros((3, 3, 3))
    for p in itertools.permutations(range(3)):
        levi[p] = np.linalg.det(np.eye(3)[list(p)])
    expected = np.einsum("ikm,jln->ijkmln", levi, levi).transpose(0, 1, 2, 4, 3, 5)
    np.testing.assert_allclose(third[0, 0, s, s, 0, s, s, 0], expected, atol=1e-12)
