"""Small expectations PyTorch and NumPy users bring: `@no_grad` / `@enable_grad`
as bare decorators, `.tolist()`, a differentiable `.copy()` / `np.copy` /
`tt.copy` (torch's clone), `format(box, spec)` as NumPy formats the value, and
`np.einsum(..., optimize=...)` on boxes, reductions of lists of boxes, the joining
functions' dtype= and casting=. Oracles: NumPy on the plain values, closed-form
derivatives in both modes, central differences."""

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
    gradcheck,
    is_grad_enabled,
    jacfwd,
    jacrev,
    jvp,
    no_grad,
)

# --- no_grad / enable_grad as bare decorators -------------------------------------------------


def test_no_grad_as_a_bare_decorator():
    @no_grad
    def step(v):
        """Doc kept."""
        assert not is_grad_enabled()
        return v * 3.0

    x = Variable(2.0, requires_grad=True)
    y = step(x)
    assert not y.requires_grad and y.grad_fn is None
    assert y.item() == 6.0
    assert is_grad_enabled()
    assert (x * 3.0).requires_grad
    assert step.__name__ == "step" and step.__doc__ == "Doc kept."


def test_enable_grad_as_a_bare_decorator_inside_no_grad():
    @enable_grad
    def record(v):
        assert is_grad_enabled()
        return v * v

    x = Variable(3.0, requires_grad=True)
    with no_grad():
        y = record(x)
        assert not is_grad_enabled()  # restored to no_grad after the call
        z = x * x
    assert y.requires_grad and not z.requires_grad
    y.backward()
    assert x.grad == 6.0


def test_decorated_function_restores_the_mode_after_an_exception():
    @no_grad
    def fails():
        raise KeyError("boom")

    with pytest.raises(KeyError):
        fails()
    assert is_grad_enabled()
    with no_grad():
        with pytest.raises(KeyError):
            enable_grad(fails.__wrapped__)()
        assert not is_grad_enabled()


def test_one_instance_reentered_and_nested_blocks_restore_in_order():
    block = no_grad()
    x = Variable(1.0, requires_grad=True)
    with block:
        with block, enable_grad():
            assert is_grad_enabled()
            with block:
                assert not (x * x).requires_grad
            assert (x * x).requires_grad
        assert not is_grad_enabled()
    assert is_grad_enabled()


def test_recursive_decorated_function():
    @no_grad
    def depth(n):
        assert not is_grad_enabled()
        return 0 if n == 0 else 1 + depth(n - 1)

    assert depth(5) == 5
    assert is_grad_enabled()


def test_bare_decorated_no_grad_is_thread_local():
    barrier = threading.Barrier(2, timeout=10)
    results, errors = {}, []

    @no_grad
    def inside():
        barrier.wait()  # the other thread records while this one is inside
        barrier.wait()
        return is_grad_enabled()

    def differentiate():
        barrier.wait()
        x = Variable(np.array([0.5, 1.5]), requires_grad=True)
        y = tt.sum(x * x)
        results["enabled"] = is_grad_enabled()
        barrier.wait()
        y.backward()
        results["grad"] = x.grad

    def run(name, fn):
        try:
            out = fn()
            if out is not None:
                results[name] = out
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)
            barrier.abort()

    threads = [
        threading.Thread(target=run, args=("inside", inside)),
        threading.Thread(target=run, args=("other", differentiate)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert errors == []
    assert results["inside"] is False
    assert results["enabled"] is True
    np.testing.assert_array_equal(results["grad"], [1.0, 3.0])


# --- tolist -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [2.5, np.array([1.0, -2.0]), np.arange(6.0).reshape(2, 3), np.float32(0.1)],
    ids=["scalar", "vector", "matrix", "float32"],
)
def test_tolist_is_the_values(value):
    expected = np.asarray(value).tolist()
    for box in (
        Variable(value, requires_grad=True),
        Dual(value, np.ones_like(value)),
        Variable(Dual(value, np.ones_like(value))),
    ):
        got = box.tolist()
        assert got == expected
        assert type(got) is type(expected)


# --- copy: torch's clone ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "copy",
    [lambda z: z.copy(), np.copy, tt.copy, lambda z: tt.copy(z, order="F")],
    ids=["method", "np.copy", "tt.copy", "tt.copy-order-F"],
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_copy_passes_the_derivative_in_both_modes(copy, dtype):
    x = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]], dtype=dtype)
    f = lambda z: tt.sum(copy(z) ** 2)
    for g in (grad(f)(x), jacrev(f)(x), jacfwd(f)(x)):
        assert g.dtype == dtype
        np.testing.assert_allclose(g, 2 * x, rtol=1e-6)
    v = np.arange(6, dtype=dtype).reshape(2, 3)
    y, t = jvp(lambda z: copy(z) * 3.0, (x,), (v,))
    assert y.dtype == t.dtype == dtype
    np.testing.assert_allclose(t, 3 * v, rtol=1e-6)


