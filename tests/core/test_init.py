"""Weight initialization: Xavier (Glorot) and He (Kaiming) against their published
variances, dtypes, and seeding through `rng=` and `manual_seed`."""

import numpy as np
import pytest

from tinytorch.core.init import generator, he_normal, manual_seed, xavier_uniform
from tinytorch.core.layers import Dense


def plain(v):
    return np.array(v.data)


def test_xavier_uniform_bounds_and_variance():
    w = xavier_uniform(300, 500, rng=0)
    bound = np.sqrt(6.0 / 800)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    assert abs(w.var() / (2.0 / 800) - 1) < 0.02  # 150,000 draws: sampling error ~0.4%


def test_he_normal_variance():
    w = he_normal(400, 400, rng=0)
    assert abs(w.mean()) < 0.01 * np.sqrt(2.0 / 400)
    assert abs(w.var() / (2.0 / 400) - 1) < 0.02


def test_dense_init_choice():
    assert np.abs(plain(Dense(300, 500, rng=0).weights)).max() <= np.sqrt(6.0 / 800)
    assert abs(plain(Dense(400, 400, init="he", rng=0).weights).var() / (2.0 / 400) - 1) < 0.02
    with pytest.raises(ValueError, match="init must be one of"):
        Dense(2, 2, init="orthogonal")


def test_seeding():
    assert np.array_equal(plain(Dense(4, 3, rng=7).weights), plain(Dense(4, 3, rng=7).weights))
    assert not np.array_equal(plain(Dense(4, 3, rng=7).weights), plain(Dense(4, 3, rng=8).weights))
    gen_a, gen_b = np.random.default_rng(9), np.random.default_rng(9)
    assert np.array_equal(plain(Dense(4, 3, rng=gen_a).weights), plain(Dense(4, 3, rng=gen_b).weights))
    manual_seed(11)
    first = plain(Dense(4, 3).weights)
    manual_seed(11)
    assert np.array_equal(first, plain(Dense(4, 3).weights))
    assert not np.array_equal(first, plain(Dense(4, 3).weights))  # the default generator moves on


@pytest.mark.parametrize("init", [xavier_uniform, he_normal])
def test_initializers_give_the_requested_shape_and_dtype(init):
    w = init(3, 7, rng=0, dtype=np.float32)
    assert w.shape == (3, 7) and w.dtype == np.float32
    assert np.array_equal(w, init(3, 7, rng=0).astype(np.float32))  # the same draws, cast


def test_generator_takes_a_generator_a_seed_or_nothing():
    g = np.random.default_rng(1)
    assert generator(g) is g
    assert generator(5).random() == np.random.default_rng(5).random()
    manual_seed(3)
    assert generator() is generator() and generator().random() == np.random.default_rng(3).random()
