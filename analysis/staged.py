"""What staged execution (tt.jit) costs, against hand-written NumPy and eager tinytorch.

For each workload of issue 10: the hand-written NumPy (or plain Python) version, eager
tinytorch and tt.jit of the same transform, timed interleaved (medians of turns of
about 2 ms of calls each, as a loop calls them), with the
ratio to hand-written, the target ratio, the first call of the staged version
(trace, simplify, generate, run) and the largest difference from the hand-written
result. Then the peak memory (tracemalloc) of one call of the 784-256-10 MLP's
gradient, eager and staged.

    python analysis/staged.py [--repeats 30]
"""

from __future__ import annotations

import argparse
import math
import time
import tracemalloc

import numpy as np
from timing import interleaved_medians

import tinytorch as tt
from tinytorch.autograd import hessian, hvp, jacfwd, jacobian, value_and_grad

rng = np.random.default_rng(0)
STEPS = 166  # 6 ops a step: about 1,000 scalar ops


def scalar_chain(x):
    for _ in range(STEPS):
        x = tt.tanh(tt.sin(x) * 1.01 + 0.1) - x * 0.5
    return x


def scalar_chain_by_hand(x):
    d = 1.0
    for _ in range(STEPS):
        t = math.tanh(math.sin(x) * 1.01 + 0.1)
        d = (1.0 - t * t) * 1.01 * math.cos(x) * d - 0.5 * d
        x = t - x * 0.5
    return x, d


def chain_case():
    vg = value_and_grad(scalar_chain)
    return vg, tt.jit(vg), (lambda: scalar_chain_by_hand(0.3)), (0.3,)


def mlp_case(n_in, hidden, n_out, batch):
    W1 = rng.standard_normal((n_in, hidden)) / np.sqrt(n_in)
    W2 = rng.standard_normal((hidden, n_out)) / np.sqrt(hidden)
    params = (W1, np.zeros(hidden), W2, np.zeros(n_out))
    X, Y = rng.standard_normal((batch, n_in)), rng.standard_normal((batch, n_out))

    def loss(params, X, Y):
        W1, b1, W2, b2 = params
        return tt.mean((tt.tanh(X @ W1 + b1) @ W2 + b2 - Y) ** 2)

    def by_hand():
        W1, b1, W2, b2 = params
        h = np.tanh(X @ W1 + b1)
        r = h @ W2 + b2 - Y
        g = 2.0 * r / r.size
        dh = (g @ W2.T) * (1.0 - h * h)
        return np.mean(r * r), (X.T @ dh, dh.sum(0), h.T @ g, g.sum(0))

    vg = value_and_grad(loss)
    return vg, tt.jit(vg), by_hand, (params, X, Y)


def jacobian_case(n, m):
    W = rng.standard_normal((m, n)) / np.sqrt(n)
    x = rng.standard_normal(n)
    jac = jacobian(lambda v: tt.tanh(W @ v))
    return jac, tt.jit(jac), (lambda: (1.0 - np.tanh(W @ x) ** 2)[:, None] * W), (x,)


def hessian_case():
    A = rng.standard_normal((200, 100)) / 10
    x = rng.standard_normal(100)
    hess = hessian(lambda v: tt.logsumexp(A @ v) + 0.5 * (v @ v))

    def by_hand():
        z = A @ x
        p = np.exp(z - z.max())
        p /= p.sum()
        Ap = A.T * p
        return Ap @ A - np.outer(Ap.sum(axis=1), Ap.sum(axis=1)) + np.eye(100)

    return hess, tt.jit(hess), by_hand, (x,)


def hvp_case():
    x, v = rng.standard_normal(10_000), rng.standard_normal(10_000)

    def product(x, v):
        return hvp(lambda y: tt.sum(tt.tanh(y) ** 2) + y @ y, x, v)

    def by_hand():
        t = np.tanh(x)
        s = 1.0 - t * t
        return (2.0 * s * s - 4.0 * t * t * s + 2.0) * v

    return product, tt.jit(product), by_hand, (x, v)


def rk4_case():
    from derivatives import P0, rk4_final_state, rk4_final_state_vectorized

    def finite_differences():  # the NumPy way: 8 solves, central differences
        columns = []
        for i in range(4):
            step = np.zeros(4)
            step[i] = 1e-6
            columns.append((rk4_final_state(P0 + step) - rk4_final_state(P0 - step)) / 2e-6)
        return np.stack(columns, axis=1)

    jac = jacfwd(rk4_final_state_vectorized)
    return jac, tt.jit(jac), finite_differences, (P0,)


CASES = [  # name, builder, target ratio to hand-written
    ("chain of 1,000 scalar ops, value + gradient", chain_case, 1.5),
    ("MLP 10-32-1, batch 1, loss + 4 gradients", lambda: mlp_case(10, 32, 1, 1), 1.2),
    ("MLP 784-256-10, batch 128, the same", lambda: mlp_case(784, 256, 10, 128), 1.02),
    ("Jacobian tanh(W x), 4 -> 512", lambda: jacobian_case(4, 512), 2.0),
    ("Jacobian tanh(W x), 512 -> 4", lambda: jacobian_case(512, 4), 2.0),
    ("Jacobian tanh(W x), 128 -> 128", lambda: jacobian_case(128, 128), 2.0),
    ("Hessian logsumexp(A x) + x.x/2, A 200x100", hessian_case, 1.5),
    ("HVP sum(tanh(x)^2) + x.x, n=10,000", hvp_case, 1.3),
    ("RK4 Lotka-Volterra, 4 sensitivities (vs 8 FD solves)", rk4_case, 1.0),
]


def largest_difference(a, b) -> float:
    a, b = tt.autograd.tree.flatten(a)[0], tt.autograd.tree.flatten(b)[0]
    return max(float(np.max(np.abs(np.asarray(x) - np.asarray(y)))) for x, y in zip(a, b))


def peak_mib(fn) -> float:
    """The peak of memory allocated during one call of fn, beyond what was allocated before."""
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    header = f"{'workload':54s} {'numpy':>9s} {'eager':>7s} {'staged':>7s} {'target':>7s} {'ok':>3s} {'1st call':>9s}"
    print(header + "  max|diff|")
    for name, build, target in CASES:
        eager, staged, by_hand, inputs = build()
        start = time.perf_counter()
        result = staged(*inputs)
        first = time.perf_counter() - start
        diff = largest_difference(result, by_hand())
        repeats = max(5, args.repeats // 5) if "RK4" in name or "chain" in name else args.repeats
        runs = {"numpy": by_hand, "eager": lambda f=eager, a=inputs: f(*a), "staged": lambda f=staged, a=inputs: f(*a)}
        t = interleaved_medians(runs, repeats, budget=2e-3)  # as a loop calls them: 2 ms of calls a turn
        ratio_eager, ratio_staged = t["eager"] / t["numpy"], t["staged"] / t["numpy"]
        print(
            f"{name:54s} {t['numpy'] * 1e6:7.0f}us {ratio_eager:6.1f}x {ratio_staged:6.2f}x {target:6.2f}x "
            f"{'yes' if ratio_staged <= target else 'NO':>3s} {first * 1e3:7.1f}ms  {diff:.1e}"
        )
    eager, staged, _, inputs = mlp_case(784, 256, 10, 128)
    staged(*inputs)  # traced and compiled before measuring
    eager_peak, staged_peak = peak_mib(lambda: eager(*inputs)), peak_mib(lambda: staged(*inputs))
    print(f"peak memory of one MLP 784-256-10 gradient: eager {eager_peak:.2f} MiB, staged {staged_peak:.2f} MiB")


if __name__ == "__main__":
    main()
