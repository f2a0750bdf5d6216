"""Grad mode: no_grad / enable_grad as context managers and decorators,
is_grad_enabled, thread-locality, and transforms that still differentiate
inside no_grad."""

import threading

import numpy as np

import tinytorch as tt
from tinytorch.autograd import Variable, enable_grad, grad, hessian, is_grad_enabled, jacobian, jvp, no_grad


def test_is_grad_enabled_by_default_and_toggled():
    assert is_grad_enabled()
    with no_grad():
        assert not is_grad_enabled()
        with enable_grad():
            assert is_grad_enabled()
        assert not is_grad_enabled()
    assert is_grad_enabled()


def test_no_grad_context_records_nothing():
    x = Variable(np.array([1.0, 2.0]), requires_grad=True)
    with no_grad():
        y = tt.sin(x) * x
    assert not y.requires_grad
    assert y.grad_fn is None
    np.testing.assert_allclose(y.data, np.sin([1.0, 2.0]) * [1.0, 2.0])


def test_no_grad_is_restored_after_an_exception():
    try:
        with no_grad():
            raise KeyError("boom")
    except KeyError:
        pass
    assert is_grad_enabled()
    x = Variable(2.0, requires_grad=True)
    assert (x * x).requires_grad


def test_no_grad_as_a_decorator():
    @no_grad()
    def step(v):
        assert not is_grad_enabled()
        return v * 3.0

    x = Variable(2.0, requires_grad=True)
    assert not step(x).requires_grad
    assert is_grad_enabled()
    assert (x * 3.0).requires_grad


def test_enable_grad_as_a_decorator_inside_no_grad():
    @enable_grad()
    def record(v):
        return v * v

    x = Variable(3.0, requires_grad=True)
    with no_grad():
        y = record(x)
        z = x * x
    assert y.requires_grad
    assert not z.requires_grad
    y.backward()
    np.testing.assert_allclose(x.grad, 6.0)


def test_constant_part_computed_under_no_grad_gets_no_gradient():
    x = Variable(2.0, requires_grad=True)
    with no_grad():
        c = x * x  # a constant 4
    y = c * x
    y.backward()
    np.testing.assert_allclose(x.grad, 4.0)  # not 3 x^2 = 12


def test_transforms_inside_no_grad_still_differentiate():
    xv = np.array([0.3, -0.8])
    f = lambda x: tt.sum(tt.sin(x) * x)
    with no_grad():
        g = grad(f)(xv)
        _, t = jvp(f, (xv,), (np.array([1.0, 0.0]),))
        J = jacobian(lambda x: tt.exp(x) * x, mode="reverse")(xv)
        H = hessian(f)(xv)
    dg = np.cos(xv) * xv + np.sin(xv)
    np.testing.assert_allclose(g, dg, rtol=1e-14)
    np.testing.assert_allclose(t, dg[0], rtol=1e-14)
    np.testing.assert_allclose(J, np.diag(np.exp(xv) * (1 + xv)), rtol=1e-14)
    np.testing.assert_allclose(H, np.diag(2 * np.cos(xv) - xv * np.sin(xv)), rtol=1e-13)


def test_transform_inside_no_grad_does_not_record_outer_variables():
    w = Variable(2.0, requires_grad=True)
    with no_grad():
        g = grad(lambda x: x * x * w)(3.0)  # d/dx = 2 x w
    np.testing.assert_allclose(g, 12.0)
    assert not isinstance(g, Variable) or not g.requires_grad


def test_no_grad_inside_a_function_given_to_grad_makes_a_constant():
    # as torch.func.grad: the inner no_grad is respected, c = x^2 is a constant
    def f(x):
        with no_grad():
            c = x * x
        return c * x

    np.testing.assert_allclose(grad(f)(2.0), 4.0)  # not 3 x^2 = 12


def test_no_grad_is_thread_local():
    barrier = threading.Barrier(2, timeout=10)
    results = {}
    errors = []

    def inside_no_grad():
        try:
            with no_grad():
                barrier.wait()  # both threads are now inside their blocks
                x = Variable(np.array([1.0, 2.0]), requires_grad=True)
                y = x * x
                results["no_grad"] = (is_grad_enabled(), y.requires_grad)
                barrier.wait()
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    def differentiating():
        try:
            barrier.wait()
            xv = np.array([0.5, 1.5])
            x = Variable(xv, requires_grad=True)
            y = tt.sum(tt.sin(x) * x)
            enabled = is_grad_enabled()
            barrier.wait()  # the other thread is still inside no_grad
            y.backward()
            results["grad"] = (enabled, x.grad, np.cos(xv) * xv + np.sin(xv))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=inside_no_grad), threading.Thread(target=differentiating)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert not errors, errors
    assert results["no_grad"] == (False, False)
    enabled, got, expected = results["grad"]
    assert enabled
    np.testing.assert_allclose(got, expected, rtol=1e-14)
    assert is_grad_enabled()


def test_two_threads_differentiating_at_once_get_their_own_answers():
    n_rounds = 20
    barrier = threading.Barrier(2, timeout=10)
    out = {0: [], 1: []}
    errors = []

    def worker(k):
        try:
            for r in range(n_rounds):
                xv = np.array([0.1 * r + k, 0.2 + k])
                barrier.wait()
                if k == 0:
                    x = Variable(xv, requires_grad=True)
                    with no_grad():
                        barrier.wait()
                        c = x * 10.0  # constant
                    y = tt.sum(tt.exp(x) + c)
                    y.backward()
                    out[k].append((x.grad, np.exp(xv)))
                else:
                    barrier.wait()  # thread 0 is inside no_grad now
                    g = grad(lambda z: tt.sum(z**3))(xv)
                    out[k].append((g, 3 * xv**2))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)
            barrier.abort()

    threads = [threading.Thread(target=worker, args=(k,)) for k in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    for k in (0, 1):
        assert len(out[k]) == n_rounds
        for got, expected in out[k]:
            np.testing.assert_allclose(got, expected, rtol=1e-14)
