"""Learning-rate schedules: step decay and cosine annealing, in closed form.

Call `schedule.step()` once per epoch, after the optimizer's steps; it sets
`optimizer.lr` to the rate for the next epoch.

>>> import numpy as np
>>> from tinytorch.autograd import Variable
>>> from tinytorch.core.optimizers import SGD
>>> from tinytorch.core.schedules import StepLR
>>> opt = SGD([Variable(np.zeros(1), requires_grad=True)], lr=1.0)
>>> schedule = StepLR(opt, step_size=2, gamma=0.5)
>>> rates = []
>>> for epoch in range(5):
...     rates.append(opt.lr); schedule.step()
>>> rates
[1.0, 1.0, 0.5, 0.5, 0.25]
"""

from __future__ import annotations

import math

from .optimizers import Optimizer


class LRSchedule:
    """Sets `optimizer.lr = lr_at(epoch)` from the rate the optimizer had at creation."""

    def __init__(self, optimizer: Optimizer) -> None:
        self.optimizer = optimizer
        self.base_lr = optimizer.lr
        self.epoch = 0

    def lr_at(self, epoch: int) -> float:
        raise NotImplementedError

    def step(self) -> None:
        self.epoch += 1
        self.optimizer.lr = self.lr_at(self.epoch)


class StepLR(LRSchedule):
    """lr = base_lr * gamma ** (epoch // step_size)."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        if step_size < 1:
            raise ValueError(f"step_size must be at least 1, got {step_size}")
        super().__init__(optimizer)
        self.step_size, self.gamma = step_size, gamma

    def lr_at(self, epoch: int) -> float:
        return self.base_lr * self.gamma ** (epoch // self.step_size)


class CosineAnnealingLR(LRSchedule):
    """lr = eta_min + (base_lr - eta_min) (1 + cos(pi epoch / T_max)) / 2, from base_lr
    at epoch 0 down to eta_min at epoch T_max, and eta_min after it."""

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:  # noqa: N803
        if T_max < 1:
            raise ValueError(f"T_max must be at least 1, got {T_max}")
        super().__init__(optimizer)
        self.T_max, self.eta_min = T_max, eta_min

    def lr_at(self, epoch: int) -> float:
        progress = min(epoch, self.T_max) / self.T_max
        return self.eta_min + (self.base_lr - self.eta_min) * 0.5 * (1.0 + math.cos(math.pi * progress))
