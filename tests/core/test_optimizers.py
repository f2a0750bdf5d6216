"""Optimizers against their published update equations, written out here in NumPy;
gradient clipping against its closed form; the checks on their settings."""

import math

import numpy as np
import pytest

from tinytorch.autograd import Variable
from tinytorch.core.optimizers import SGD, Adam, AdamW, clip_grad_norm

RNG = np.random.default_rng(5)
P0 = RNG.standard_normal((3, 2))
GRADS = [RNG.standard_normal((3, 2)) for _ in range(4)]


def run(optimizer_class, **options):
    """Four steps with the gradients GRADS set by hand; the parameter after each step."""
    p = Variable(P0.copy(), requires_grad=True)
    optimizer = optimizer_class([p], **options)
    history = []
    for g in GRADS:
        optimizer.zero_grad()
        p.grad = g
        optimizer.step()
        history.append(np.array(p.data))
    return history


def test_plain_sgd():
    p = P0.copy()
    for got, g in zip(run(SGD, lr=0.1), GRADS):
        p = p - 0.1 * g
        assert np.allclose(got, p, rtol=1e-15)


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_momentum_and_weight_decay(nesterov):
    lr, mu, wd = 0.05, 0.9, 0.01
    p, v = P0.copy(), None
    for got, g in zip(run(SGD, lr=lr, momentum=mu, weight_decay=wd, nesterov=nesterov), GRADS):
        d = g + wd * p
        v = d if v is None else mu * v + d  # Sutskever et al.; PyTorch's form (no dampening)
        p = p - lr * (d + mu * v if nesterov else v)
        assert np.allclose(got, p, rtol=1e-14)


def adam_reference(lr, b1, b2, eps, wd, decoupled):
    """Kingma & Ba, Algorithm 1; with `decoupled`, Loshchilov & Hutter's AdamW."""
    p, m, v = P0.copy(), np.zeros_like(P0), np.zeros_like(P0)
    out = []
    for t, g in enumerate(GRADS, start=1):
        if decoupled:
            p = p - lr * wd * p
        elif wd:
            g = g + wd * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
        out.append(p)
    return out


@pytest.mark.parametrize("wd", [0.0, 0.1])
def test_adam(wd):
    got = run(Adam, lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=wd)
    for a, b in zip(got, adam_reference(0.01, 0.8, 0.99, 1e-6, wd, decoupled=False)):
        assert np.allclose(a, b, rtol=1e-13)


def test_adam_first_step_moves_each_entry_by_lr():
    """m_hat / sqrt(v_hat) = g / |g| at t = 1: every entry moves by lr against its gradient's sign."""
    first = run(Adam, lr=0.01, eps=0.0)[0]
    assert np.allclose(first, P0 - 0.01 * np.sign(GRADS[0]), rtol=1e-14)


def test_adamw_decouples_weight_decay():
    got = run(AdamW, lr=0.01, weight_decay=0.1)
    for a, b in zip(got, adam_reference(0.01, 0.9, 0.999, 1e-8, 0.1, decoupled=True)):
        assert np.allclose(a, b, rtol=1e-13)
    assert AdamW([Variable(P0, requires_grad=True)]).weight_decay == 1e-2


@pytest.mark.parametrize("optimizer_class, decoupled", [(Adam, False), (AdamW, True)])
def test_a_parameter_whose_gradient_starts_late_gets_its_own_first_step(optimizer_class, decoupled):
    """Kingma & Ba's t counts the updates of each parameter: `late` first gets a gradient
    at the optimizer's fourth step, where its t is 1 (PyTorch keeps a step per parameter too)."""
    lr, b1, b2, eps, wd = 0.01, 0.9, 0.999, 1e-8, 0.1
    early, late = Variable(P0.copy(), requires_grad=True), Variable(P0.copy(), requires_grad=True)
    optimizer = optimizer_class([early, late], lr=lr, betas=(b1, b2), eps=eps, weight_decay=wd)
    late_grads = [RNG.standard_normal((3, 2)) for _ in range(3)]
    for step, g in enumerate(GRADS):
        early.grad = g
        late.grad = late_grads[step - 1] if step >= 1 else None
        optimizer.step()
    expected_early = adam_reference(lr, b1, b2, eps, wd, decoupled)[-1]
    p, m, v = P0.copy(), np.zeros_like(P0), np.zeros_like(P0)
    for t, g in enumerate(late_grads, start=1):  # the published equations, t from 1
        if decoupled:
            p = p - lr * wd * p
        else:
            g = g + wd * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        p = p - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
    assert np.allclose(np.array(early.data), expected_early, rtol=1e-13)
    assert np.allclose(np.array(late.data), p, rtol=1e-13)


