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


def _zeros_like_batched(batch_from: Any, nb_ref: Any, like: Any) -> np.ndarray:
    lead = batch_from.shape[: batch_from.ndim - nb_ref.ndim]
    return np.zeros(lead + np.shape(unbox_all(like)), dtype=np.result_type(unbox_all(like)))


class CustomPrimitive(Primitive):
    """A primitive defined outside the built-in table (not in `registry`)."""

    def __init__(self, fn: Callable[..., Any], name: str | None = None) -> None:
        super().__init__(name or getattr(fn, "__name__", "custom"), fn, register=False)
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
        n = max(len(self._jvp), len(self._vjp))
        jvps, vjps = [], []
        for i in range(n):
            jvp_rule = self._jvp[i] if i < len(self._jvp) else None
            vjp_rule = self._vjp[i] if i < len(self._vjp) else None
            jvps.append(jvp_rule or (vjp_rule and _jvp_by_transposing(vjp_rule, i)))
            vjps.append(vjp_rule or (jvp_rule and _vjp_by_transposing(jvp_rule, i)))
        self.jvps = _rule_table(self.name, "forward", tuple(jvps), False)
        self.vjps = _rule_table(self.name, "reverse", tuple(vjps), False)


def _jvp_by_transposing(vjp_rule: Rule, argnum: int) -> Rule:
    def jvp_rule(t: Any, ans: Any, *args: Any, **kwargs: Any) -> Any:
        from .transforms import vjp

        g0 = _zeros_like_batched(t, args[argnum], ans)
        return vjp(lambda g: vjp_rule(g, ans, *args, **kwargs), g0)[1](t)[0]

    return jvp_rule


def _vjp_by_transposing(jvp_rule: Rule, argnum: int) -> Rule:
    def vjp_rule(g: Any, ans: Any, *args: Any, **kwargs: Any) -> Any:
        from .transforms import vjp

        t0 = _zeros_like_batched(g, ans, args[argnum])
        return vjp(lambda t: jvp_rule(t, ans, *args, **kwargs), t0)[1](g)[0]

    return vjp_rule


def primitive(fn: Callable[..., Any] | None = None, *, name: str | None = None) -> Any:
    """Make `fn` (a function of NumPy arrays) a primitive; add rules with
    `.defjvp(...)` / `.defvjp(...)`. Usable as a decorator, with or without arguments."""
    if fn is None:
        return lambda f: CustomPrimitive(f, name)
    return CustomPrimitive(fn, name)
