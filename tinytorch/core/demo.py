"""The first half of `tito demo`: train an MLP on the built-in digits, then look at
the trained network with the engine's other modes (forward-mode sensitivity,
a Jacobian, a Hessian-vector product), each checked against finite differences.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

import tinytorch as tt
from tinytorch.autograd import Dual, grad, hvp, jacobian, no_grad

from . import (
    Adam,
    CosineAnnealingLR,
    CrossEntropyLoss,
    DataLoader,
    Dense,
    ReLU,
    Sequential,
    TensorDataset,
    Trainer,
    load_digits,
    manual_seed,
    train_test_split,
)

EPOCHS = 20
PIXEL = (3, 4)  # row, column: a central pixel that most digits use


def _section(title: str) -> None:
    print(f"\n== {title}")


def train_digits() -> tuple[Sequential, np.ndarray, np.ndarray, float]:
    """An MLP trained on 80% of the digits; returns it, the test images and labels,
    and the test accuracy."""
    X, y = load_digits()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_fraction=0.2, seed=0)
    manual_seed(0)
    model = Sequential(Dense(64, 64, init="he"), ReLU(), Dense(64, 10))
    optimizer = Adam(model.parameters(), lr=0.01)
    trainer = Trainer(model, CrossEntropyLoss(), optimizer, schedule=CosineAnnealingLR(optimizer, EPOCHS))
    size = sum(p.size for p in model.parameters())
    print(f"model: {' -> '.join(map(repr, model))} ({size:,} parameters)")
    print(f"Adam with a cosine learning rate, {EPOCHS} epochs on {len(X_train)} training images:")
    start = time.perf_counter()
    trainer.fit(DataLoader(TensorDataset(X_train, y_train), batch_size=32, shuffle=True, seed=0), EPOCHS)
    seconds = time.perf_counter() - start
    test = trainer.evaluate([(X_test, y_test)])
    print(
        f"test accuracy: {test['accuracy']:.1%} on {len(X_test)} images never seen in training "
        f"(trained in {seconds:.1f} s)"
    )
    return model, X_test, y_test, test["accuracy"]


def _plain(model: Sequential, x: np.ndarray) -> np.ndarray:
    with no_grad():
        return np.asarray(model(x))


def _probabilities(model: Sequential, x: np.ndarray) -> np.ndarray:
    logits = _plain(model, x)
    p = np.exp(logits - logits.max())
    return p / p.sum()


def _why(mode: str, n: int, m: int) -> str:
    if mode == "reverse":
        return (
            f"{m} outputs < {n} inputs, so it pulls back {m} cotangents\n"
            f"(one per output) where forward mode would push {n} tangents (one per input)"
        )
    if n <= m:
        return f"{n} inputs <= {m} outputs, so it pushes {n} tangents (one per input)"
    return (
        f"with only {n} inputs, one batched pass of {n} tangents is still cheaper\n"
        f"than recording a graph and pulling back {m} cotangents (the engine's measured crossover)"
    )


def _central_difference(f: Any, x: np.ndarray, direction: np.ndarray, h: float = 1e-5) -> np.ndarray:
    return (f(x + h * direction) - f(x - h * direction)) / (2 * h)


def explore(model: Sequential, image: np.ndarray, label: int) -> None:
    """Forward-mode sensitivity, a Jacobian and an HVP of the trained network at `image`."""
    pixel = np.zeros(64)
    pixel[PIXEL[0] * 8 + PIXEL[1]] = 1.0
    predicted = int(_plain(model, image).argmax())

    _section("Forward mode: how the trained network reacts to one pixel")
    with no_grad():
        out = model(Dual(image, pixel))
    slope = float(np.asarray(out.tangent)[predicted])
    check = _central_difference(lambda v: _plain(model, v), image, pixel)[predicted]
    print(f"one pass of Dual(image, pixel {PIXEL}) through the network, for a test image of a {label}:")
    print(f"d logit[{predicted}] / d pixel = {slope:+.4f}   (finite difference {check:+.4f})")

    _section("Jacobian: the 10 class probabilities by the 64 pixels")
    probabilities = lambda v: tt.softmax(model(v))
    jac = jacobian(probabilities)
    with no_grad():
        J = np.asarray(jac(image))
        other = "reverse" if jac.last_mode == "forward" else "forward"
        J_other = np.asarray(jacobian(probabilities, mode=other)(image))
    fd = np.stack([_central_difference(lambda v: _probabilities(model, v), image, e) for e in np.eye(64)], axis=1)
    print(f"mode 'auto' chose {jac.last_mode} mode: {_why(jac.last_mode, 64, 10)}")
    print(
        f"J {J.shape}: max error against finite differences {np.abs(J - fd).max():.1e}; "
        f"{other} mode agrees to {np.abs(J - J_other).max():.0e}"
    )

    _section("Hessian-vector product of the loss with respect to the pixels")
    loss = CrossEntropyLoss()
    target = np.array([label])

    def f(v: Any) -> Any:
        return loss(model(v[None, :]), target)

    v = np.random.default_rng(0).standard_normal(64)
    with no_grad():
        Hv = np.asarray(hvp(f, image, v))
        gradient = grad(f)
        fd = _central_difference(lambda u: np.asarray(gradient(u)), image, v)
    print("H @ v by forward over reverse, never forming the 64 x 64 Hessian")
    print(f"max error against finite differences of gradients {np.abs(Hv - fd).max():.1e}")


def run() -> float:
    """Train, print, explore; returns the test accuracy."""
    _section("Training a network: handwritten digits (UCI, 1,797 images of 8x8 pixels)")
    model, X_test, y_test, test_accuracy = train_digits()
    explore(model, X_test[0], int(y_test[0]))
    return test_accuracy