def test_adam_first_late_step_moves_each_entry_by_lr():
    """With eps = 0 a parameter's own first step moves every entry by exactly lr, whenever it comes."""
    a, b = Variable(P0.copy(), requires_grad=True), Variable(P0.copy(), requires_grad=True)
    optimizer = Adam([a, b], lr=0.01, eps=0.0)
    for _ in range(10):
        a.grad = np.ones_like(P0)
        optimizer.step()
    b.grad = GRADS[0]
    optimizer.step()
    assert np.allclose(np.array(b.data), P0 - 0.01 * np.sign(GRADS[0]), rtol=1e-14)


def test_parameters_without_gradient_are_left_alone():
    a, b = Variable(P0.copy(), requires_grad=True), Variable(P0.copy(), requires_grad=True)
    for optimizer in [SGD([a, b], lr=0.1, momentum=0.9), Adam([a, b], lr=0.1)]:
        a.grad = np.ones_like(P0)
        optimizer.step()
        assert np.array_equal(np.array(b.data), P0) and not np.array_equal(np.array(a.data), P0)


def test_updates_are_in_place_and_flag_graphs_that_saved_the_old_value():
    p = Variable(P0.copy(), requires_grad=True)
    data_before = p.data
    stale = (p * p).sum()  # saves p for its backward
    p.grad = np.ones_like(P0)
    SGD([p], lr=0.1).step()
    assert np.allclose(data_before, P0 - 0.1)  # the same array was updated
    with pytest.raises(RuntimeError, match="modified in place"):
        stale.backward()


def test_zero_grad():
    p = Variable(P0.copy(), requires_grad=True)
    optimizer = SGD([p], lr=0.1)
    (p * p).sum().backward()
    optimizer.zero_grad()
    assert p.grad is None


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: SGD([], lr=0.1), "no parameters"),
        (lambda: SGD([Variable(P0)], lr=0.1), "requires_grad=True"),
        (lambda: SGD([Variable(P0, requires_grad=True) * 2], lr=0.1), "leaf Variables"),
        (lambda: SGD([Variable(P0, requires_grad=True)], lr=-1.0), "non-negative"),
        (lambda: SGD([Variable(P0, requires_grad=True)], lr=0.1, nesterov=True), "Nesterov"),
    ],
)
def test_bad_arguments(make, message):
    with pytest.raises((TypeError, ValueError), match=message):
        make()


def param():
    return Variable(P0.copy(), requires_grad=True)


NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: SGD([param()], lr=NAN), "learning rate must be finite and non-negative, got nan"),
        (lambda: SGD([param()], lr=INF), "learning rate must be finite and non-negative, got inf"),
        (lambda: Adam([param()], lr=-0.1), "learning rate must be finite and non-negative, got -0.1"),
        (lambda: SGD([param()], lr=0.1, momentum=-0.9), "momentum must be finite and non-negative"),
        (lambda: SGD([param()], lr=0.1, momentum=NAN), "momentum must be finite and non-negative"),
        (lambda: SGD([param()], lr=0.1, weight_decay=-1e-4), "weight_decay must be finite and non-negative"),
        (lambda: AdamW([param()], weight_decay=INF), "weight_decay must be finite and non-negative"),
        (lambda: Adam([param()], eps=-1e-8), "eps must be finite and non-negative"),
        (lambda: Adam([param()], eps=NAN), "eps must be finite and non-negative"),
        (lambda: Adam([param()], betas=(1.0, 0.999)), r"betas\[0\] must be in \[0, 1\), got 1.0"),
        (lambda: Adam([param()], betas=(0.9, -0.1)), r"betas\[1\] must be in \[0, 1\), got -0.1"),
        (lambda: Adam([param()], betas=(0.9, NAN)), r"betas\[1\] must be in \[0, 1\), got nan"),
        (lambda: Adam([param()], betas=(0.9,)), "betas must be a pair"),
    ],
)
def test_settings_are_checked_at_construction(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_settings_must_be_numbers():
    with pytest.raises(TypeError, match="learning rate must be a real number"):
        SGD([param()], lr="0.1")


@pytest.mark.parametrize("optimizer_class", [SGD, Adam, AdamW])
def test_a_parameter_listed_twice_is_refused(optimizer_class):
    a, b = param(), param()
    with pytest.raises(ValueError, match="parameter 2 is parameter 0 again"):
        optimizer_class([a, b, a], lr=0.1)


def test_boundary_settings_are_accepted():
    Adam([param()], lr=0.0, betas=(0.0, 0.0), eps=0.0, weight_decay=0.0)
    SGD([param()], lr=0.0, momentum=0.0)


def test_clip_grad_norm_scales_to_the_max_norm():
    a, b = Variable(np.zeros(2), requires_grad=True), Variable(np.zeros(1), requires_grad=True)
    a.grad, b.grad = np.array([3.0, 4.0]), np.array([12.0])
    total = clip_grad_norm([a, b], max_norm=1.3)
    assert total == pytest.approx(13.0, rel=1e-15)
    assert np.allclose(np.concatenate([a.grad, b.grad]), np.array([3.0, 4.0, 12.0]) * (1.3 / 13.0), rtol=1e-6)


def test_clip_grad_norm_leaves_small_gradients_alone():
    a = Variable(np.zeros(2), requires_grad=True)
    a.grad = np.array([0.3, 0.4])
    assert clip_grad_norm([a], max_norm=1.0) == pytest.approx(0.5)
    assert np.array_equal(a.grad, [0.3, 0.4])


def test_clip_grad_norm_of_float32_gradients_is_computed_in_float64():
    """Squares of 1e20 overflow float32 (max 3.4e38): the norm must still be 1e20 * sqrt(2)."""
    a = Variable(np.zeros(2, np.float32), requires_grad=True)
    a.grad = np.array([1e20, -1e20], np.float32)
    total = clip_grad_norm([a], max_norm=1.0)
    assert total == pytest.approx(float(np.float32(1e20)) * math.sqrt(2.0), rel=1e-12)
    assert a.grad.dtype == np.float32 and np.allclose(a.grad, [1 / math.sqrt(2.0), -1 / math.sqrt(2.0)], rtol=1e-6)


def test_clip_grad_norm_of_float64_gradients_beyond_1e154():
    a = Variable(np.zeros(2), requires_grad=True)
    a.grad = np.array([3e200, 4e200])
    assert clip_grad_norm([a], max_norm=1.0) == pytest.approx(5e200, rel=1e-14)
    assert np.allclose(a.grad, [0.6, 0.8], rtol=1e-6)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_clip_grad_norm_refuses_a_nonfinite_norm(bad):
    a, b = Variable(np.zeros(2), requires_grad=True), Variable(np.zeros(1), requires_grad=True)
    a.grad, b.grad = np.array([1.0, bad]), np.array([100.0])
    with pytest.raises(FloatingPointError, match="total gradient norm is (nan|inf)"):
        clip_grad_norm([a, b], max_norm=1.0)
    total = clip_grad_norm([a, b], max_norm=1.0, error_if_nonfinite=False)
    assert not math.isfinite(total)
    assert np.array_equal(b.grad, [100.0]) and a.grad[0] == 1.0  # left as they were


def test_clip_grad_norm_checks_max_norm():
    with pytest.raises(ValueError, match="max_norm must be finite and non-negative"):
        clip_grad_norm([param()], max_norm=-1.0)


def test_clip_grad_norm_with_shared_gradient_arrays():
    """x + y hands both leaves the same cotangent array: clipping must not scale it twice."""
    x, y = Variable(np.zeros(4), requires_grad=True), Variable(np.zeros(4), requires_grad=True)
    (x + y).sum().backward()
    total = clip_grad_norm([x, y], max_norm=1.0)
    assert total == pytest.approx(math.sqrt(8.0))
    assert np.allclose(x.grad, 1 / math.sqrt(8.0), rtol=1e-6) and np.allclose(y.grad, 1 / math.sqrt(8.0), rtol=1e-6)
