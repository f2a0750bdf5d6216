"""Module: parameter discovery, modes, state_dict, and save/load to .npz without pickle."""

import zipfile

import numpy as np
import pytest

from tinytorch.autograd import Variable
from tinytorch.core.activations import ReLU
from tinytorch.core.layers import Dense, Dropout, Sequential
from tinytorch.core.module import Module
from tinytorch.core.optimizers import SGD

X = np.random.default_rng(0).standard_normal((4, 3))


def model(seed=0):
    return Sequential(Dense(3, 5, rng=seed), ReLU(), Dropout(0.1), Dense(5, 2, rng=seed + 1))


class Block(Module):
    """A hand-written module: parameters and submodules are found without registration."""

    def __init__(self):
        self.scale = Variable(np.ones(2), requires_grad=True)
        self.inner = Dense(2, 2, rng=0)
        self.heads = [Dense(2, 1, rng=1), Dense(2, 1, rng=2)]
        self.cache = None

    def forward(self, x):
        h = self.inner(x * self.scale)
        self.cache = h  # a non-leaf Variable attribute is not a parameter
        return self.heads[0](h) + self.heads[1](h)


def test_named_parameters_in_definition_order():
    assert [name for name, _ in model().named_parameters()] == [
        "layers.0.weights",
        "layers.0.bias",
        "layers.3.weights",
        "layers.3.bias",
    ]
    block = Block()
    block(np.ones((1, 2)))
    assert [name for name, _ in block.named_parameters()] == [
        "scale",
        "inner.weights",
        "inner.bias",
        "heads.0.weights",
        "heads.0.bias",
        "heads.1.weights",
        "heads.1.bias",
    ]
    assert all(p.is_leaf and p.requires_grad for p in block.parameters())


def test_a_shared_parameter_is_listed_and_updated_once():
    first, second = Dense(2, 2, rng=0), Dense(2, 2, rng=1)
    second.weights = first.weights  # weight tying
    tied = Sequential(first, second)
    assert [name for name, _ in tied.named_parameters()] == ["layers.0.weights", "layers.0.bias", "layers.1.bias"]
    assert list(tied.state_dict()) == ["layers.0.weights", "layers.0.bias", "layers.1.bias"]
    tied(np.ones((1, 2))).sum().backward()
    before, grad = np.array(first.weights.data), first.weights.grad
    SGD(tied.parameters(), lr=0.1).step()
    assert np.allclose(np.array(first.weights.data), before - 0.1 * grad, rtol=1e-15)


def test_zero_grad_clears_every_parameter():
    m = model()
    m(X).sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())


def test_train_and_eval_reach_every_submodule():
    m = model()
    assert m.eval() is m and not any(sub.training for sub in m.modules())
    m.train()
    assert all(sub.training for sub in m.modules())
    assert len(list(m.modules())) == 5


def test_forward_must_be_defined():
    with pytest.raises(NotImplementedError, match="Module does not define forward"):
        Module()(1.0)


def test_state_dict_is_a_copy():
    m = model()
    state = m.state_dict()
    assert list(state) == [name for name, _ in m.named_parameters()]
    state["layers.0.weights"][...] = 0.0
    assert not np.array_equal(np.array(m.layers[0].weights.data), 0.0)
    assert all(type(v) is np.ndarray for v in state.values())


def test_load_state_dict_copies_values_in_place():
    source, target = model(0), model(10)
    weights = target.layers[0].weights
    target.load_state_dict(source.state_dict())
    assert target.layers[0].weights is weights
    for (_, a), (_, b) in zip(source.named_parameters(), target.named_parameters()):
        assert np.array_equal(np.array(a.data), np.array(b.data))


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda s: s.pop("layers.3.bias"), r"missing \['layers.3.bias'\]"),
        (lambda s: s.update(extra=np.zeros(1)), r"unexpected \['extra'\]"),
        (lambda s: s.update({"layers.0.bias": np.zeros(4)}), r"layers.0.bias: the state has shape \(4,\)"),
        (lambda s: s.update({"layers.0.bias": np.array(["a"] * 5)}), "not numbers"),
    ],
)
def test_mismatched_state_is_a_clear_error_and_changes_nothing(change, message):
    target = model(10)
    before = target.state_dict()
    state = model(0).state_dict()
    change(state)
    with pytest.raises(ValueError, match=message):
        target.load_state_dict(state)
    for name, value in target.state_dict().items():
        assert np.array_equal(value, before[name])


def test_save_load_round_trip(tmp_path):
    path = tmp_path / "model.npz"
    source = model(0)
    source.save(path)
    restored = model(10).eval()
    assert not np.allclose(restored(X).data, source.eval()(X).data)
    assert restored.load(path) is restored
    assert np.array_equal(np.array(restored(X).data), np.array(source(X).data))
    restored.load(str(path))  # str paths too


