"""Losses: mean squared error, and cross-entropies computed from logits.

The cross-entropies never form probabilities: they use `log_softmax` and
`softplus`, which are stable primitives, so logits of +-1e4 give finite losses
and gradients, not NaN.

>>> import numpy as np
>>> from tinytorch.core.losses import CrossEntropyLoss
>>> float(CrossEntropyLoss()(np.array([[1e4, 0.0, -1e4]]), np.array([1])))
10000.0
"""

from __future__ import annotations

from typing import Any

import numpy as np

import tinytorch as tt

from .module import Module, as_input


def _same_shape(prediction: Any, target: Any, name: str) -> None:
    # (n, 1) against (n,) would silently broadcast to an (n, n) loss
    if prediction.shape != target.shape:
        raise ValueError(f"{name}: prediction has shape {prediction.shape} but target has shape {target.shape}")


class MSELoss(Module):
    """mean((prediction - target)**2) over all entries."""

    def forward(self, prediction: Any, target: Any) -> Any:
        prediction, target = as_input(prediction), as_input(target)
        _same_shape(prediction, target, "MSELoss")
        return tt.mean(tt.square(prediction - target))


class CrossEntropyLoss(Module):
    """Mean over the batch of -log softmax(logits)[label].

    `logits` has shape (n, classes); `target` is either integer labels of shape
    (n,) or per-class probabilities (one-hot, or soft labels) of shape (n, classes).
    """

    def forward(self, logits: Any, target: Any) -> Any:
        logits, target = as_input(logits), as_input(target)
        if logits.ndim != 2:
            raise ValueError(f"CrossEntropyLoss: logits must have shape (n, classes), got {logits.shape}")
        n, classes = logits.shape
        if np.issubdtype(target.dtype, np.integer):
            if target.shape != (n,):
                raise ValueError(f"CrossEntropyLoss: integer labels must have shape ({n},), got {target.shape}")
            if n and (target.min() < 0 or target.max() >= classes):
                raise ValueError(f"CrossEntropyLoss: labels must be in [0, {classes}), "
                                 f"got values from {target.min()} to {target.max()}")
            # one-hot rows: a plain product, cheaper than gathering log_p at the labels
            target = np.eye(classes, dtype=logits.dtype)[target]
        _same_shape(logits, target, "CrossEntropyLoss")
        picked = target * tt.log_softmax(logits, axis=-1)
        # the minus sign rides on the division by n: one primitive instead of two
        return tt.sum(picked) / -n


class BinaryCrossEntropyLoss(Module):
    """Mean of -[y log sigmoid(z) + (1 - y) log(1 - sigmoid(z))] for logits z and
    targets y in [0, 1], computed as softplus(z) - y z."""

    def forward(self, logits: Any, target: Any) -> Any:
        logits, target = as_input(logits), as_input(target)
        _same_shape(logits, target, "BinaryCrossEntropyLoss")
        return tt.mean(tt.softplus(logits) - target * logits)
