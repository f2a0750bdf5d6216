"""Where forward mode beats reverse mode for Jacobians, measured.

For a few function families f: R^n -> R^m and a grid of (n, m), times
jacobian(f, mode="forward") against jacobian(f, mode="reverse") (interleaved
runs, medians), prints where the crossover lies, then times mode="auto" against
the better of the two on every grid point (a cell where auto looks more than
10% slower is measured again for four times as long). Plots the ratio
forward/reverse when matplotlib is installed.

    python analysis/jacobian_modes.py [--repeats 25] [--plot jacobian_modes.png]
"""

from __future__ import annotations

import argparse

import numpy as np
from timing import interleaved_medians

import tinytorch as tt
from tinytorch.autograd import jacobian

SIZES = [2, 8, 32, 64, 128, 256, 512]


def families(n: int, m: int, rng: np.random.Generator) -> dict:
    W = rng.standard_normal((m, n)) / np.sqrt(n)
    A1 = rng.standard_normal((32, n)) / np.sqrt(n)
    A2 = rng.standard_normal((32, 32)) / np.sqrt(32)
    B = rng.standard_normal((m, 32)) / np.sqrt(32)
    return {
        "tanh(W x)": lambda x: tt.tanh(W @ x),
        "W sin(x)": lambda x: W @ tt.sin(x),
        "3-layer MLP": lambda x: B @ tt.tanh(A2 @ tt.tanh(A1 @ x)),
    }


def measure(repeats: int) -> dict:
    rng = np.random.default_rng(0)
    results = {}
    for n in SIZES:
        for m in SIZES:
            for name, f in families(n, m, rng).items():
                x = rng.standard_normal(n)
                jacs = {mode: jacobian(f, mode=mode) for mode in ("forward", "reverse", "auto")}
                assert np.allclose(jacs["forward"](x), jacs["reverse"](x), rtol=1e-10, atol=1e-12)
                calls = {mode: (lambda j=j, x=x: j(x)) for mode, j in jacs.items()}
                t = interleaved_medians({mode: calls[mode] for mode in ("forward", "reverse")}, repeats)
                best = min(("forward", "reverse"), key=t.get)
                # auto against the better mode alone: the slower one, often much slower,
                # would otherwise flush the caches between their runs
                duel = interleaved_medians({"auto": calls["auto"], best: calls[best]}, repeats)
                if duel["auto"] > 1.1 * duel[best]:
                    # a suspect cell: measure it again, four times as long, before believing it
                    duel = interleaved_medians({"auto": calls["auto"], best: calls[best]}, 4 * repeats)
                auto = duel["auto"] / duel[best] * t[best]
                results[name, n, m] = (t["forward"], t["reverse"], auto, jacs["auto"].last_mode)
    return results


def report(results: dict) -> float:
    worst = 1.0
    for name in dict.fromkeys(k[0] for k in results):
        print(f"\n{name}: time(forward) / time(reverse); rows n (inputs), columns m (outputs)")
        print("   n\\m " + "".join(f"{m:>8d}" for m in SIZES))
        for n in SIZES:
            cells = []
            for m in SIZES:
                fwd, rev, auto, chosen = results[name, n, m]
                worst = max(worst, auto / min(fwd, rev))
                mark = "f" if chosen == "forward" else "r"
                cells.append(f"{fwd / rev:7.2f}{mark}")
            print(f"{n:6d} " + "".join(cells))
        print("  time(auto) / time(faster mode), same grid")
        for n in SIZES:
            print(f"{n:6d} " + "".join(f"{results[name, n, m][2] / min(results[name, n, m][:2]):8.2f}" for m in SIZES))
    print("\n(f/r: the mode auto chose; a ratio below 1 means forward mode was faster)")
    return worst


def plot(results: dict, path: str) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no plot")
        return
    names = list(dict.fromkeys(k[0] for k in results))
    fig, axes = plt.subplots(1, len(names), figsize=(4 * len(names), 3.6), constrained_layout=True)
    for ax, name in zip(np.atleast_1d(axes), names):
        grid = np.array([[np.log2(results[name, n, m][0] / results[name, n, m][1]) for m in SIZES] for n in SIZES])
        image = ax.imshow(grid, cmap="coolwarm", vmin=-4, vmax=4, origin="lower")
        ax.set_xticks(range(len(SIZES)), SIZES)
        ax.set_yticks(range(len(SIZES)), SIZES)
        ax.set_xlabel("m (outputs)")
        ax.set_ylabel("n (inputs)")
        ax.set_title(name)
        ax.plot([-0.5, len(SIZES) - 0.5], [-0.5, len(SIZES) - 0.5], "k--", lw=0.8)
    fig.colorbar(image, ax=axes, label="log2 time(forward)/time(reverse)")
    fig.savefig(path, dpi=120)
    print(f"plot written to {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=25)
    parser.add_argument("--plot", default=None, help="write a heat map of forward/reverse to this PNG")
    args = parser.parse_args()
    results = measure(args.repeats)
    worst = report(results)
    print(f"auto vs the faster mode, worst case over the grid: {worst:.2f}x (target: at most 1.10x)")
    if args.plot:
        plot(results, args.plot)


if __name__ == "__main__":
    main()
