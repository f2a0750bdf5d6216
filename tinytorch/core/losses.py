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

from ..autograd.values import box_or_array
from .module import Module


def _same_shape(prediction: Any, target: Any, name: str) -> None:
    # (n, 1) against (n,) would silently broadcast to an (n, n) loss
    if prediction.shape != target.shape:
        raise ValueError(f"{name}: prediction has shape {prediction.shape} but target has shape {target.shape}")


class MSELoss(Module):
    """mean((prediction - target)**2) over all entries."""

    def forward(self, prediction: Any, target: Any) -> Any:
        prediction, target = box_or_array(prediction, plain=True), box_or_array(target, plain=True)
        _same_shape(prediction, target, "MSELoss")
        return tt.mean(tt.square(prediction - target))


class CrossEntropyLoss(Module):
    """Mean over the batch of -log softmax(logits)[label].

    `logits` has shape (n, classes); `target` is either integer labels of shape
    (n,) or per-class probabilities (one-hot, or soft labels) of shape (n, classes).
    A logit of -inf is a class given probability 0: finite unless it is the label.
    """

    def forward(self, logits: Any, target: Any) -> Any:
        logits, target = box_or_array(logits, plain=True), box_or_array(target, plain=True)
        if logits.ndim != 2:
            raise ValueError(f"CrossEntropyLoss: logits must have shape (n, classes), got {logits.shape}")
        n, classes = logits.shape
        if target.ndim == 1:
            if not np.issubdtype(target.dtype, np.integer):
                raise TypeError(
                    f"CrossEntropyLoss: class labels of shape ({n},) must be integers, got {target.dtype} "
                    f"(convert with .astype(int), or pass probabilities of shape ({n}, {classes}))"
                )
            if target.shape != (n,):
                raise ValueError(f"CrossEntropyLoss: integer labels must have shape ({n},), got {target.shape}")
            if n and (target.min() < 0 or target.max() >= classes):
                raise ValueError(
                    f"CrossEntropyLoss: labels must be in [0, {classes}), "
                    f"got values from {target.min()} to {target.max()}"
                )
            # the engine's fused primitive: one node, and a logit of -inf is simply a
            # class of probability 0
            return tt.sum(tt.cross_entropy(logits, target)) / n
        else:
            _same_shape(logits, target, "CrossEntropyLoss")
            # target 0 contributes 0 even where log_p is -inf
            picked = target * tt.where(target != 0, tt.log_softmax(logits, axis=-1), 0.0)
        # 0 - sum, not sum / -n: a perfect prediction has loss 0.0, not -0.0
        return (0.0 - tt.sum(picked)) / n


class BinaryCrossEntropyLoss(Module):
    """Mean of -[y log sigmoid(z) + (1 - y) log(1 - sigmoid(z))] for logits z and
    targets y in [0, 1], computed as softplus(z) - y z."""

    def forward(self, logits: Any, target: Any) -> Any:
        logits, target = box_or_array(logits, plain=True), box_or_array(target, plain=True)
        _same_shape(logits, target, "BinaryCrossEntropyLoss")
        return tt.mean(tt.softplus(logits) - target * logits)
