"""User-defined primitives: the table is open.

`primitive(fn)` turns a NumPy function into a primitive; `defjvp`/`defvjp`
give its rules, written with tinytorch's ops (so they are differentiable too).
A primitive with only one of the two rules gets the other by transposition:
a VJP rule is linear in its cotangent, so J t is the VJP of the VJP rule
itself (and J^T g the VJP of the JVP rule). That costs one extra reverse pass
through the rule, so give both rules where speed matters.

Batches. `jacobian`, `hessian` and friends push a whole block of basis tangents
(or pull a block of cotangents) through one pass, as leading batch axes. A rule
is written for one tangent `t` shaped like its argument (one cotangent `g`
shaped like the output), and the engine calls it once per batch element and
stacks the results: correct under every transform, but a Python loop, about as
slow as looping over the basis. `primitive(batched=True)` declares rules that
take the leading axes themselves, as the built-in ones do, addressing the
argument's axes from the end (`g[..., None, None]`, `axis=-1`): one call per
block. `broadcasting=True` primitives are batch-ready by default: their rules
are elementwise (products with `g` or `t`), which NumPy's broadcasting already
lines up from the end; pass `batched=False` if a rule reduces or indexes `g`.

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

import functools
import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from . import api
from .primitive import Primitive, Rule, _rule_table, dtype_of, shape_of, unbox_all
from .rules.shape import broadcast_to_p, reshape_p, sum_to_p
from .transforms import vjp


class RuleShapeError(ValueError):
    """A custom rule returned (or choked on) the wrong shape."""


class CustomPrimitive(Primitive):
    """A primitive defined outside the built-in table (not in `registry`).

    Its rules' results are checked for shape (a wrong shape is a bug in the rule,
    better reported than silently broadcast). With `broadcasting=True` the
    primitive is elementwise with NumPy broadcasting, and the machinery reduces
    and expands derivatives to each argument's shape, as for `tt.multiply`.
    With `batched` false, rules are called once per element of a batch of
    tangents or cotangents (see the module docstring).
    """

    def __init__(
        self, fn: Callable[..., Any], name: str | None = None, broadcasting: bool = False, batched: bool | None = None
    ) -> None:
        name = name or getattr(fn, "__name__", "custom")
        super().__init__(name, fn, broadcasting=broadcasting, array_impl=_one_array(fn, name), register=False)
        self.__wrapped__ = fn
        self.__doc__ = fn.__doc__
        self.batched = broadcasting if batched is None else batched
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
            given_jvp = self._given(self._jvp, i, "forward")
            given_vjp = self._given(self._vjp, i, "reverse")
            jvps.append(given_jvp or (given_vjp and _jvp_by_transposing(given_vjp, i, self.broadcasting, self.batched)))
            vjps.append(given_vjp or (given_jvp and _vjp_by_transposing(given_jvp, i, self.broadcasting, self.batched)))
        self.jvps = _rule_table(self.name, "forward", tuple(jvps), False)
        self.vjps = _rule_table(self.name, "reverse", tuple(vjps), False)

    def _given(self, rules: tuple, argnum: int, mode: str) -> Rule | None:
        """The user's rule for `argnum`, shape-checked and made to take batches."""
        rule = rules[argnum] if argnum < len(rules) else None
        if rule is None:
            return None
        checked = self._checked(rule, argnum, mode)
        return checked if self.batched else self._per_example(checked, argnum, mode)

    def _leading_axes(self, d: Any, x: Any, ans: Any, mode: str) -> int:
        """How many leading batch axes the tangent or cotangent `d` carries."""
        if mode == "forward":
            return _batch_axes(d, x, ans, self.broadcasting)
        return d.ndim - np.ndim(ans)

    def _per_example(self, rule: Rule, argnum: int, mode: str) -> Rule:
        """`rule`, called once per batch element, the results stacked (differentiably)."""

        def per_example(d: Any, ans: Any, *args: Any, **kwargs: Any) -> Any:
            nb = self._leading_axes(d, args[argnum], ans, mode)
            if not nb:
                return rule(d, ans, *args, **kwargs)
            batch = d.shape[:nb]
            pieces = [rule(d[k], ans, *args, **kwargs) for k in np.ndindex(batch)]
            if self.broadcasting:
                # the terms of several arguments are added before the machinery
                # expands them, so each must have the output's rank
                rank = np.ndim(ans)
                pieces = [api.reshape(p, (1,) * (rank - np.ndim(p)) + np.shape(p)) for p in pieces]
            return api.reshape(api.stack(pieces), batch + np.shape(pieces[0]))

        return per_example

    def _checked(self, rule: Rule, argnum: int, mode: str) -> Rule:
        """`rule`, with its result's shape checked: batch axes + the output's shape
        (forward) or + the argument's shape (reverse)."""
        name, broadcasting = self.name, self.broadcasting

        def checked(d: Any, ans: Any, *args: Any, **kwargs: Any) -> Any:
            x = args[argnum]
            nb = self._leading_axes(d, x, ans, mode)
            batch = d.shape[:nb]
            exact = batch + np.shape(ans if mode == "forward" else x)
            # elementwise: any shape broadcasting to the output's, expanded or summed by the machinery
            expected = batch + np.shape(ans) if broadcasting else exact
            try:
                out = rule(
                    _read_only(d),
                    _read_only(ans),
                    *map(_read_only, args),
                    **{k: _read_only(v) for k, v in kwargs.items()},
                )
            except TypeError as e:
                if _fits(rule, (d, ans, *args), kwargs):
                    raise  # raised inside the rule, not by calling it
                raise TypeError(_signature_note(name, mode, argnum, e)) from e
            except (ValueError, IndexError) as e:
                if not nb or isinstance(e, RuleShapeError):
                    raise
                raise RuleShapeError(
                    f"{name}: the {mode}-mode rule for argument {argnum} raised "
                    f"{type(e).__name__}({str(e).strip()!r}); {_batch_note(mode, batch)}"
                ) from e
            if callable(out):
                # HIPS autograd's curried form, with a signature that happens to take our arguments
                raise TypeError(_signature_note(name, mode, argnum, "it returned a function"))
            shape = np.shape(out)
            try:
                fits = shape == exact or (broadcasting and np.broadcast_shapes(shape, expected) == expected)
            except ValueError:
                fits = False
            if fits and nb and shape != exact:
                # under a batch, a result that merely broadcasts must still carry the batch in front
                fits = len(shape) == len(expected) and shape[:nb] == batch
            if not fits:
                note = f"; {_batch_note(mode, batch)}" if nb else ""
                raise RuleShapeError(
                    f"{name}: the {mode}-mode rule for argument {argnum} returned shape "
                    f"{shape}, expected {expected}{note}"
                )
            return out

        return checked


