"""Dense (Linear), Sequential, Dropout, and weight initialization."""

import numpy as np
import pytest
from finite_diff import numeric_grad

import tinytorch as tt
from tinytorch.autograd import Dual, Variable, checkpoint
from tinytorch.core.activations import ReLU, Tanh
from tinytorch.core.init import generator, manual_seed
from tinytorch.core.layers import Dense, Dropout, Linear, Sequential

RNG = np.random.default_rng(42)
X = RNG.standard_normal((5, 3))


def plain(v):
    return np.array(v.data)


def test_dense_shapes_and_parameters():
    layer = Dense(3, 4, rng=0)
    assert layer.weights.shape == (3, 4) and layer.bias.shape == (4,)
    assert layer.weights.requires_grad and layer.bias.requires_grad
    assert np.array_equal(plain(layer.bias), np.zeros(4))
    assert layer(X).shape == (5, 4)
    assert layer(X[0]).shape == (4,)
    assert Linear is Dense


def test_dense_forward_is_x_times_w_plus_b():
    layer = Dense(3, 4, rng=1)
    with_bias = np.array(layer(X).data)
    assert np.allclose(with_bias, X @ plain(layer.weights) + plain(layer.bias), rtol=1e-15)
    no_bias = Dense(3, 4, use_bias=False, rng=1)
    assert no_bias.bias is None and len(no_bias.parameters()) == 1
    assert np.allclose(np.array(no_bias(X).data), X @ plain(no_bias.weights), rtol=1e-15)


def test_dense_gradients_against_finite_differences():
    layer = Dense(3, 4, rng=2)
    layer.bias.data[...] = RNG.standard_normal(4)
    target = RNG.standard_normal((5, 4))
    loss = tt.sum(tt.tanh(layer(X)) * target)
    loss.backward()
    W, b = plain(layer.weights), plain(layer.bias)
    assert np.allclose(layer.weights.grad, numeric_grad(lambda w: np.sum(np.tanh(X @ w + b) * target), W), atol=1e-8)
    assert np.allclose(layer.bias.grad, numeric_grad(lambda c: np.sum(np.tanh(X @ W + c) * target), b), atol=1e-8)


def test_dense_accepts_lists_and_keeps_the_input_gradient():
    layer = Dense(3, 2, rng=3)
    assert np.allclose(layer([[1.0, 2.0, 3.0]]).data, np.array([[1.0, 2.0, 3.0]]) @ plain(layer.weights))
    x = Variable(X, requires_grad=True)
    layer(x).sum().backward()
    assert np.allclose(x.grad, np.ones((5, 2)) @ plain(layer.weights).T)


def test_dense_in_forward_mode():
    layer = Dense(3, 2, rng=4)
    tangent = RNG.standard_normal(3)
    out = layer(Dual(X[0], tangent))
    assert np.allclose(out.tangent.data, tangent @ plain(layer.weights))


def test_float32_layer_stays_float32():
    layer = Dense(3, 2, dtype=np.float32, rng=5)
    out = layer(X.astype(np.float32))
    out.sum().backward()
    assert out.dtype == np.float32 and layer.weights.grad.dtype == np.float32


def test_sequential_composes_in_order():
    first, second = Dense(3, 4, rng=0), Dense(4, 2, rng=1)
    model = Sequential(first, Tanh(), second)
    expected = np.tanh(X @ plain(first.weights)) @ plain(second.weights)
    assert np.allclose(model(X).data, expected, rtol=1e-14)
    assert len(model) == 3 and model[0] is first and list(model)[2] is second
    assert Sequential([first, second]).layers == [first, second]
    assert len(model.parameters()) == 4


def test_sequential_rejects_non_modules():
    with pytest.raises(TypeError, match="Sequential takes modules"):
        Sequential(Dense(2, 2), np.tanh)


def test_dropout_is_the_identity_in_eval_mode_and_at_p_0():
    x = RNG.standard_normal((4, 4))
    assert Dropout(0.5).eval()(x) is x
    assert Dropout(0.0)(x) is x


