"""The `tito` command line (also `python -m tinytorch`): demo, test, bench, notebooks, info."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
ANALYSIS = ROOT / "analysis"
BENCHMARKS = [
    "overhead",
    "derivatives",
    "jacobian_modes",
    "checkpoint_memory",
    "training_step",
    "staged",
    "scipy_sensitivity",
    "sparse",
    "parallel",
]


def _demo(args: argparse.Namespace) -> int:
    from .demo import run

    run()
    return 0


class UsageError(Exception):
    """Bad arguments: reported with the usage message and exit code 2."""


def _test_targets(module: str | None) -> list[str]:
    """tests/NAME/ or every tests/**/test_NAME.py: the name matched exactly, never as a prefix."""
    if not TESTS.is_dir():
        raise UsageError(f"no tests/ folder next to the package ({TESTS}); run from a checkout")
    if module is None:
        return [str(TESTS)]
    folder = TESTS / module
    # a plain name only: "../x" or "*" would reach outside tests/ or match by pattern
    if module.isidentifier() and folder.is_dir():
        return [str(folder)]
    files = sorted(TESTS.rglob(f"test_{module}.py")) if module.isidentifier() else []
    if not files:
        known = sorted(
            {p.name for p in TESTS.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))}
            | {p.stem[5:] for p in TESTS.rglob("test_*.py")}
        )
        raise UsageError(f"no tests for module {module!r}; known: {', '.join(known)}")
    return [str(f) for f in files]


def _test(args: argparse.Namespace) -> int:
    import pytest

    extra = args.pytest_args
    if extra and extra[0] != "--":
        raise UsageError(
            f"unexpected argument {extra[0]!r}; pytest's arguments go after --: tito test --module core -- -k adam"
        )
    return int(pytest.main([*_test_targets(args.module), *extra[1:]]))


def _bench(args: argparse.Namespace) -> int:
    import subprocess

    if not ANALYSIS.is_dir():
        raise UsageError(f"no analysis/ folder next to the package ({ANALYSIS}); run from a checkout")
    names = args.names or BENCHMARKS
    unknown = [n for n in names if not (ANALYSIS / f"{n}.py").is_file()]
    if unknown:
        raise UsageError(f"unknown benchmark {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
    status = 0
    for name in names:
        print(f"\n### analysis/{name}.py", flush=True)
        status |= subprocess.call([sys.executable, str(ANALYSIS / f"{name}.py")], cwd=ANALYSIS)
    return status


def _notebooks(args: argparse.Namespace) -> int:
    import time

    from . import notebooks

    try:
        paths = notebooks.find(args.names)
    except (FileNotFoundError, LookupError) as err:
        raise UsageError(str(err)) from None
    for path in paths:
        print(f"{path.name} ...", end=" ", flush=True)
        start = time.perf_counter()
        notebooks.execute(path)
        print(f"{time.perf_counter() - start:.0f} s", flush=True)
    return 0


def _info(args: argparse.Namespace) -> int:
    from importlib.metadata import version

    import numpy
    import scipy

    import tinytorch
    from tinytorch.autograd import registry
    from tinytorch.core.progress import tqdm

    print(
        f"tinytorch {tinytorch.__version__}  (numpy {numpy.__version__}, scipy {scipy.__version__}, "
        f"python {sys.version.split()[0]})"
    )
    print(f"primitives:  {len(registry)} in the table ({Path(tinytorch.__file__).parent / 'autograd' / 'rules'})")
    print(f"package:     {Path(tinytorch.__file__).parent}")
    print(f"core:        {Path(tinytorch.__file__).parent / 'core'} (layers, losses, optimizers, data, training)")
    print("datasets:    digits (1,797 8x8 images, bundled), spirals, moons")
    print(f"progress:    {'tqdm ' + version('tqdm') if tqdm else 'plain lines (pip install tqdm for a bar)'}")
    print(f"tests:       {TESTS if TESTS.is_dir() else 'not found (installed without a checkout)'}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tito", description="tinytorch command line")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="train a network on the built-in digits, then a tour of the engine")
    demo.set_defaults(run=_demo)
    test = sub.add_parser("test", help="run the test suite, or one module's tests")
    test.add_argument(
        "--module",
        help="a folder of tests/ or a test file's name, exactly: autograd, core, "
        "layers, tensor, schedules, datasets, init, ... (default: all)",
    )
    test.add_argument(
        "pytest_args",
        nargs=argparse.REMAINDER,
        help="extra arguments for pytest, after --: tito test --module core -- -k adam",
    )
    test.set_defaults(run=_test)
    bench = sub.add_parser("bench", help="run the benchmarks in analysis/ (all, or the ones named)")
    bench.add_argument("names", nargs="*", help=f"any of: {', '.join(BENCHMARKS)}")
    bench.set_defaults(run=_bench)
    runs = sub.add_parser("notebooks", help="re-execute the analysis notebooks in place (all, or the ones named)")
    runs.add_argument("names", nargs="*", help="a notebook's number (01), name (build_autograd) or both")
    runs.set_defaults(run=_notebooks)
    info = sub.add_parser("info", help="versions, primitive count, locations")
    info.set_defaults(run=_info)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        status = args.run(args)
        sys.stdout.flush()  # here, where a closed pipe can be caught, not at exit
        return status
    except UsageError as err:
        parser.error(str(err))
    except BrokenPipeError:
        # the reader went away (`tito info | head -1`): stop quietly, as `cat` does. Python
        # flushes stdout again at exit, so point it at devnull first (Python's docs, signal
        # module, "Note on SIGPIPE").
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
