"""Jacobians across workers: jacobian(executor=...) against the serial Jacobian, measured.

The Jacobian of a simulation's final state by its initial state: a 1-D reaction-diffusion
grid of N cells stepped STEPS times, in forward mode (N basis tangents, in chunks of N/8,
so one pass costs tens of milliseconds of NumPy work and Python). Checks the serial
Jacobian against the tangent-linear model written by hand in NumPy, and every parallel
one against the serial one bit for bit; then times them (interleaved runs, medians):
serial, a two-thread pool, a two-process pool, and a local Dask cluster of two worker
processes with one thread each. Prints the medians and each one's speed-up over serial.

    python analysis/parallel.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np
from timing import interleaved_medians

import tinytorch as tt
from tinytorch.autograd import jacfwd

N, STEPS, DT = 400, 300, 0.2
CHUNK = N // 8  # 8 chunks: 4 per worker, so each task runs several
DASK = "Dask, 2 workers"


def simulate(u):
    for _ in range(STEPS):
        u = u + DT * (tt.roll(u, 1) - 2 * u + tt.roll(u, -1) + u * (1 - u) * tt.tanh(u))
    return u


def tangent_linear(u: np.ndarray) -> np.ndarray:
    """The same Jacobian by hand: each step's derivative applied to the identity's columns."""
    J = np.eye(len(u))
    for _ in range(STEPS):
        th = np.tanh(u)
        reaction = (1 - 2 * u) * th + u * (1 - u) * (1 - th**2)
        J = J + DT * (np.roll(J, 1, axis=0) - 2 * J + np.roll(J, -1, axis=0) + reaction[:, None] * J)
        u = u + DT * (np.roll(u, 1) - 2 * u + np.roll(u, -1) + u * (1 - u) * th)
    return J


def executors(stack: contextlib.ExitStack) -> dict:
    """Serial, and two workers of each kind; Dask only when installed (tinytorch[distributed])."""
    spawn = multiprocessing.get_context("spawn")
    found = {
        "serial": None,
        "2 threads": stack.enter_context(ThreadPoolExecutor(2)),
        "2 processes": stack.enter_context(ProcessPoolExecutor(2, mp_context=spawn)),
    }
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        print("dask.distributed is not installed (pip install 'tinytorch[distributed]'): no Dask cluster")
        return found
    cluster = stack.enter_context(
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None)
    )
    found[DASK] = stack.enter_context(Client(cluster)).get_executor()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    load = os.getloadavg()[0]  # the workers need idle cores
    u0 = np.random.default_rng(0).uniform(0.0, 1.0, N)
    serial = jacfwd(simulate, chunk_size=CHUNK)(u0)
    assert np.allclose(serial, tangent_linear(u0), rtol=1e-10, atol=1e-12)
    with contextlib.ExitStack() as stack:
        jacs = {name: jacfwd(simulate, chunk_size=CHUNK, executor=ex) for name, ex in executors(stack).items()}
        for name, jac in jacs.items():  # also the warm-up: workers start and import tinytorch
            assert np.array_equal(jac(u0), serial), f"{name}: not the serial Jacobian bit for bit"
        times = interleaved_medians({name: (lambda jac=jac: jac(u0)) for name, jac in jacs.items()}, args.repeats)
    print(f"Jacobian {N}x{N} of {STEPS} reaction-diffusion steps, forward mode, {N // CHUNK} chunks of {CHUNK}")
    print(f"load average before the run {load:.1f}, on {os.cpu_count()} cores (other processes take the speed-up)")
    print(f"{'':>18} {'median':>10} {'vs serial':>10}")
    for name, t in times.items():
        print(f"{name:>18} {t * 1e3:8.0f} ms {times['serial'] / t:9.2f}x")
    if DASK in times:
        ratio = times["serial"] / times[DASK]
        print(f"Dask with 2 worker processes: {ratio:.2f}x faster than serial (target: at least 1.6x)")


if __name__ == "__main__":
    main()
