"""Weight initialization: Xavier (Glorot) and He (Kaiming), from a seedable generator.

Layers draw from the generator they are given (`rng=`: a `numpy.random.Generator`
or an int seed) or else from one shared default generator, which
`manual_seed(n)` resets, as `torch.manual_seed` does:

>>> from tinytorch.core.init import manual_seed
>>> from tinytorch.core.layers import Dense
>>> manual_seed(0); a = Dense(3, 2).weights.data.copy()
>>> manual_seed(0); b = Dense(3, 2).weights.data.copy()
>>> bool((a == b).all())
True

A checkpointed block (`tinytorch.autograd.checkpoint`) is recomputed in backward
with the default generator it drew from in the forward pass, in the state it had
then, so its dropout masks come out the same.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..autograd.reach import register_random_state

_default = np.random.default_rng(0)


def manual_seed(seed: int) -> None:
    """Reset the default generator that layers draw from when given no `rng`."""
    global _default
    _default = np.random.default_rng(seed)


def _default_state() -> tuple:
    return _default, _default.bit_generator.state


def _restore_default(saved: tuple) -> None:
    global _default
    _default, state = saved
    _default.bit_generator.state = state


# A checkpointed block recomputes its dropout masks in backward: from the generator
# that was the default in the forward pass (manual_seed may have replaced it since),
# in the state it had then.
register_random_state(_default_state, _restore_default)


def generator(rng: np.random.Generator | int | None = None) -> np.random.Generator:
    """`rng` itself, a generator seeded with it, or the shared default."""
    if rng is None:
        return _default
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng(rng)


def xavier_uniform(fan_in: int, fan_out: int, rng: Any = None, dtype: Any = np.float64) -> np.ndarray:
    """U(-a, a) with a = sqrt(6 / (fan_in + fan_out)): variance 2 / (fan_in + fan_out),
    which keeps activations and gradients of tanh/sigmoid layers at a steady scale."""
    bound = math.sqrt(6.0 / (fan_in + fan_out))
    return generator(rng).uniform(-bound, bound, size=(fan_in, fan_out)).astype(dtype, copy=False)


def he_normal(fan_in: int, fan_out: int, rng: Any = None, dtype: Any = np.float64) -> np.ndarray:
    """N(0, 2 / fan_in): ReLU zeroes half its inputs, so the variance is doubled to keep
    the activations' scale from layer to layer."""
    std = math.sqrt(2.0 / fan_in)
    return (generator(rng).standard_normal(size=(fan_in, fan_out)) * std).astype(dtype, copy=False)


INITIALIZERS = {"xavier": xavier_uniform, "he": he_normal}
