"""Graph memory: backward() releases saved arrays, unreachable graphs die by
refcount alone (no cycles through nodes), and very deep graphs run forward and
backward without recursion."""

import gc
import tracemalloc
import weakref

import numpy as np
import pytest

import tinytorch as tt
from tinytorch.autograd import Variable, grad, jvp, primitive, vjp

N = 1_000_000  # 8 MB per float64 array
MB8 = N * 8


@pytest.fixture
def no_gc():
    """Only reference counting may free anything inside the test."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _traced_memory_around_backward(retain_graph):
    tracemalloc.start()
    try:
        x = Variable(np.linspace(0.0, 1.0, N), requires_grad=True)
        base = tracemalloc.get_traced_memory()[0]
        y = tt.sum(tt.exp(tt.sin(x) * 2.0))  # saves three 8 MB arrays
        forward = tracemalloc.get_traced_memory()[0] - base
        y.backward(retain_graph=retain_graph)
        after = tracemalloc.get_traced_memory()[0] - base
        assert x.grad.shape == (N,)
        del y
        return forward, after
    finally:
        tracemalloc.stop()


def test_backward_releases_saved_arrays_while_the_output_is_still_alive(no_gc):
    forward, after = _traced_memory_around_backward(retain_graph=False)
    assert forward >= 2.5 * MB8  # the intermediates really were held
    # only x.grad (one array) may remain of what the graph allocated
    assert after <= 1.5 * MB8, f"{after / MB8:.2f} arrays still held after backward()"


def test_retain_graph_keeps_saved_arrays(no_gc):
    forward, after = _traced_memory_around_backward(retain_graph=True)
    assert after >= forward + 0.5 * MB8  # saved arrays kept, plus x.grad


def test_intermediate_lives_while_the_output_does_and_dies_with_it(no_gc):
    x = Variable(np.ones(3), requires_grad=True)
    h = tt.sin(x)
    y = tt.sum(h * h)
    ref = weakref.ref(h)
    del h
    assert ref() is not None  # y's graph needs it
    del y
    assert ref() is None  # freed by refcount alone
    assert x.grad is None


def test_intermediate_is_released_by_backward_even_if_output_survives(no_gc):
    x = Variable(np.array([0.5, 1.0, 1.5]), requires_grad=True)
    h = tt.exp(x)
    y = tt.sum(h * h)
    ref = weakref.ref(h)
    del h
    y.backward()
    assert ref() is None
    np.testing.assert_allclose(x.grad, 2.0 * np.exp(2.0 * x.data))


def test_discarded_graph_of_a_leaf_that_lives_on_is_freed(no_gc):
    x = Variable(np.ones(4), requires_grad=True)
    refs = []
    for _ in range(3):
        h = tt.tanh(x * 2.0)
        refs.append(weakref.ref(h))
        loss = tt.sum(h)
        del h, loss
    assert all(r() is None for r in refs)


def test_graph_built_inside_grad_is_freed_when_grad_returns(no_gc):
    refs = []

    def f(x):
        h = tt.sin(x) * x
        refs.append(weakref.ref(h))
        return tt.sum(h)

    g = grad(f)(np.array([0.1, 0.2]))
    assert refs and isinstance(g, np.ndarray)
    assert refs[0]() is None


def test_graph_held_by_a_vjp_pullback_is_freed_with_it(no_gc):
    refs = []

    def f(x):
        h = tt.exp(x)
        refs.append(weakref.ref(h))
        return h * x

    _, pullback = vjp(f, np.array([0.1, 0.2]))
    assert refs[0]() is not None
    pullback(np.ones(2))  # pullback may be called again: graph kept
    assert refs[0]() is not None
    del pullback
    assert refs[0]() is None


def test_create_graph_gradient_graph_is_freed_once_grad_is_dropped(no_gc):
    x = Variable(np.array([0.3, 0.6]), requires_grad=True)
    h = tt.sin(x)
    y = tt.sum(h * h)
    ref = weakref.ref(h)
    del h
    y.backward(create_graph=True)
    del y
    x.zero_grad()
    assert ref() is None


DEPTH = 100_000  # two ops per step: 200,000 nodes


def test_very_deep_variable_chain_forward_and_backward():
    x0 = Variable(1.0, requires_grad=True)
    x = x0
    for _ in range(DEPTH):
        x = x * 1.0000001 + 0.0
    x.backward()
    np.testing.assert_allclose(x0.grad, 1.0000001**DEPTH, rtol=1e-10)


def test_very_deep_chain_under_grad_matches_the_chain_rule_by_hand():
    def f(x):
        for _ in range(DEPTH):
            x = tt.sin(x) + 0.5
        return x

    # d x_{k+1} / d x_k = cos(x_k), multiplied along the chain in plain floats
    xs, expected = 0.3, 1.0
    for _ in range(DEPTH):
        expected *= np.cos(xs)
        xs = np.sin(xs) + 0.5
    np.testing.assert_allclose(grad(f)(0.3), expected, rtol=1e-9)
    out, tangent = jvp(f, (0.3,), (1.0,))
    np.testing.assert_allclose(out, xs, rtol=1e-12)
    np.testing.assert_allclose(tangent, expected, rtol=1e-9)


def test_very_deep_graph_never_backpropagated_is_freed_without_recursion(no_gc):
    x = Variable(0.5, requires_grad=True)
    first = tt.sin(x)
    ref = weakref.ref(first)
    y = first
    del first
    for _ in range(2 * DEPTH):
        y = tt.cos(y)
    assert ref() is not None
    del y
    assert ref() is None


def test_backward_releases_the_graph_as_it_goes():
    """A node's value is freed once the sweep has pulled it back: halfway through the
    backward pass of a chain, about half of the graph's memory is gone."""
    memory_seen = []

    @primitive
    def probe(x):
        return np.array(x, copy=True)

    probe.defvjp(lambda g, ans, x: memory_seen.append(tracemalloc.get_traced_memory()[0]) or g)
    n, depth = 10_000, 64
    tracemalloc.start()
    try:
        x = Variable(np.linspace(-1.0, 1.0, n), requires_grad=True)
        h = x
        for i in range(depth):
            h = tt.tanh(probe(h) if i == depth // 2 else 1.5 * h + 0.1)
        loss = tt.sum(h)
        del h
        held = tracemalloc.get_traced_memory()[0]
        loss.backward()
    finally:
        tracemalloc.stop()
    # the upper half of the chain, 32 of 64 layers, has been pulled back and freed
    assert memory_seen[0] < 0.65 * held