def _read_only(x: Any) -> Any:
    """x as a user's impl or rule sees it: arrays as read-only views, so that an
    in-place update there (x -= x.max()) raises instead of corrupting a box's value,
    a saved input or a caller's gradient."""
    if isinstance(x, np.ndarray) and x.flags.writeable:
        x = x.view()
        x.flags.writeable = False
    return x


def _one_array(fn: Callable[..., Any], name: str) -> Callable[..., Any]:
    """`fn` as boxes apply it: on read-only views of their arrays, refusing several
    results, which a Dual or Variable cannot hold."""

    @functools.wraps(fn)
    def one_array(*args: Any, **kwargs: Any) -> Any:
        ans = fn(*map(_read_only, args), **{k: _read_only(v) for k, v in kwargs.items()})
        if isinstance(ans, (tuple, list)):
            raise TypeError(
                f"{name}: a primitive returns one array, but its impl returned a {type(ans).__name__} of "
                f"{len(ans)}; pack the results into one array (as tinytorch's eigh stacks its eigenvalues "
                f"on its eigenvectors) and take them apart outside the primitive, or define one primitive per result"
            )
        return ans

    return one_array


def _fits(rule: Rule, args: tuple, kwargs: dict) -> bool:
    """Whether `rule`'s signature takes these arguments (True when it cannot be told)."""
    try:
        signature = inspect.signature(rule)
    except (TypeError, ValueError):  # a builtin without a signature
        return True
    try:
        signature.bind(*args, **kwargs)
    except TypeError:
        return False
    return True


def _signature_note(name: str, mode: str, argnum: int, problem: Any) -> str:
    return (
        f"{name}: the {mode}-mode rule for argument {argnum} does not fit tinytorch's rule signature "
        f"({problem}). tinytorch calls a VJP rule as rule(g, ans, *args, **kwargs), g the output's "
        f"cotangent, and it returns the argument's cotangent; a JVP rule as rule(t, ans, *args, **kwargs), "
        f"t the argument's tangent, and it returns the output's tangent (ans: the output, args: the "
        f"primitive's arguments). HIPS autograd's curried form (ans, *args) -> (g -> ...) must be rewritten: "
        f"`lambda ans, x: lambda g: g * h(x)` becomes `lambda g, ans, x: g * h(x)`"
    )


def _batch_note(mode: str, batch: tuple) -> str:
    d, what = ("t", "tangents") if mode == "forward" else ("g", "cotangents")
    return (
        f"its {d} carried leading batch axes {batch}: a block of {what} that jacobian, hessian and the "
        f"other transforms push through one call. The rules of a primitive(batched=True) (the default "
        f"with broadcasting=True) must keep those leading axes and address their arguments' axes from "
        f"the end ({d}[..., None], axis=-1); or make it primitive(batched=False) and the engine calls "
        f"the rule once per batch element"
    )


def _batch_axes(t: Any, x: Any, ans: Any, broadcasting: bool) -> int:
    """How many leading batch axes tangent t of argument x carries: for a
    broadcasting op the machinery gives a batched tangent the output's rank
    (size-1 axes before x's own), so count from there."""
    if t.ndim == np.ndim(x):
        return 0
    return t.ndim - (np.ndim(ans) if broadcasting else np.ndim(x))