def test_dropout_zeroes_a_fraction_p_and_rescales_the_rest():
    p = 0.3
    x = np.abs(RNG.standard_normal((200, 500))) + 0.1
    out = np.asarray(Dropout(p, rng=0)(x))
    dropped = out == 0
    # 100,000 Bernoulli(0.3) draws: standard deviation of the fraction ~0.0015
    assert abs(dropped.mean() - p) < 0.01
    assert np.allclose(out[~dropped], x[~dropped] / (1 - p), rtol=1e-15)


def test_dropout_gradient_is_the_mask_over_keep_probability():
    p = 0.5
    x = Variable(np.ones((10, 10)), requires_grad=True)
    out = Dropout(p, rng=1)(x)
    out.sum().backward()
    assert np.array_equal(x.grad, np.array(out.data))  # with x = 1, out is exactly mask / (1 - p)
    assert set(np.unique(x.grad)) == {0.0, 2.0}


def test_dropout_follows_the_models_mode():
    model = Sequential(Dense(3, 3, rng=0), Dropout(0.9, rng=0))
    x = np.ones((50, 3))
    model.eval()
    assert np.allclose(model(x).data, model[0](x).data)
    model.train()
    assert (np.asarray(model(x).data) == 0).mean() > 0.5


@pytest.mark.parametrize("dtype", [np.int64, np.int8, np.bool_])
def test_dropout_of_integers_is_float(dtype):
    """With ints the scale 1 / (1 - p) must not be truncated: 1 / 0.7 is not 1."""
    x = np.ones((100, 100), dtype=dtype)
    out = np.asarray(Dropout(0.3, rng=0)(x))
    assert out.dtype == np.float64
    assert set(np.unique(out)) == {0.0, 1 / 0.7}
    expected = np.asarray(Dropout(0.3, rng=0)(x.astype(np.float64)))  # the same mask, on floats
    assert np.array_equal(out, expected)
    assert np.asarray(Dropout(0.3).eval()(x)).dtype == np.float64  # eval mode too


def _dropout_model(rng):
    return Sequential(Dense(3, 16, rng=0), ReLU(), Dropout(0.5, rng=rng), Dense(16, 2, rng=1))


@pytest.mark.parametrize("rng", [None, 7], ids=["shared default generator", "own generator"])
def test_dropout_in_a_checkpointed_block_gets_the_gradient_of_its_own_mask(rng):
    """The checkpointed model recomputes its mask in backward; the same model unchecked
    with the same mask is the oracle."""
    x = RNG.standard_normal((8, 3))
    results = []
    for wrap in (lambda f: f, checkpoint):
        manual_seed(0)
        model = _dropout_model(rng)
        out = wrap(model)(x)
        tt.sum(out**2).backward()
        results.append([np.array(out.data)] + [p.grad for p in model.parameters()])
    assert not np.allclose(results[0][0], model.eval()(x).data)  # a mask was drawn
    for plain_result, checkpointed in zip(*results):
        assert np.allclose(checkpointed, plain_result, rtol=1e-13, atol=0)


def test_checkpoint_redraws_from_the_default_generator_of_the_forward_pass():
    x = RNG.standard_normal((8, 3))
    model = _dropout_model(None)
    manual_seed(3)
    tt.sum(model(x) ** 2).backward()
    expected = [p.grad for p in model.parameters()]
    model.zero_grad()
    manual_seed(3)
    out = checkpoint(model)(x)
    manual_seed(4)  # replaces the default generator between forward and backward
    tt.sum(out**2).backward()
    for p, g in zip(model.parameters(), expected):
        assert np.allclose(p.grad, g, rtol=1e-13, atol=0)
    assert generator().random() == np.random.default_rng(4).random()  # and backward left the new one alone


def test_dropout_probability_must_be_below_one():
    for p in [-0.1, 1.0]:
        with pytest.raises(ValueError, match="dropout probability"):
            Dropout(p)


def test_repr():
    model = Sequential(Dense(2, 3), ReLU(), Dropout(0.25), Dense(3, 1, use_bias=False))
    assert repr(model) == (
        "Sequential(\n  (layers.0): Dense(2, 3)\n  (layers.1): ReLU()\n  (layers.2): Dropout(p=0.25)\n"
        "  (layers.3): Dense(3, 1, use_bias=False)\n)"
    )
