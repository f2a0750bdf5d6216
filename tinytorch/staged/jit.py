"""`tt.jit` and `tt.make_ir`: trace a function once per input signature, run generated code.

The cache key of a call: the structure of the arguments, the shape and dtype of
every array among them (Python numbers count as 0-d arrays: traced, not baked
in) and the values of the static arguments. A new key traces again; new values do
not. Arrays and Variables the function reads from outside are read again at every
call, so updating a layer's weights is seen by the next call. Integer and boolean
arrays it can reach (indices, masks: part of the program, not inputs) are compared
with a copy at every call, and a change traces again. Other Python values it reads
(numbers, flags) are constants of the trace; a function that draws random numbers
while traced is refused, since the draws would be constants too.

A call runs the generated code when nothing in it is being differentiated. Under
a transform (`grad`, `jvp`, a `Variable` that requires grad) a one-output function
runs as one primitive whose VJP and JVP are compiled as well (call.py); with
several outputs, or boxes nested in boxes, the call runs the function itself:
exact in every mode and to any order, at eager speed.
"""

from __future__ import annotations

import functools
import threading
import warnings
import weakref
from collections import OrderedDict, namedtuple
from collections.abc import Callable
from typing import Any

import numpy as np

from ..autograd.forward import Dual
from ..autograd.levels import Box, grad_mode
from ..autograd.primitive import unbox_all
from ..autograd.reverse import Variable
from ..autograd.tree import LEAF, TreeDef, flatten, unflatten
from .call import JIT_CALL, Halves, Residuals, joint_function, pullback_function, pushforward_function
from .codegen import Generated, run_generated
from .hooks import current, tracing
from .ir import Program, Var
from .reads import names_of, refuse_random_draws, watched_arrays
from .signature import Signature, argument_names, plain_key, static_both_ways, static_key
from .tracer import Staging, TracerConversionError

CacheInfo = namedtuple("CacheInfo", ["hits", "misses", "maxsize", "currsize"])
_RETRACES_BEFORE_WARNING = 8


class _Compiled:
    """A trace of the function for one signature, and its generated code."""

    def __init__(self, program: Program, out_tree: TreeDef, name: str, watched: list, bindings: list) -> None:
        self.program = program
        self.out_tree = out_tree
        self.watched = watched
        self.bindings = bindings
        self.checks = bool(watched or bindings)
        self.derivatives: dict = {}  # (pullback_function or pushforward_function, inputs) -> callable
        self.split: dict = {}
        self.generated = Generated(program, name, out_tree)
        self.boxes = [source for source in program.sources if isinstance(source, Box)]
        # captured plain arrays are passed as they are: the same objects, read at each call
        self.arrays_only = not self.boxes

    def run(self, leaves: Any) -> Any:
        inputs = [leaf if type(leaf) is np.ndarray else np.asarray(unbox_all(leaf)) for leaf in leaves]
        sources = self.program.sources
        captured = sources if self.arrays_only else [unbox_all(source) for source in sources]
        out = run_generated(self.generated, (*inputs, *captured))
        return out if self.generated.structured else unflatten(self.out_tree, out)

    def pullback(self, wanted: tuple) -> Callable:
        """The VJP of this program for the inputs numbered `wanted` (call.py)."""
        return self._derivative(pullback_function, wanted)

    def pushforward(self, moving: tuple) -> Callable:
        """The forward-mode pass of this program for tangents of the inputs numbered `moving`."""
        return self._derivative(pushforward_function, moving)

    def _derivative(self, make: Callable, numbers: tuple) -> Callable:
        """make(program, numbers), jitted once per kind and inputs, or run as it is when its
        trace needs the values of an input (labels that index the logits)."""
        found = self.derivatives.get((make, numbers))
        if found is None:
            found = self.derivatives[make, numbers] = _staged_or_eager(make(self.program, numbers))
        return found

    def halves(self, wanted: tuple, values: tuple) -> Halves | None:
        """The VJP of this program for the inputs numbered `wanted`, split into a forward pass
        that keeps residuals and a backward pass that uses them (call.py); None when its
        trace needs the values of an input. Traced at the first call, from its values."""
        if wanted not in self.split:
            out = self.program.outputs[0]
            joint = Jitted(joint_function(self.program, wanted))
            example = (list(values), np.ones(out.shape, out.dtype))
            try:
                program, _ = trace(joint.fun, Signature(joint, example, {}))
            except TracerConversionError:
                self.split[wanted] = None
            else:
                self.split[wanted] = Halves(program, self.generated.function.__name__)
        return self.split[wanted]

    def stale(self) -> bool:
        """Whether the trace no longer describes the function: an integer or boolean array it
        may have read as an index (part of the program, not an input) was changed, or a name
        through which it read a captured array now names another object. Then it traces again."""
        # loops, not any() over generators: this runs at every call (0.4 us less, analysis/staged.py)
        for read, source in self.bindings:
            if read() is not source:
                return True
        for a, copy in self.watched:
            if a.shape != copy.shape or not np.array_equal(a, copy):
                return True
        return False

    def differentiated(self) -> bool:
        """Whether a captured box is being differentiated now (a weight that requires grad)."""
        return any(
            _recording(source) if isinstance(source, Variable) else source._carries_derivative()
            for source in self.boxes
        )


