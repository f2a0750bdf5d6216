"""Derivatives that tinytorch's ops cannot give, refused by name when taken.

A cdf's derivative in a shape parameter (gammainc's and betainc's in a and b) has no
closed form. scipy.special's rules already refuse it, naming their own arguments; a
distribution computes its value from the parameter's plain value instead (`constant`)
and ties the parameter back to the result with `refusing`, whose rule names the
distribution's function and argument, in both modes alike. (t's cdf, a primitive of
its own, takes `refused` as its rule in df.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ...autograd.custom import CustomPrimitive
from ...autograd.primitive import NonDifferentiable

# the plain value of a box, taken as a constant (a traced value stays traced under tt.jit)
constant = NonDifferentiable("constant", lambda value: value)


def refused(function: str, argument: str, differentiable: str) -> Callable[..., Any]:
    """A rule that raises NotImplementedError naming `function` and `argument`."""

    def rule(d: Any, ans: Any, *args: Any) -> Any:
        raise NotImplementedError(
            f"{function}: the derivative with respect to {argument} is not implemented "
            f"(only {differentiable} can be differentiated)"
        )

    return rule


def refusing(function: str, argument: str, differentiable: str) -> Callable[[Any, Any], Any]:
    """(value, param) -> value: the derivative reaches `value` unchanged; one taken with
    respect to `param` raises NotImplementedError naming `function` and `argument`."""
    # elementwise: value already has the shape param broadcasts to
    tie = CustomPrimitive(lambda value, param: np.positive(value), f"{function}_in_{argument}", broadcasting=True)
    tie.defjvp(lambda t, ans, value, param: t, refused(function, argument, differentiable))
    tie.defvjp(lambda g, ans, value, param: g, refused(function, argument, differentiable))
    return tie
