"""Activations: thin modules over the engine's primitives.

Each is one or a few `tt.*` calls, so it works on arrays, `Variable`s and
`Dual`s alike and takes its derivatives from the primitive table: no backward
is written here.

>>> import numpy as np
>>> from tinytorch.core.activations import ReLU, LeakyReLU
>>> ReLU()(np.array([-1.0, 2.0]))
array([0., 2.])
>>> LeakyReLU(0.1)(np.array([-1.0, 2.0]))
array([-0.1,  2. ])
"""

from __future__ import annotations

import math
from typing import Any

import tinytorch as tt

from ..autograd.values import box_or_array
from .module import Module


class ReLU(Module):
    """max(x, 0)."""

    def forward(self, x: Any) -> Any:
        return tt.relu(box_or_array(x, plain=True))


class Sigmoid(Module):
    """1 / (1 + exp(-x)), computed stably for large |x|."""

    def forward(self, x: Any) -> Any:
        return tt.sigmoid(box_or_array(x, plain=True))


class Tanh(Module):
    def forward(self, x: Any) -> Any:
        return tt.tanh(box_or_array(x, plain=True))


class Softmax(Module):
    """exp(x) normalized along `axis` (default: the last, the class axis)."""

    def __init__(self, axis: int = -1) -> None:
        self.axis = axis

    def forward(self, x: Any) -> Any:
        return tt.softmax(box_or_array(x, plain=True), axis=self.axis)

    def extra_repr(self) -> str:
        return f"axis={self.axis}"


class GELU(Module):
    """x * Phi(x) with Phi the standard normal CDF: 0.5 x (1 + erf(x / sqrt(2)))."""

    def forward(self, x: Any) -> Any:
        x = box_or_array(x, plain=True)
        return (0.5 * x) * (1.0 + tt.erf(x * (1.0 / math.sqrt(2.0))))


class LeakyReLU(Module):
    """x for x > 0, negative_slope * x otherwise (slope also at 0, as in PyTorch)."""

    def __init__(self, negative_slope: float = 0.01) -> None:
        self.negative_slope = negative_slope

    def forward(self, x: Any) -> Any:
        x = box_or_array(x, plain=True)
        return tt.where(x > 0, x, self.negative_slope * x)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"
