"""The `tito` command line, run as a user would: through a subprocess."""

import re
import subprocess
import sys

import pytest


def tito(*args):
    return subprocess.run([sys.executable, "-m", "tinytorch", *args], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def demo():
    result = tito("demo")
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_demo_shows_the_seed_gradients(demo):
    assert "dz/dx = 16" in demo and "dz/dy = 37" in demo
    assert "forward mode" in demo and "reverse mode" in demo


def test_demo_trains_the_digits_to_at_least_95_percent(demo):
    found = re.search(r"test accuracy: ([\d.]+)% on (\d+) images", demo)
    assert found, demo
    assert float(found.group(1)) >= 95.0 and int(found.group(2)) > 300


def test_demo_explores_the_trained_network_with_checked_derivatives(demo):
    slope = re.search(r"d logit\[\d\] / d pixel = ([-+.\d]+)\s+\(finite difference ([-+.\d]+)\)", demo)
    assert slope and abs(float(slope.group(1)) - float(slope.group(2))) < 1e-3
    assert re.search(r"mode 'auto' chose (forward|reverse) mode: ", demo)
    errors = re.findall(r"max error against finite differences(?: of gradients)? ([\d.e+-]+)", demo)
    assert len(errors) == 2 and max(map(float, errors)) < 1e-6
    agreement = re.search(r"(forward|reverse) mode agrees to ([\d.e+-]+)", demo)
    assert agreement and float(agreement.group(2)) < 1e-12


def test_info_reports_the_primitive_count_and_the_core():
    result = tito("info")
    assert result.returncode == 0, result.stderr
    assert re.search(r"primitives:\s+\d+ in the table", result.stdout)
    assert "core:" in result.stdout and "digits" in result.stdout


@pytest.mark.parametrize(
    "args", [["--help"], ["demo", "--help"], ["test", "--help"], ["info", "--help"], ["bench", "--help"]]
)
def test_help_everywhere(args):
    result = tito(*args)
    assert result.returncode == 0
    assert "usage:" in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["frobnicate"],
        ["test", "--module", "no_such_module"],
        ["demo", "--bogus"],
        ["bench", "no_such_benchmark"],
        ["test", "junk"],
        ["test", "--module", "core", "junk"],
        ["test", "-k", "adam"],
        ["test", "--module", "dat"],
        ["test", "--module", "seed"],  # prefixes of names
        ["test", "--module", "../tinytorch"],
        ["test", "--module", "test_*"],
        ["notebooks", "no_such_notebook"],
    ],
)
def test_bad_arguments_give_usage_and_exit_code_2(args):
    result = tito(*args)
    assert result.returncode == 2
    assert "usage:" in result.stderr


def test_pytest_arguments_need_the_separator():
    result = tito("test", "junk")
    assert "unexpected argument 'junk'" in result.stderr and "after --" in result.stderr


@pytest.mark.parametrize("module", ["seed_examples", "layers", "seed_network", "schedules", "datasets", "init"])
def test_test_command_runs_one_module(module):
    result = tito("test", "--module", module)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"\d+ passed", result.stdout)


def test_test_command_runs_the_core_folder():
    result = tito("test", "--module", "core", "--", "-k", "tensor")
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"\d+ passed, \d+ deselected", result.stdout)


def test_module_names_match_one_file_exactly():
    """`data` is test_data.py alone, not test_datasets.py too."""
    result = tito("test", "--module", "data", "--", "--collect-only")
    assert result.returncode == 0, result.stdout + result.stderr
    files = set(re.findall(r"(test_\w+\.py)::", result.stdout))
    assert files == {"test_data.py"}


def test_test_command_accepts_the_autograd_folder():
    # (-k seed also selected the fuzzer, which Hypothesis marks with its seed: a minute more)
    result = tito("test", "--module", "autograd", "--", "-k", "seed_examples")
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"\d+ passed, \d+ deselected", result.stdout)


def test_a_closed_pipe_is_not_a_traceback():
    """`python -m tinytorch info | head -1`: the reader is gone before tito writes."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tinytorch", "info"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    process.stdout.close()  # long before the interpreter has even imported numpy
    _, err = process.communicate(timeout=120)
    assert "Traceback" not in err and "BrokenPipeError" not in err and "Exception ignored" not in err, err
    assert process.returncode == 1  # Python's convention for EPIPE (its docs, "Note on SIGPIPE")


def test_info_through_head_prints_its_first_line():
    result = subprocess.run(
        f'"{sys.executable}" -m tinytorch info | head -1', shell=True, capture_output=True, text=True, timeout=300
    )
    assert result.stdout.startswith("tinytorch ") and result.stdout.count("\n") == 1
    assert "Traceback" not in result.stderr and "Error" not in result.stderr, result.stderr


def test_demo_shows_a_staged_hessian_equal_to_the_closed_form(demo):
    found = re.search(r"the same Hessian, staged: max error ([\d.e+-]+)", demo)
    assert found, demo
    assert float(found.group(1)) < 1e-12
