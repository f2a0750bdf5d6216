"""The `tito` command line, run as a user would: through a subprocess."""

import subprocess
import sys

import pytest


def tito(*args):
    return subprocess.run([sys.executable, "-m", "tinytorch", *args], capture_output=True, text=True, timeout=300)


def test_demo_runs_and_shows_the_seed_gradients():
    result = tito("demo")
    assert result.returncode == 0, result.stderr
    assert "dz/dx = 16" in result.stdout and "dz/dy = 37" in result.stdout
    assert "forward mode" in result.stdout and "reverse mode" in result.stdout


def test_info_reports_the_primitive_count():
    result = tito("info")
    assert result.returncode == 0, result.stderr
    assert "primitives:" in result.stdout


@pytest.mark.parametrize("args", [["--help"], ["demo", "--help"], ["test", "--help"], ["info", "--help"]])
def test_help_everywhere(args):
    result = tito(*args)
    assert result.returncode == 0
    assert "usage:" in result.stdout


@pytest.mark.parametrize("args", [[], ["frobnicate"], ["test", "--module", "no_such_module"], ["demo", "--bogus"]])
def test_bad_arguments_give_usage_and_exit_code_2(args):
    result = tito(*args)
    assert result.returncode == 2
    assert "usage:" in result.stderr


def test_test_command_runs_one_module():
    result = tito("test", "--module", "seed_examples")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "passed" in result.stdout
