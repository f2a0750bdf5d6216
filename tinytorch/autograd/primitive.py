"""Primitives: an operation defined once, with its NumPy impl, JVP rule and VJP rule.

A `Primitive` is called like the NumPy function it wraps. With no box among
its arguments it is just that function. Otherwise it finds the box of the
highest level and lets that box's kind (forward or reverse) apply it:

    rule signatures     jvp(t, ans, *args, **kwargs)   vjp(g, ans, *args, **kwargs)

`t`/`g` is the tangent/cotangent of one argument/the output, `ans` the output,
`args` the primal inputs. Rules are written with tinytorch's own ops, so they
are differentiable themselves. Tangents and cotangents may carry leading batch
axes; rules address axes from the end. `broadcasting=True` marks elementwise
ops, whose rules see tangents already lifted to the output's rank and whose
results the machinery reduces (`unbroadcast`) or expands to the right shape.

A linear primitive (`linear=True`) is linear in its first argument and declares
only its transpose, the VJP; its JVP is the op itself applied to the tangent.
A variadic primitive (`variadic=True`, e.g. concatenate, einsum) gives one rule
that takes the argument number first: `vjp(argnum, g, ans, *args, **kwargs)`.
A joint JVP rule `jvp_joint(tangents, ans, *args, **kwargs)` sees all tangents
at once, with None for the symbolic zeros; a joint VJP rule `vjp_joint(g, ans,
*args, **kwargs)` returns the cotangents of all arguments at once.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from .levels import Box

Rule = Callable[..., Any]

registry: dict[str, Primitive] = {}


_RULE_SLOTS = 8


def _no_rule(name: str, mode: str, argnum: int, *args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError(f"{name}: argument {argnum} has no {mode}-mode rule (not differentiable)")


class _ArgnumRule:
    """The rule table of a variadic primitive: one rule, told which argument it serves."""

    __slots__ = ("rule",)

    def __init__(self, rule: Rule) -> None:
        self.rule = rule

    def __getitem__(self, argnum: int) -> Rule:
        return functools.partial(self.rule, argnum)


def _rule_table(name: str, mode: str, rules: Any, variadic: bool) -> Any:
    """Rules indexable by argument number; a missing rule raises when used."""
    if variadic:
        return _ArgnumRule(rules)
    rules = () if rules is None else (rules,) if callable(rules) else tuple(rules)
    rules = rules + (None,) * (_RULE_SLOTS - len(rules))
    return tuple(functools.partial(_no_rule, name, mode, i) if r is None else r for i, r in enumerate(rules))


class Primitive:
    """One differentiable operation of the table."""

    def __init__(
        self,
        name: str,
        impl: Callable[..., Any],
        jvp: Rule | tuple[Rule | None, ...] | None = None,
        vjp: Rule | tuple[Rule | None, ...] | None = None,
        *,
        linear: bool = False,
        broadcasting: bool = False,
        array_impl: Callable[..., Any] | None = None,
        jvp_joint: Rule | None = None,
        vjp_joint: Rule | None = None,
        variadic: bool = False,
        register: bool = True,
    ) -> None:
        self.name = self.__name__ = self.__qualname__ = name
        self.impl = impl
        # `array_impl` runs on values already known to be NumPy arrays or scalars
        # (e.g. operator.mul, much quicker than np.multiply on scalars).
        self.array_impl = array_impl or impl
        self.linear = linear
        self.broadcasting = broadcasting
        self.jvp_joint = jvp_joint
        self.vjp_joint = vjp_joint
        self.variadic = variadic
        if linear:
            if jvp is not None:
                raise ValueError(f"linear primitive {name!r} derives its JVP; give only the VJP")
            jvp = lambda t, ans, x, *args, **kwargs: self(t, *args, **kwargs)  # noqa: ARG005
        self.jvps = _rule_table(name, "forward", jvp, variadic)
        self.vjps = _rule_table(name, "reverse", vjp, variadic)
        self.__doc__ = getattr(impl, "__doc__", None)
        if register:
            if name in registry:
                raise ValueError(f"primitive {name!r} is already defined")
            registry[name] = self

    def __repr__(self) -> str:
        return f"<primitive {self.name}>"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """The impl on plain values; with boxes among the arguments, the box of the
        highest level applies the primitive (`_highest_box`). One and two arguments,
        nearly every call, are unrolled here: the loop costs 8% of a scalar op."""
        if len(args) == 1:
            x = args[0]
            if isinstance(x, Box):
                return x._apply(self, x._level, x._nested, args, kwargs)
            return self.impl(x, **kwargs) if kwargs else self.impl(x)
        if len(args) == 2:
            x, y = args
            if isinstance(x, Box):
                if not isinstance(y, Box):
                    return x._apply(self, x._level, x._nested, args, kwargs)
                if x._level == y._level:
                    return x._apply(self, x._level, x._nested or y._nested, args, kwargs)
                top = x if x._level > y._level else y
                return top._apply(self, top._level, True, args, kwargs)
            if isinstance(y, Box):
                return y._apply(self, y._level, y._nested, args, kwargs)
            return self.impl(x, y, **kwargs)
        top, nested = _highest_box(args)
        if top is None:
            return self.impl(*args, **kwargs)
        return top._apply(self, top._level, nested, args, kwargs)


def _highest_box(args: tuple) -> tuple:
    """The box of the highest level among args (None if there is none), and whether
    the op must dispatch again below it: boxes of other levels are among the
    arguments, or inside the boxes."""
    top = None
    nested = False
    for a in args:
        if isinstance(a, Box):
            if top is not None and a._level != top._level:
                nested = True
            if top is None or a._level > top._level:
                top = a
            nested = nested or a._nested
    return top, nested


def unbox_all(x: Any) -> Any:
    """The plain value under every level of boxes."""
    while isinstance(x, Box):
        x = x._value
    return x


def innermost(x: Any) -> Any:
    """The value under every level of boxes, or the opaque box (a Tracer) met on the way."""
    while isinstance(x, Box) and not x._opaque:
        x = x._value
    return x


def example_of(x: Any) -> Any:
    """The array under x's boxes; for an opaque box, the example value it holds while
    tracing. For questions of memory (is this a view?), never for values."""
    x = innermost(x)
    return x._example if isinstance(x, Box) else x


def shape_of(x: Any) -> tuple:
    """x's shape, read without its value (a box reports its own)."""
    return x.shape if isinstance(x, Box) else np.shape(x)


def dtype_of(x: Any) -> np.dtype:
    """x's dtype, read without its value (a box reports its own)."""
    return x.dtype if isinstance(x, Box) else np.result_type(x)


def is_complex(x: Any) -> bool:
    """Whether x holds complex numbers, read from its dtype (np.iscomplexobj would
    dispatch back to tinytorch on a box)."""
    dtype = getattr(x, "dtype", None)
    return (dtype if isinstance(dtype, np.dtype) else np.asarray(x).dtype).kind == "c"


class NonDifferentiable:
    """A function whose derivative is zero wherever it exists (comparisons,
    `floor`, `argmax`, ...): it sees plain values and returns plain values."""

    def __init__(self, name: str, impl: Callable[..., Any]) -> None:
        self.name = self.__name__ = self.__qualname__ = name
        self.impl = impl
        self.__doc__ = getattr(impl, "__doc__", None)

    def __repr__(self) -> str:
        return f"<non-differentiable {self.name}>"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.impl(*[unbox_all(a) for a in args], **kwargs)
