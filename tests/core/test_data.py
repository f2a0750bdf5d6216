"""Datasets, DataLoader batching and shuffling, collation, train_test_split."""

import numpy as np
import pytest

from tinytorch.core.data import DataLoader, Dataset, TensorDataset, collate, train_test_split
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
    for x, y in loader:  # rows stay paired with their labels
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


def test_batch_size_must_be_an_integer():
    for bad in [2.0, 2.5, "4", True, None]:
        with pytest.raises(TypeError, match="batch_size must be an integer"):
            DataLoader(TensorDataset(X), batch_size=bad)
    assert len(DataLoader(TensorDataset(X), batch_size=np.int64(4))) == 3


def test_drop_last_with_fewer_samples_than_a_batch_is_a_clear_error():
    with pytest.raises(ValueError, match="batch_size 16 and only 10 samples: no batch fits"):
        DataLoader(TensorDataset(X, Y), batch_size=16, drop_last=True)
    assert len(DataLoader(TensorDataset(X, Y), batch_size=10, drop_last=True)) == 1  # exactly one fits
    assert len(DataLoader(TensorDataset(X, Y), batch_size=16)) == 1  # without drop_last


class Fields(Dataset):
    """Samples as lists or dicts of an array and a label."""

    def __init__(self, kind):
        self.kind = kind

    def __len__(self):
        return 4

    def __getitem__(self, i):
        x, y = np.array([i, 10.0 * i]), i % 2
        return [x, y] if self.kind == "list" else {"x": x, "y": y}


def test_list_samples_are_collated_field_by_field():
    batch = next(iter(DataLoader(Fields("list"), batch_size=3)))
    assert isinstance(batch, list) and len(batch) == 2
    assert np.array_equal(batch[0], [[0.0, 0.0], [1.0, 10.0], [2.0, 20.0]]) and np.array_equal(batch[1], [0, 1, 0])


def test_dict_samples_are_collated_into_a_dict_of_arrays():
    batches = list(DataLoader(Fields("dict"), batch_size=3))
    assert [sorted(b) for b in batches] == [["x", "y"], ["x", "y"]]
    assert np.array_equal(batches[0]["x"], [[0.0, 0.0], [1.0, 10.0], [2.0, 20.0]])
    assert np.array_equal(batches[1]["y"], [1]) and batches[1]["x"].shape == (1, 2)


def test_nested_fields_are_collated_recursively():
    samples = [({"a": np.array([k, k + 1.0])}, [k, -k]) for k in range(3)]
    ((inner, pair),) = [collate(samples)]
    assert np.array_equal(inner["a"], [[0.0, 1.0], [1.0, 2.0], [2.0, 3.0]])
    assert np.array_equal(pair[0], [0, 1, 2]) and np.array_equal(pair[1], [0, -1, -2])


@pytest.mark.parametrize(
    "samples, error, message",
    [
        ([object(), object()], TypeError, "cannot collate samples of type object"),
        ([{"x": 1}, {"y": 2}], ValueError, "different keys"),
        ([(1, 2), [1, 2]], TypeError, "different types"),
        ([(1, 2), (1,)], ValueError, "different lengths"),
    ],
)
def test_samples_that_cannot_be_collated_are_clear_errors(samples, error, message):
    with pytest.raises(error, match=message):
        collate(samples)