def test_saved_file_is_a_plain_npz(tmp_path):
    path = tmp_path / "weights"  # saved at exactly this path, no suffix added
    model().save(path)
    with np.load(path, allow_pickle=False) as archive:
        assert sorted(archive.files) == sorted(model().state_dict())
        assert archive["layers.0.weights"].shape == (3, 5)


def write_bytes(path, data):
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    "make_file",
    [
        lambda d: write_bytes(d / "garbage.npz", b"this is not an archive at all"),
        lambda d: write_bytes(d / "empty.npz", b""),
        lambda d: np.save(d / "single.npy", np.zeros(3)) or d / "single.npy",
        lambda d: (
            np.savez(d / "objects.npz", **{"layers.0.weights": np.array([{"a": 1}], dtype=object)}) or d / "objects.npz"
        ),
    ],
)
def test_malformed_files_are_clear_errors(tmp_path, make_file):
    path = make_file(tmp_path)
    with pytest.raises(ValueError, match="is not a readable .npz of parameters"):
        model().load(path)


def test_truncated_archive_is_a_clear_error(tmp_path):
    path = tmp_path / "model.npz"
    model().save(path)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ValueError, match="is not a readable .npz of parameters"):
        model().load(path)


def test_corrupted_member_is_a_clear_error(tmp_path):
    path = tmp_path / "model.npz"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("layers.0.weights.npy", b"\x93NUMPY garbage header")
    with pytest.raises(ValueError, match="is not a readable .npz of parameters"):
        model().load(path)


def test_archive_for_another_model_is_a_mismatch(tmp_path):
    wider, shorter = tmp_path / "wider.npz", tmp_path / "shorter.npz"
    Sequential(Dense(3, 7), ReLU(), Dropout(0.1), Dense(7, 2)).save(wider)
    Sequential(Dense(3, 2)).save(shorter)
    with pytest.raises(ValueError, match=r"layers.0.weights: the state has shape \(3, 7\), the parameter \(3, 5\)"):
        model().load(wider)
    with pytest.raises(ValueError, match="state does not match Sequential: missing"):
        model().load(shorter)


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        model().load(tmp_path / "nowhere.npz")


class Keywords(Module):
    """Parameters named like the keyword arguments of np.savez_compressed and np.load."""

    def __init__(self, seed):
        rng = np.random.default_rng(seed)
        for name in ["file", "allow_pickle", "args", "kwds", "compress", "mmap_mode"]:
            setattr(self, name, Variable(rng.standard_normal(2), requires_grad=True))


def test_parameter_names_that_are_savez_keywords_round_trip(tmp_path):
    path = tmp_path / "keywords.npz"
    source, target = Keywords(0), Keywords(1)
    source.save(path)
    target.load(path)
    assert target.state_dict().keys() == source.state_dict().keys()
    for name, value in source.state_dict().items():
        assert np.array_equal(target.state_dict()[name], value), name
    with np.load(path, allow_pickle=False) as archive:  # still a plain .npz for NumPy
        assert np.array_equal(archive["file"], source.state_dict()["file"])


@pytest.mark.parametrize(
    "bad, message",
    [
        (np.nan, "non-finite values"),
        (np.inf, "non-finite values"),
        (-np.inf, "non-finite values"),
    ],
)
def test_load_state_dict_refuses_non_finite_values(bad, message):
    target = model(10)
    before = target.state_dict()
    state = model(0).state_dict()
    state["layers.3.bias"][1] = bad  # the last parameter: the others pass first
    with pytest.raises(ValueError, match=f"layers.3.bias: the state holds {message}"):
        target.load_state_dict(state)
    for name, value in target.state_dict().items():
        assert np.array_equal(value, before[name])


def test_load_state_dict_refuses_values_that_overflow_the_parameter_dtype():
    target = Sequential(Dense(3, 2, dtype=np.float32, rng=0))
    before = target.state_dict()
    state = {"layers.0.weights": np.zeros((3, 2)), "layers.0.bias": np.array([1.0, -1e39])}
    with pytest.raises(
        ValueError,
        match=r"layers.0.bias: the state holds values up to 1e\+39, "
        r"which do not fit in the parameter's float32",
    ):
        target.load_state_dict(state)
    assert all(np.array_equal(v, before[k]) for k, v in target.state_dict().items())
    state["layers.0.bias"] = np.array([1.0, -3e38])  # within float32's range (3.4e38)
    target.load_state_dict(state)
    assert target.state_dict()["layers.0.bias"][1] == np.float32(-3e38)
