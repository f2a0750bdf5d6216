"""Peak memory of a deep network's gradient, with and without checkpointing.

A 32-layer tanh MLP (width 128, batch 1024) is differentiated in reverse mode
three ways: plain (every activation kept for backward), with each layer
checkpointed, and with blocks of 4 layers checkpointed. tracemalloc measures
the peak of the allocations during forward + backward (the weight gradients
themselves, which must exist at the end, included); time is measured in a
separate run without tracemalloc. The gradients of all three are checked to
agree before anything is reported.

    python analysis/checkpoint_memory.py [--layers 32] [--width 128] [--batch 1024]
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np

import tinytorch as tt
from tinytorch.autograd import checkpoint, grad


def network(weights, x, block: int):
    def run(h, *ws):
        for w in ws:
            h = tt.tanh(h @ w)
        return h

    step = checkpoint(run) if block else run
    size = block or len(weights)
    for i in range(0, len(weights), size):
        x = step(x, *weights[i : i + size])
    return tt.sum(x * x)


def measure(weights, x, block: int) -> tuple[float, float, list]:
    gradient = grad(lambda *ws: network(ws, x, block), argnums=tuple(range(len(weights))))
    tracemalloc.start()
    grads = gradient(*weights)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        gradient(*weights)
        times.append(time.perf_counter() - t0)
    return peak / 2**20, min(times), grads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=32)
    parser.add_argument("--width", type=int, default=128)
    parser.add_argument("--batch", type=int, default=1024)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    weights = [rng.standard_normal((args.width, args.width)) / np.sqrt(args.width) for _ in range(args.layers)]
    x = rng.standard_normal((args.batch, args.width))
    activation_mib = args.batch * args.width * 8 / 2**20
    print(
        f"{args.layers} layers, width {args.width}, batch {args.batch}: "
        f"one activation is {activation_mib:.2f} MiB, the weight gradients "
        f"{args.layers * args.width**2 * 8 / 2**20:.1f} MiB"
    )
    reference = None
    for label, block in [("no checkpointing", 0), ("every layer", 1), ("blocks of 4 layers", 4)]:
        peak, seconds, grads = measure(weights, x, block)
        if reference is None:
            reference, base_peak, base_time = grads, peak, seconds
        assert all(np.allclose(g, r, rtol=1e-12) for g, r in zip(grads, reference))
        print(
            f"{label:20s} peak {peak:7.1f} MiB ({peak / base_peak:4.2f}x)   time {seconds * 1e3:7.1f} ms "
            f"({seconds / base_time:4.2f}x)"
        )


if __name__ == "__main__":
    main()