def _transposed(
    linear: Callable[[Any], Any], d: Any, nb: int, batched: bool, in_shape: tuple, out_shape: tuple, dtype: Any
) -> Any:
    """The transpose of `linear` (in_shape -> out_shape, one element of a batch,
    or all nb leading batch axes at once if `batched`) applied to d: its VJP."""
    if batched or not nb:
        return vjp(linear, np.zeros(d.shape[:nb] + in_shape, dtype))[1](d)[0]
    # a leaf per element: pulling d back through a loop over one batched leaf
    # would scatter each element's part into a block-sized array
    batch = d.shape[:nb]
    n = int(np.prod(batch))
    leaves = [np.zeros(in_shape, dtype)] * n
    pulled = vjp(lambda *ls: api.stack([linear(leaf) for leaf in ls]), *leaves)[1](api.reshape(d, (n,) + out_shape))
    return api.reshape(api.stack(pulled), batch + in_shape)


def _jvp_by_transposing(vjp_rule: Rule, argnum: int, broadcasting: bool, batched: bool) -> Rule:
    def jvp_rule(t: Any, ans: Any, *args: Any, **kwargs: Any) -> Any:
        x = args[argnum]
        nb = _batch_axes(t, x, ans, broadcasting)
        inner = nb if batched else 0  # the batch axes one call of the rule sees
        shape = t.shape[nb:] if inner else np.shape(x)

        def full_vjp(g: Any) -> Any:
            c = vjp_rule(g, ans, *args, **kwargs)
            # a broadcasting rule leaves the reduction to the argument's shape to the machinery
            return sum_to_p(c, shape, c.ndim - inner) if broadcasting and c.shape[inner:] != shape else c

        ans_value = unbox_all(ans)
        return _transposed(full_vjp, t, nb, batched, np.shape(ans_value), shape, np.result_type(ans_value))

    return jvp_rule


def _vjp_by_transposing(jvp_rule: Rule, argnum: int, broadcasting: bool, batched: bool) -> Rule:
    def vjp_rule(g: Any, ans: Any, *args: Any, **kwargs: Any) -> Any:
        x = args[argnum]
        nb = g.ndim - np.ndim(ans)
        inner = nb if batched else 0  # the batch axes one call of the rule sees

        def full_jvp(t: Any) -> Any:
            out = jvp_rule(t, ans, *args, **kwargs)
            # a broadcasting rule may leave the expansion to the output's shape to the machinery
            return broadcast_to_p(out, np.shape(ans), out.ndim - inner) if broadcasting else out

        # the rule expects a batched tangent as the machinery gives it (see _batch_axes)
        shape = shape_of(x)
        lifted = (1,) * (np.ndim(ans) - len(shape)) + shape if broadcasting and inner else shape
        c = _transposed(full_jvp, g, nb, batched, lifted, np.shape(ans), dtype_of(x))
        return reshape_p(c, shape, len(lifted)) if lifted != shape else c

    return vjp_rule


def primitive(
    fn: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    broadcasting: bool = False,
    batched: bool | None = None,
) -> Any:
    """Make `fn` (a function of NumPy arrays) a primitive; add rules with
    `.defjvp(...)` / `.defvjp(...)`. Usable as a decorator, with or without
    arguments; `broadcasting=True` for elementwise functions that broadcast.

    `batched=True` declares rules that take leading batch axes on `t`/`g` (a
    block of basis directions, as `jacobian` and `hessian` push); otherwise each
    rule sees one direction at a time and the engine loops over the block.
    `broadcasting=True` implies `batched=True` unless `batched=False` is given.

    >>> import numpy as np, tinytorch as tt
    >>> from tinytorch.autograd import primitive, grad, hessian
    >>> @primitive
    ... def log_det(a):
    ...     return np.linalg.slogdet(a)[1]
    >>> log_det.defvjp(lambda g, ans, a: g * tt.linalg.inv(a).T)     # g: one cotangent, a scalar
    >>> A = np.array([[4.0, 1.0], [1.0, 3.0]])
    >>> hessian(log_det)(A).shape                                    # the engine loops over the block
    (2, 2, 2, 2)
    >>> @primitive(batched=True)
    ... def log_det_b(a):
    ...     return np.linalg.slogdet(a)[1]
    >>> log_det_b.defvjp(lambda g, ans, a: g[..., None, None] * tt.linalg.inv(a).T)  # g: batch + ()
    >>> bool(np.allclose(hessian(log_det_b)(A), hessian(log_det)(A)))
    True
    >>> @primitive(broadcasting=True)                                # elementwise: batched already
    ... def mul(x, y):
    ...     return x * y
    >>> mul.defvjp(lambda g, ans, x, y: g * y, lambda g, ans, x, y: g * x)
    >>> grad(lambda y: tt.sum(mul(np.ones((2, 3)), y)))(np.arange(3.0)).tolist()
    [2.0, 2.0, 2.0]
    """
    if fn is None:
        return lambda f: CustomPrimitive(f, name, broadcasting, batched)
    return CustomPrimitive(fn, name, broadcasting, batched)
