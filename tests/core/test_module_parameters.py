"""Module.parameters(): only leaf Variables with requires_grad=True, found directly and
inside lists, tuples and dicts (nested), named by their path."""

import numpy as np

from tinytorch.autograd import Variable
from tinytorch.core.layers import Dense, Dropout
from tinytorch.core.module import Module
from tinytorch.core.optimizers import SGD


class Masked(Module):
    """A layer with a fixed mask and a remembered input: neither is a parameter."""

    def __init__(self):
        self.weights = Variable(np.ones((2, 2)), requires_grad=True)
        self.mask = Variable(np.array([[1.0, 0.0], [1.0, 1.0]]))  # requires_grad=False
        self.last_input = None

    def forward(self, x):
        self.last_input = x
        return x @ (self.weights * self.mask)


class Containers(Module):
    """Submodules and parameters held in lists, tuples and dicts, nested."""

    def __init__(self):
        self.blocks = [Dense(2, 2, rng=0), Dropout(0.1)]
        self.heads = {"key": Dense(2, 1, rng=1), "value": Dense(2, 1, use_bias=False, rng=2)}
        self.scales = (Variable(np.ones(2), requires_grad=True), Variable(np.zeros(2)))
        self.nested = {"pairs": [(Dense(1, 1, rng=3),)], "gains": [Variable(np.ones(1), requires_grad=True)]}

    def forward(self, x):
        h = self.blocks[1](self.blocks[0](x * self.scales[0]))
        return self.heads["key"](h) + self.heads["value"](h)


def test_a_fixed_mask_and_a_stored_input_are_not_parameters():
    layer = Masked()
    x = Variable(np.ones((3, 2)))
    layer(x)
    assert [name for name, _ in layer.named_parameters()] == ["weights"]
    assert layer.parameters() == [layer.weights]
    layer.last_input = layer(x) * 2.0  # a non-leaf result kept for later
    assert layer.parameters() == [layer.weights]
    assert list(layer.state_dict()) == ["weights"]


def test_an_optimizer_built_from_parameters_accepts_them_all():
    layer = Masked()
    SGD(layer.parameters(), lr=0.1)  # the mask would be refused: requires_grad=False


def test_parameters_in_lists_tuples_and_dicts_are_found_and_named_by_path():
    m = Containers()
    # the module's own parameters first, then each submodule's, as PyTorch orders them
    assert [name for name, _ in m.named_parameters()] == [
        "scales.0",
        "nested.gains.0",
        "blocks.0.weights",
        "blocks.0.bias",
        "heads.key.weights",
        "heads.key.bias",
        "heads.value.weights",
        "nested.pairs.0.0.weights",
        "nested.pairs.0.0.bias",
    ]
    assert m.parameters()[0] is m.scales[0] and m.parameters()[4] is m.heads["key"].weights


def test_submodules_in_containers_follow_train_and_eval():
    m = Containers()
    assert [name for name, _ in m.named_children()] == [
        "blocks.0",
        "blocks.1",
        "heads.key",
        "heads.value",
        "nested.pairs.0.0",
    ]
    m.eval()
    assert not any(sub.training for sub in m.modules()) and len(list(m.modules())) == 6


def test_containers_round_trip_through_a_file(tmp_path):
    source, target = Containers(), Containers()
    for p in source.parameters():
        p.data[...] = np.random.default_rng(p.size).standard_normal(p.shape)
    source.save(tmp_path / "containers.npz")
    target.load(tmp_path / "containers.npz")
    for (name, a), (_, b) in zip(source.named_parameters(), target.named_parameters()):
        assert np.array_equal(np.array(a.data), np.array(b.data)), name


def test_gradients_reach_parameters_held_in_containers():
    m = Containers()
    m.eval()(np.ones((3, 2))).sum().backward()
    for name, p in m.named_parameters():
        used = not name.startswith("nested")
        assert (p.grad is not None) == used, name
