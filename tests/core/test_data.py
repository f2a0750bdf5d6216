"""Datasets, DataLoader batching and shuffling, train_test_split, built-in datasets."""

import numpy as np
import pytest

from tinytorch.core.data import DataLoader, Dataset, TensorDataset, train_test_split
from tinytorch.core.datasets import load_digits, make_moons, make_spirals
from tinytorch.core.tensor import Tensor

X = np.arange(20.0).reshape(10, 2)
Y = np.arange(10) % 3


def test_tensor_dataset_indexing():
    ds = TensorDataset(X, Y)
    assert len(ds) == 10
    x, y = ds[4]
    assert np.array_equal(x, [8.0, 9.0]) and y == 1
    xs, ys = ds[np.array([1, 3])]
    assert np.array_equal(xs, X[[1, 3]]) and np.array_equal(ys, Y[[1, 3]])
    assert np.array_equal(TensorDataset(Tensor(X)).arrays[0], X)


def test_tensor_dataset_checks_lengths():
    with pytest.raises(ValueError, match="differ in length"):
        TensorDataset(X, Y[:5])
    with pytest.raises(ValueError, match="at least one array"):
        TensorDataset()


def test_loader_in_order():
    loader = DataLoader(TensorDataset(X, Y), batch_size=4)
    batches = list(loader)
    assert len(loader) == 3 and [len(b[0]) for b in batches] == [4, 4, 2]
    assert np.array_equal(np.concatenate([b[0] for b in batches]), X)
    assert np.array_equal(np.concatenate([b[1] for b in batches]), Y)


def test_drop_last():
    loader = DataLoader(TensorDataset(X, Y), batch_size=4, drop_last=True)
    assert len(loader) == 2 and [len(b[0]) for b in loader] == [4, 4]


def epoch_order(loader):
    return np.concatenate([x[:, 0] // 2 for x, _ in loader]).astype(int)


def test_shuffle_covers_every_sample_once_and_reshuffles_each_epoch():
    loader = DataLoader(TensorDataset(X, Y), batch_size=3, shuffle=True, seed=0)
    first, second = epoch_order(loader), epoch_order(loader)
    assert sorted(first) == list(range(10)) and sorted(second) == list(range(10))
    assert not np.array_equal(first, second)
    for x, y in loader:                       # rows stay paired with their labels
        assert np.array_equal(Y[(x[:, 0] // 2).astype(int)], y)


def test_same_seed_same_batches():
    make = lambda seed: DataLoader(TensorDataset(X, Y), batch_size=3, shuffle=True, seed=seed)
    a, b, c = make(7), make(7), make(8)
    assert np.array_equal(epoch_order(a), epoch_order(b))
    assert np.array_equal(epoch_order(a), epoch_order(b))
    assert not np.array_equal(epoch_order(make(7)), epoch_order(c))


class Squares(Dataset):
    def __len__(self):
        return 5

    def __getitem__(self, i):
        return np.array([i, i * i], dtype=float), i % 2


def test_custom_dataset_is_collated_sample_by_sample():
    x, y = next(iter(DataLoader(Squares(), batch_size=5)))
    assert np.array_equal(x, [[0, 0], [1, 1], [2, 4], [3, 9], [4, 16]]) and np.array_equal(y, [0, 1, 0, 1, 0])


def test_any_sequence_works_as_a_dataset():
    batches = list(DataLoader([np.array([1.0]), np.array([2.0]), np.array([3.0])], batch_size=2))
    assert [b.tolist() for b in batches] == [[[1.0], [2.0]], [[3.0]]]


def test_batch_size_must_be_positive():
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(TensorDataset(X), batch_size=0)


def test_train_test_split_partitions():
    x_train, x_test, y_train, y_test = train_test_split(X, Y, test_fraction=0.3, seed=1)
    assert len(x_test) == 3 and len(x_train) == 7
    ids = np.concatenate([x_train[:, 0], x_test[:, 0]]) // 2
    assert sorted(ids.astype(int)) == list(range(10))
    assert np.array_equal(Y[(x_test[:, 0] // 2).astype(int)], y_test)
    again = train_test_split(X, Y, test_fraction=0.3, seed=1)
    assert np.array_equal(again[1], x_test)
    with pytest.raises(ValueError, match="test_fraction"):
        train_test_split(X, test_fraction=1.0)
    with pytest.raises(ValueError, match="differ in length"):
        train_test_split(X, Y[:3])


def test_digits_are_the_uci_test_set():
    X_digits, y_digits = load_digits()
    assert X_digits.shape == (1797, 64) and X_digits.dtype == np.float64
    assert X_digits.min() == 0.0 and X_digits.max() == 1.0
    # class counts of the UCI optdigits test set (optdigits.tes)
    assert np.bincount(y_digits).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    # the first image is a 0; its top row of pixels (0..16), as printed in UCI's file
    assert y_digits[0] == 0 and (X_digits[0, :8] * 16).tolist() == [0, 0, 5, 13, 9, 1, 0, 0]
    assert np.allclose(X_digits * 16, np.round(X_digits * 16))   # integer pixel counts


def test_spirals():
    X_s, y_s = make_spirals(n_per_class=40, n_classes=4, noise=0.0)
    assert X_s.shape == (160, 2) and np.bincount(y_s).tolist() == [40] * 4
    radius = np.hypot(X_s[:, 0], X_s[:, 1])
    assert np.allclose(radius, np.tile(np.linspace(0, 1, 40), 4))
    assert np.array_equal(make_spirals(seed=3)[0], make_spirals(seed=3)[0])


def test_moons():
    X_m, y_m = make_moons(101, noise=0.0)
    assert X_m.shape == (101, 2) and np.bincount(y_m).tolist() == [50, 51]
    upper, lower = X_m[y_m == 0], X_m[y_m == 1]
    assert np.allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0)
    assert np.allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0)
