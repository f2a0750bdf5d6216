"""scipy.integrate.solve_ivp with solutions differentiable in every mode.

`solve_ivp(fun, t_span, y0, ..., args=...)` takes SciPy's arguments and returns
SciPy's result; `fun(t, y, *args)` is written with `tt` ops. When `y0` or an
element of `args` carries a derivative, `.y` (the states at `.t`) is one
primitive whose rules solve ODEs too:

- forward (JVP): the sensitivity equations S' = J_y S + J_p T, solved together
  with the state in one solve, all tangent directions of a block at once, with
  exact J.S products (one batched forward pass of `fun` per evaluation). That
  solve is a `solve_ivp` itself, so it differentiates again: any order. In pure
  forward mode (the only boxes are Duals of one level) with `t_eval` given, that
  one solve also gives the states, with steps chosen for both: no separate solve
  of the state (its states agree with the plain solve's to the tolerance).
- reverse (VJP): the adjoint l' = -J_y^T l, m' = -J_p^T l, solved backward on the
  forward solution's dense output (an interpolating adjoint, never a backsolve
  of the state, which is unstable on stiff problems), with the cotangents of the
  outputs added at their times; all cotangents of a block in one solve. At
  second order (boxes in the rule), or with `sensitivity="forward"`, the VJP is
  the transpose of the forward sensitivities, which differentiate again.

The stiff methods (BDF, Radau, LSODA) get the exact Jacobian of every system
they solve. A failed solve returns SciPy's result, and differentiating it raises.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from ..autograd import api
from ..autograd.custom import CustomPrimitive
from ..autograd.forward import Dual, new_dual
from ..autograd.jacobian import jacobian
from ..autograd.levels import Box
from ..autograd.passes import jvp_block, output_node, pull_back, record
from ..autograd.primitive import unbox_all
from .stiff_jacobian import state_jacobian

_STIFF = ("BDF", "Radau", "LSODA")
# sensitivity="auto" in reverse mode: the adjoint once the forward sensitivities (states times
# parameters) exceed this many per cotangent. A 1-cotangent loss of a linear chain crossed over
# between 2 states x 6 parameters and 3 x 9 (analysis/scipy_sensitivity.py): past the smallest
# problems one backward solve beats the batched forward one.
ADJOINT_ABOVE = 25
_SENSITIVITIES = ("auto", "forward", "adjoint")
# The right-hand sides of the solves that will be differentiated, and of the systems the rules
# solve, are compiled by tt.jit. False runs them as written: to debug a right-hand side (a print,
# a breakpoint), or to measure what compiling saves (analysis/scipy_sensitivity.py).
COMPILE_RHS = True


def solve_ivp(
    fun: Callable[..., Any],
    t_span: tuple,
    y0: Any,
    method: str = "RK45",
    t_eval: Any = None,
    args: tuple = (),
    rtol: float = 1e-3,
    atol: float = 1e-6,
    sensitivity: str = "auto",
    checkpoints: int | None = None,
    **options: Any,
) -> Any:
    """`scipy.integrate.solve_ivp`, with `.y` differentiable with respect to `y0` and
    `args` in every mode and to any order; `sensitivity` is "forward", "adjoint" or
    "auto" (in reverse mode, the adjoint when the forward sensitivities would be large:
    more than `ADJOINT_ABOVE` states times parameters per cotangent). With
    `checkpoints=K` (and `t_eval`), the adjoint keeps the states at K evenly spaced
    times instead of the dense output of the whole solve, and solves each stretch
    between them again when it gets there: memory for one stretch, one more solve.

    >>> import numpy as np, tinytorch as tt
    >>> from tinytorch.autograd import grad
    >>> from tinytorch.scipy.integrate import solve_ivp
    >>> def y_end(k):                                        # y' = -k y, y(0) = 1: y(2) = exp(-2k)
    ...     sol = solve_ivp(lambda t, y, k: -k * y, (0.0, 2.0), np.ones(1), args=(k,), t_eval=[2.0],
    ...                     rtol=1e-10, atol=1e-12)
    ...     return sol.y[0, -1]
    >>> bool(np.isclose(grad(y_end)(0.5), -2.0 * np.exp(-1.0), rtol=1e-7))
    True
    """
    if sensitivity not in _SENSITIVITIES:
        raise ValueError(f'sensitivity must be "auto", "forward" or "adjoint", got {sensitivity!r}')
    if options.get("jac") is not None:
        raise TypeError("solve_ivp: jac is computed by tinytorch; do not pass it")
    options.pop("jac", None)
    sparsity = options.get("jac_sparsity")
    if isinstance(sparsity, str) and sparsity != "auto":
        raise ValueError(f'solve_ivp: jac_sparsity must be "auto", None or a pattern, got {sparsity!r}')
    if checkpoints is not None and (t_eval is None or int(checkpoints) < 1):
        raise ValueError("solve_ivp: checkpoints must be a positive count, with t_eval given")
    problem = _Problem(fun, t_span, method, t_eval, rtol, atol, sensitivity, options)
    problem.checkpoints = checkpoints
    args = tuple(args)
    if not any(isinstance(a, Box) for a in (y0, *args)):
        return problem.solve(_floats(y0), tuple(unbox_all(a) for a in args), problem.dense)
    if options.get("events") is not None:
        raise NotImplementedError("solve_ivp: differentiating a solution with events (event times move with inputs)")
    y0 = y0 if not isinstance(y0, Box) or y0.ndim == 1 else api.reshape(y0, (-1,))
    level = _forward_level((y0, *args))
    # (without t_eval the times are the solver's steps: those of the state's own solve, as the
    # function's plain value has them)
    if level is not None and problem.t_eval is not None and not problem.dense:
        found = problem.forward_in_one_solve(y0, args, level)
        if found is not None:
            return found
    ys = problem.primitive(len(args))(y0, *args)
    result = problem.result
    result.y = ys
    return result


def odeint(func: Callable[..., Any], y0: Any, t: Any, *args: Any, rtol: float = 1.4e-8, atol: float = 1.4e-8) -> Any:
    """The states at the times `t` of y' = func(y, t, *args), as `scipy.integrate.odeint`
    (and JAX's and HIPS autograd's `odeint`) return them: one row a time, solved by
    LSODA; differentiable with respect to `y0` and `args`.

    >>> import numpy as np, tinytorch as tt
    >>> from tinytorch.scipy.integrate import odeint
    >>> ys = odeint(lambda y, t: -y, np.ones(2), np.array([0.0, 1.0]))
    >>> np.round(ys[-1], 6).tolist()
    [0.367879, 0.367879]
    """
    t = np.asarray(t, dtype=np.float64)
    sol = solve_ivp(
        lambda s, y, *a: func(y, s, *a), (t[0], t[-1]), y0, "LSODA", t_eval=t, args=args, rtol=rtol, atol=atol
    )
    return api.transpose(sol.y)


class _Problem:
    """One call of solve_ivp: what it solves, how, and its primitive."""

    def __init__(self, fun, t_span, method, t_eval, rtol, atol, sensitivity, options) -> None:
        self.fun, self.t_span, self.method = fun, tuple(float(t) for t in t_span), method
        self.t_eval = None if t_eval is None else np.asarray(t_eval, dtype=np.float64)
        self.rtol, self.atol, self.sensitivity = rtol, atol, sensitivity
        self.dense = bool(options.pop("dense_output", False))  # the user's .sol (not differentiable)
        self.jac_sparsity = options.pop("jac_sparsity", "auto")
        self.options = options
        self.result: Any = None
        self.checkpoints: int | None = None
        self._adjoints: tuple | None = None  # (a cotangent's values, its adjoint's results for every input)

    def settings(self) -> dict:
        """The options of a solve of a system derived from this one (its own pattern traced)."""
        return dict(method=self.method, rtol=self.rtol, atol=self.atol, sensitivity=self.sensitivity, **self.options)

    def solve(
        self,
        y0: np.ndarray,
        args: tuple,
        dense: bool = False,
        compiled: bool = False,
        span: Any = None,
        t_eval: Any = None,
    ) -> Any:
        """SciPy's solve of this problem from y0: over `span` (default the problem's t_span, and
        then its t_eval unless `t_eval` is given), with the right-hand side compiled if asked."""
        import scipy.integrate  # on first use: importing tinytorch does not load SciPy

        if span is None:
            span, t_eval = self.t_span, self.t_eval if t_eval is None else t_eval

        fun = _cached(self.fun, ("value",), lambda: _compiled(self.fun)) if compiled else self.fun
        extra = dict(self.options)
        if self.method in _STIFF:  # SciPy warns about a jac the method does not use
            extra["jac"] = state_jacobian(fun, self.method, self.jac_sparsity)
        return scipy.integrate.solve_ivp(
            lambda t, y, *a: _array(fun(t, y, *a)),
            span,
            y0,
            method=self.method,
            t_eval=t_eval,
            args=args or None,
            rtol=self.rtol,
            atol=self.atol,
            dense_output=dense,
            **extra,
        )

    def primitive(self, count: int) -> CustomPrimitive:
        prim = CustomPrimitive(self._impl, "solve_ivp", batched=True)
        rules = range(count + 1)
        prim.defjvp(*(lambda t, ans, *a, i=i: self._jvp(i, t, ans, *a) for i in rules))
        prim.defvjp(*(lambda g, ans, *a, i=i: self._vjp(i, g, ans, *a) for i in rules))
        # forward mode: one solve for the tangents of all inputs at once, not one per input
        prim.jvp_joint = self._jvp_joint
        return prim

    def _impl(self, y0: Any, *args: Any) -> np.ndarray:
        # a solve that will be differentiated: its right-hand side compiled, and what an adjoint
        # needs kept: the dense output of the steps it took anyway, or the states at checkpoints
        if self.checkpoints:
            return self._solve_with_checkpoints(_floats(y0), args)
        self.result = self.solve(_floats(y0), args, dense=True, compiled=True)
        self.sol = self.result.sol
        if not self.dense:
            self.result.sol = None
        # the rules solve at the times this solve reported, whichever way they were chosen
        self.times = self.result.t
        self.stops = np.concatenate([[self.t_span[0]], self.times])
        self.stop_states = None
        return self.result.y

    def _solve_with_checkpoints(self, y0: np.ndarray, args: tuple) -> np.ndarray:
        """Solve through the output times and K more, evenly spaced; keep the states there."""
        start, end = self.t_span
        grid = np.linspace(start, end, int(self.checkpoints) + 2)
        stops = np.union1d(self.t_eval, grid)  # sorted increasing
        stops = stops if end >= start else stops[::-1]
        result = self.solve(y0, args, compiled=True, t_eval=stops)
        self.stops, self.stop_states, self.sol = result.t, result.y, None
        keep = np.isin(result.t, self.t_eval)
        result.t, result.y = result.t[keep], result.y[:, keep]
        self.result, self.times = result, result.t
        return result.y

    def _solved(self) -> None:
        if not self.result.success:
            raise RuntimeError(f"solve_ivp failed ({self.result.message}): its solution has no derivative")

    # --- forward: the sensitivity equations, solved with the state ---

    def forward_in_one_solve(self, y0: Any, args: tuple, level: int) -> Any:
        """SciPy's result, its .y a Dual of `level` whose tangent comes from the same solve as
        its states (inputs: Duals of that level and plain values). None when that solve fails:
        the primitive's path then solves the state alone, and its derivative raises."""
        inputs = (y0, *args)
        values = tuple(x._value if isinstance(x, Dual) else x for x in inputs)
        tangents = [x._tangent if isinstance(x, Dual) else None for x in inputs]
        if all(t is None for t in tangents) or any(isinstance(t, Box) for t in tangents):
            return None
        solved, n, batch = self._sensitivities(tangents, values, compiled=True, t_eval=self.t_eval)
        if not solved.success:
            return None
        states, sensitivities = solved.y[:n], solved.y[n:]
        solved.y = new_dual(states, np.reshape(sensitivities, (*batch, n, -1)), level)
        return solved

    def _jvp(self, i: int, t: Any, ans: Any, y0: Any, *args: Any) -> Any:
        """The tangent of .y for a block of tangents t of input i (0: y0, then args)."""
        return self._jvp_joint([t if j == i else None for j in range(1 + len(args))], ans, y0, *args)

    def _jvp_joint(self, tangents: list, ans: Any, y0: Any, *args: Any) -> Any:
        """The tangent of .y for blocks of tangents of all inputs (None: zero), by one solve
        of the state with its sensitivities to every input that moves."""
        self._solved()
        inputs = (y0, *args)
        plain = not any(isinstance(v, Box) for v in (*tangents, *inputs))
        solved, n, batch = self._sensitivities(tangents, inputs, plain, self.times)
        if not solved.success:
            raise RuntimeError(f"solve_ivp: the sensitivity equations failed ({solved.message})")
        return api.reshape(solved.y[n:], (*batch, n, -1))

    def _sensitivities(self, tangents: list, inputs: tuple, compiled: bool, t_eval: Any = None) -> tuple:
        """The solve of the state with its sensitivities to the inputs whose tangents are
        given (None: zero), all of a block at once; the state's size; the block's shape."""
        y0, args = inputs[0], inputs[1:]
        i, t = next((i, t) for i, t in enumerate(tangents) if t is not None)
        batch = np.shape(t)[: np.ndim(t) - np.ndim(inputs[i])]
        n, k = np.size(y0), int(np.prod(batch))
        moving = tuple(j for j, t in enumerate(tangents[1:]) if t is not None)
        augmented = _sensitivity_system(self.fun, moving, k, n, len(args), compiled=compiled)
        start = np.zeros(k * n) if tangents[0] is None else api.reshape(tangents[0], (k * n,))
        extra = tuple(api.reshape(tangents[1 + j], (k, *np.shape(args[j]))) for j in moving)
        settings = self.settings()
        if t_eval is not None:
            settings["t_eval"] = t_eval
        z0 = api.concatenate([y0, start])
        return solve_ivp(augmented, self.t_span, z0, args=(*args, *extra), **settings), n, batch

    # --- reverse: the adjoint, or the forward sensitivities transposed ---

    def _vjp(self, i: int, g: Any, ans: Any, y0: Any, *args: Any) -> Any:
        self._solved()
        inputs = (y0, *args)
        batch = np.shape(g)[:-2]
        k = int(np.prod(batch))
        plain = not any(isinstance(v, Box) for v in (g, ans, *inputs))
        parameters = sum(np.size(v) for v in inputs)
        adjoint = self.sensitivity == "adjoint" or (
            self.sensitivity == "auto" and np.size(y0) * parameters > ADJOINT_ABOVE * k
        )
        if plain and adjoint:
            return np.reshape(self._adjoint(g, inputs)[i], (*batch, *np.shape(inputs[i])))
        m = np.size(inputs[i])
        basis = np.eye(m).reshape((m, *np.shape(inputs[i])))
        sensitivities = self._jvp(i, basis, ans, y0, *args)  # (m, n, T): d y / d input i
        flat = api.reshape(g, (k, -1)) @ api.transpose(api.reshape(sensitivities, (m, -1)))
        return api.reshape(flat, (*batch, *np.shape(inputs[i])))

    def _adjoint(self, g: np.ndarray, inputs: tuple) -> list:
        """The cotangents of every input for a block of output cotangents g (batch, n, T),
        by one backward solve of the adjoint on the forward solution's dense output."""
        # the rules of the other inputs receive the same cotangent (as views): the results are a
        # function of its values, so one backward solve serves them all
        if self._adjoints is not None and np.array_equal(self._adjoints[0], g):
            return self._adjoints[1]
        import scipy.integrate

        y0, args = inputs[0], inputs[1:]
        n, times = np.size(y0), self.times
        cotangent, g = np.array(g), np.reshape(g, (-1, n, len(times)))
        k = g.shape[0]
        sizes = [np.size(a) for a in args]
        fun = self.fun
        pulled = _adjoint_system(fun, k, n, len(args))
        dense = self.sol

        def adjoint(s: float, state: np.ndarray) -> np.ndarray:
            return -np.asarray(pulled(s, dense(s), state[: k * n].reshape(k, n), *args))

        extra = {}
        if self.method in _STIFF:
            extra["jac"] = lambda s, state: _adjoint_jacobian(fun, s, dense(s), args, k)
        outputs = {float(t): j for j, t in enumerate(times)}
        stops = self.stops
        state = np.zeros(k * (n + sum(sizes)))
        for j in range(len(stops) - 1, -1, -1):
            found = outputs.pop(float(stops[j]), None)
            if found is not None:
                state[: k * n] += g[:, :, found].ravel()
            if j == 0 or stops[j - 1] == stops[j]:
                continue
            if self.stop_states is not None:  # the stretch before this stop, solved again from its checkpoint
                dense = self._stretch(stops[j - 1], stops[j], self.stop_states[:, j - 1], args)
            step = scipy.integrate.solve_ivp(
                adjoint, (stops[j], stops[j - 1]), state, method=self.method, rtol=self.rtol, atol=self.atol, **extra
            )
            if not step.success:
                raise RuntimeError(f"solve_ivp: the adjoint solve failed ({step.message})")
            state = step.y[:, -1]
        pieces = np.split(state, np.cumsum([k * n] + [k * m for m in sizes])[:-1])
        results = [p.reshape(k, -1) for p in pieces]
        self._adjoints = (cotangent, results)
        return results

    def _stretch(self, start: float, end: float, state: np.ndarray, args: tuple) -> Any:
        """The forward solution's interpolant between two checkpoints, solved again."""
        solved = self.solve(state, args, dense=True, compiled=True, span=(start, end))
        if not solved.success:
            raise RuntimeError(f"solve_ivp: solving again from a checkpoint failed ({solved.message})")
        return solved.sol


