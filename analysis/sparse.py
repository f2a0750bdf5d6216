"""What sparse Jacobians and Hessians cost: colours, passes and time against the targets.

1. Colours of the column colouring (tinytorch.autograd.coloring) against SciPy's
   greedy grouping for finite differences (scipy.optimize._numdiff.group_columns,
   random order): tridiagonal, 5-point Laplacian 32x32, 2-D Brusselator 32x32; and
   the passes of the arrowhead's plan (a dense row and column plus the diagonal).
2. The tridiagonal map at n = 100,000: the coloured Jacobian (pattern and colours
   found at the first call, then cached) against one evaluation of the map.
3. Pattern detection at n = 131,072 (a tridiagonal map and a 2-D Laplacian).
4. The coloured Hessian of banded objectives: Hessian-vector products against the
   bandwidth (nonzero diagonals).
5. A reverse pass of a block of cotangents against a forward pass of as many tangents,
   the measurement behind sparse_jacobian.REVERSE_PASS_COST.
6. Dense against coloured Jacobians of a 2-D reaction-diffusion map as the grid grows.
7. Where SciPy uses them: a 1-D reaction-diffusion system solved by BDF with dense and
   with coloured sparse Jacobians (the measurement behind stiff_jacobian.SPARSE_STATES),
   and a smoothing fit by least_squares with jac_sparsity=None and "auto".
Medians of interleaved runs.

    python analysis/sparse.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy.optimize._numdiff import group_columns
from timing import interleaved_medians

import tinytorch as tt
from tinytorch.autograd import coloring, hessian, hessian_sparsity, jacobian, sparsity
from tinytorch.autograd.passes import output_node, pull_back, push_forward, record
from tinytorch.autograd.sparse_jacobian import REVERSE_PASS_COST, plan
from tinytorch.scipy.integrate import solve_ivp
from tinytorch.scipy.optimize import least_squares
from tinytorch.scipy.stiff_jacobian import SPARSE_STATES


def tridiagonal(x):
    return tt.concatenate([x[:1], x[:-2] - 2.0 * x[1:-1] + x[2:] + tt.sin(x[1:-1]), x[-1:]])


def laplacian(x):
    side = int(round(np.sqrt(x.size)))
    u = tt.pad(x.reshape(side, side), ((1, 1), (1, 1)))
    return (u[:-2, 1:-1] + u[2:, 1:-1] + u[1:-1, :-2] + u[1:-1, 2:] - 4.0 * u[1:-1, 1:-1]).reshape(-1)


def brusselator(x, a=1.0, b=3.0):
    """Two species on a periodic grid, stored one after the other."""
    side = int(round(np.sqrt(x.size // 2)))
    u, v = x[: side * side].reshape(side, side), x[side * side :].reshape(side, side)

    def lap(w):
        return tt.roll(w, 1, 0) + tt.roll(w, -1, 0) + tt.roll(w, 1, 1) + tt.roll(w, -1, 1) - 4.0 * w

    du = a + u * u * v - (b + 1.0) * u + 10.0 * lap(u)
    dv = b * u - u * u * v + 10.0 * lap(v)
    return tt.concatenate([du.reshape(-1), dv.reshape(-1)])


def arrowhead(x):
    return tt.concatenate([tt.sum(x * x)[None], x[0] * x[1:] + tt.exp(x[1:])])


def colours() -> None:
    print("1. colours (passes)                       tinytorch   SciPy group_columns   target")
    rng = np.random.default_rng(0)
    for name, f, n, target in (
        ("tridiagonal, n = 1,000", tridiagonal, 1000, "3"),
        ("5-point Laplacian, 32 x 32", laplacian, 1024, "<= 6"),
        ("2-D Brusselator, 32 x 32", brusselator, 2048, "<= 8"),
    ):
        pattern = sparsity(f)(rng.uniform(0.5, 1.5, n))
        ours = int(coloring(pattern).max()) + 1
        scipy_groups = [int(group_columns(pattern.astype(np.float64), order=seed).max()) + 1 for seed in range(5)]
        print(f"   {name:36s} {ours:9d}   {min(scipy_groups):5d} to {max(scipy_groups):<5d}         {target}")
    pattern = sparsity(arrowhead)(np.ones(1000))
    forward, reverse = plan(pattern).passes
    print(f"   arrowhead, n = 1,000: {forward} forward + {reverse} reverse passes (target <= 4; one mode alone: 1,000)")


def tridiagonal_at_scale(repeats: int) -> None:
    n = 100_000
    x = np.random.default_rng(1).uniform(0.5, 1.5, n)
    coloured = jacobian(tridiagonal, sparsity="auto")
    t0 = time.perf_counter()
    found = coloured(x)
    first = time.perf_counter() - t0
    t = interleaved_medians({"map": lambda: tridiagonal(x), "jacobian": lambda: coloured(x)}, repeats, budget=0.05)
    print(
        f"\n2. tridiagonal map, n = 100,000: coloured Jacobian {t['jacobian'] * 1e3:.1f} ms = "
        f"{t['jacobian'] / t['map']:.1f}x one evaluation ({t['map'] * 1e3:.2f} ms; target <= 20x); "
        f"{coloured.last_plan.passes[0]} colours, {found.nnz} nonzeros; the first call, which traces the "
        f"pattern and colours it, {first:.2f} s"
    )


def detection(repeats: int) -> None:
    n = 131_072
    x = np.random.default_rng(2).uniform(0.5, 1.5, n)
    grid = np.random.default_rng(3).uniform(0.5, 1.5, 362 * 362)
    t = interleaved_medians(
        {"tridiagonal": lambda: sparsity(tridiagonal)(x), "laplacian": lambda: sparsity(laplacian)(grid)}, repeats
    )
    print(
        f"\n3. pattern detection: tridiagonal n = 131,072 {t['tridiagonal']:.3f} s, 5-point Laplacian "
        f"362 x 362 (n = 131,044) {t['laplacian']:.3f} s (target <= 0.5 s)"
    )


def banded_hessians(repeats: int) -> None:
    print("\n4. coloured Hessians of banded objectives, n = 2,000")
    x = np.random.default_rng(4).uniform(0.5, 1.5, 2000)
    for half in (1, 2, 3):

        def objective(x, half=half):
            coupling = sum(tt.sum(tt.cos(x[k:] - x[:-k])) for k in range(1, half + 1))
            return coupling + tt.sum(x**4)

        coloured = hessian(objective, sparsity="auto")
        found = coloured(x)
        diagonals = 2 * half + 1
        assert hessian_sparsity(objective)(x).nnz == found.nnz
        t = interleaved_medians({"hessian": lambda c=coloured: c(x), "objective": lambda o=objective: o(x)}, repeats)
        print(
            f"   {diagonals} diagonals: {int(coloured.colors.max()) + 1} Hessian-vector products "
            f"(target <= bandwidth + 1 = {diagonals + 1}), {t['hessian'] * 1e3:.1f} ms = "
            f"{t['hessian'] / t['objective']:.0f}x the objective"
        )


def pass_costs(repeats: int) -> None:
    print(f"\n5. a reverse pass against a forward pass, blocks of k (REVERSE_PASS_COST = {REVERSE_PASS_COST})")
    for name, f, n in (("tridiagonal", tridiagonal, 10_000), ("Brusselator", brusselator, 2 * 64 * 64)):
        x = np.random.default_rng(5).uniform(0.5, 1.5, n)
        m = np.size(f(x))
        for k in (3, 8):
            tangents = [np.ones((k, n))]
            seeds = np.ones((k, m))

            def forward(f=f, x=x, tangents=tangents):
                return push_forward(f, (x,), {}, 0, tangents)

            def reverse(f=f, x=x, seeds=seeds, k=k):
                recording = record(f, (x,), {}, 0, "jacobian")
                return pull_back(recording, [(output_node(recording.out, recording.level), seeds)], (k,), retain=False)

            t = interleaved_medians({"forward": forward, "reverse": reverse}, repeats)
            print(f"   {name:12s} n = {n:6d}, k = {k}: reverse / forward = {t['reverse'] / t['forward']:.2f}")


def growth(repeats: int) -> None:
    print("\n6. dense against coloured Jacobians of the Brusselator as the grid grows")
    for side in (8, 16, 24, 32):
        n = 2 * side * side
        x = np.random.default_rng(6).uniform(0.5, 1.5, n)
        coloured = jacobian(brusselator, sparsity="auto")
        coloured(x)
        dense = jacobian(brusselator)
        t = interleaved_medians({"dense": lambda d=dense, x=x: d(x), "coloured": lambda c=coloured, x=x: c(x)}, repeats)
        print(
            f"   {side:2d} x {side:2d} (n = {n:5d}): dense {t['dense'] * 1e3:8.1f} ms, coloured "
            f"{t['coloured'] * 1e3:6.1f} ms ({t['dense'] / t['coloured']:.0f}x), {coloured.last_plan.passes[0]} colours"
        )


def reaction_diffusion(t, y, k):
    lap = tt.concatenate([y[1:2] - y[:1], y[:-2] - 2.0 * y[1:-1] + y[2:], y[-2:-1] - y[-1:]])
    return 100.0 * lap - k * y**2 + tt.cos(10.0 * t)


def smoothing(x, y, weight):
    return tt.concatenate([x - y, weight * (x[1:] - x[:-1]), 0.1 * tt.sin(x)])


def in_scipy(repeats: int) -> None:
    print(f"\n7. solve_ivp(method='BDF') of a 1-D reaction-diffusion system (sparse from {SPARSE_STATES} states)")
    for n in (50, 100, 200, 400, 800):
        y0 = np.cos(np.linspace(0.0, 3.0, n)) + 1.0
        runs = {
            way: (lambda way=way, y0=y0: solve_ivp(reaction_diffusion, (0.0, 2.0), y0, method="BDF", args=(1.0,),
                                            jac_sparsity=way, rtol=1e-6, atol=1e-9))
            for way in (None, "auto")
        }  # fmt: skip
        runs["auto"]()
        t = interleaved_medians({str(k): v for k, v in runs.items()}, repeats)
        print(f"   n = {n:4d}: dense {t['None'] * 1e3:7.1f} ms, sparse {t['auto'] * 1e3:7.1f} ms")
    n = 2000
    y = np.sin(np.linspace(0.0, 6.0, n)) + 0.1 * np.random.default_rng(7).standard_normal(n)
    t = interleaved_medians(
        {way: (lambda way=way: least_squares(smoothing, np.zeros(n), args=(y, 10.0), jac_sparsity=way))
         for way in (None, "auto")},
        1,
    )  # fmt: skip
    print(
        f"   least_squares, 6,000 residuals in 2,000 unknowns: dense Jacobian {t[None]:.2f} s, "
        f'jac_sparsity="auto" {t["auto"]:.3f} s'
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    colours()
    tridiagonal_at_scale(args.repeats)
    detection(args.repeats)
    banded_hessians(args.repeats)
    pass_costs(args.repeats)
    growth(args.repeats)
    in_scipy(args.repeats)


if __name__ == "__main__":
    main()
