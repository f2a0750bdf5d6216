"""`tito demo`: train a network on the built-in digits and look at it with every
mode of the engine (`tinytorch.core.demo`), then a short tour of the engine on
small examples, each step checked against a closed form."""

from __future__ import annotations

import time
import timeit

import numpy as np

import tinytorch as tt
from tinytorch.autograd import Dual, Variable, hessian, hvp, jacobian
from tinytorch.core import demo as core_demo


def _section(title: str) -> None:
    print(f"\n== {title}")


def run() -> None:
    print("tinytorch: one table of primitives, read forward (Dual) and backward (Variable).")
    core_demo.run()
    print("\n-- The engine on small examples --")

    _section("Reverse mode: Variable and backward()")
    x = Variable(5.0, requires_grad=True)
    y = Variable(3.0, requires_grad=True)
    z = x**2 + 2 * x * y + y**3
    z.backward()
    print(f"z = x**2 + 2xy + y**3 at (5, 3) = {z.item():g}")
    print(f"dz/dx = {x.grad.item():g} (2x + 2y = 16)   dz/dy = {y.grad.item():g} (2x + 3y^2 = 37)")

    _section("Forward mode: Dual numbers")
    d = tt.sin(Dual(0.5, 1.0)) * tt.exp(Dual(0.5, 1.0))
    closed = np.exp(0.5) * (np.cos(0.5) + np.sin(0.5))
    print(f"d/dx [sin(x) e^x] at 0.5 = {d.tangent.item():.6f} (closed form {closed:.6f})")

    _section("Jacobians: the mode is chosen from the sizes")
    rng = np.random.default_rng(0)
    for n, m in [(3, 200), (200, 3)]:
        W = rng.standard_normal((m, n)) / np.sqrt(n)
        jac = jacobian(lambda v, W=W: tt.tanh(W @ v))
        J = jac(np.ones(n))
        exact = (1 - np.tanh(W @ np.ones(n)) ** 2)[:, None] * W
        why = "fewer inputs than outputs" if jac.last_mode == "forward" else "fewer outputs than inputs"
        print(
            f"tanh(W @ x), {n} inputs -> {m} outputs: {jac.last_mode} mode ({why}); "
            f"J {J.shape}, max error {np.abs(J - exact).max():.1e}"
        )

    _section("Second order: Hessian (forward over reverse) and Hessian-vector product")
    A = rng.standard_normal((6, 4))

    def f(v: np.ndarray) -> object:
        return tt.logsumexp(A @ v) + 0.5 * tt.sum(v * v)

    v0 = rng.standard_normal(4)
    H = hessian(f)(v0)
    p = np.exp(A @ v0 - np.log(np.exp(A @ v0).sum()))
    exact = A.T @ (np.diag(p) - np.outer(p, p)) @ A + np.eye(4)
    print(f"Hessian of logsumexp(A x) + |x|^2/2: shape {H.shape}, max error {np.abs(H - exact).max():.1e}")
    u = np.ones(4)
    print(f"H @ u without forming H: max error {np.abs(hvp(f, v0, u) - exact @ u).max():.1e}")

    _section("Staged execution: tt.jit traces once, then runs generated NumPy code")
    staged_hessian = tt.jit(hessian(f))
    start = time.perf_counter()
    H_staged = staged_hessian(v0)
    first = time.perf_counter() - start
    eager_hessian = hessian(f)
    eager_time = min(timeit.repeat(lambda: eager_hessian(v0), number=20, repeat=3)) / 20
    staged_time = min(timeit.repeat(lambda: staged_hessian(v0), number=20, repeat=3)) / 20
    print(
        f"the same Hessian, staged: max error {np.abs(H_staged - exact).max():.1e}; first call {first * 1e3:.1f} ms "
        f"(trace and generate), then {staged_time * 1e6:.0f} us a call against {eager_time * 1e6:.0f} us eager"
    )
