"""What derivatives through tinytorch.scipy.integrate.solve_ivp cost, against the plain solve.

A linear chain of n compartments with first-order rates and sources,
y_i' = -k_i y_i + k_{i-1} y_{i-1} + s_i cos(t), observed at 5 times. For p
parameters (the k and s of the first p/2 compartments... all of them here):
  plain     scipy.integrate.solve_ivp of the same model, right-hand side by hand in NumPy
  forward   jacobian of the 5 x n observations in the parameters, forward sensitivities
  adjoint   gradient of a scalar loss of the observations, the adjoint
each with the right-hand sides run as written (integrate.COMPILE_RHS = False) and
compiled by tt.jit (the default). Medians of interleaved
runs; ratios to the plain solve (targets: forward to 10 parameters at most 4x, the
adjoint to 100 parameters at most 10x). Then the peak memory (tracemalloc) of the
adjoint gradient of a long, fast-forced solve, with the dense output of the whole
solve and with 8 checkpoints. Last, the gradient of a scalar loss by forward sensitivities
and by the adjoint as the chain grows, the measurement behind sensitivity="auto"
(integrate.ADJOINT_ABOVE).

    python analysis/scipy_sensitivity.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import tracemalloc

import numpy as np
import scipy.integrate
from timing import interleaved_medians

import tinytorch as tt
from tinytorch.autograd import grad, jacobian
from tinytorch.scipy import integrate
from tinytorch.scipy.integrate import ADJOINT_ABOVE, solve_ivp

TIMES = np.linspace(1.0, 5.0, 5)
TOL = dict(rtol=1e-6, atol=1e-9)


def chain(t, y, k, s):
    inflow = tt.concatenate([tt.zeros(1), k[:-1] * y[:-1]])
    return -k * y + inflow + s * tt.cos(t)


def chain_by_hand(t, y, k, s):
    inflow = np.concatenate([[0.0], k[:-1] * y[:-1]])
    return -k * y + inflow + s * np.cos(t)


def case(n: int, compiled: bool) -> dict:
    rng = np.random.default_rng(0)
    k, s = rng.uniform(0.5, 1.5, n), rng.standard_normal(n)
    y0 = np.ones(n)
    data = rng.standard_normal((n, len(TIMES)))
    integrate.COMPILE_RHS = compiled

    def observe(theta, sensitivity):
        args = (theta[:n], theta[n:])
        return solve_ivp(chain, (0.0, 5.0), y0, t_eval=TIMES, args=args, sensitivity=sensitivity, **TOL).y

    theta = np.concatenate([k, s])
    plain = lambda: scipy.integrate.solve_ivp(chain_by_hand, (0.0, 5.0), y0, t_eval=TIMES, args=(k, s), **TOL)  # noqa: E731
    forward = lambda: jacobian(lambda th: observe(th, "forward"), mode="forward")(theta)  # noqa: E731
    adjoint = lambda: grad(lambda th: tt.sum((observe(th, "adjoint") - data) ** 2))(theta)  # noqa: E731
    reference = jacobian(lambda th: observe(th, "forward"), mode="forward")(theta)
    by_adjoint = adjoint()
    by_forward = np.einsum("ij,ijk->k", 2 * (observe(theta, "forward") - data), reference)
    gap = float(np.max(np.abs(by_adjoint - by_forward)) / np.max(np.abs(by_forward)))
    return {"plain": plain, "forward": forward, "adjoint": adjoint, "gap": gap}


def adjoint_peak_mib(checkpoints: int | None) -> tuple[float, np.ndarray]:
    n = 50
    rng = np.random.default_rng(1)
    theta = np.concatenate([rng.uniform(0.5, 1.5, n), rng.standard_normal(n)])

    def loss(th):
        forced = lambda t, y, k, s: chain(t, y, k, s) + tt.cos(20.0 * t)  # noqa: E731  (many short steps)
        sol = solve_ivp(forced, (0.0, 50.0), np.ones(n), t_eval=TIMES * 10, args=(th[:n], th[n:]),
                        sensitivity="adjoint", checkpoints=checkpoints, **TOL)  # fmt: skip
        return tt.sum(sol.y**2)

    tracemalloc.start()
    gradient = grad(loss)(theta)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20, gradient


def crossover(repeats: int) -> None:
    print(f"\nscalar loss, forward sensitivities or the adjoint (auto: adjoint above {ADJOINT_ABOVE} sensitivities)")
    for n in (2, 3, 20, 80):
        rng = np.random.default_rng(0)
        theta = np.concatenate([rng.uniform(0.5, 1.5, n), rng.standard_normal(n)])

        def loss(th, sensitivity, n=n):
            sol = solve_ivp(chain, (0.0, 5.0), np.ones(n), t_eval=TIMES, args=(th[:n], th[n:]),
                            sensitivity=sensitivity, **TOL)  # fmt: skip
            return tt.sum(sol.y**2)

        runs = {way: (lambda w=way, th=theta: grad(lambda th: loss(th, w))(th)) for way in ("forward", "adjoint")}
        t = interleaved_medians(runs, repeats)
        sensitivities = n * 3 * n  # states x (y0 and the 2n parameters)
        auto = "adjoint" if sensitivities > ADJOINT_ABOVE else "forward"
        print(f"  {n:4d} states, {2 * n:4d} parameters: forward {t['forward'] * 1e3:6.1f} ms, "
              f"adjoint {t['adjoint'] * 1e3:6.1f} ms; auto takes the {auto}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(f"{'parameters':>10s} {'rhs':>8s} {'plain':>9s} {'forward':>9s} {'adjoint':>9s}  adjoint vs forward")
    for n, compiled in ((5, False), (5, True), (50, False), (50, True)):
        runs = case(n, compiled)
        t = interleaved_medians({k: runs[k] for k in ("plain", "forward", "adjoint")}, args.repeats)
        integrate.COMPILE_RHS = True
        print(
            f"{2 * n:10d} {'tt.jit' if compiled else 'eager':>8s} {t['plain'] * 1e3:7.1f}ms "
            f"{t['forward'] / t['plain']:8.1f}x {t['adjoint'] / t['plain']:8.1f}x  {runs['gap']:.1e}"
        )
    print("targets: forward to 10 parameters <= 4x, adjoint to 100 parameters <= 10x the plain solve")
    whole, g_whole = adjoint_peak_mib(None)
    stretches, g_stretches = adjoint_peak_mib(8)
    gap = float(np.max(np.abs(g_whole - g_stretches)) / np.max(np.abs(g_whole)))
    print(
        f"adjoint peak memory, 50 states forced at cos(20 t) on [0, 50]: dense output {whole:.1f} MiB, "
        f"8 checkpoints {stretches:.1f} MiB (gradients differ by {gap:.1e})"
    )
    crossover(args.repeats)


if __name__ == "__main__":
    main()
