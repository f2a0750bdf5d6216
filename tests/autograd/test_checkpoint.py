"""checkpoint(f): same derivatives, in every mode and order, with only f's inputs kept."""

import functools
import importlib
import pickle
import random

import numpy as np
import pytest

import tinytorch as tt
from tinytorch.autograd import Variable, checkpoint, grad, gradcheck, hessian, jvp
from tinytorch.autograd.checkpoint import register_random_state
from tinytorch.autograd.reverse import parents

checkpoint_module = importlib.import_module("tinytorch.autograd.checkpoint")  # the name is the function's

rng = np.random.default_rng(3)
W = rng.standard_normal((4, 4)) / 2
X = rng.standard_normal(4)


def block(x, w):
    for _ in range(5):
        x = tt.tanh(x @ w) + 0.1 * x
    return x


def test_derivatives_of_a_checkpointed_block_pass_gradcheck_to_order_2():
    cp = checkpoint(block)
    assert gradcheck(lambda x, w: cp(x, w), (X, W), order=2)
    assert gradcheck(lambda x, w: tt.sum(cp(cp(x, w), w) ** 2), (X, W), order=2)


def test_gradient_matches_a_hand_written_backward_pass():
    cp = checkpoint(lambda x: tt.sum(tt.tanh(x) ** 2))
    g = grad(cp)(X)
    assert np.allclose(g, 2 * np.tanh(X) * (1 - np.tanh(X) ** 2), rtol=1e-14)


def test_jvp_and_hessian_through_a_checkpoint():
    cp = checkpoint(lambda x: tt.sum(tt.sin(x) * x))
    t = rng.standard_normal(4)
    assert np.isclose(jvp(cp, (X,), (t,))[1], np.dot(np.sin(X) + X * np.cos(X), t), rtol=1e-14)
    closed = np.diag(2 * np.cos(X) - X * np.sin(X))
    assert np.allclose(hessian(cp)(X), closed, rtol=1e-13)


def _graph_size(out):
    seen, stack = set(), [out]
    while stack:
        node = stack.pop()
        for parent in parents(node):
            if id(parent) not in seen:
                seen.add(id(parent))
                stack.append(parent)
    return len(seen) + 1


def test_the_tape_keeps_one_node_for_the_whole_block():
    x = Variable(X, requires_grad=True)
    w = Variable(W, requires_grad=True)
    plain = block(x, w)
    checkpointed = checkpoint(block)(x, w)
    assert _graph_size(plain) > 15
    assert _graph_size(checkpointed) == 3  # the block's node and its two leaves
    assert np.array_equal(plain.data, checkpointed.data)
    checkpointed.sum().backward()
    gx = x.grad.copy()
    x.zero_grad()
    plain.sum().backward()
    assert np.allclose(gx, x.grad, rtol=1e-14)


def test_weights_read_from_a_closure_get_their_gradient():
    w = Variable(W, requires_grad=True)
    x = Variable(X[None, :], requires_grad=True)
    tt.sum(checkpoint(lambda a: tt.tanh(a @ w))(x)).backward()
    t = np.tanh(X[None, :] @ W)
    assert np.allclose(w.grad, X[:, None] @ (1 - t**2), rtol=1e-14)
    assert np.allclose(x.grad, (1 - t**2) @ W.T, rtol=1e-14)
    assert gradcheck(lambda w_, x_: tt.sum(checkpoint(lambda a: tt.tanh(a @ w_))(x_) ** 2), (W, X), order=2)


def test_a_layer_checkpointed_whole_trains_its_parameters():
    from tinytorch.core import Dense

    layer = Dense(4, 3)
    x = rng.standard_normal((5, 4))
    tt.sum(checkpoint(layer)(x) ** 2).backward()
    w, b = layer.weights.data, layer.bias.data
    out = x @ w + b
    assert np.allclose(layer.weights.grad, x.T @ (2 * out), rtol=1e-13)
    assert np.allclose(layer.bias.grad, (2 * out).sum(axis=0), rtol=1e-13)


def test_second_derivative_through_a_checkpoint_with_create_graph():
    x = Variable(0.3, requires_grad=True)
    y = checkpoint(lambda a: tt.sin(a) * a)(x)
    y.backward(create_graph=True)
    first = x.grad
    x.zero_grad()
    first.backward()
    assert np.isclose(x.grad, 2 * np.cos(0.3) - 0.3 * np.sin(0.3), rtol=1e-14)


def test_containers_out_of_a_checkpoint_are_refused():
    x = Variable(X, requires_grad=True)
    with pytest.raises(NotImplementedError, match="single array"):
        checkpoint(lambda a: (a * 2.0, a * 3.0))(x)


# --- randomness: the recomputation redoes the forward pass's draws --------------------------

GLOBAL_RNG = np.random.default_rng(0)  # reached by name from a block's code
X64 = np.linspace(-1.0, 1.0, 64)


def _masked(x, draw):
    return tt.tanh(x * (draw(x.shape) < 0.5) * 2.0)


def _reseed_global_rng():
    GLOBAL_RNG.bit_generator.state = np.random.default_rng(0).bit_generator.state


def _python_random_block(x):
    return _masked(x, lambda shape: np.array([random.random() for _ in range(shape[0])]))


GLOBAL_SOURCES = {  # name: (reseed, snapshot of the state, block)
    "np.random": (lambda: np.random.seed(0), lambda: pickle.dumps(np.random.get_state()),  # noqa: NPY002
                  lambda x: _masked(x, np.random.random)),  # noqa: NPY002
    "python random": (lambda: random.seed(0), random.getstate, _python_random_block),
    "global generator": (_reseed_global_rng, lambda: GLOBAL_RNG.bit_generator.state,
                         lambda x: _masked(x, GLOBAL_RNG.random)),
}


