"""The examples in the public docstrings run and print what they say."""

import doctest
import importlib
import pkgutil

import pytest

import tinytorch

MODULES = sorted(
    name
    for _, name, _ in pkgutil.walk_packages(tinytorch.__path__, prefix="tinytorch.")
    if not name.endswith("__main__")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"


def test_every_public_transform_has_an_example():
    from tinytorch import autograd

    for name in [
        "grad",
        "value_and_grad",
        "jvp",
        "vjp",
        "jacobian",
        "jacfwd",
        "jacrev",
        "hessian",
        "hvp",
        "gradcheck",
        "no_grad",
        "enable_grad",
        "Variable",
        "Dual",
        "checkpoint",
        "primitive",
        "custom_root",
        "custom_fixed_point",
    ]:
        doc = getattr(autograd, name).__doc__ or ""
        assert ">>>" in doc, f"{name} has no runnable example"
