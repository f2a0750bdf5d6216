"""Losses against hand-written NumPy values and closed-form gradients, at ordinary and
extreme (+-1e4) logits."""

import math
import warnings

import numpy as np
import pytest
from finite_diff import numeric_grad

from tinytorch.autograd import Variable
from tinytorch.core.losses import BinaryCrossEntropyLoss, CrossEntropyLoss, MSELoss

RNG = np.random.default_rng(3)
LOGITS = RNG.standard_normal((6, 4)) * 2
LABELS = np.array([0, 3, 1, 1, 2, 0])
ONE_HOT = np.eye(4)[LABELS]


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def cross_entropy(z, labels):
    shifted = z - z.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return -log_p[np.arange(len(z)), labels].mean()


def loss_and_grad(loss_fn, prediction, target):
    x = Variable(prediction, requires_grad=True)
    loss = loss_fn(x, target)
    loss.backward()
    return float(loss), x.grad


def test_mse_value_and_gradient():
    pred, target = RNG.standard_normal((5, 3)), RNG.standard_normal((5, 3))
    value, grad = loss_and_grad(MSELoss(), pred, target)
    assert np.isclose(value, np.mean((pred - target) ** 2), rtol=1e-14)
    assert np.allclose(grad, 2 * (pred - target) / pred.size, rtol=1e-14)


def test_mse_refuses_shapes_that_would_broadcast():
    with pytest.raises(ValueError, match=r"prediction has shape \(4, 1\) but target has shape \(4,\)"):
        MSELoss()(np.zeros((4, 1)), np.zeros(4))


def test_cross_entropy_with_integer_labels():
    value, grad = loss_and_grad(CrossEntropyLoss(), LOGITS, LABELS)
    assert np.isclose(value, cross_entropy(LOGITS, LABELS), rtol=1e-14)
    assert np.allclose(grad, (softmax(LOGITS) - ONE_HOT) / len(LOGITS), rtol=1e-12, atol=1e-16)


def test_cross_entropy_gradient_against_finite_differences():
    _, grad = loss_and_grad(CrossEntropyLoss(), LOGITS, LABELS)
    assert np.allclose(grad, numeric_grad(lambda z: cross_entropy(z, LABELS), LOGITS), atol=1e-9)


def test_one_hot_targets_give_the_same_loss_and_gradient():
    value, grad = loss_and_grad(CrossEntropyLoss(), LOGITS, ONE_HOT)
    assert np.isclose(value, cross_entropy(LOGITS, LABELS), rtol=1e-14)
    assert np.allclose(grad, (softmax(LOGITS) - ONE_HOT) / len(LOGITS), rtol=1e-12, atol=1e-16)


def test_soft_labels():
    soft = softmax(RNG.standard_normal((6, 4)))
    value, grad = loss_and_grad(CrossEntropyLoss(), LOGITS, soft)
    log_p = np.log(softmax(LOGITS))
    assert np.isclose(value, -(soft * log_p).sum() / 6, rtol=1e-13)
    assert np.allclose(grad, (softmax(LOGITS) - soft) / 6, rtol=1e-12, atol=1e-16)  # rows of soft sum to 1


def test_cross_entropy_is_stable_at_huge_logits():
    logits = np.array([[1e4, 0.0, -1e4], [-1e4, 1e4, 0.0], [0.0, 0.0, 1e4]])
    labels = np.array([0, 2, 1])
    value, grad = loss_and_grad(CrossEntropyLoss(), logits, labels)
    # -log softmax: 0 for the first row, 1e4 for the second, 1e4 for the third
    assert value == pytest.approx(2e4 / 3, rel=1e-15)
    expected = (np.array([[1.0, 0, 0], [0, 1.0, 0], [0, 0, 1.0]]) - np.eye(3)[labels]) / 3
    assert np.isfinite(grad).all() and np.allclose(grad, expected, atol=1e-300)


def stable_cross_entropy(z, target):
    """Per-class targets (one-hot or soft), by hand: loss and gradient, with every
    product by a zero target skipped (it contributes 0, even against a logit of -inf)."""
    top = z.max(axis=1, keepdims=True)
    with np.errstate(over="ignore"):
        shifted = z - top
    lse = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    log_p = shifted - lse
    terms = np.zeros_like(z)
    terms[target != 0] = target[target != 0] * log_p[target != 0]
    n = len(z)
    softmax_ = np.exp(log_p)
    return -terms.sum() / n, (softmax_ * target.sum(axis=1, keepdims=True) - target) / n


INFINITE_LOGITS = np.array([[0.0, -np.inf, 1.0], [-np.inf, 2.0, -np.inf], [1e308, -1e308, 0.0], [-1e308, -1e308, 5.0]])
INFINITE_LABELS = np.array([2, 1, 0, 2])


