"""Learning-rate schedules against their closed forms: step decay and cosine annealing."""

import math

import numpy as np
import pytest

from tinytorch.autograd import Variable
from tinytorch.core.optimizers import SGD, Adam
from tinytorch.core.schedules import CosineAnnealingLR, StepLR

P0 = np.zeros((3, 2))


def rates(schedule_class, epochs, **options):
    optimizer = SGD([Variable(P0, requires_grad=True)], lr=0.4)
    schedule = schedule_class(optimizer, **options)
    out = []
    for _ in range(epochs):
        out.append(optimizer.lr)
        schedule.step()
    return out


def test_step_schedule():
    assert rates(StepLR, 7, step_size=3, gamma=0.5) == pytest.approx([0.4] * 3 + [0.2] * 3 + [0.1])


def test_cosine_schedule():
    got = rates(CosineAnnealingLR, 12, T_max=8, eta_min=0.04)
    expected = [0.04 + 0.36 * (1 + math.cos(math.pi * min(t, 8) / 8)) / 2 for t in range(12)]
    assert got == pytest.approx(expected, rel=1e-14)
    assert got[4] == pytest.approx(0.22) and got[8:] == pytest.approx([0.04] * 4)


def test_schedules_check_their_arguments():
    optimizer = SGD([Variable(P0, requires_grad=True)], lr=0.1)
    with pytest.raises(ValueError, match="step_size"):
        StepLR(optimizer, step_size=0)
    with pytest.raises(ValueError, match="T_max"):
        CosineAnnealingLR(optimizer, T_max=0)


def test_a_schedule_sets_the_rate_the_optimizer_uses():
    """Adam's first step moves each entry by exactly lr, so the move shows the scheduled rate."""
    p = Variable(np.zeros(2), requires_grad=True)
    optimizer = Adam([p], lr=0.4, eps=0.0)
    schedule = StepLR(optimizer, step_size=1, gamma=0.25)
    schedule.step()
    p.grad = np.array([1.0, -1.0])
    optimizer.step()
    assert np.allclose(np.array(p.data), [-0.1, 0.1], rtol=1e-15)