# The systems the rules solve, per right-hand side and shape: compiled once by tt.jit and
# reused by later derivatives of solves of the same function (a trace costs milliseconds).
_SYSTEMS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _cached(fun: Callable, key: tuple, build: Callable[[], Callable]) -> Callable:
    try:
        table = _SYSTEMS.setdefault(fun, {})
    except TypeError:  # fun cannot be weakly referenced: not cached
        return build()
    found = table.get(key)
    if found is None:
        found = table[key] = build()
    return found


def _sensitivity_system(fun: Callable, moving: tuple, k: int, n: int, count: int, compiled: bool) -> Callable:
    """The state and k sensitivities as one system z = [y, S]: S' = J_y S + sum_j J_pj T_j
    over the arguments j that move (their tangents T_j follow the arguments), with the
    right-hand side one batched forward pass of fun."""

    def augmented(s: Any, z: Any, *a: Any) -> Any:
        values, moved = a[:count], a[count:]
        y, sens = z[:n], api.reshape(z[n:], (k, n))
        tangents = [sens] + [moved[moving.index(j)] if j in moving else None for j in range(count)]
        value, pushed = jvp_block(lambda y, *v: fun(s, y, *v), (y, *values), tangents, (k, n))
        return api.concatenate([value, api.reshape(pushed, (k * n,))])

    if not compiled:  # at second order the system is differentiated: the eager one
        return augmented
    return _cached(fun, ("sensitivity", moving, k, n, count), lambda: _compiled(augmented))


