"""Built-in datasets, no download needed: synthetic spirals and moons, and the
UCI handwritten digits shipped with the package.

The digits are the 1,797 8x8 images of the UCI ML "Optical Recognition of
Handwritten Digits" test set (E. Alpaydin and C. Kaynak, 1998; CC BY 4.0;
https://archive.ics.uci.edu/dataset/80), stored in `digits.npz` as uint8
pixels 0..16 and their labels.

>>> from tinytorch.core.datasets import load_digits, make_spirals
>>> X, y = load_digits()
>>> X.shape, y.shape, float(X.max())
((1797, 64), (1797,), 1.0)
>>> make_spirals(n_per_class=50, n_classes=3)[0].shape
(150, 2)
"""

from __future__ import annotations

from importlib import resources

import numpy as np


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """Images as float64 rows of 64 pixels scaled to [0, 1], and integer labels 0..9."""
    with resources.files(__name__).joinpath("digits.npz").open("rb") as f, np.load(f, allow_pickle=False) as npz:
        images, labels = npz["images"], npz["labels"]
    return images.reshape(len(images), -1) / 16.0, labels.astype(np.int64)


def make_spirals(
    n_per_class: int = 100, n_classes: int = 3, noise: float = 0.2, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved spiral arms in the plane (CS231n's toy problem): not linearly separable."""
    rng = np.random.default_rng(seed)
    radius = np.tile(np.linspace(0.0, 1.0, n_per_class), n_classes)
    labels = np.repeat(np.arange(n_classes), n_per_class)
    angle = (labels + np.tile(np.linspace(0.0, 1.0, n_per_class), n_classes)) * (4.0 * 3.0 / n_classes)
    angle = angle + noise * rng.standard_normal(angle.shape)
    points = radius[:, None] * np.stack([np.sin(angle), np.cos(angle)], axis=1)
    return points, labels


def make_moons(n_samples: int = 200, noise: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles, labels 0 (upper) and 1 (lower)."""
    rng = np.random.default_rng(seed)
    n_upper = n_samples // 2
    t_upper = np.linspace(0.0, np.pi, n_upper)
    t_lower = np.linspace(0.0, np.pi, n_samples - n_upper)
    upper = np.stack([np.cos(t_upper), np.sin(t_upper)], axis=1)
    lower = np.stack([1.0 - np.cos(t_lower), 0.5 - np.sin(t_lower)], axis=1)
    points = np.concatenate([upper, lower]) + noise * rng.standard_normal((n_samples, 2))
    labels = np.concatenate([np.zeros(n_upper, np.int64), np.ones(n_samples - n_upper, np.int64)])
    return points, labels