def test_copy_of_a_variable_is_a_node_like_clone():
    x = Variable(np.array([1.0, 2.0]), requires_grad=True)
    y = x.copy()
    assert y is not x and y.grad_fn == "copy" and not y.is_leaf
    tt.sum(y * np.array([3.0, 4.0])).backward()
    np.testing.assert_array_equal(x.grad, [3.0, 4.0])


def test_writes_to_a_copy_do_not_reach_the_original():
    data = np.array([1.0, 2.0, 3.0])
    x = Variable(data)
    y = x.copy()
    y[0] = 100.0  # nothing requires grad: written in place, as in NumPy
    np.testing.assert_array_equal(x.data, [1.0, 2.0, 3.0])
    d = Dual(data, np.ones(3))
    c = np.copy(d)
    c[1] = Dual(-5.0, 7.0)  # (.primal and .tangent are read-only views: a Dual changes through its own ops)
    np.testing.assert_array_equal(c.primal, [1.0, -5.0, 3.0])
    np.testing.assert_array_equal(d.primal, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(d.tangent, [1.0, 1.0, 1.0])


def test_copy_order_as_numpy():
    x = np.arange(6.0).reshape(2, 3)
    assert tt.copy(x, order="F").flags.f_contiguous and not tt.copy(x, order="F").flags.c_contiguous
    assert Variable(x).copy(order="F").data.flags.f_contiguous
    np.testing.assert_array_equal(tt.copy(x.T), np.copy(x.T))
    assert tt.copy(x.T).flags.f_contiguous  # order="K" keeps the layout, as np.copy does


# --- format -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [np.float64(3.14159), np.array(-2.5), np.float32(0.125), np.array(7)],
    ids=["float64", "0-d", "float32", "int"],
)
@pytest.mark.parametrize("spec", [".2f", "e", ">10", "+.3g", "d"])
def test_format_of_a_single_value_is_numpys(value, spec):
    expected = None
    try:
        expected = format(value, spec)
    except ValueError as e:  # "d" for a float, as NumPy says
        error = str(e)
    boxes = [Variable(value), Dual(value)]
    if value.dtype.kind == "f":
        boxes += [Variable(value, requires_grad=True), Dual(value, np.ones_like(value))]
    for box in boxes:
        if expected is None:
            with pytest.raises(ValueError) as ours:
                format(box, spec)
            assert str(ours.value) == error
        else:
            assert format(box, spec) == expected
            assert f"{box:{spec}}" == expected


def test_format_of_an_array_raises_numpys_error():
    for value in (np.array([1.0, 2.0]), np.array([3.0])):
        with pytest.raises(TypeError) as numpy_error:
            format(value, ".2f")
        for box in (Variable(value, requires_grad=True), Dual(value, np.ones_like(value))):
            with pytest.raises(TypeError) as ours:
                format(box, ".2f")
            assert str(ours.value) == str(numpy_error.value)


def test_empty_format_spec_is_str():
    for box in (Variable(np.array([1.0, 2.0]), requires_grad=True), Dual(1.5, 1.0), Variable(2.0)):
        assert format(box, "") == str(box) == f"{box}"
        assert type(box).__name__ in str(box)


