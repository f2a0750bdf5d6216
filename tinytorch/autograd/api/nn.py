"""The neural-network staples, as in jax.nn: sigmoid (scipy's expit), relu,
softplus, softmax, log_softmax, logsumexp, and cross_entropy from logits and
integer labels. Each is one primitive of the table (rules/nn.py)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..primitive import unbox_all
from ..rules import nn
from ..values import box_or_array
from .common import neg_axes

sigmoid, relu, softplus = nn.sigmoid, nn.relu, nn.softplus
expit = sigmoid


def logsumexp(a: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """scipy.special.logsumexp, stable for large inputs."""
    a = box_or_array(a)
    return nn.logsumexp_p(a, neg_axes(axis, a.ndim), keepdims)


def softmax(x: Any, axis: Any = -1) -> Any:
    """exp(x) normalized along `axis` (default: the last one, as in jax.nn)."""
    x = box_or_array(x)
    return nn.softmax_p(x, neg_axes(axis, x.ndim))


def log_softmax(x: Any, axis: Any = -1) -> Any:
    """log(softmax(x)) computed stably along `axis` (default: the last one)."""
    x = box_or_array(x)
    return nn.log_softmax_p(x, neg_axes(axis, x.ndim))


def cross_entropy(logits: Any, labels: Any) -> Any:
    """Per-row -log softmax(logits)[label] for logits (n, classes) and integer labels
    (n,): one fused primitive, stable at any scale (a logit of -inf is probability 0)."""
    logits = box_or_array(logits)
    labels = np.asarray(unbox_all(labels))
    if logits.ndim != 2 or labels.shape != logits.shape[:1]:
        raise ValueError(f"cross_entropy: logits (n, classes) and labels (n,), got {logits.shape} and {labels.shape}")
    if not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(f"cross_entropy: labels must be integers, got {labels.dtype}")
    if labels.size and (labels.min() < 0 or labels.max() >= logits.shape[1]):
        raise ValueError(
            f"cross_entropy: labels must be in [0, {logits.shape[1]}), got values from {labels.min()} to {labels.max()}"
        )
    return nn.cross_entropy_p(logits, labels)