def _adjoint_system(fun: Callable, k: int, n: int, count: int) -> Callable:
    """(s, y, l, *args) -> the VJPs of fun at (s, y, *args) for the k cotangents l, flat."""

    def pulled(s: Any, y: Any, lam: Any, *a: Any) -> Any:
        return api.concatenate([api.reshape(p, (-1,)) for p in _pulled(lambda y, *a: fun(s, y, *a), (y, *a), lam)])

    return _cached(fun, ("adjoint", k, n, count), lambda: _compiled(pulled))


def _compiled(f: Callable) -> Callable:
    """f compiled by tt.jit (a right-hand side evaluated hundreds of times in one solve), or
    f itself from the first call on whose trace needs a traced value (a branch on y)."""
    from ..staged import TracerConversionError, jit

    staged = jit(f)
    state = {"run": staged}

    def run(*args: Any) -> Any:
        if not COMPILE_RHS:
            return f(*args)
        try:
            return state["run"](*args)
        except TracerConversionError:
            state["run"] = f
            return f(*args)

    return run


def _pulled(f: Callable, primals: tuple, cotangents: np.ndarray) -> list:
    """The VJPs of f at primals for a block of cotangents (k, n), per primal: (k, *shape)."""
    recording = record(f, primals, {}, tuple(range(len(primals))), "vjp")
    node = output_node(recording.out, recording.level)
    seeds = [] if node is None else [(node, cotangents)]
    return pull_back(recording, seeds, (cotangents.shape[0],), retain=False)


