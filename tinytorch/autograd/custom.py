"""User-defined primitives: the table is open.

`primitive(fn)` turns a NumPy function into a primitive; `defjvp`/`defvjp`
give its rules, written with tinytorch's ops (so they are differentiable too).
A primitive with only one of the two rules gets the other by transposition:
a VJP rule is linear in its cotangent, so J t is the VJP of the VJP rule
itself (and J^T g the VJP of the JVP rule). That costs one extra reverse pass
through the rule, so give both rules where speed matters.

>>> import numpy as np, tinytorch as tt
>>> from tinytorch.autograd import primitive, grad, jvp
>>> @primitive
... def log1pexp(x):
...     return np.logaddexp(0.0, x)           # stable log(1 + e^x)
>>> log1pexp.defvjp(lambda g, ans, x: g * tt.sigmoid(x))
>>> float(grad(log1pexp)(1000.0))            # sigmoid(1000) = 1, no overflow
1.0
>>> float(jvp(log1pexp, (0.0,), (2.0,))[1])  # JVP derived from the VJP rule
1.0
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .primitive import Primitive, Rule, _rule_table, unbox_all
from .rules.shape import broadcast_to_p, reshape_p, sum_to_p


class CustomPrimitive(Primitive):
    """A primitive defined outside the built-in table (not in `registry`).

    Its rules' results are checked for shape (a wrong shape is a bug in the rule,
    better reported than silently broadcast). With `broadcasting=True` the
    primitive is elementwise with NumPy broadcasting, and the machinery reduces
    and expands derivatives to each argument's shape, as for `tt.multiply`.
    """

    def __init__(self, fn: Callable[..., Any], name: str | None = None, broadcasting: bool = False) -> None:
        super().__init__(name or getattr(fn, "__name__", "custom"), fn, broadcasting=broadcasting, register=False)
        self.__wrapped__ = fn
        self.__doc__ = fn.__doc__
        self._jvp: tuple = ()
        self._vjp: tuple = ()
        self._refresh()

    def defjvp(self, *rules: Rule | None) -> None:
        """Forward rules, one per argument: `rule(t, ans, *args, **kwargs)`."""
        self._jvp = rules
        self._refresh()

    def defvjp(self, *rules: Rule | None) -> None:
        """Reverse rules, one per argument: `rule(g, ans, *args, **kwargs)`."""
        self._vjp = rules
        self._refresh()

    def _refresh(self) -> None:
        jvps, vjps = [], []
        for i in range(max(len(self._jvp), len(self._vjp))):
            given_jvp = self._jvp[i] if i < len(self._jvp) else None
            given_vjp = self._vjp[i] if i < len(self._vjp) else None
            jvp_rule = given_jvp or (given_vjp and _jvp_by_transposing(given_vjp, i, self.broadcasting))
            vjp_rule = given_vjp or (given_jvp and _vjp_by_transposing(given_jvp, i, self.broadcasting))
            jvps.append(jvp_rule and self._checked(jvp_rule, i, "forward"))
            vjps.append(vjp_rule and self._checked(vjp_rule, i, "reverse"))
        self.jvps = _rule_table(self.name, "forward", tuple(jvps), False)
        self.vjps = _rule_table(self.name, "reverse", tuple(vjps), False)

    def _checked(self, rule: Rule, argnum: int, mode: str) -> Rule:
        """`rule`, with its result's shape checked: batch axes + the output's shape
        (forward) or + the argument's shape (reverse)."""
        name, broadcasting = self.name, self.broadcasting

        def checked(d: Any, ans: Any, *args: Any, **kwargs: Any) -> Any:
            out = rule(d, ans, *args, **kwargs)
            x = args[argnum]
            if mode == "forward":
                batch = d.shape[: _batch_axes(d, x, ans, broadcasting)]
                expected = batch + np.shape(ans)
            else:
                batch = d.shape[: d.ndim - np.ndim(ans)]
                # elementwise: any shape broadcasting to the output's, summed by the machinery
                expected = batch + np.shape(ans if broadcasting else x)
            shape = np.shape(out)
            exact = batch + np.shape(ans if mode == "forward" else x)
            try:
                fits = shape == exact or (broadcasting and np.broadcast_shapes(shape, expected) == expected)
            except ValueError:
                fits = False
            if not fits:
                raise ValueError(f"{name}: the {mode}-mode rule for argument {argnum} returned shape {shape}, "
                                 f"expected {expected}")
            return out

        return checked