def _recording(x: Variable) -> bool:
    """Whether reverse mode records x's uses now: it requires grad, above the no_grad floor."""
    return x._requires_grad and x._level > grad_mode.floor


def trace(fun: Callable, signature: Signature) -> tuple[Program, TreeDef]:
    """Run fun once on Tracers for the signature's dynamic leaves; the Program it recorded."""
    staging = Staging()
    inputs = [staging.new_input(np.array(unbox_all(leaf))) for leaf in signature.leaves]
    for tracer, label in zip(inputs, argument_names(fun, signature)):
        tracer._var.label = label
    args, kwargs = signature.rebuild(inputs)
    with tracing(staging):
        out = fun(*args, **kwargs)
    out_leaves, out_tree = flatten(out)
    return staging.program([staging.output(x) for x in out_leaves]), out_tree


class Jitted:
    """A function compiled per input signature (see the module docstring)."""

    def __init__(self, fun: Callable, static_argnums: tuple = (), static_argnames: tuple = (), maxsize: int = 64):
        functools.update_wrapper(self, fun)
        self.fun = fun
        numbers = frozenset((static_argnums,) if isinstance(static_argnums, int) else static_argnums)
        names = frozenset((static_argnames,) if isinstance(static_argnames, str) else static_argnames)
        self.static_argnums, self.static_argnames = static_both_ways(fun, numbers, names)
        self._static_at: dict[int, frozenset] = {}  # number of positional arguments -> static positions
        self.maxsize = maxsize
        self._cache: OrderedDict = OrderedDict()
        self._by_structure: dict = {}  # plain_key of the arguments -> compiled
        self._methods: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # instance -> Jitted
        self._lock = threading.Lock()
        self._hits = self._misses = 0
        self._last_key: tuple | None = None
        self._warned = False

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        """As a method (`@tt.jit` on a layer's `forward`): jitted once per instance, with the
        instance in its closure, so its arrays and Variables are captured inputs."""
        if obj is None:
            return self
        bound = self._methods.get(obj)
        if bound is None:
            bound = self._methods[obj] = Jitted(
                functools.partial(self.fun, obj),
                tuple(i - 1 if i > 0 else i for i in self.static_argnums if i != 0),
                tuple(self.static_argnames),
                self.maxsize,
            )
        return bound

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if current() is not None:  # inside another function being traced: part of its trace
            return self.fun(*args, **kwargs)
        # fast path, measured (analysis/staged.py): plain arrays and numbers in tuples, lists and
        # dicts, keyed by one walk over them; the general signature costs 10-15 us a call
        leaves: list = []
        key = None if kwargs else self._plain_key(args, leaves)
        compiled = self._current(self._by_structure.get(key) if key is not None else None)
        if compiled is not None:
            with self._lock:
                self._hits += 1
            if not compiled.boxes or not compiled.differentiated():
                return compiled.run(leaves)
            return self._differentiated_call(compiled, leaves, args, kwargs)
        signature = Signature(self, args, kwargs)
        compiled = self._compiled(signature)
        if key is not None:
            self._by_structure[key] = compiled
        if any(isinstance(leaf, Box) for leaf in signature.leaves) or compiled.differentiated():
            return self._differentiated_call(compiled, signature.leaves, args, kwargs)
        return compiled.run(signature.leaves)

    def _plain_key(self, args: tuple, leaves: list) -> Any:
        """The fast key of positional arguments (plain_key of the dynamic ones, and the
        static values), collecting the dynamic leaves; None when the general signature is
        needed (other kinds of arguments, unhashable static values)."""
        if not self.static_argnums:
            return plain_key(args, leaves)
        static = self.static_positions(len(args))
        key = plain_key(tuple(a for i, a in enumerate(args) if i not in static), leaves)
        values = tuple(static_key(a) for i, a in enumerate(args) if i in static)
        try:
            hash(values)
        except TypeError:  # the general signature raises the error that says so
            return None
        return None if key is None else (key, values)

    def static_positions(self, count: int) -> frozenset:
        """The positions of the static arguments in a call with `count` positional arguments
        (negative static_argnums count from the end)."""
        found = self._static_at.get(count)
        if found is None:
            found = self._static_at[count] = frozenset(i % count for i in self.static_argnums if -count <= i < count)
        return found

    def _differentiated_call(self, compiled: _Compiled, leaves: list, args: tuple, kwargs: dict) -> Any:
        """A call whose inputs are being differentiated: with one output and boxes of one level,
        the compiled program as one primitive whose VJP and JVP are compiled too (call.py);
        otherwise (several outputs, nested boxes) the function itself, exact in every mode."""
        inputs = [*leaves, *compiled.program.sources]
        wanted = tuple(
            i for i, x in enumerate(inputs) if isinstance(x, Variable) and _recording(x) and x.dtype.kind == "f"
        )
        boxes = [x for x in inputs if isinstance(x, Box)]
        one_level = all(isinstance(x, (Variable, Dual)) and not x._nested for x in boxes)
        one_output = compiled.out_tree is LEAF and isinstance(compiled.program.outputs[0], Var)
        moving = any(isinstance(x, Dual) and x._tangent is not None for x in boxes)
        if not ((wanted or moving) and one_level and one_output):
            return self.fun(*args, **kwargs)
        inputs = [x if isinstance(x, Box) else np.asarray(x) for x in inputs]
        return JIT_CALL(*inputs, compiled=compiled, wanted=wanted, residuals=Residuals())

    def _current(self, compiled: _Compiled | None) -> _Compiled | None:
        """compiled, or None (and forgotten) when what it read has changed since (stale)."""
        if compiled is None or not compiled.checks or not compiled.stale():
            return compiled
        with self._lock:
            for table in (self._cache, self._by_structure):
                for key in [k for k, v in table.items() if v is compiled]:
                    del table[key]
        return None

    def _compiled(self, signature: Signature) -> _Compiled:
        with self._lock:
            compiled = self._cache.get(signature.key)
        compiled = self._current(compiled)
        if compiled is not None:
            with self._lock:
                self._hits += 1
                if signature.key in self._cache:
                    self._cache.move_to_end(signature.key)
            return compiled
        watched, states = watched_arrays(self.fun)
        program, out_tree = trace(self.fun, signature)
        refuse_random_draws(states, self.fun)
        bindings = names_of(self.fun, program.sources)
        compiled = _Compiled(program, out_tree, _python_name(self.fun), watched, bindings)
        with self._lock:
            self._misses += 1
            self._warn_if_retracing(signature.key)
            self._cache[signature.key] = compiled
            if len(self._cache) > self.maxsize:
                self._cache.popitem(last=False)
                self._by_structure.clear()
        return compiled

    def _warn_if_retracing(self, key: tuple) -> None:
        previous, self._last_key = self._last_key, key
        if self._warned or self._misses <= _RETRACES_BEFORE_WARNING or previous is None:
            return
        self._warned = True
        changed = [
            "the structure of the arguments",
            "the shapes or dtypes of array arguments",
            "the values of static arguments",
        ]
        what = [name for name, a, b in zip(changed, previous, key) if a != b] or ["the arguments"]
        warnings.warn(
            f"tt.jit({self.__name__}) has traced {self._misses} times: {', '.join(what)} changed between calls. "
            "Each new signature traces and compiles again; keep shapes fixed, or pass varying numbers as arrays",
            stacklevel=3,
        )

    def code(self, *args: Any, **kwargs: Any) -> str:
        """The generated Python source for the signature of these arguments."""
        return self._compiled(Signature(self, args, kwargs)).generated.source

    def cache_info(self) -> CacheInfo:
        """(hits, misses, maxsize, currsize), as functools.lru_cache reports them."""
        with self._lock:
            return CacheInfo(self._hits, self._misses, self.maxsize, len(self._cache))


