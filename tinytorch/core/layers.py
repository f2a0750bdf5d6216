"""Layers: `Dense` (alias `Linear`), `Sequential`, `Dropout`.

`Dense(input_size, output_size)` computes `x @ weights + bias` with `weights`
of shape (input_size, output_size) and `bias` of shape (output_size,), both
`Variable`s with `requires_grad=True`: two primitives forward, and their
gradients come from the engine's table like any other op's.

>>> import numpy as np
>>> from tinytorch.core.layers import Dense, Sequential
>>> from tinytorch.core.activations import ReLU
>>> model = Sequential(Dense(3, 4, rng=0), ReLU(), Dense(4, 1, rng=1))
>>> model(np.ones((2, 3))).shape
(2, 1)
>>> [name for name, _ in model.named_parameters()]
['layers.0.weights', 'layers.0.bias', 'layers.2.weights', 'layers.2.bias']
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

import tinytorch as tt

from ..autograd import Variable
from ..autograd.values import box_or_array
from .init import INITIALIZERS, generator
from .module import Module


class Dense(Module):
    """A fully connected layer: `x @ weights + bias`.

    `init` is "xavier" (Glorot uniform, the default) or "he" (He normal, for ReLU
    networks); `rng` a `numpy.random.Generator` or an int seed (default: the
    shared generator that `tinytorch.core.init.manual_seed` resets).
    """

    def __init__(
        self,
        input_size: int,
        output_size: int,
        use_bias: bool = True,
        *,
        init: str = "xavier",
        rng: Any = None,
        dtype: Any = np.float64,
    ) -> None:
        if init not in INITIALIZERS:
            raise ValueError(f"init must be one of {sorted(INITIALIZERS)}, got {init!r}")
        self.input_size, self.output_size = input_size, output_size
        weights = INITIALIZERS[init](input_size, output_size, generator(rng), dtype)
        self.weights = Variable(weights, requires_grad=True)
        self.bias = Variable(np.zeros(output_size, dtype=dtype), requires_grad=True) if use_bias else None

    def forward(self, x: Any) -> Any:
        # tt.matmul, not `x @ weights`: with an ndarray on the left, `@` first detours
        # through NumPy's dispatch to reach the Variable
        out = tt.matmul(box_or_array(x, plain=True), self.weights)
        return out if self.bias is None else out + self.bias

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.output_size}" + ("" if self.bias is not None else ", use_bias=False")


Linear = Dense


class Sequential(Module):
    """Layers applied one after the other: `Sequential(Dense(2, 8), ReLU(), Dense(8, 1))`."""

    def __init__(self, *layers: Module) -> None:
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        for layer in layers:
            if not isinstance(layer, Module):
                raise TypeError(f"Sequential takes modules, got {type(layer).__name__}")
        self.layers = list(layers)

    def forward(self, x: Any) -> Any:
        for layer in self.layers:
            x = layer(x)
        return x

    def __getitem__(self, i: int) -> Module:
        return self.layers[i]

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[Module]:
        return iter(self.layers)


class Dropout(Module):
    """Zeroes each entry with probability `p` while training and scales the rest by
    1 / (1 - p), so the expected output equals the input; the identity in eval mode.
    Integer or boolean inputs are converted to float64 first (in both modes)."""

    def __init__(self, p: float = 0.5, rng: Any = None) -> None:
        if not 0.0 <= p < 1.0:
            raise ValueError(f"dropout probability must be in [0, 1), got {p}")
        self.p = p
        self.rng = None if rng is None else generator(rng)

    def forward(self, x: Any) -> Any:
        x = box_or_array(x, plain=True)
        if not np.issubdtype(x.dtype, np.inexact):
            # integers (or booleans) in: the mask's 1 / (1 - p) would be truncated to an
            # integer, so the output is float64 in both modes
            x = x.astype(np.float64) if isinstance(x, np.ndarray) else x * 1.0
        if not self.training or self.p == 0.0:
            return x
        keep = (self.rng or generator()).random(x.shape) >= self.p
        return x * (keep / (1.0 - self.p)).astype(x.dtype, copy=False)

    def extra_repr(self) -> str:
        return f"p={self.p}"
