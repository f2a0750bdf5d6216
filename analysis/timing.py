"""Shared timing helper for the analysis scripts: interleaved runs, medians."""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable


def interleaved_medians(
    fns: dict[str, Callable[[], object]], repeats: int, inner: int = 1, budget: float = 0.0
) -> dict[str, float]:
    """Median seconds per call of each function. The functions take turns, in a new
    random order each round, so that neither machine noise nor the caches one run
    leaves warm for the next favour any of them. Each turn calls a function `inner`
    times, or as often as fills `budget` seconds if that is more: a call of a few
    microseconds, timed alone, measures the timer and cold caches more than itself."""
    calls = {}
    for name, fn in fns.items():
        t0 = time.perf_counter()
        fn()
        calls[name] = max(inner, int(budget / max(time.perf_counter() - t0, 1e-7)))
    times: dict[str, list[float]] = {name: [] for name in fns}
    order = list(fns.items())
    shuffle = random.Random(0).shuffle
    for _ in range(repeats):
        shuffle(order)
        for name, fn in order:
            n = calls[name]
            t0 = time.perf_counter()
            for _ in range(n):
                fn()
            times[name].append((time.perf_counter() - t0) / n)
    return {name: statistics.median(ts) for name, ts in times.items()}