def _staged_or_eager(fun: Callable) -> Callable:
    """fun jitted, falling back to fun itself for good when tracing it needs a traced value."""
    jitted: list = [Jitted(fun)]

    def call(*args: Any) -> Any:
        if jitted:
            try:
                return jitted[0](*args)
            except TracerConversionError:
                jitted.clear()
        return fun(*args)

    return call


def _python_name(fun: Callable) -> str:
    name = getattr(fun, "__name__", "f")
    return name if name.isidentifier() and not name.startswith("<") else "staged"


def jit(fun: Callable | None = None, *, static_argnums: int | tuple = (), static_argnames: str | tuple = ()) -> Any:
    """fun, traced once per input signature and run as generated NumPy code.

    >>> import numpy as np, tinytorch as tt
    >>> from tinytorch.autograd import grad
    >>> f = tt.jit(lambda x: tt.sum(tt.sin(x) * x))
    >>> x = np.array([0.5, 1.0])
    >>> bool(np.isclose(f(x), np.sum(np.sin(x) * x)))
    True
    >>> g = tt.jit(grad(lambda x: tt.sum(tt.sin(x) * x)))       # a gradient, compiled
    >>> bool(np.allclose(g(x), np.sin(x) + x * np.cos(x)))
    True
    >>> f.cache_info().misses
    1
    """
    if fun is None:
        return lambda f: Jitted(f, static_argnums, static_argnames)
    return Jitted(fun, static_argnums, static_argnames)


def make_ir(fun: Callable, *, static_argnums: int | tuple = (), static_argnames: str | tuple = ()) -> Callable:
    """A function that traces fun on its arguments and returns the Program (printable).

    >>> import numpy as np, tinytorch as tt
    >>> print(tt.make_ir(lambda x: tt.sum(x * 2.0))(np.ones(3)))
    { lambda x:f64[3] .
        v2:f64[3] = multiply x 2.0
        v3:f64[] = sum v2 (-1,) False
      in (v3) }
    """
    jitted = Jitted(fun, static_argnums, static_argnames)

    def traced(*args: Any, **kwargs: Any) -> Program:
        return trace(fun, Signature(jitted, args, kwargs))[0]

    return traced