@pytest.mark.parametrize("one_hot", [False, True])
def test_cross_entropy_with_infinite_logits_is_not_nan(one_hot):
    """-inf is a class with probability 0; +-1e308 overflow z - max(z) to -inf. Neither is NaN,
    in the loss or in its gradient, whichever way the labels are given."""
    target = np.eye(3)[INFINITE_LABELS] if one_hot else INFINITE_LABELS
    expected_value, expected_grad = stable_cross_entropy(INFINITE_LOGITS, np.eye(3)[INFINITE_LABELS])
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="invalid value")  # no 0 * -inf anywhere
        warnings.filterwarnings("ignore", message="overflow")  # 1e308 - (-1e308), as above
        value, grad = loss_and_grad(CrossEntropyLoss(), INFINITE_LOGITS, target)
    assert np.isfinite(value) and value == pytest.approx(expected_value, rel=1e-14)
    # by hand: only the first row has a loss, log(e^0 + e^1) - 1; the others pick a certain class
    assert value == pytest.approx((math.log(1 + math.e) - 1) / 4, rel=1e-14)
    assert np.isfinite(grad).all() and np.allclose(grad, expected_grad, rtol=1e-13, atol=1e-300)


def test_cross_entropy_is_infinite_not_nan_when_the_label_has_probability_0():
    logits = np.array([[-np.inf, 0.0, 1.0], [0.0, 1.0, 2.0]])
    value, grad = loss_and_grad(CrossEntropyLoss(), logits, np.array([0, 2]))
    assert value == np.inf
    _, expected_grad = stable_cross_entropy(logits, np.eye(3)[[0, 2]])
    assert np.isfinite(grad).all() and np.allclose(grad, expected_grad, rtol=1e-13)


def test_soft_targets_with_infinite_logits():
    logits = np.array([[0.0, -np.inf, 1.0], [-np.inf, 2.0, 0.5]])
    soft = np.array([[0.25, 0.0, 0.75], [0.0, 0.5, 0.5]])
    value, grad = loss_and_grad(CrossEntropyLoss(), logits, soft)
    expected_value, expected_grad = stable_cross_entropy(logits, soft)
    assert np.isfinite(value) and value == pytest.approx(expected_value, rel=1e-14)
    assert np.isfinite(grad).all() and np.allclose(grad, expected_grad, rtol=1e-13)


@pytest.mark.parametrize("one_hot", [False, True])
def test_a_perfect_prediction_has_loss_plus_zero(one_hot):
    logits = np.array([[1e4, 0.0, -1e4], [0.0, 1e4, -np.inf]])
    labels = np.array([0, 1])
    value = float(CrossEntropyLoss()(logits, np.eye(3)[labels] if one_hot else labels))
    assert value == 0.0 and math.copysign(1.0, value) == 1.0  # not -0.0


@pytest.mark.parametrize("labels", [np.array([0.0, 3.0, 1.0, 1.0, 2.0, 0.0]), np.ones(6, dtype=bool)])
def test_cross_entropy_refuses_non_integer_class_labels(labels):
    with pytest.raises(TypeError, match=r"class labels of shape \(6,\) must be integers, got (float64|bool)"):
        CrossEntropyLoss()(LOGITS, labels)


def test_cross_entropy_float32():
    value, grad = loss_and_grad(CrossEntropyLoss(), LOGITS.astype(np.float32), LABELS)
    assert grad.dtype == np.float32
    assert np.isclose(value, cross_entropy(LOGITS, LABELS), rtol=1e-6)


@pytest.mark.parametrize(
    "labels, message",
    [
        (np.array([0, 1, 4, 0, 0, 0]), r"labels must be in \[0, 4\)"),
        (np.array([0, -1, 1, 0, 0, 0]), r"labels must be in \[0, 4\)"),
        (np.array([0, 1, 2]), r"integer labels must have shape \(6,\)"),
        (np.zeros((6, 3)), "prediction has shape"),
    ],
)
def test_cross_entropy_rejects_bad_targets(labels, message):
    with pytest.raises(ValueError, match=message):
        CrossEntropyLoss()(LOGITS, labels)


def test_cross_entropy_needs_a_batch_of_logits():
    with pytest.raises(ValueError, match=r"logits must have shape \(n, classes\)"):
        CrossEntropyLoss()(LOGITS[0], LABELS[:1])


def bce(z, y):
    p = 1 / (1 + np.exp(-z))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def test_binary_cross_entropy_value_and_gradient():
    z = RNG.standard_normal((8, 1)) * 3
    y = (RNG.random((8, 1)) > 0.5).astype(float)
    value, grad = loss_and_grad(BinaryCrossEntropyLoss(), z, y)
    assert np.isclose(value, bce(z, y), rtol=1e-13)
    assert np.allclose(grad, (1 / (1 + np.exp(-z)) - y) / z.size, rtol=1e-12)
    assert np.allclose(grad, numeric_grad(lambda a: bce(a, y), z), atol=1e-9)


def test_binary_cross_entropy_is_stable_at_huge_logits():
    z = np.array([1e4, -1e4, 1e4, -1e4])
    y = np.array([1.0, 0.0, 0.0, 1.0])
    value, grad = loss_and_grad(BinaryCrossEntropyLoss(), z, y)
    assert value == pytest.approx(2e4 / 4, rel=1e-15)  # two right (loss 0), two wrong by 1e4
    assert np.allclose(grad, np.array([0.0, 0.0, 1.0, -1.0]) / 4, atol=1e-300)


def test_binary_cross_entropy_refuses_mismatched_shapes():
    with pytest.raises(ValueError, match="prediction has shape"):
        BinaryCrossEntropyLoss()(np.zeros((3, 1)), np.zeros(3))