def _batch_axes(t: Any, x: Any, ans: Any, broadcasting: bool) -> int:
    """How many leading batch axes tangent t of argument x carries: for a
    broadcasting op the machinery gives a batched tangent the output's rank
    (size-1 axes before x's own), so count from there."""
    if t.ndim == np.ndim(x):
        return 0
    return t.ndim - (np.ndim(ans) if broadcasting else np.ndim(x))


def _jvp_by_transposing(vjp_rule: Rule, argnum: int, broadcasting: bool) -> Rule:
    def jvp_rule(t: Any, ans: Any, *args: Any, **kwargs: Any) -> Any:
        from .transforms import vjp

        x = args[argnum]
        nb = _batch_axes(t, x, ans, broadcasting)
        shape = t.shape[nb:]

        def full_vjp(g: Any) -> Any:
            c = vjp_rule(g, ans, *args, **kwargs)
            # a broadcasting rule leaves the reduction to the argument's shape to the machinery
            return sum_to_p(c, shape, c.ndim - nb) if broadcasting and c.shape[nb:] != shape else c

        g0 = np.zeros(t.shape[:nb] + np.shape(unbox_all(ans)), dtype=np.result_type(unbox_all(ans)))
        return vjp(full_vjp, g0)[1](t)[0]

    return jvp_rule


def _vjp_by_transposing(jvp_rule: Rule, argnum: int, broadcasting: bool) -> Rule:
    def vjp_rule(g: Any, ans: Any, *args: Any, **kwargs: Any) -> Any:
        from .transforms import vjp

        x = args[argnum]
        nb = g.ndim - np.ndim(ans)

        def full_jvp(t: Any) -> Any:
            out = jvp_rule(t, ans, *args, **kwargs)
            # a broadcasting rule may leave the expansion to the output's shape to the machinery
            return broadcast_to_p(out, np.shape(ans), out.ndim - nb) if broadcasting else out

        # the rule expects a batched tangent as the machinery gives it (see _batch_axes)
        shape = np.shape(unbox_all(x))
        lifted = (1,) * (np.ndim(ans) - len(shape)) + shape if broadcasting and nb else shape
        t0 = np.zeros(g.shape[:nb] + lifted, dtype=np.result_type(unbox_all(x)))
        c = vjp(full_jvp, t0)[1](g)[0]
        return reshape_p(c, shape, len(lifted)) if lifted != shape else c

    return vjp_rule


def primitive(fn: Callable[..., Any] | None = None, *, name: str | None = None, broadcasting: bool = False) -> Any:
    """Make `fn` (a function of NumPy arrays) a primitive; add rules with
    `.defjvp(...)` / `.defvjp(...)`. Usable as a decorator, with or without
    arguments; `broadcasting=True` for elementwise functions that broadcast.

    >>> import numpy as np, tinytorch as tt
    >>> from tinytorch.autograd import primitive, grad
    >>> @primitive(broadcasting=True)
    ... def mul(x, y):
    ...     return x * y
    >>> mul.defvjp(lambda g, ans, x, y: g * y, lambda g, ans, x, y: g * x)
    >>> grad(lambda y: tt.sum(mul(np.ones((2, 3)), y)))(np.arange(3.0)).tolist()
    [2.0, 2.0, 2.0]
    """
    if fn is None:
        return lambda f: CustomPrimitive(f, name, broadcasting)
    return CustomPrimitive(fn, name, broadcasting)
