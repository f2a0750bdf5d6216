"""What Jacobians, Hessians, HVPs and forward sensitivities cost, against
hand-written NumPy versions of the same derivatives.

Each case checks tinytorch's answer against the hand-written one, then times
both (interleaved runs, medians) and prints the ratio and the issue's target.

    python analysis/derivatives.py [--repeats 50]
"""

from __future__ import annotations

import argparse

import numpy as np
from timing import interleaved_medians

import tinytorch as tt
from tinytorch.autograd import hessian, hvp, jacfwd, jacobian, value_and_grad

rng = np.random.default_rng(0)


def jacobian_case(n: int, m: int) -> tuple:
    W = rng.standard_normal((m, n)) / np.sqrt(n)
    x = rng.standard_normal(n)
    jac = jacobian(lambda v: tt.tanh(W @ v))

    def by_hand() -> np.ndarray:
        return (1.0 - np.tanh(W @ x) ** 2)[:, None] * W

    return (lambda: jac(x)), by_hand


def hessian_case() -> tuple:
    A = rng.standard_normal((200, 100)) / 10
    x = rng.standard_normal(100)
    hess = hessian(lambda v: tt.logsumexp(A @ v) + 0.5 * (v @ v))

    def by_hand() -> np.ndarray:
        z = A @ x
        p = np.exp(z - z.max())
        p /= p.sum()
        Ap = A.T * p
        return Ap @ A - np.outer(Ap.sum(axis=1), Ap.sum(axis=1)) + np.eye(100)

    return (lambda: hess(x)), by_hand


def hvp_case() -> tuple:
    n = 10_000
    x = rng.standard_normal(n)
    v = rng.standard_normal(n)

    def f(y):
        return tt.sum(tt.tanh(y) ** 2) + y @ y

    def by_hand() -> np.ndarray:
        t = np.tanh(x)
        s = 1.0 - t * t
        return (2.0 * s * s - 4.0 * t * t * s + 2.0) * v

    return (lambda: hvp(f, x, v)), by_hand


# --- RK4 Lotka-Volterra: forward-mode sensitivity of the final state to 4 parameters -------

STEPS, DT = 200, 0.05
Z0 = np.array([1.0, 0.5])
P0 = np.array([1.1, 0.4, 0.1, 0.4])  # prey growth, predation, predator growth, predator death


def lotka_volterra(z, p):
    x, y = z[0], z[1]
    return tt.stack([p[0] * x - p[1] * x * y, p[2] * x * y - p[3] * y])


def rk4_final_state(p, rhs=None):
    rhs = rhs or (lambda z: lotka_volterra(z, p))
    z = Z0
    for _ in range(STEPS):
        k1 = rhs(z)
        k2 = rhs(z + 0.5 * DT * k1)
        k3 = rhs(z + 0.5 * DT * k2)
        k4 = rhs(z + DT * k3)
        z = z + (DT / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
    return z


def rk4_final_state_vectorized(p):
    """The same solve with the right-hand side written as array operations, the
    parameter combinations hoisted out of the loop: how a NumPy user writes it."""
    linear = p[0::3] * np.array([1.0, -1.0])  # ( a, -d) times (x, y)
    bilinear = p[1:3] * np.array([-1.0, 1.0])  # (-b,  c) times x y
    return rk4_final_state(p, lambda z: z * linear + (z[0] * z[1]) * bilinear)


def sensitivity_by_hand() -> np.ndarray:
    """RK4 on the state and the sensitivity equations dS/dt = (df/dz) S + df/dp together,
    which is exactly the derivative of the discrete RK4 map."""
    a, b, c, d = P0

    def rhs(z, S):
        x, y = z
        fz = np.array([[a - b * y, -b * x], [c * y, c * x - d]])
        fp = np.array([[x, -x * y, 0.0, 0.0], [0.0, 0.0, x * y, -y]])
        return np.array([a * x - b * x * y, c * x * y - d * y]), fz @ S + fp

    z, S = Z0.copy(), np.zeros((2, 4))
    for _ in range(STEPS):
        k1 = rhs(z, S)
        k2 = rhs(z + 0.5 * DT * k1[0], S + 0.5 * DT * k1[1])
        k3 = rhs(z + 0.5 * DT * k2[0], S + 0.5 * DT * k2[1])
        k4 = rhs(z + DT * k3[0], S + DT * k3[1])
        z = z + DT / 6.0 * (k1[0] + 2 * k2[0] + 2 * k3[0] + k4[0])
        S = S + DT / 6.0 * (k1[1] + 2 * k2[1] + 2 * k3[1] + k4[1])
    return S


def rosenbrock_case() -> tuple:
    """A gradient of long vectors: many temporaries of 0.8 MB (what malloc_tuning.py is for)."""
    x = rng.standard_normal(100_000)
    value_and_gradient = value_and_grad(lambda v: tt.sum(100.0 * (v[1:] - v[:-1] ** 2) ** 2 + (1.0 - v[:-1]) ** 2))

    def by_hand() -> np.ndarray:
        inner = x[1:] - x[:-1] ** 2
        g = np.zeros_like(x)
        g[:-1] = -400.0 * x[:-1] * inner - 2.0 * (1.0 - x[:-1])
        g[1:] += 200.0 * inner
        return g

    return (lambda: value_and_gradient(x)[1]), by_hand


def rk4_case() -> tuple:
    jac = jacfwd(rk4_final_state)
    return (lambda: jac(P0)), sensitivity_by_hand


def rk4_vectorized_case() -> tuple:
    jac = jacfwd(rk4_final_state_vectorized)
    return (lambda: jac(P0)), sensitivity_by_hand


CASES = [  # name, builder, target in microseconds (issue 3), eager PyTorch for reference
    ("Jacobian tanh(W x), n=4,   m=512", lambda: jacobian_case(4, 512), 60, "~180"),
    ("Jacobian tanh(W x), n=512, m=4", lambda: jacobian_case(512, 4), 60, "~270"),
    ("Jacobian tanh(W x), n=128, m=128", lambda: jacobian_case(128, 128), 150, "~520"),
    ("Hessian logsumexp(A x) + x.x/2, A 200x100", hessian_case, 1000, "~2200"),
    ("HVP sum(tanh(x)^2) + x.x, n=10,000", hvp_case, 150, "~600"),
    ("Gradient of Rosenbrock, n=100,000", rosenbrock_case, 2000, ""),  # no issue target: 10x by hand
    ("RK4 Lotka-Volterra sensitivity, scalar code", rk4_case, 40_000, ""),
    ("RK4 Lotka-Volterra sensitivity, array code", rk4_vectorized_case, 40_000, ""),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args()
    print(f"{'case':44s} {'tinytorch':>11s} {'numpy':>9s} {'ratio':>6s} {'target':>8s} {'ok':>3s}  max |diff|")
    for name, build, target, torch in CASES:
        ours, theirs = build()
        diff = float(np.max(np.abs(np.asarray(ours()) - theirs())))
        repeats = max(5, args.repeats // 10) if "RK4" in name else args.repeats
        t = interleaved_medians({"ours": ours, "numpy": theirs}, repeats)
        us, np_us = t["ours"] * 1e6, t["numpy"] * 1e6
        ok = "yes" if us <= target else "NO"
        print(
            f"{name:44s} {us:9.1f}us {np_us:7.1f}us {us / np_us:6.1f} {target:6d}us {ok:>3s}  {diff:.1e}"
            + (f"   (eager PyTorch {torch} us)" if torch else "")
        )


if __name__ == "__main__":
    main()
