"""Data: `Dataset`, `TensorDataset`, `DataLoader`, and `train_test_split`.

A `DataLoader` cuts a dataset into batches of NumPy arrays, reshuffled every
epoch from its own seeded generator (so two loaders with one seed give the same
batches). A `TensorDataset` is batched by fancy indexing, in one NumPy call per
array; other datasets are collated sample by sample.

>>> import numpy as np
>>> from tinytorch.core.data import TensorDataset, DataLoader
>>> loader = DataLoader(TensorDataset(np.arange(10.0), np.arange(10)), batch_size=4)
>>> [x.tolist() for x, y in loader]
[[0.0, 1.0, 2.0, 3.0], [4.0, 5.0, 6.0, 7.0], [8.0, 9.0]]
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from .init import generator


def collate(samples: Sequence[Any]) -> Any:
    """Stack samples into a batch, as PyTorch's default collate does: arrays and numbers
    are stacked along a new first axis; tuples, lists and dicts are collated field by
    field (a tuple of batches, a list of batches, a dict of batches under the same keys)."""
    first = samples[0]
    if isinstance(first, (tuple, list, dict)):
        kind = type(first)
        if any(type(s) is not kind for s in samples):
            raise TypeError(f"cannot collate samples of different types: {sorted({type(s).__name__ for s in samples})}")
        if isinstance(first, dict):
            keys = list(first)
            if any(list(s) != keys for s in samples):
                raise ValueError(f"cannot collate dict samples with different keys: {keys} and others")
            return {key: collate([s[key] for s in samples]) for key in keys}
        if any(len(s) != len(first) for s in samples):
            raise ValueError(f"cannot collate {kind.__name__} samples of different lengths")
        return kind(collate(field) for field in zip(*samples))
    arrays = [np.asarray(s) for s in samples]
    if any(a.dtype == object for a in arrays):
        raise TypeError(
            f"cannot collate samples of type {type(first).__name__}: a sample must be an array, a "
            f"number, or a tuple, list or dict of them"
        )
    return np.stack(arrays)


class Dataset:
    """A map-style dataset: `len(ds)` samples, `ds[i]` the i-th (an array or a tuple)."""

    def __len__(self) -> int:
        raise NotImplementedError

    def __getitem__(self, i: int) -> Any:
        raise NotImplementedError

    def batch(self, indices: np.ndarray) -> Any:
        """The samples at `indices`, stacked (override for a faster bulk path)."""
        return collate([self[int(i)] for i in indices])


class TensorDataset(Dataset):
    """Arrays (or Tensors) of equal length, indexed together along their first axis."""

    def __init__(self, *arrays: Any) -> None:
        if not arrays:
            raise ValueError("TensorDataset needs at least one array")
        self.arrays = tuple(np.asarray(a) for a in arrays)
        lengths = {len(a) for a in self.arrays}
        if len(lengths) != 1:
            raise ValueError(f"TensorDataset arrays differ in length: {[len(a) for a in self.arrays]}")

    def __len__(self) -> int:
        return len(self.arrays[0])

    def __getitem__(self, i: Any) -> tuple[np.ndarray, ...]:
        return tuple(a[i] for a in self.arrays)

    def batch(self, indices: np.ndarray) -> tuple[np.ndarray, ...]:
        return self[indices]


class DataLoader:
    """Batches of `dataset`, in order or reshuffled each epoch (`shuffle=True`) from a
    generator seeded with `seed`, or else from the shared default one (`manual_seed`)."""

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int = 32,
        shuffle: bool = False,
        seed: int | None = None,
        drop_last: bool = False,
    ) -> None:
        # a float batch size would only fail later, in the middle of slicing an epoch
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
            raise TypeError(f"batch_size must be an integer, got {batch_size!r} ({type(batch_size).__name__})")
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        batch_size = int(batch_size)
        if drop_last and len(dataset) < batch_size:
            raise ValueError(
                f"drop_last=True with batch_size {batch_size} and only {len(dataset)} samples: "
                f"no batch fits, every epoch would be empty (lower batch_size or drop_last=False)"
            )
        self.dataset, self.batch_size, self.shuffle, self.drop_last = dataset, batch_size, shuffle, drop_last
        self.rng = None if seed is None else generator(seed)

    def __len__(self) -> int:
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def __iter__(self) -> Iterator[Any]:
        n = len(self.dataset)
        order = (self.rng or generator()).permutation(n) if self.shuffle else np.arange(n)
        fetch = (
            self.dataset.batch
            if isinstance(self.dataset, Dataset)
            else (lambda idx: collate([self.dataset[int(i)] for i in idx]))
        )
        for b in range(len(self)):
            yield fetch(order[b * self.batch_size : (b + 1) * self.batch_size])


def train_test_split(*arrays: Any, test_fraction: float = 0.2, seed: int = 0) -> list[np.ndarray]:
    """Shuffle arrays together and split them: [a_train, a_test, b_train, b_test, ...]."""
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    arrays = [np.asarray(a) for a in arrays]
    n = len(arrays[0])
    if any(len(a) != n for a in arrays):
        raise ValueError(f"arrays differ in length: {[len(a) for a in arrays]}")
    order = np.random.default_rng(seed).permutation(n)
    n_test = max(1, round(n * test_fraction))
    test, train = order[:n_test], order[n_test:]
    return [part for a in arrays for part in (a[train], a[test])]