# --- einsum(optimize=...) ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "optimize",
    [True, False, "greedy", "optimal", ["einsum_path", (0, 1), (0, 1)]],
    ids=["True", "False", "greedy", "optimal", "explicit-path"],
)
def test_einsum_optimize_is_accepted_with_the_same_result(optimize):
    rng = np.random.default_rng(0)
    a, b, c = rng.standard_normal((2, 3)), rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
    expected = np.einsum("ij,jk,kl->il", a, b, c, optimize=optimize)
    for box in (Variable(a, requires_grad=True), Dual(a, np.ones_like(a))):
        out = np.einsum("ij,jk,kl->il", box, b, c, optimize=optimize)
        assert isinstance(out, type(box))
        np.testing.assert_allclose(out._value, expected, rtol=1e-12)
    np.testing.assert_allclose(tt.einsum("ij,jk,kl->il", a, b, c, optimize=optimize), expected, rtol=1e-12)
    # d sum(A B C) / dA = 1 (B C)^T, in both modes
    f = lambda z: tt.sum(np.einsum("ij,jk,kl->il", z, b, c, optimize=optimize))
    expected_grad = np.ones((2, 2)) @ (b @ c).T
    np.testing.assert_allclose(grad(f)(a), expected_grad, rtol=1e-12)
    np.testing.assert_allclose(jacfwd(f)(a), expected_grad, rtol=1e-12)


# --- where NumPy works, so must tinytorch (found running HIPS autograd's tests) -----------------


@pytest.mark.parametrize(
    "name, f",
    [
        ("mean", lambda m, a: m.mean([a, a + 2])),
        ("sum", lambda m, a: m.sum([a, a * 3])),
        ("std", lambda m, a: m.std([a, a * 2])),
        ("var", lambda m, a: m.var([a, a * 2])),
        ("norm", lambda m, a: m.linalg.norm([a, a + 1])),
        ("nested lists", lambda m, a: m.sum([[a[0], a[1]], [a[1], 1.0]])),
    ],
)
def test_reductions_of_a_list_of_boxes(name, f):
    a = np.array([1.0, 2.0])
    np.testing.assert_allclose(f(tt, Variable(a, requires_grad=True)).data, f(np, a), rtol=1e-15)
    h = 1e-6
    numeric = np.array([(f(np, a + h * e) - f(np, a - h * e)) / (2 * h) for e in np.eye(2)])
    np.testing.assert_allclose(grad(lambda a: f(tt, a))(a), numeric, rtol=1e-7)
    np.testing.assert_allclose(jacfwd(lambda a: f(tt, a))(a), numeric, rtol=1e-7)


@pytest.mark.parametrize("name", ["concatenate", "stack", "vstack", "hstack"])
def test_joining_functions_take_dtype_and_casting(name):
    arrays = [np.arange(3.0), np.arange(3.0) + 0.5]
    ours, theirs = getattr(tt, name)(arrays, dtype=np.float32), getattr(np, name)(arrays, dtype=np.float32)
    assert ours.dtype == theirs.dtype == np.float32 and np.array_equal(ours, theirs)
    with pytest.raises(TypeError, match="Cannot cast"):
        getattr(np, name)(arrays, dtype=np.int64)
    with pytest.raises(TypeError, match="Cannot cast"):
        getattr(tt, name)(arrays, dtype=np.int64)
    assert np.array_equal(getattr(tt, name)(arrays, dtype=np.int64, casting="unsafe"),
                          getattr(np, name)(arrays, dtype=np.int64, casting="unsafe"))  # fmt: skip
    g = grad(lambda x: tt.sum(getattr(tt, name)([x, 2 * x], dtype=np.float64)))(np.ones(3))
    np.testing.assert_array_equal(g, np.full(3, 3.0))


def test_gradcheck_of_a_function_with_an_empty_output():
    assert gradcheck(lambda x: x[:0], (np.ones(3),), order=2)
    assert gradcheck(lambda x: tt.sum(x[:0]) + x, (np.ones(3),), order=2)


def test_gradient_matches_numpy_and_refuses_boxed_coordinates():
    rng = np.random.default_rng(0)
    f, x = rng.standard_normal((5, 6)), np.cumsum(rng.uniform(0.5, 1.5, 6))
    for args, options in [((), {}), ((0.5,), {}), ((np.linspace(0, 2, 5), x), {"edge_order": 2}), ((x,), {"axis": 1})]:
        ours, theirs = tt.gradient(f, *args, **options), np.gradient(f, *args, **options)
        for a, b in zip(
            ours if isinstance(ours, tuple) else (ours,), theirs if isinstance(theirs, tuple) else (theirs,)
        ):
            np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-14)
    with pytest.raises(NotImplementedError, match="spacing"):
        grad(lambda h: tt.sum(tt.gradient(f, h)))(0.5)
