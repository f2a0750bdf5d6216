"""The seed page's "Neural Network Integration" example, verbatim, with its gradients
checked against a backward pass written out by hand in NumPy."""

import numpy as np

from tinytorch.autograd import Variable
from tinytorch.core.init import manual_seed

SNIPPET = """\
from tinytorch.core.layers import Dense
from tinytorch.core.activations import ReLU
x = Variable([[1.0, 2.0, 3.0]], requires_grad=True)
layer1 = Dense(3, 4)  # Weights automatically become Variables
layer2 = Dense(4, 1)
relu = ReLU()
h1 = relu(layer1(x))
output = layer2(h1)
loss = output.sum()
loss.backward()
print(f"Layer 1 weight gradients: {layer1.weights.grad.shape}")
print(f"Layer 2 bias gradients: {layer2.bias.grad.shape}")
print(f"Input gradients: {x.grad.shape}")
"""


def run_snippet(seed):
    manual_seed(seed)
    namespace = {"Variable": Variable}
    exec(SNIPPET, namespace)
    return namespace


def test_snippet_prints_the_gradient_shapes(capsys):
    run_snippet(0)
    assert capsys.readouterr().out == (
        "Layer 1 weight gradients: (3, 4)\nLayer 2 bias gradients: (1,)\nInput gradients: (1, 3)\n"
    )


def test_weights_are_variables_that_require_grad():
    ns = run_snippet(0)
    for layer, shape in [(ns["layer1"], (3, 4)), (ns["layer2"], (4, 1))]:
        assert isinstance(layer.weights, Variable) and layer.weights.requires_grad
        assert isinstance(layer.bias, Variable) and layer.bias.requires_grad
        assert layer.weights.shape == shape and layer.bias.shape == (shape[1],)


def test_gradients_match_a_hand_written_backward_pass():
    for seed in range(5):
        ns = run_snippet(seed)
        W1, b1 = np.array(ns["layer1"].weights.data), np.array(ns["layer1"].bias.data)
        W2, b2 = np.array(ns["layer2"].weights.data), np.array(ns["layer2"].bias.data)
        x = np.array([[1.0, 2.0, 3.0]])
        h = x @ W1 + b1
        a = np.maximum(h, 0.0)
        assert np.allclose(ns["output"].data, a @ W2 + b2, rtol=1e-14)
        d_out = np.ones((1, 1))  # d loss / d output, loss = output.sum()
        d_a = d_out @ W2.T
        d_h = d_a * (h > 0)
        expected = {
            "layer2.weights": a.T @ d_out,
            "layer2.bias": d_out.sum(axis=0),
            "layer1.weights": x.T @ d_h,
            "layer1.bias": d_h.sum(axis=0),
            "x": d_h @ W1.T,
        }
        got = {
            "layer2.weights": ns["layer2"].weights.grad,
            "layer2.bias": ns["layer2"].bias.grad,
            "layer1.weights": ns["layer1"].weights.grad,
            "layer1.bias": ns["layer1"].bias.grad,
            "x": ns["x"].grad,
        }
        for name in expected:
            assert np.allclose(got[name], expected[name], rtol=1e-13, atol=1e-15), (seed, name)


def test_some_seed_exercises_both_sides_of_the_relu():
    """The hand check above is only informative if hidden units are both on and off."""
    states = set()
    for seed in range(5):
        ns = run_snippet(seed)
        h = np.asarray(ns["layer1"](np.array([[1.0, 2.0, 3.0]])).data)
        states.update(bool(v) for v in (h > 0).ravel())
    assert states == {True, False}
