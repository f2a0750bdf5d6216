"""The built-in datasets: the UCI digits against the published file, spirals and moons
against their closed forms."""

import numpy as np

from tinytorch.core.datasets import load_digits, make_moons, make_spirals


def test_digits_are_the_uci_test_set():
    X_digits, y_digits = load_digits()
    assert X_digits.shape == (1797, 64) and X_digits.dtype == np.float64
    assert X_digits.min() == 0.0 and X_digits.max() == 1.0
    # class counts of the UCI optdigits test set (optdigits.tes)
    assert np.bincount(y_digits).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    # the first image is a 0; its top row of pixels (0..16), as printed in UCI's file
    assert y_digits[0] == 0 and (X_digits[0, :8] * 16).tolist() == [0, 0, 5, 13, 9, 1, 0, 0]
    assert np.allclose(X_digits * 16, np.round(X_digits * 16))  # integer pixel counts


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


def test_spirals_and_moons_are_seeded():
    assert np.array_equal(make_moons(50, seed=4)[0], make_moons(50, seed=4)[0])
    assert not np.array_equal(make_moons(50, seed=4)[0], make_moons(50, seed=5)[0])
    assert not np.array_equal(make_spirals(seed=3)[0], make_spirals(seed=4)[0])


def test_digits_are_independent_copies():
    first, _ = load_digits()
    first[0, 0] = 99.0
    assert load_digits()[0][0, 0] == 0.0
