"""One training step of an MLP with tinytorch.core against the same step hand-written in NumPy.

A step is forward, loss, backward and an SGD update, on float64:
  large   784-256-10 ReLU MLP, cross-entropy, batch 128   (target: at most 1.05x NumPy)
  small   10-32-1 ReLU MLP, mean squared error, batch 1   (target: at most 50 us)
Both versions start from the same weights and are checked to produce the same
updated weights before anything is timed. Runs are interleaved; each figure is
the median over repeats.

    python analysis/training_step.py [--repeats 200]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np

from tinytorch.core import SGD, CrossEntropyLoss, Dense, MSELoss, ReLU, Sequential

LR = 0.01


def tinytorch_step(sizes: tuple[int, int, int], classify: bool, rng: int) -> tuple[Callable, Sequential]:
    model = Sequential(Dense(sizes[0], sizes[1], init="he", rng=rng), ReLU(), Dense(sizes[1], sizes[2], rng=rng + 1))
    loss_fn = CrossEntropyLoss() if classify else MSELoss()
    optimizer = SGD(model.parameters(), lr=LR)

    def step(x: np.ndarray, y: np.ndarray) -> None:
        loss = loss_fn(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    return step, model


def numpy_step(params: list[np.ndarray], classify: bool) -> Callable:
    """The same step by hand: forward, the backward pass written out, SGD in place."""
    W1, b1, W2, b2 = params

    def step(x: np.ndarray, y: np.ndarray) -> None:
        n = len(x)
        h = x @ W1 + b1
        a = np.maximum(h, 0.0)
        z = a @ W2 + b2
        if classify:
            shifted = z - z.max(axis=1, keepdims=True)
            p = np.exp(shifted)
            p /= p.sum(axis=1, keepdims=True)
            dz = p
            dz[np.arange(n), y] -= 1.0
            dz /= n
        else:
            dz = (z - y) * (2.0 / z.size)
        dW2 = a.T @ dz
        db2 = dz.sum(axis=0)
        dh = (dz @ W2.T) * (h > 0)
        dW1 = x.T @ dh
        db1 = dh.sum(axis=0)
        for p_, g in zip(params, (dW1, db1, dW2, db2)):
            p_ -= LR * g

    return step


def setup(sizes: tuple[int, int, int], batch: int, classify: bool) -> tuple[Callable, Callable, tuple]:
    """Both steps from the same initial weights, checked to agree after two steps."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, sizes[0]))
    y = rng.integers(0, sizes[2], batch) if classify else rng.standard_normal((batch, sizes[2]))
    tt_step, model = tinytorch_step(sizes, classify, rng=1)
    params = [np.array(p.data) for p in model.parameters()]
    np_step = numpy_step(params, classify)
    for _ in range(2):
        tt_step(x, y)
        np_step(x, y)
    worst = max(np.abs(np.asarray(p.data) - q).max() for p, q in zip(model.parameters(), params))
    assert worst < 1e-12, f"tinytorch and NumPy steps disagree by {worst}"
    return tt_step, np_step, (x, y)


def measure(steps: dict[str, Callable], args: tuple, repeats: int) -> dict[str, float]:
    times: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(repeats):
        for name, step in steps.items():
            t0 = time.perf_counter()
            step(*args)
            times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(ts) for name, ts in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()

    tt_large, np_large, data_large = setup((784, 256, 10), 128, classify=True)
    large = measure({"tinytorch": tt_large, "numpy": np_large}, data_large, args.repeats)
    tt_small, np_small, data_small = setup((10, 32, 1), 1, classify=False)
    small = measure({"tinytorch": tt_small, "numpy": np_small}, data_small, 20 * args.repeats)

    print(
        f"one SGD training step, float64, median of interleaved runs ({args.repeats} large, {20 * args.repeats} small)"
    )
    ratio = large["tinytorch"] / large["numpy"]
    print(
        f"784-256-10, batch 128:  tinytorch {large['tinytorch'] * 1e3:7.3f} ms   numpy {large['numpy'] * 1e3:7.3f} ms"
        f"   ratio {ratio:.3f}  (target <= 1.05)"
    )
    print(
        f"10-32-1, batch 1:       tinytorch {small['tinytorch'] * 1e6:7.1f} us   numpy {small['numpy'] * 1e6:7.1f} us"
        f"   ratio {small['tinytorch'] / small['numpy']:.1f}  (target <= 50 us)"
    )


if __name__ == "__main__":
    main()
