"""Rules for the neural-network staples: sigmoid, relu, softplus, logsumexp,
softmax, log_softmax, and cross-entropy from logits. Each is one primitive,
numerically stable in its impl, with rules written in terms of its own output
where that is the stable form.
"""

from __future__ import annotations

import numpy as np

from ..primitive import Primitive
from .math import elementwise, exp
from .reductions import sum_p, with_kept_axes
from .shape import Index, getitem_p, reshape_p
from .special import scipy_elementwise

# scipy.special.expit, imported on the first call (special.py says why)
sigmoid = scipy_elementwise("sigmoid", lambda t, ans, x: t * (ans * (1.0 - ans)), scipy_name="expit")
# a mask product, not `where`: several times faster on large arrays
relu = elementwise("relu", lambda x: np.maximum(x, 0.0), lambda t, ans, x: t * (x > 0))
softplus = elementwise("softplus", lambda x: np.logaddexp(x, 0), lambda t, ans, x: t * sigmoid(x))


def _logsumexp_jvp(t, ans, x, axis, keepdims):
    return sum_p(t * exp(x - with_kept_axes(ans, x, axis, keepdims, ans)), axis, keepdims)


def _logsumexp_vjp(g, ans, x, axis, keepdims):
    return with_kept_axes(g, x, axis, keepdims, ans) * exp(x - with_kept_axes(ans, x, axis, keepdims, ans))


def _logsumexp(x, axis, keepdims):
    # plain NumPy (scipy.special's version costs more on small arrays)
    if not axis:
        return x
    top = np.max(x, axis=axis, keepdims=True, initial=-np.inf)  # initial: empty axes too
    top = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore"):  # log(0) = -inf is the right answer for empty or all -inf
        out = np.log(np.sum(np.exp(x - top), axis=axis, keepdims=True)) + top
    return out if keepdims else np.squeeze(out, axis=axis)


def _softmax(x, axis):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True, initial=-np.inf))
    return e / np.sum(e, axis=axis, keepdims=True)


def _log_softmax(x, axis):
    shifted = x - np.max(x, axis=axis, keepdims=True, initial=-np.inf)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


logsumexp_p = Primitive("logsumexp", _logsumexp,
    jvp=_logsumexp_jvp, vjp=_logsumexp_vjp)
# The softmax Jacobian diag(s) - s s^T is symmetric: one rule serves both modes.
softmax_p = Primitive("softmax", _softmax,
    jvp=lambda t, ans, x, axis: ans * (t - sum_p(ans * t, axis, True)),
    vjp=lambda g, ans, x, axis: ans * (g - sum_p(ans * g, axis, True)))
log_softmax_p = Primitive("log_softmax", _log_softmax,
    jvp=lambda t, ans, x, axis: t - sum_p(exp(ans) * t, axis, True),
    vjp=lambda g, ans, x, axis: g - exp(ans) * sum_p(g, axis, True))


# --- cross-entropy from logits and integer labels, fused ------------------------------------
# loss[i] = logsumexp(z[i]) - z[i, label[i]]: one node in place of log_softmax, a
# selection, a sum and a division, which is what a classifier's training step pays
# for on every batch. The labels are plain integers (no derivative).


def _cross_entropy(z, labels):
    rows = np.arange(z.shape[-2])
    return _logsumexp(z, (-1,), False) - z[..., rows, labels]


def _one_hot(labels, like):
    out = np.zeros(like.shape[-2:], dtype=like.dtype)
    out[np.arange(len(labels)), labels] = 1
    return out


def _cross_entropy_jvp(t, ans, z, labels):
    # t[..., i, labels[i]]; labels copied, as the Index may be saved in a graph
    picked = getitem_p(t, Index((np.arange(z.shape[-2]), np.array(labels)), z.shape[-2:]))
    return sum_p(softmax_p(z, (-1,)) * t, (-1,), False) - picked


def _cross_entropy_vjp(g, ans, z, labels):
    return reshape_p(g, (g.shape[-1], 1), 1) * (softmax_p(z, (-1,)) - _one_hot(labels, z))


cross_entropy_p = Primitive("cross_entropy", _cross_entropy, jvp=(_cross_entropy_jvp, None),
    vjp=(_cross_entropy_vjp, None))