@pytest.mark.parametrize("name", list(GLOBAL_SOURCES))
def test_a_block_drawing_from_a_global_source_is_recomputed_with_the_same_draws(name):
    reseed, snapshot, block = GLOBAL_SOURCES[name]
    results = []
    for wrap in (lambda f: f, checkpoint):
        reseed()
        x = Variable(X64, requires_grad=True)
        out = wrap(block)(x)
        before = snapshot()
        tt.sum(out * X64).backward()
        assert snapshot() == before  # backward leaves the source where it found it
        results.append((np.array(out.data), x.grad))
    (plain_out, plain_grad), (cp_out, cp_grad) = results
    assert np.array_equal(plain_out, cp_out)
    assert 0 < np.count_nonzero(plain_grad) < 64  # a mask was drawn
    assert np.allclose(cp_grad, plain_grad, rtol=1e-14, atol=0)


class _Noisy:  # a generator held as an attribute, as a Module holds it
    def __init__(self, rng):
        self.rng = rng

    def __call__(self, x):
        return _masked(x, self.rng.random)


def _closure_block(rng):
    def block(x):
        return _masked(x, rng.random)
    return block


BLOCK_CALLS = {  # where the generator sits: f(rng) -> the output, with or without checkpoint
    "closure": lambda wrap, x, rng: wrap(_closure_block(rng))(x),
    "attribute": lambda wrap, x, rng: wrap(_Noisy(rng))(x),
    "argument": lambda wrap, x, rng: wrap(lambda a, r: _masked(a, r.random))(x, rng),
    "keyword container": lambda wrap, x, rng: wrap(lambda a, held: _masked(a, held["rng"].random))(
        x, held={"rng": rng}),
    "bound method": lambda wrap, x, rng: wrap(functools.partial(_masked, draw=rng.random))(x),
}


@pytest.mark.parametrize("where", list(BLOCK_CALLS))
def test_generators_reachable_from_the_call_are_restored(where):
    grads = []
    for wrap in (lambda f: f, checkpoint):
        rng = np.random.default_rng(5)
        x = Variable(X64, requires_grad=True)
        out = BLOCK_CALLS[where](wrap, x, rng)
        after_forward = rng.bit_generator.state
        tt.sum(out * X64).backward()
        assert rng.bit_generator.state == after_forward
        grads.append(x.grad)
    assert 0 < np.count_nonzero(grads[0]) < 64
    assert np.allclose(grads[1], grads[0], rtol=1e-14, atol=0)


def test_every_recomputation_of_a_random_block_sees_the_same_draw():
    rng = np.random.default_rng(1)
    x = Variable(0.3, requires_grad=True)
    y = checkpoint(lambda a: tt.sin(a) * rng.standard_normal())(x)
    c = np.random.default_rng(1).standard_normal()
    y.backward(create_graph=True)  # recomputes f, recorded
    first = x.grad
    x.zero_grad()
    first.backward()  # recomputes f again, through the recorded recomputation
    assert np.isclose(first.data, c * np.cos(0.3), rtol=1e-14)
    assert np.isclose(x.grad, -c * np.sin(0.3), rtol=1e-14)


def test_a_block_whose_recomputation_differs_is_an_error():
    calls = []

    def counting(a):
        calls.append(1)
        return a * float(len(calls))

    y = checkpoint(counting)(Variable(X, requires_grad=True))
    with pytest.raises(RuntimeError, match=r"checkpoint: recomputing f for backward gave a different output "
                                           r"than the forward pass \(largest difference"):
        tt.sum(y).backward()


def test_an_array_changed_in_place_before_backward_is_an_error():
    scale = np.ones(4)
    y = checkpoint(lambda a: tt.sin(a) * scale)(Variable(X, requires_grad=True))
    scale[0] = 2.0
    with pytest.raises(RuntimeError, match="different output than the forward pass"):
        tt.sum(y).backward()


def test_without_preserve_rng_state_a_random_block_is_an_error_and_a_plain_one_works():
    y = checkpoint(_closure_block(np.random.default_rng(0)), preserve_rng_state=False)(
        Variable(X64, requires_grad=True))
    with pytest.raises(RuntimeError, match="preserve_rng_state=False"):
        tt.sum(y).backward()
    x = Variable(X, requires_grad=True)
    tt.sum(checkpoint(lambda a: tt.tanh(a) ** 2, preserve_rng_state=False)(x)).backward()
    assert np.allclose(x.grad, 2 * np.tanh(X) * (1 - np.tanh(X) ** 2), rtol=1e-14)


def test_a_random_state_out_of_reach_is_an_error_until_registered():
    hidden = {"rng": np.random.default_rng(2)}

    def draw(shape):
        return hidden["rng"].random(shape)

    class Slotted:  # no __dict__: checkpoint does not look inside
        __slots__ = ("draw",)

        def __init__(self):
            self.draw = draw

    slotted = Slotted()
    block = checkpoint(lambda a: _masked(a, slotted.draw))
    with pytest.raises(RuntimeError, match="register_random_state"):
        tt.sum(block(Variable(X64, requires_grad=True))).backward()
    saved = list(checkpoint_module._random_states)
    try:
        register_random_state(
            lambda: hidden["rng"].bit_generator.state,
            lambda state: setattr(hidden["rng"].bit_generator, "state", state))
        hidden["rng"] = np.random.default_rng(2)
        x = Variable(X64, requires_grad=True)
        tt.sum(block(x)).backward()
    finally:
        checkpoint_module._random_states[:] = saved
    mask = np.random.default_rng(2).random(64) < 0.5
    assert np.allclose(x.grad, (1 - np.tanh(2 * X64 * mask) ** 2) * 2 * mask, rtol=1e-14)
