"""checkpoint(f): same derivatives, in every mode and order, with only f's inputs kept."""

import numpy as np
import pytest

import tinytorch as tt
from tinytorch.autograd import Variable, checkpoint, grad, gradcheck, hessian, jvp
from tinytorch.autograd.reverse import parents

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
