"""Optimizers: SGD (momentum, Nesterov, weight decay), Adam, AdamW; `clip_grad_norm`.

`step()` updates each parameter in place through its `.data` view, in bulk
NumPy, from the `.grad` that `backward()` left there; parameters without a
gradient are skipped. The update equations are PyTorch's, which are the
published ones (Sutskever et al. 2013 for momentum, Kingma & Ba 2015 for Adam,
Loshchilov & Hutter 2019 for AdamW's decoupled weight decay).

>>> import numpy as np
>>> from tinytorch.autograd import Variable
>>> from tinytorch.core.optimizers import SGD
>>> w = Variable(np.array([1.0, -2.0]), requires_grad=True)
>>> opt = SGD([w], lr=0.1)
>>> (w * w).sum().backward(); opt.step()
>>> w.data.tolist()        # w - 0.1 * 2w
[0.8, -1.6]
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from ..autograd import Variable


class Optimizer:
    """Holds the parameters and the learning rate `lr` (which schedules change)."""

    def __init__(self, params: Iterable[Variable], lr: float) -> None:
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__} got no parameters to optimize")
        for p in self.params:
            if not (isinstance(p, Variable) and p.is_leaf and p.requires_grad):
                raise TypeError(f"{type(self).__name__} optimizes leaf Variables with requires_grad=True, "
                                f"got {p!r:.60}")
        if lr < 0:
            raise ValueError(f"learning rate must be non-negative, got {lr}")
        self.lr = lr

    def zero_grad(self) -> None:
        for p in self.params:
            p.zero_grad()

    def step(self) -> None:
        raise NotImplementedError


class SGD(Optimizer):
    """p -= lr * d, where d is the gradient g (plus weight_decay * p), or with momentum
    the velocity v = momentum * v + g (v = g at the first step), or with Nesterov
    g + momentum * v."""

    def __init__(self, params: Iterable[Variable], lr: float, momentum: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False) -> None:
        super().__init__(params, lr)
        if nesterov and momentum <= 0:
            raise ValueError("Nesterov momentum needs momentum > 0")
        self.momentum, self.weight_decay, self.nesterov = momentum, weight_decay, nesterov
        self.velocity: list[np.ndarray | None] = [None] * len(self.params)

    def step(self) -> None:
        lr, momentum, decay = self.lr, self.momentum, self.weight_decay
        for i, p in enumerate(self.params):
            g = p.grad
            if g is None:
                continue
            data = p.data
            if decay:
                g = g + decay * data
            if momentum:
                v = self.velocity[i]
                if v is None:
                    v = self.velocity[i] = np.array(g)
                else:
                    v *= momentum
                    v += g
                g = g + momentum * v if self.nesterov else v
            data -= lr * g


class Adam(Optimizer):
    """m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
    p -= lr * m_hat / (sqrt(v_hat) + eps), with m_hat = m / (1 - b1^t), v_hat = v / (1 - b2^t).
    `weight_decay` adds weight_decay * p to g (L2 regularization)."""

    decoupled = False

    def __init__(self, params: Iterable[Variable], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0) -> None:
        super().__init__(params, lr)
        self.betas, self.eps, self.weight_decay = betas, eps, weight_decay
        self.t = 0
        self.m = [np.zeros(p.shape, p.dtype) for p in self.params]
        self.v = [np.zeros(p.shape, p.dtype) for p in self.params]

    def step(self) -> None:
        self.t += 1
        b1, b2 = self.betas
        lr, eps, decay = self.lr, self.eps, self.weight_decay
        step_size = lr / (1.0 - b1**self.t)
        root_correction = math.sqrt(1.0 - b2**self.t)
        for p, m, v in zip(self.params, self.m, self.v):
            g = p.grad
            if g is None:
                continue
            data = p.data
            if decay and self.decoupled:
                data *= 1.0 - lr * decay
            elif decay:
                g = g + decay * data
            m *= b1
            m += (1.0 - b1) * g
            v *= b2
            v += (1.0 - b2) * (g * g)
            data -= step_size * m / (np.sqrt(v) / root_correction + eps)


class AdamW(Adam):
    """Adam with decoupled weight decay: p *= 1 - lr * weight_decay, then the Adam
    step on the plain gradient."""

    decoupled = True

    def __init__(self, params: Iterable[Variable], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2) -> None:
        super().__init__(params, lr, betas, eps, weight_decay)


def clip_grad_norm(params: Iterable[Variable], max_norm: float) -> float:
    """Scale the gradients so that their joint 2-norm is at most `max_norm`.

    Returns the norm before clipping. The gradients are replaced, not written in
    place: a `.grad` array may be shared with another leaf's.
    """
    params = [p for p in params if p.grad is not None]
    total = math.sqrt(sum(float(np.vdot(p.grad, p.grad)) for p in params))
    scale = max_norm / (total + 1e-6)
    if scale < 1.0:
        for p in params:
            p.grad = p.grad * scale
    return total