def _adjoint_jacobian(fun: Callable, s: float, y: np.ndarray, args: tuple, k: int) -> np.ndarray:
    """The Jacobian of the adjoint system in its state (l, m): -J_y^T and -J_p^T acting on l."""
    n = np.size(y)
    blocks = jacobian(lambda y, *a: fun(s, y, *a), argnums=tuple(range(1 + len(args))))(y, *args)
    columns = [np.reshape(b, (n, -1)) for b in blocks]  # J_y (n, n), J_p (n, m) ...
    eye = np.eye(k)
    rows = [-np.kron(eye, c.T) for c in columns]  # each (k m, k n): how l drives that part
    lam = np.concatenate(rows, axis=0)
    size = lam.shape[0]
    out = np.zeros((size, size))
    out[:, : k * n] = lam
    return out


def _forward_level(inputs: tuple) -> int | None:
    """The level of the Duals among inputs when they are its only boxes (and hold plain values)."""
    levels = {x._level for x in inputs if isinstance(x, Box)}
    if len(levels) != 1 or not all(isinstance(x, Dual) and not x._nested for x in inputs if isinstance(x, Box)):
        return None
    return levels.pop()


def _floats(y0: Any) -> np.ndarray:
    return np.atleast_1d(np.asarray(unbox_all(y0), dtype=np.float64))


def _array(x: Any) -> np.ndarray:
    return np.asarray(unbox_all(x), dtype=np.float64)
