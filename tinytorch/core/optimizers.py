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
import numbers
from collections.abc import Iterable

import numpy as np

from ..autograd import Variable


def check_setting(name: str, value: float, below_one: bool = False) -> float:
    """`value` if it is a finite number >= 0 (and < 1 with `below_one`), else a ValueError:
    a NaN or negative rate would otherwise surface only as NaN weights, epochs later."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    if not (math.isfinite(value) and value >= 0 and (value < 1 or not below_one)):
        interval = "in [0, 1)" if below_one else "finite and non-negative"
        raise ValueError(f"{name} must be {interval}, got {value}")
    return value


class Optimizer:
    """Holds the parameters and the learning rate `lr` (which schedules change)."""

    def __init__(self, params: Iterable[Variable], lr: float) -> None:
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__} got no parameters to optimize")
        seen: dict[int, int] = {}
        for i, p in enumerate(self.params):
            if not (isinstance(p, Variable) and p.is_leaf and p.requires_grad):
                raise TypeError(
                    f"{type(self).__name__} optimizes leaf Variables with requires_grad=True, got {p!r:.60}"
                )
            # listed twice, a parameter would be stepped twice per step()
            if id(p) in seen:
                raise ValueError(
                    f"{type(self).__name__}: parameter {i} is parameter {seen[id(p)]} again; "
                    f"each parameter may be listed once"
                )
            seen[id(p)] = i
        self.lr = check_setting("learning rate", lr)

    def zero_grad(self) -> None:
        for p in self.params:
            p.zero_grad()

    def step(self) -> None:
        raise NotImplementedError


class SGD(Optimizer):
    """p -= lr * d, where d is the gradient g (plus weight_decay * p), or with momentum
    the velocity v = momentum * v + g (v = g at the first step), or with Nesterov
    g + momentum * v."""

    def __init__(
        self,
        params: Iterable[Variable],
        lr: float,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        super().__init__(params, lr)
        check_setting("momentum", momentum)
        check_setting("weight_decay", weight_decay)
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
    `weight_decay` adds weight_decay * p to g (L2 regularization).

    t counts the steps of each parameter on its own (as PyTorch and Kingma & Ba do):
    a parameter that first gets a gradient at the optimizer's tenth step has t = 1
    there, and the full bias correction of a first step."""

    decoupled = False

    def __init__(
        self,
        params: Iterable[Variable],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        if len(betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        self.betas = (
            check_setting("betas[0]", betas[0], below_one=True),
            check_setting("betas[1]", betas[1], below_one=True),
        )
        self.eps, self.weight_decay = check_setting("eps", eps), check_setting("weight_decay", weight_decay)
        self.steps = [0] * len(self.params)
        self.m = [np.zeros(p.shape, p.dtype) for p in self.params]
        self.v = [np.zeros(p.shape, p.dtype) for p in self.params]

    def step(self) -> None:
        b1, b2 = self.betas
        lr, eps, decay = self.lr, self.eps, self.weight_decay
        for i, (p, m, v) in enumerate(zip(self.params, self.m, self.v)):
            g = p.grad
            if g is None:
                continue
            self.steps[i] = t = self.steps[i] + 1
            step_size = lr / (1.0 - b1**t)
            root_correction = math.sqrt(1.0 - b2**t)
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

    def __init__(
        self,
        params: Iterable[Variable],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay)


def clip_grad_norm(params: Iterable[Variable], max_norm: float, error_if_nonfinite: bool = True) -> float:
    """Scale the gradients so that their joint 2-norm is at most `max_norm`.

    Returns the norm before clipping, computed in float64 (float32 gradients of 1e20
    would overflow float32's sum of squares to inf). The gradients are replaced, not
    written in place: a `.grad` array may be shared with another leaf's.

    A NaN or infinite norm (some gradient holds NaN or inf) raises FloatingPointError;
    with `error_if_nonfinite=False` it is returned instead and the gradients are left
    as they are, so that the caller can skip the step. (PyTorch's default is to scale
    every gradient by NaN, which then spreads into all the weights.)
    """
    check_setting("max_norm", max_norm)
    params = [p for p in params if p.grad is not None]
    grads = [np.asarray(p.grad, dtype=np.float64) for p in params]
    total = math.sqrt(sum(float(np.vdot(g, g)) for g in grads))
    if math.isinf(total) and all(np.isfinite(g).all() for g in grads):
        # finite float64 entries beyond 1e154 whose squares overflow: scale them down first
        largest = max(float(np.abs(g).max(initial=0.0)) for g in grads)
        total = largest * math.sqrt(sum(float(np.vdot(g / largest, g / largest)) for g in grads))
    if not math.isfinite(total):
        if error_if_nonfinite:
            raise FloatingPointError(
                f"clip_grad_norm: the total gradient norm is {total}: some gradient holds "
                f"NaN or inf (pass error_if_nonfinite=False to get the norm back instead)"
            )
        return total
    scale = max_norm / (total + 1e-6)
    if scale < 1.0:
        for p in params:
            p.grad = p.grad * scale
    return total
