"""Per-op overhead of tinytorch against plain NumPy, on scalar-heavy code.

A chain of 1,000 scalar ops (sin, multiply, add, tanh, ...), timed as:
  numpy      the same code on NumPy float64 scalars (value only)
  no-grad    Variables that require no grad (dispatch cost only)
  reverse    Variable chain + backward() (value and gradient)
  forward    Dual chain (value and derivative)
Runs are interleaved and each figure is the median over repeats.

    python analysis/overhead.py [--ops 1000] [--repeats 30]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import tinytorch as tt
from tinytorch.autograd import Dual, Variable

OPS_PER_STEP = 6


def chain(x, steps, sin, tanh):
    for _ in range(steps):
        x = tanh(sin(x) * 1.01 + 0.1) - x * 0.5
    return x


def run_numpy(steps):
    return chain(np.float64(0.3), steps, np.sin, np.tanh)


def run_nograd(steps):
    return chain(Variable(0.3), steps, tt.sin, tt.tanh)


def run_reverse(steps):
    x = Variable(0.3, requires_grad=True)
    chain(x, steps, tt.sin, tt.tanh).backward()
    return x.grad


def run_forward(steps):
    return chain(Dual(0.3, 1.0), steps, tt.sin, tt.tanh).tangent


def measure(ops: int, repeats: int) -> dict[str, float]:
    steps = ops // OPS_PER_STEP
    runners = {"numpy": run_numpy, "no-grad": run_nograd, "reverse": run_reverse, "forward": run_forward}
    for fn in runners.values():
        fn(steps)
    times: dict[str, list[float]] = {name: [] for name in runners}
    for _ in range(repeats):
        for name, fn in runners.items():
            t0 = time.perf_counter()
            fn(steps)
            times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(ts) / (steps * OPS_PER_STEP) * 1e6 for name, ts in times.items()}


def check() -> None:
    """The two modes agree with each other before anything is timed."""
    rev, fwd = run_reverse(20), run_forward(20)
    assert np.isclose(float(rev), float(fwd), rtol=1e-12), (rev, fwd)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    check()
    us = measure(args.ops, args.repeats)
    base = us["numpy"]
    print(f"chain of {args.ops} scalar ops, median of {args.repeats} interleaved runs")
    print(f"{'':10s} {'us/op':>8s} {'x numpy':>8s}")
    for name, value in us.items():
        print(f"{name:10s} {value:8.2f} {value / base:8.1f}")


if __name__ == "__main__":
    main()
